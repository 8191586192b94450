"""core/safe_read: regular files only, never more than the cap, a reason for every refusal."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from envsense.core.discovery import fs
from envsense.core.environment.sitepackages import read_pyvenv_cfg
from envsense.core.safe_read import (
    MB,
    UnreadableFile,
    decode_manifest,
    open_regular,
    read_bytes,
    too_large,
)


def _in_thread(function: object, *args: object) -> object:
    """Run with a hang guard: a reader that blocks fails the test instead of hanging it."""
    result: list[object] = []

    def target() -> None:
        try:
            result.append(function(*args))  # type: ignore[operator]
        except BaseException as error:  # handed back to the test
            result.append(error)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(20)
    assert not thread.is_alive(), "the read blocked"
    return result[0]


def test_regular_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"hello")
    assert read_bytes(path, 10) == b"hello"


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "x.py"
    os.mkfifo(fifo)
    error = _in_thread(read_bytes, fifo, MB)
    assert isinstance(error, UnreadableFile) and isinstance(error, OSError)
    assert "FIFO" in str(error)


def test_symlink_to_dev_zero_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "requirements.txt"
    link.symlink_to("/dev/zero")
    error = _in_thread(read_bytes, link, MB)
    assert isinstance(error, UnreadableFile) and "device" in str(error)


def test_folder_and_nul_name_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="folder"):
        read_bytes(tmp_path, MB)
    with pytest.raises(UnreadableFile, match="NUL"):
        read_bytes(str(tmp_path / "a\0b"), MB)
    with pytest.raises(UnreadableFile) as missing:
        read_bytes(tmp_path / "nope", MB)
    assert isinstance(missing.value.__cause__, FileNotFoundError)


def test_file_past_its_cap_is_refused_or_truncated(tmp_path: Path) -> None:
    path = tmp_path / "big.py"
    path.write_bytes(b"x" * 101)
    with pytest.raises(UnreadableFile) as error:
        read_bytes(path, 100)
    assert str(error.value) == too_large(100)
    assert read_bytes(path, 100, truncate=True) == b"x" * 100
    assert read_bytes(path, 101) == b"x" * 101


def test_sparse_huge_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.py"
    with path.open("wb") as handle:
        handle.truncate(50 * MB)  # sparse: costs nothing on disk
    with pytest.raises(UnreadableFile, match="10 MB limit"):
        read_bytes(path, 10 * MB)


def test_open_regular_refuses_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "METADATA"
    os.mkfifo(fifo)
    assert isinstance(_in_thread(open_regular, fifo), UnreadableFile)


def test_decode_manifest_falls_back_only_for_requirements(tmp_path: Path) -> None:
    assert decode_manifest(b"\xef\xbb\xbfa", tmp_path / "pyproject.toml") == "a"
    assert decode_manifest(b"caf\xe9", tmp_path / "requirements.txt") == "caf\xe9"
    with pytest.raises(UnreadableFile, match="not UTF-8"):
        decode_manifest(b"caf\xe9", tmp_path / "pyproject.toml")


def test_discovery_reads_skip_a_fifo_pyvenv_cfg(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pyvenv.cfg")
    assert _in_thread(fs.read_text, tmp_path / "pyvenv.cfg") is None
    assert _in_thread(read_pyvenv_cfg, tmp_path) == {}


def test_notebook_cells_past_the_limits_get_no_imports() -> None:
    """An editor can send a notebook of any size: the same caps as a file on disk."""
    from envsense.core.imports.notebooks import MAX_CODE_CELLS, extract_notebook_imports

    found = extract_notebook_imports(["import os\n"] * (MAX_CODE_CELLS + 5))
    assert len(found) == MAX_CODE_CELLS + 5
    assert all(found[:MAX_CODE_CELLS]) and not any(found[MAX_CODE_CELLS:])
