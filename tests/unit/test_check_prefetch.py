"""Imports scanned ahead by a second process: the scans it hands over are exactly what the
check would extract, are used only for the content and target they were made from, and
the pool that uses them prints what one process prints."""

from __future__ import annotations

import hashlib
import marshal
import os
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import envsense
import envsense.check_pool as check_pool
import envsense.check_prefetch as check_prefetch
import envsense.check_run as check_run
import envsense.core.check_cache as check_cache
import envsense.core.checks.module_reading as module_reading
import envsense.scan_memory as scan_memory
from envsense.check_prefetch import ScanAhead, ScanPlan
from envsense.core.imports.conditions import Target
from envsense.core.imports.extract import (
    decode_source,
    extract_imports,
    extract_imports_from_bytes,
)
from envsense.core.imports.scan_codec import decode_scan, encode_scan
from envsense.core.versions import PythonVersion
from tests.support.check_tree import build_check_tree, isolate_machine
from tests.unit.test_check_pool import PoolSpy, run

TARGET = Target(PythonVersion(3, 12, 0), "linux")
OTHER = Target(PythonVersion(3, 9, 0), "linux")

# Every field of ImportRef, ImportGuard and Probe takes a non-default value somewhere here.
SOURCE = textwrap.dedent(
    """\
    import os, sys as system
    from . import sibling
    from ..pkg.sub import (a, b as c)
    from typing import TYPE_CHECKING
    import importlib
    try:
        import tomllib
    except ImportError:
        import tomli as tomllib
    else:
        import after_toml
    try:
        from yaml import CSafeLoader
        HAS_YAML = True
    except ImportError:
        HAS_YAML = False
    if HAS_YAML:
        import yaml_extras
    if importlib.util.find_spec("numpy"):
        import numpy_helpers
    if TYPE_CHECKING:
        from collections.abc import Sequence
    if sys.platform == "win32":
        import winreg
    if os.environ.get("X"):
        import conditional_mod
    def load():
        import inner_mod
        return importlib.import_module("dyn.mod")
    if __name__ == "__main__":
        import main_only
    def broken(:
        import never_parsed
    """
)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("prefetch")
    return build_check_tree(base / "ws", base / "wheels")


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    isolate_machine(tmp_path, monkeypatch)
    # Whatever else runs on this machine: the scanner's own behaviour is under test.
    monkeypatch.setattr(check_run, "spare_core", lambda: True)
    # The scanner started before the session is tested in test_check_early.py.
    monkeypatch.setattr(ScanAhead, "start_early", staticmethod(lambda paths: None))
    yield tmp_path


def roundtrip(text: str, target: Target = TARGET) -> tuple[Any, Any]:
    scan = extract_imports(text, version=target.version, platform=target.platform)
    return scan, decode_scan(marshal.loads(marshal.dumps(encode_scan(scan))))


def test_the_codec_gives_back_every_field() -> None:
    scan, back = roundtrip(SOURCE)
    assert back == scan
    refs = scan.imports
    assert scan.syntax_error  # the broken def
    # The source must reach what the codec carries, or equality proves little.
    assert any(r.level == 2 and r.names for r in refs)
    assert any(r.guards and not r.guards[0].when_ok for r in refs)
    assert any(r.guards and r.guards[0].when_ok for r in refs)
    assert any(p.find_only for r in refs for g in r.guards for p in g.probes)
    assert {r.kind for r in refs} == {"import", "from", "dynamic"}
    for flag in ("guarded", "type_checking", "in_function", "conditional", "main_block"):
        assert any(getattr(r, flag) for r in refs), flag
    empty, back = roundtrip("x = 1\n")
    assert back == empty
    skipped, back = roundtrip("import os\n\x00")
    assert skipped.skipped and back == skipped


def test_the_codec_gives_back_the_scan_of_every_real_module() -> None:
    package = Path(envsense.__file__).parent
    files = sorted(package.rglob("*.py"))
    assert len(files) > 100
    for path in files:
        scan, back = roundtrip(path.read_text(encoding="utf-8"))
        assert back == scan, path


def scanned(files: list[Path], target: Target = TARGET) -> check_prefetch.PreparedScans:
    ahead = ScanAhead.start(files, ScanPlan(first=(), then=range(len(files))), target)
    assert ahead is not None
    assert ahead.wait(30)  # every file scanned
    prepared = ahead.finish()
    ahead.reap()
    return prepared


def digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def test_scans_made_ahead_are_the_ones_the_check_extracts(tmp_path: Path) -> None:
    package = Path(envsense.__file__).parent
    files = sorted(package.rglob("*.py"))[:60]
    odd = [
        tmp_path / "latin.py",
        tmp_path / "binary.py",
        tmp_path / "notes.txt",
        tmp_path / "gone.py",
    ]
    odd[0].write_bytes("# caf\xe9\nimport missing_latin\n".encode("latin-1"))
    odd[1].write_bytes(b"import os\n\x00\x01")
    odd[2].write_text("import os\n")
    prepared = scanned(files + odd)
    for path in [*files, odd[0]]:
        data = path.read_bytes()
        text = decode_source(data)
        by_bytes = extract_imports_from_bytes(data, version=TARGET.version, platform="linux")
        by_text = extract_imports(text, version=TARGET.version, platform="linux")
        # As a followed module reads it (its bytes) and as a check reads it (its text).
        assert prepared.scan(path, digest(data), TARGET, text=False) == by_bytes, path
        assert prepared.scan(path, digest(text.encode()), TARGET, text=True) == by_text, path
        # Another content, or another interpreter: never this scan.
        assert prepared.scan(path, digest(data + b"\n"), TARGET, text=False) is None
        assert prepared.scan(path, digest(data), OTHER, text=False) is None
    # latin.py decodes to other bytes than its own: each digest answers for its own kind.
    latin = odd[0].read_bytes()
    latin_text = decode_source(latin).encode()
    assert latin_text != latin
    assert prepared.scan(odd[0], digest(latin_text), TARGET, text=False) is None
    assert prepared.scan(odd[0], digest(latin), TARGET, text=True) is None
    # Binary files, non-Python files and files that can't be read are left to the check.
    for path in odd[1:]:
        content = path.read_bytes() if path.exists() else b""
        assert prepared.scan(path, digest(content), TARGET, text=False) is None
    assert len(prepared) == len(files) + 1


def test_a_frame_damaged_in_memory_is_not_used(tmp_path: Path) -> None:
    path = tmp_path / "mod.py"
    path.write_text("import json\nfrom . import sibling\n")
    prepared = scanned([path])
    data = path.read_bytes()
    assert prepared.scan(path, digest(data), TARGET, text=False) is not None
    memory = prepared._memory
    (end,) = scan_memory.COMMITTED.unpack_from(memory, 0)
    memory[end - 3] ^= 0xFF  # a byte of the payload, as a torn read would see it
    assert prepared.scan(path, digest(data), TARGET, text=False) is None


def test_a_stopped_scanner_hands_over_what_it_finished(tmp_path: Path) -> None:
    files = []
    for index in range(3000):
        path = tmp_path / f"m{index}.py"
        path.write_text(f"import os\nimport mod{index}\n")
        files.append(path)
    ahead = ScanAhead.start(files, ScanPlan(first=(), then=range(len(files))), TARGET)
    assert ahead is not None
    prepared = ahead.finish()  # at once: the scanner may be anywhere
    ahead.reap()
    assert ahead.finish() is prepared
    for path in files[: len(prepared)]:
        data = path.read_bytes()
        expected = extract_imports_from_bytes(data, version=TARGET.version, platform="linux")
        assert prepared.scan(path, digest(data), TARGET, text=False) == expected
    assert len(prepared) < len(files)


def test_the_warm_up_files_come_first_followed_through_their_imports(tmp_path: Path) -> None:
    """The parent's warm-up reads each sample file's chain depth first: the scanner goes the
    same way, so what the warm-up needs next is there before it."""
    root = tmp_path / "proj"
    sources = {
        "pkg/__init__.py": "",
        "pkg/app.py": "import os\nfrom pkg import models\nfrom .views import show\n",
        "pkg/models.py": "from pkg.db import fields\n\ndef f():\n    import pkg.lazy\n",
        "pkg/views.py": "from . import helpers\ntry:\n    import pkg.optional\nexcept ImportError:\n    pass\n",
        "pkg/helpers.py": "import json\nimport extlib\n",
        "pkg/lazy.py": "",
        "pkg/db/__init__.py": "",
        "pkg/db/fields.py": "from ..helpers import x\n",
        "tests/test_one.py": "import pkg.app\n",
        "tests/test_two.py": "import pkg.views\n",
        "pkg/optional.py": "",
    }
    files = []
    for name, text in sources.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        files.append(path)
    site = tmp_path / "site-packages"
    installed = {
        "extlib/__init__.py": "from . import core\n",
        "extlib/core.py": "import extlib.deep\n",
        "extlib/deep.py": "import extlib.deeper\n",
        "extlib/deeper.py": "",
    }
    for name, text in installed.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text)
    index = {name: n for n, name in enumerate(sources)}
    plan = ScanPlan(
        first=[index["pkg/app.py"]],
        then=range(len(files) - 1, -1, -1),
        roots=[str(root)],
        site=[str(site)],
    )
    ahead = ScanAhead.start(files, plan, TARGET)
    assert ahead is not None
    assert ahead.wait(30)
    prepared = ahead.finish()
    order = [str(Path(p).relative_to(tmp_path)) for p in prepared.paths()]
    assert order[:10] == [
        "proj/pkg/app.py",
        "proj/pkg/__init__.py",
        "proj/pkg/models.py",
        "proj/pkg/db/__init__.py",
        "proj/pkg/db/fields.py",
        "proj/pkg/helpers.py",  # `from ..helpers`: relative to pkg.db.fields
        # Installed code, found in site-packages, MAX_DEPTH (3) modules deep.
        "site-packages/extlib/__init__.py",
        "site-packages/extlib/core.py",
        "site-packages/extlib/deep.py",
        "proj/pkg/views.py",
    ]
    # Then the rest, far end first: imports in a function or under try/except ImportError
    # never break a chain, so the chain walk does not read them early.
    assert order[10:] == [
        "proj/pkg/optional.py",
        "proj/tests/test_two.py",
        "proj/tests/test_one.py",
        "proj/pkg/lazy.py",
    ]


class Extractions:
    """Counts the imports extracted by the check's processes (the forked ones too)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, log: Path) -> None:
        self.log = log
        for name in ("extract_imports", "extract_imports_from_bytes"):
            real = getattr(module_reading, name)
            monkeypatch.setattr(module_reading, name, self._counting(real))

    def _counting(self, real: Any) -> Any:
        def counting(*args: Any, **kwargs: Any) -> Any:
            descriptor = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            try:
                os.write(descriptor, b".")
            finally:
                os.close(descriptor)
            return real(*args, **kwargs)

        return counting

    def take(self) -> int:
        count = len(self.log.read_bytes()) if self.log.exists() else 0
        self.log.unlink(missing_ok=True)
        return count


def scanner_finishes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """The scanner gets through every file before the parent takes what it wrote (on a
    tree this small the warm-up would end before it started)."""
    real = ScanAhead.finish

    def finish(self: ScanAhead) -> Any:
        self.wait(30)
        return real(self)

    monkeypatch.setattr(ScanAhead, "finish", finish)


def test_the_pool_uses_the_scans_and_prints_the_serial_output(
    tree: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    serial = run(tree, capsys, "--no-cache", "--jobs", "1")
    assert "import-chain-broken" in serial[1]
    extractions = Extractions(monkeypatch, tmp_path / "extractions")
    spy = PoolSpy(monkeypatch)
    started: list[ScanAhead | None] = []
    real_start = ScanAhead.start

    def start(*args: Any) -> Any:
        started.append(real_start(*args))
        return started[-1]

    monkeypatch.setattr(ScanAhead, "start", start)
    scanner_finishes_first(monkeypatch)
    assert run(tree, capsys, "--no-cache") == serial
    with_scanner = extractions.take()
    assert len(started) == 1 and started[0] is not None  # before the folders, once
    monkeypatch.setattr(ScanAhead, "start", lambda *args: None)
    assert run(tree, capsys, "--no-cache") == serial
    without = extractions.take()
    assert spy.ran == 2
    # The workers decoded what the scanner extracted: only the warm-up and the files the
    # scanner leaves to the check (notebook cells, a file it could not read) remain.
    assert with_scanner < without / 3, (with_scanner, without)


def test_a_file_changed_after_it_was_scanned_is_checked_as_it_is_now(
    tree: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import shutil

    work = tmp_path / "copy"
    shutil.copytree(tree, work, symlinks=True, ignore=shutil.ignore_patterns("pipe.py"))
    changed = work / "app" / "app" / "sub1" / "mod1.py"
    PoolSpy(monkeypatch)
    real = ScanAhead.finish

    def finish(self: ScanAhead) -> Any:
        self.wait(30)
        changed.write_text("import os\nimport changed_after_scan\n")
        return real(self)

    monkeypatch.setattr(ScanAhead, "finish", finish)
    pooled = run(work, capsys, "--no-cache")
    assert "changed_after_scan" in pooled[1]
    assert pooled == run(work, capsys, "--no-cache", "--jobs", "1")


def test_no_scanner_for_one_process_or_a_warm_run(
    tree: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[object] = []
    monkeypatch.setattr(ScanAhead, "start", lambda *args: started.append(args))
    # The tree was just written: trust stats from before this run (not two seconds back).
    monkeypatch.setattr(check_cache, "RACY_NS", 0)
    run(tree, capsys, "--jobs", "1")
    assert started == []  # --jobs 1: one process, whatever the file count
    PoolSpy(monkeypatch)
    monkeypatch.setattr(check_run, "POOL_THRESHOLD", 5)
    run(tree, capsys)  # every file answered by the cache: nothing to scan ahead
    assert started == []


def test_a_warm_run_with_many_changed_files_scans_them_once_the_folders_are_known(
    tree: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import shutil

    work = tmp_path / "copy"
    shutil.copytree(tree, work, symlinks=True, ignore=shutil.ignore_patterns("pipe.py"))
    monkeypatch.setattr(check_cache, "RACY_NS", 0)
    PoolSpy(monkeypatch)
    run(work, capsys)  # cold: fills the cache
    plans: list[ScanPlan] = []
    real_start = ScanAhead.start

    def start(files: Any, plan: ScanPlan, target: Target) -> Any:
        plans.append(plan)
        return real_start(files, plan, target)

    monkeypatch.setattr(ScanAhead, "start", start)
    scanner_finishes_first(monkeypatch)
    changed = sorted((work / "app" / "app").glob("sub*/mod*.py"))
    for number, path in enumerate(changed):
        path.write_text(f"import os\nimport now_missing{number % 2}\nfrom app import broken\n")
    # Fewer files than the cache holds changed: no scanner before the folders are known.
    monkeypatch.setattr(check_run, "POOL_THRESHOLD", len(changed) // 2)
    warm = run(work, capsys)
    assert [list(plan.first) for plan in plans] == [[]]  # started late, for the pool's rest
    assert "now_missing1" in warm[1]
    assert warm == run(work, capsys, "--no-cache", "--jobs", "1")


def test_no_scanner_without_a_spare_core(
    tree: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a machine whose cores are all busy the scanner would only take turns with the
    parent (more CPU in all, no core of its own): the check runs as before."""
    monkeypatch.setattr(check_run, "spare_core", check_pool.spare_core)
    monkeypatch.setattr(check_pool, "available_cpus", lambda: 2)
    started: list[object] = []
    monkeypatch.setattr(ScanAhead, "start", lambda *args: started.append(args))
    PoolSpy(monkeypatch)
    monkeypatch.setattr(os, "getloadavg", lambda: (2.5, 1.0, 1.0))
    monkeypatch.setattr(check_pool, "cpu_pressure", lambda: 40.0)  # and tasks wait for CPUs
    busy = run(tree, capsys, "--no-cache")
    assert started == []
    monkeypatch.setattr(os, "getloadavg", lambda: (0.4, 1.0, 1.0))
    assert run(tree, capsys, "--no-cache") == busy
    assert started  # before the folders (and, as that one "failed" here, for the pool)
    assert list(started[0][1].first)  # type: ignore[index]


def test_spare_core(monkeypatch: pytest.MonkeyPatch) -> None:
    import envsense.check_pool as pool

    # Tasks waiting for CPUs: the load average decides (pressure: test_check_pool).
    monkeypatch.setattr(pool, "cpu_pressure", lambda: 40.0)
    real = os.getloadavg
    try:
        os.getloadavg = lambda: (1.2, 0.0, 0.0)  # type: ignore[assignment]
        assert pool.spare_core(cpus=2)
        assert not pool.spare_core(cpus=1)  # no second core at all
        os.getloadavg = lambda: (2.0, 0.0, 0.0)  # type: ignore[assignment]
        assert not pool.spare_core(cpus=2)
        assert pool.spare_core(cpus=8)

        def unknown() -> tuple[float, float, float]:
            raise OSError("no load average here")

        os.getloadavg = unknown  # type: ignore[assignment]
        assert pool.spare_core(cpus=2)
    finally:
        os.getloadavg = real
