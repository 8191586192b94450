"""The import scanner started as `envsense check` starts, before the interpreter is known:
it hands over only scans that read the same on every interpreter until the check aims it,
then the rest for that interpreter; the check's output is the serial one's."""

from __future__ import annotations

import hashlib
import os
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import envsense.check_pool as check_pool
import envsense.check_prefetch as check_prefetch
import envsense.check_run as check_run
import envsense.core.check_cache as check_cache
from envsense.check_prefetch import PreparedScans, ScanAhead
from envsense.core.imports.conditions import Target, target_reads
from envsense.core.imports.extract import extract_imports, extract_imports_from_bytes
from envsense.core.versions import PythonVersion
from tests.support.check_tree import build_check_tree, isolate_machine
from tests.support.processes import no_children_left
from tests.unit.test_check_pool import PoolSpy, run
from tests.unit.test_check_prefetch import Extractions

TARGET = Target(PythonVersion(3, 12, 0), "linux")
OLD = Target(PythonVersion(3, 9, 0), "linux")

SOURCES = {
    "plain.py": "import os\nfrom .sibling import thing\n",
    "versioned.py": textwrap.dedent(
        """\
        import sys
        if sys.version_info >= (3, 11):
            import tomllib
        else:
            import tomli as tomllib
        """
    ),
    "windows.py": 'import sys\nif sys.platform == "win32":\n    import winreg\n',
    "guarded.py": "try:\n    import yaml\nexcept ImportError:\n    yaml = None\n",
}


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("early")
    return build_check_tree(base / "ws", base / "wheels")


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    isolate_machine(tmp_path, monkeypatch)
    # Whatever else runs on this machine: the scanners' own behaviour is under test.
    monkeypatch.setattr(check_run, "spare_core", lambda: True)
    monkeypatch.setattr(check_prefetch, "spare_core", lambda: True)
    monkeypatch.setattr(check_prefetch, "available_cpus", lambda: 2)
    yield tmp_path


def scanned_paths(prepared: PreparedScans) -> set[str]:
    prepared.refresh()
    return {os.path.basename(path) for path in prepared.paths()}


def test_target_reads_count_what_conditions_read_of_the_target() -> None:
    before = target_reads()
    extract_imports(SOURCES["plain.py"] + SOURCES["guarded.py"], version=None, platform=None)
    assert target_reads() == before  # nothing here depends on the interpreter
    extract_imports(SOURCES["windows.py"], version=None, platform=None)
    assert target_reads() > before  # an unknown platform is still a read of it
    middle = target_reads()
    extract_imports(SOURCES["versioned.py"], version=TARGET.version, platform="linux")
    assert target_reads() > middle


def test_scans_that_hold_everywhere_come_first_the_rest_once_aimed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(check_pool, "POOL_THRESHOLD", 1)
    folder = tmp_path / "proj"
    folder.mkdir()
    for name, text in SOURCES.items():
        (folder / name).write_text(text)
    ahead = ScanAhead.start_early([folder])
    assert ahead is not None
    prepared = ahead.prepared
    deadline = time.monotonic() + 30
    while scanned_paths(prepared) != {"plain.py", "guarded.py"}:
        assert time.monotonic() < deadline, scanned_paths(prepared)
        time.sleep(0.01)
    time.sleep(0.2)  # and nothing more comes while it waits for the interpreter
    assert scanned_paths(prepared) == {"plain.py", "guarded.py"}
    ahead.aim(TARGET, [str(folder)], [])
    assert ahead.wait(30)  # every file scanned, then it ends
    prepared = ahead.finish()
    ahead.reap()
    assert no_children_left()
    for name in SOURCES:
        data = (folder / name).read_bytes()
        digest = hashlib.blake2b(data, digest_size=16).digest()
        for target in (TARGET, OLD):
            expected = extract_imports_from_bytes(
                data, version=target.version, platform=target.platform
            )
            scan = prepared.scan(folder / name, digest, target, text=False)
            if name in ("versioned.py", "windows.py") and target is OLD:
                assert scan is None  # scanned for the interpreter it was aimed at only
            else:
                assert scan == expected, (name, target)


def test_a_scanner_never_aimed_commits_only_what_holds_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(check_pool, "POOL_THRESHOLD", 1)
    for name, text in SOURCES.items():
        (tmp_path / name).write_text(text)
    ahead = ScanAhead.start_early([tmp_path])
    assert ahead is not None
    deadline = time.monotonic() + 30
    while scanned_paths(ahead.prepared) != {"plain.py", "guarded.py"}:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    ahead.reap()  # still waiting: killed
    assert no_children_left()


def test_too_few_files_for_a_pool_and_it_ends_by_itself(tmp_path: Path) -> None:
    (tmp_path / "one.py").write_text("import os\n")
    ahead = ScanAhead.start_early([tmp_path])
    assert ahead is not None
    assert ahead.wait(30)
    assert len(ahead.finish()) == 0
    ahead.reap()


def test_no_early_scanner_without_a_spare_core(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(check_prefetch, "spare_core", check_pool.spare_core)
    monkeypatch.setattr(os, "getloadavg", lambda: (2.5, 1.0, 1.0))
    monkeypatch.setattr(check_pool, "cpu_pressure", lambda: 40.0)
    monkeypatch.setattr(check_pool, "available_cpus", lambda: 2)
    assert ScanAhead.start_early([tmp_path]) is None


def test_the_check_adopts_it_and_prints_the_serial_output(
    tree: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    serial = run(tree, capsys, "--no-cache", "--jobs", "1")
    assert "import-chain-broken" in serial[1]
    extractions = Extractions(monkeypatch, tmp_path / "extractions")
    spy = PoolSpy(monkeypatch)
    monkeypatch.setattr(check_pool, "POOL_THRESHOLD", 5)
    late: list[object] = []
    monkeypatch.setattr(ScanAhead, "start", lambda *args: late.append(args))
    aimed: list[Target] = []
    real_aim = ScanAhead.aim

    def aim(self: ScanAhead, target: Target, *args: Any) -> None:
        aimed.append(target)
        real_aim(self, target, *args)
        self.wait(30)  # every file scanned before the warm-up takes any

    monkeypatch.setattr(ScanAhead, "aim", aim)
    assert run(tree, capsys, "--no-cache") == serial
    with_early = extractions.take()
    assert len(aimed) == 1 and late == []  # adopted: no second scanner
    assert spy.ran == 1
    assert no_children_left()
    monkeypatch.setattr(ScanAhead, "start_early", staticmethod(lambda paths: None))
    assert run(tree, capsys, "--no-cache") == serial
    without = extractions.take()
    assert with_early < without / 3, (with_early, without)


def test_a_warm_run_ends_it_before_the_session_is_built(
    tree: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(check_cache, "RACY_NS", 0)
    PoolSpy(monkeypatch)
    monkeypatch.setattr(check_pool, "POOL_THRESHOLD", 5)
    cold = run(tree, capsys)  # fills the cache
    started: list[ScanAhead | None] = []
    real_start = ScanAhead.start_early

    def start_early(paths: Any) -> ScanAhead | None:
        started.append(real_start(paths))
        return started[-1]

    monkeypatch.setattr(ScanAhead, "start_early", staticmethod(start_early))
    aimed: list[object] = []
    monkeypatch.setattr(ScanAhead, "aim", lambda *args: aimed.append(args))
    assert run(tree, capsys) == cold
    assert started and started[0] is not None
    assert aimed == []
    assert no_children_left()
    started.clear()
    run(tree, capsys, "--jobs", "1")
    assert started == []  # one process: none


def test_the_check_takes_the_scanners_walk_and_what_it_said(
    tree: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The scanner walked the same folders while the parent imported: the parent takes
    its files, listings and warnings instead of walking again."""
    import shutil

    import envsense.core.files as files

    work = tmp_path / "copy"
    shutil.copytree(tree, work, symlinks=True, ignore=shutil.ignore_patterns("pipe.py"))
    deep = work / "app" / "app" / "a" / "b" / "c" / "d"
    deep.mkdir(parents=True)
    (deep / "too_deep.py").write_text("import os\n")
    monkeypatch.setattr(files, "MAX_WALK_DEPTH", 4)
    serial = run(work, capsys, "--no-cache", "--jobs", "1")
    serial_warnings = [r.getMessage() for r in caplog.records if "deeper than" in r.getMessage()]
    assert len(serial_warnings) == 1
    caplog.clear()
    PoolSpy(monkeypatch)
    monkeypatch.setattr(check_pool, "POOL_THRESHOLD", 5)
    walked: list[object] = []
    real_walk = check_run.iter_checkable_files

    def walk(*args: Any) -> Any:
        walked.append(args)
        return real_walk(*args)

    monkeypatch.setattr(check_run, "iter_checkable_files", walk)
    assert run(work, capsys, "--no-cache") == serial
    assert walked == []  # the scanner's walk served
    early_warnings = [r.getMessage() for r in caplog.records if "deeper than" in r.getMessage()]
    assert early_warnings == serial_warnings
    assert no_children_left()
