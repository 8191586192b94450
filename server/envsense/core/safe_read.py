"""The one place the analysis reads files: regular files only, never more than a cap per kind.

Workspaces and environments are other people's disks. A `.py` that is a FIFO blocks a plain
`open()` forever; a requirements file linked to /dev/zero reads until memory runs out; a
device may act on being opened. So every read here is `stat` first (anything but a regular
file is refused before it is opened), then an `O_NONBLOCK` open (a file swapped for a FIFO
between the two can't block) checked again with `fstat`, then a read of at most the cap for
that kind of file. A refusal is an `UnreadableFile`, an OSError, so callers that already
handle unreadable files need nothing new; its message says what was refused and why.

The caps are listed in docs/security.md ("Limits").
"""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path
from typing import BinaryIO

MB = 1024 * 1024

# Per kind of file: past these, a file is skipped with a message naming the limit.
SOURCE_LIMIT = 10 * MB  # .py / .pyi
NOTEBOOK_LIMIT = 20 * MB  # .ipynb (outputs such as images make notebooks big)
# pyproject.toml, setup.cfg, Pipfile, lock files: real ones are under 100 kB, and parsing
# TOML (twice per check: the project's declarations, then the file's own findings) costs
# about a second per MB.
MANIFEST_LIMIT = MB // 2
# requirements files: pip-compile's hashes make big projects' files reach a few hundred kB.
REQUIREMENTS_LIMIT = 2 * MB
METADATA_LIMIT = 1 * MB  # pyvenv.cfg, METADATA headers, direct_url.json, top_level.txt, .pth
RECORD_LIMIT = 20 * MB  # a dist-info RECORD lists every installed file
# Lines of one source: the import scanner keeps an offset per line (10 million empty lines in
# a 10 MB file took 540 MB).
SOURCE_LINE_LIMIT = 1_000_000

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_CHUNK = 256 * 1024


class UnreadableFile(OSError):
    """A file refused or failed: `reason` says why in words meant for the user."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(reason)
        self.filename = str(path)
        self.strerror = reason
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def _size_text(limit: int) -> str:
    if limit >= MB and limit % MB == 0:
        return f"{limit // MB} MB"
    return f"{limit // 1024} kB" if limit % 1024 == 0 else f"{limit} bytes"


def manifest_limit(path: Path) -> int:
    """The cap for a manifest: requirements files get more room than TOML and INI files."""
    return REQUIREMENTS_LIMIT if path.suffix in (".txt", ".in") else MANIFEST_LIMIT


def too_large(limit: int) -> str:
    """The reason given for a file past `limit` (also used for unsaved editor text)."""
    return f"larger than the {_size_text(limit)} limit for this kind of file; skipped"


def open_regular(path: Path | str) -> BinaryIO:
    """An unbuffered binary handle on a regular file (for reads that stop early).

    Raises UnreadableFile for anything but a regular file, as read_bytes does; the caller
    must still bound how much it reads.
    """
    return _open_regular(path)[0]


def _open_regular(path: Path | str) -> tuple[BinaryIO, os.stat_result]:
    """open_regular, with the stat of what was opened (read_bytes checks its size)."""
    fd, after = _open_regular_fd(path)
    return os.fdopen(fd, "rb", buffering=0), after


def _open_regular_fd(path: Path | str) -> tuple[int, os.stat_result]:
    """A descriptor open on a regular file, and its stat (the caller closes it)."""
    try:
        before = os.stat(path)
    except ValueError:
        raise UnreadableFile(path, "the file name contains a NUL byte") from None
    except OSError as error:
        raise UnreadableFile(path, error.strerror or str(error)) from error
    if not stat.S_ISREG(before.st_mode):
        raise UnreadableFile(path, f"{_kind(before.st_mode)}, not a regular file; not read")
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as error:
        raise UnreadableFile(path, error.strerror or str(error)) from error
    try:
        after = os.fstat(fd)
    except OSError as error:
        os.close(fd)
        raise UnreadableFile(path, error.strerror or str(error)) from error
    if not stat.S_ISREG(after.st_mode):
        os.close(fd)
        raise UnreadableFile(path, f"{_kind(after.st_mode)}, not a regular file; not read")
    return fd, after


def read_bytes(path: Path | str, limit: int, *, truncate: bool = False) -> bytes:
    """The content of a regular file of at most `limit` bytes.

    Raises UnreadableFile (an OSError) for FIFOs, devices, sockets, folders, names with a
    NUL byte, files past `limit` (unless `truncate`, which returns the first `limit` bytes)
    and any OS error. Symlinks are followed only to regular files.
    """
    return read_bytes_and_stat(path, limit, truncate=truncate)[0]


def read_bytes_and_stat(
    path: Path | str, limit: int, *, truncate: bool = False
) -> tuple[bytes, os.stat_result]:
    """read_bytes, with the stat of the file as it was opened (taken before reading)."""
    fd, opened = _open_regular_fd(path)
    try:
        if not truncate and opened.st_size > limit:
            raise UnreadableFile(path, too_large(limit))
        # One read of the size the stat gave, plus one byte: a short read is the end of
        # the file, so most files take one call into a buffer of their own size (a fixed
        # 256 kB buffer per read was a fresh mapping, zeroed page by page, every time).
        # One byte past the cap tells a file that grew since the stat from one that fits.
        want = min(opened.st_size, limit) + 1
        try:
            data = os.read(fd, want)
            if len(data) == want:
                chunks = [data]
                size = len(data)
                while size <= limit:
                    chunk = os.read(fd, min(_CHUNK, limit + 1 - size))
                    if not chunk:
                        break
                    chunks.append(chunk)
                    size += len(chunk)
                data = b"".join(chunks)
        except OSError as error:
            raise UnreadableFile(path, error.strerror or str(error)) from error
    finally:
        os.close(fd)
    if len(data) > limit:
        if not truncate:
            raise UnreadableFile(path, too_large(limit))
        data = data[:limit]
    return data, opened


def read_text(path: Path | str, limit: int, *, encoding: str = "utf-8") -> str:
    """read_bytes decoded leniently (undecodable bytes become U+FFFD); raises UnreadableFile."""
    return read_bytes(path, limit).decode(encoding, errors="replace")


def decode_manifest(data: bytes, path: Path) -> str:
    """A manifest's text: UTF-8 (with or without BOM); requirements files fall back to
    latin-1 as pip falls back to the locale. Raises UnreadableFile for other files."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if path.suffix in (".txt", ".in"):
            return data.decode("latin-1")
        raise UnreadableFile(
            path, f"not UTF-8 ({error.reason} at byte {error.start}); not read"
        ) from None


def known_encoding(name: str) -> str | None:
    """The codec's canonical name, or None for a name Python doesn't know."""
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return None
