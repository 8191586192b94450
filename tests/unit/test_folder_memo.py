"""Facts read from folders once and kept while the folders stay the same."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from envsense.core import folder_memo
from envsense.core.folder_memo import FolderMemo


def _age(folder: Path, seconds: float = 60.0) -> None:
    """Date a folder's last change back, as on a checkout nobody is editing."""
    then = time.time_ns() - int(seconds * 1e9)
    os.utime(folder, ns=(then, then))


def _counting(reads: list[str]) -> FolderMemo[list[str]]:
    def read(folder: str) -> list[str]:
        reads.append(folder)
        return sorted(os.listdir(folder))

    return FolderMemo(read)


def test_an_unchanged_folder_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(folder_memo, "REVALIDATE_SECONDS", 0.0)
    (tmp_path / "a.py").write_text("")
    _age(tmp_path)
    reads: list[str] = []
    memo = _counting(reads)
    for _ in range(3):
        assert memo.get(str(tmp_path)) == ["a.py"]
    assert reads == [str(tmp_path)]
    memo.sweep()
    assert memo.version == 0


def test_a_file_created_later_is_seen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(folder_memo, "REVALIDATE_SECONDS", 0.0)
    _age(tmp_path)
    memo = _counting([])
    assert memo.get(str(tmp_path)) == []
    (tmp_path / "new.py").write_text("")
    assert memo.get(str(tmp_path)) == ["new.py"]
    assert memo.version == 1


def test_a_sweep_reads_changed_folders_again_and_moves_the_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(folder_memo, "REVALIDATE_SECONDS", 0.0)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _age(tmp_path / "a")
    _age(tmp_path / "b")
    reads: list[str] = []
    memo = _counting(reads)
    memo.get(str(tmp_path / "a"))
    memo.get(str(tmp_path / "b"))
    (tmp_path / "b" / "x.py").write_text("")
    memo.sweep()
    assert memo.version == 1
    assert reads.count(str(tmp_path / "b")) == 2
    assert memo.get(str(tmp_path / "a")) == []
    assert memo.get(str(tmp_path / "b")) == ["x.py"]
    assert reads.count(str(tmp_path / "a")) == 1


def test_a_touched_folder_with_the_same_entries_keeps_the_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An editor's atomic save writes a temporary file and renames it over the original.
    monkeypatch.setattr(folder_memo, "REVALIDATE_SECONDS", 0.0)
    (tmp_path / "m.py").write_text("")
    _age(tmp_path)
    memo = _counting([])
    memo.get(str(tmp_path))
    (tmp_path / "m.py.tmp").write_text("x = 1\n")
    (tmp_path / "m.py.tmp").replace(tmp_path / "m.py")
    memo.sweep()
    assert memo.get(str(tmp_path)) == ["m.py"]
    assert memo.version == 0


def test_a_folder_changed_in_the_same_clock_tick_is_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Changed just now: an entry added in the same tick would leave the mtime as it is,
    # so the folder is read again at the next look rather than trusted.
    monkeypatch.setattr(folder_memo, "REVALIDATE_SECONDS", 0.0)
    reads: list[str] = []
    memo = _counting(reads)
    memo.get(str(tmp_path))
    stat = tmp_path.stat()
    (tmp_path / "same_tick.py").write_text("")
    os.utime(tmp_path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert memo.get(str(tmp_path)) == ["same_tick.py"]


def test_within_the_window_nothing_is_looked_at(tmp_path: Path) -> None:
    _age(tmp_path)
    memo = _counting([])
    assert memo.get(str(tmp_path)) == []
    (tmp_path / "new.py").write_text("")
    assert memo.get(str(tmp_path)) == []  # the next check, a moment later, sees it
    memo.clear()
    assert memo.get(str(tmp_path)) == ["new.py"]


def test_a_missing_folder_that_appears_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(folder_memo, "REVALIDATE_SECONDS", 0.0)

    def read(folder: str) -> bool:
        return os.path.isdir(folder)

    memo = FolderMemo(read)
    assert memo.get(str(tmp_path / "later")) is False
    (tmp_path / "later").mkdir()
    assert memo.get(str(tmp_path / "later")) is True
