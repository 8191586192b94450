"""`envsense check` on both cores gives the serial path's output byte for byte, falls back to
one process when the pool fails, and a warm run (from the results cache) equals a cold one."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import envsense.check_pool as check_pool
import envsense.check_run as check_run
import envsense.core.check_cache as check_cache
from envsense.check_pool import POOL_THRESHOLD, shards, worker_count
from tests.support.check_tree import build_check_tree, isolate_machine


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("pool")
    return build_check_tree(base / "ws", base / "wheels")


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    isolate_machine(tmp_path, monkeypatch)
    yield tmp_path


class PoolSpy:
    """Forces the pool (whatever the CPU count) and records whether it really ran."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, workers: int = 3) -> None:
        self.ran = 0
        real = check_pool.run_sharded

        def spy(task: Any, indices: Any, count: int, groups: Any = None) -> Any:
            result = real(task, indices, count, groups)
            if result is not None:
                self.ran += 1
            return result

        monkeypatch.setattr(
            check_run, "worker_count", lambda jobs, pending: workers if pending > 1 else 1
        )
        monkeypatch.setattr(check_run, "run_sharded", spy)


def run(
    tree: Path, capsys: pytest.CaptureFixture[str], *args: str, fmt: str = "json"
) -> tuple[int, str]:
    from envsense.cli import main

    before = Path.cwd()
    try:
        os.chdir(tree)
        code = main(["check", "--format", fmt, *args, "."])
    finally:
        os.chdir(before)
    out = capsys.readouterr().out
    assert code in (0, 1), out
    return code, out


def test_pool_output_is_the_serial_output(
    tree: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    serial = run(tree, capsys, "--no-cache", "--jobs", "1")
    serial_text = run(tree, capsys, "--no-cache", "--jobs", "1", fmt="text")
    spy = PoolSpy(monkeypatch)
    assert run(tree, capsys, "--no-cache") == serial
    assert run(tree, capsys, "--no-cache", fmt="text") == serial_text
    assert spy.ran == 2
    diagnostics = json.loads(serial[1])["diagnostics"]
    codes = {d["code"] for d in diagnostics}
    # The tree must exercise the checks, or equality proves nothing.
    assert {
        "missing-import",
        "undeclared-import",
        "version-mismatch",
        "requirement-not-installed",
        "malformed-manifest",
        "import-chain-broken",
        "file-not-checked",
    } <= codes, sorted(codes)
    paths = {d["path"] for d in diagnostics}
    assert "app/app/pipe.py" in paths  # the file that can't be read
    assert "app/app/bad.ipynb" in paths
    assert any(d["message"].startswith("cell 2: ") for d in diagnostics)  # the notebook
    assert {"app/pyproject.toml", "lib/pyproject.toml"} <= paths


def test_pool_failure_falls_back_to_one_process(
    tree: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    serial = run(tree, capsys, "--no-cache", "--jobs", "1")
    PoolSpy(monkeypatch)

    def broken() -> int:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", broken)
    assert run(tree, capsys, "--no-cache") == serial


def test_a_killed_worker_falls_back_to_one_process(
    tree: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    serial = run(tree, capsys, "--no-cache", "--jobs", "1")
    PoolSpy(monkeypatch)
    real = check_run._CheckRun._check_encoded

    parent = os.getpid()

    def dies(self: check_run._CheckRun, indices: Any) -> Any:
        if os.getpid() != parent:  # a worker, not this process (which takes parts too)
            os._exit(9)  # as the kernel's OOM killer would
        return real(self, indices)

    monkeypatch.setattr(check_run._CheckRun, "_check_encoded", dies)
    assert run(tree, capsys, "--no-cache") == serial
    monkeypatch.setattr(check_run._CheckRun, "_check_encoded", real)


def test_warm_equals_cold_and_reads_no_unchanged_file(
    tree: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = run(tree, capsys, "--no-cache", "--jobs", "1")
    # The tree was just written: trust stats from before this run (not two seconds back).
    monkeypatch.setattr(check_cache, "RACY_NS", 0)
    spy = PoolSpy(monkeypatch)
    assert run(tree, capsys) == reference  # cold, in the pool, filling the cache
    assert spy.ran == 1
    reads: list[Path] = []
    real_read = check_run.read_bytes_and_stat

    def counting(path: Path, limit: int) -> tuple[bytes, os.stat_result]:
        reads.append(path)
        return real_read(path, limit)

    monkeypatch.setattr(check_run, "read_bytes_and_stat", counting)
    assert run(tree, capsys) == reference  # warm
    # Only what can't be cached is read again: the FIFO (never a regular file).
    assert {p.name for p in reads} <= {"pipe.py", "uv.lock"}, reads
    assert spy.ran == 1  # nothing left to check: no pool
    assert run(tree, capsys, fmt="text") == run(tree, capsys, "--no-cache", fmt="text")


def test_warm_run_sees_an_edit(
    tree: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import shutil

    work = tmp_path / "copy"
    shutil.copytree(tree, work, symlinks=True, ignore=shutil.ignore_patterns("pipe.py"))
    run(work, capsys)
    target = work / "app" / "app" / "sub1" / "mod1.py"
    target.write_text("import os\n")  # same second as the cold run: verified by content
    warm = run(work, capsys)
    assert warm == run(work, capsys, "--no-cache", "--jobs", "1")
    assert "app/app/sub1/mod1.py" not in warm[1]


@pytest.mark.parametrize("checked", [".", "app/app/sub1"])
def test_an_edit_to_an_imported_module_reaches_its_importers(
    tree: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    checked: str,
) -> None:
    """import-chain-broken on unchanged files follows the module they import, whether the
    walk covered the whole project or only a sub-folder of it."""
    import shutil

    work = tmp_path / "copy"
    shutil.copytree(tree, work, symlinks=True, ignore=shutil.ignore_patterns("pipe.py"))
    monkeypatch.setattr(check_cache, "RACY_NS", 0)  # trust stats: only the stamp can tell

    def check() -> str:
        monkeypatch.chdir(work)
        from envsense.cli import main

        assert main(["check", "--format", "json", "--jobs", "1", checked]) in (0, 1)
        return capsys.readouterr().out

    before = check()
    assert "import-chain-broken" in before
    broken = work / "app" / "app" / "broken.py"
    broken.write_text("import os\n\nVALUE = 1\n")
    after = check()
    assert "import-chain-broken" not in after
    monkeypatch.chdir(work)
    from envsense.cli import main

    main(["check", "--format", "json", "--no-cache", "--jobs", "1", checked])
    assert after == capsys.readouterr().out


def test_a_damaged_cache_file_is_ignored_and_rewritten(
    tree: Path, capsys: pytest.CaptureFixture[str], home: Path
) -> None:
    reference = run(tree, capsys, "--no-cache", "--jobs", "1")
    assert run(tree, capsys, "--jobs", "1") == reference
    (written,) = (home / "cache" / "envsense" / "check").glob("*.json")
    good = written.read_bytes()
    older = good.replace(b'"format":2', b'"format":1')
    assert older != good
    for damage in (good[: len(good) // 2], b"\x00" * 64, older):
        written.write_bytes(damage)
        assert run(tree, capsys, "--jobs", "1") == reference
        assert json.loads(written.read_bytes())["format"] == check_cache._FORMAT


def test_worker_count() -> None:
    assert worker_count(None, POOL_THRESHOLD * 10, cpus=1) == 1  # never with one CPU
    assert worker_count(4, 1000, cpus=1) == 1
    assert worker_count(None, POOL_THRESHOLD - 1, cpus=4) == 1  # too few files to pay
    assert worker_count(None, POOL_THRESHOLD, cpus=4) == 4
    assert worker_count(None, POOL_THRESHOLD, cpus=64) == check_pool.MAX_WORKERS
    assert worker_count(1, 10_000, cpus=4) == 1  # --jobs 1 forces one process
    assert worker_count(3, 10, cpus=4) == 3  # an explicit count, whatever the file count
    assert worker_count(8, 10, cpus=2) == 2


def test_jobs_must_be_a_positive_number_or_auto(capsys: pytest.CaptureFixture[str]) -> None:
    from envsense.cli import main

    for bad in ("0", "-2", "many"):
        with pytest.raises(SystemExit) as exit_info:
            main(["check", "--jobs", bad, "."])
        assert exit_info.value.code == 2
        assert "--jobs" in capsys.readouterr().err


def test_shards_keep_order_and_cover_every_file() -> None:
    indices = list(range(1000))
    parts = shards(indices, 2)
    assert [i for part in parts for i in part] == indices
    assert len(parts) == 2 * check_pool.SHARDS_PER_WORKER


def test_shards_end_at_folder_boundaries_and_stay_small_enough_to_balance() -> None:
    # Folders of 7 files each, walk order: a chunk ends where a folder ends once it has
    # enough files, so a folder's files (and its project's warm caches) stay in one worker.
    folders = [object() for _ in range(300)]
    groups = [folders[i // 7] for i in range(2100)]
    indices = list(range(5000, 7100))
    parts = shards(indices, 2, groups)
    assert [i for part in parts for i in part] == indices
    size = 2100 // (2 * check_pool.SHARDS_PER_WORKER) + 1
    for part in parts[:-1]:
        assert size <= len(part) < size + 7
        assert (part[-1] - 5000) % 7 == 6  # the last file of its folder
    # One huge folder is still cut, at twice the chunk size, so it can't stall a worker.
    one = [folders[0]] * 2100
    assert max(len(part) for part in shards(indices, 2, one)) == 2 * size
    # Few files: chunks are never smaller than MIN_SHARD (each costs a round trip).
    assert all(len(part) >= check_pool.MIN_SHARD for part in shards(list(range(100)), 2)[:-1])


def test_a_spare_core_by_load_or_by_pressure(monkeypatch: pytest.MonkeyPatch) -> None:
    """The load average counts the last minute, this tool's own runs included; pressure
    says whether tasks waited for a CPU in the last ten seconds."""
    loads = {"load": 0.5}
    monkeypatch.setattr(os, "getloadavg", lambda: (loads["load"], 1.0, 1.0))
    pressure: dict[str, float | None] = {"avg10": 40.0}
    monkeypatch.setattr(check_pool, "cpu_pressure", lambda: pressure["avg10"])
    assert check_pool.spare_core(2)  # idle by the load average
    assert not check_pool.spare_core(1)  # one CPU: nothing to spare
    loads["load"] = 2.5
    assert not check_pool.spare_core(2)  # busy, and tasks are waiting
    pressure["avg10"] = 0.5
    assert check_pool.spare_core(2)  # the load was earlier runs: nobody waits now
    pressure["avg10"] = None
    assert not check_pool.spare_core(2)  # no pressure figures: the load average decides


def test_cpu_pressure_reads_the_kernels_figure() -> None:
    if not os.path.exists("/proc/pressure/cpu"):
        assert check_pool.cpu_pressure() is None
        return
    pressure = check_pool.cpu_pressure()
    assert pressure is not None and 0.0 <= pressure <= 100.0
