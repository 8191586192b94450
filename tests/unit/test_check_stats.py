"""`envsense check` takes each file's stat once: from the walk when the cache may answer by
stat, else where the file is read; either way the next run trusts the cache file by file."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from envsense import check_file, check_run
from envsense.core import check_cache


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    # The files were just written: trust stats from before each run, not two seconds back.
    monkeypatch.setattr(check_cache, "RACY_NS", 0)
    root = tmp_path / "proj"
    _write(root / "pyproject.toml", '[project]\nname = "proj"\ndependencies = ["nothere"]\n')
    _write(root / "pkg" / "__init__.py", "")
    _write(root / "pkg" / "a.py", "import os\nimport nothere\nfrom pkg import b\n")
    _write(root / "pkg" / "b.py", "import notinstalled_either\n")
    _write(root / "tools" / "run.py", "import pkg.a\n")
    # Too big to be read: reported as not checked, yet its stat is part of the project's.
    _write(root / "pkg" / "big.py", "x = 1\n" * 100)
    monkeypatch.setattr(check_file, "SOURCE_LIMIT", 300)
    before = Path.cwd()
    os.chdir(root)
    try:
        yield root
    finally:
        os.chdir(before)


def _check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    from envsense.cli import main

    code = main(["check", "--format", "json", "--python", sys.executable, *args, "."])
    return code, capsys.readouterr().out


def test_a_first_run_leaves_a_cache_the_next_trusts_without_reading(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = _check(capsys, "--no-cache")
    assert '"code": "file-not-checked"' in reference[1]
    walked: list[str] = []
    real_stat = check_run._stat

    def stat(path: Path) -> check_cache.StatKey | None:
        walked.append(path.name)
        return real_stat(path)

    monkeypatch.setattr(check_run, "_stat", stat)
    assert _check(capsys) == reference  # first run: the cache is empty
    # Only the file that could not be read was stat'ed apart from reading it.
    assert walked == ["big.py"]
    reads: list[str] = []
    real_read = check_run.read_bytes_and_stat

    def counting(path: Path, limit: int) -> tuple[bytes, os.stat_result]:
        reads.append(path.name)
        return real_read(path, limit)

    monkeypatch.setattr(check_run, "read_bytes_and_stat", counting)
    walked.clear()
    assert _check(capsys) == reference
    # Every file answered by its stat (the big one is read again: nothing of it is cached).
    assert reads == ["big.py"]
    assert sorted(walked) == sorted(
        ["pyproject.toml", "__init__.py", "a.py", "b.py", "big.py", "run.py"]
    )


def test_an_edit_after_a_first_run_is_checked_again(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _check(capsys)
    stat = (project / "pkg" / "b.py").stat()
    (project / "pkg" / "b.py").write_text("import os\n")
    os.utime(project / "pkg" / "b.py", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    code, out = _check(capsys)
    assert "notinstalled_either" not in out
    assert (code, out) == _check(capsys, "--no-cache")
