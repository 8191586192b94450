"""File-system reads that never raise: discovery walks other people's disks.

Unreadable folders, symlink loops, odd encodings and huge folders are logged and
treated as empty, so one bad corner never stops the rest of the scan.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

_log = logging.getLogger(__name__)

# A folder with more entries than this is not a folder of environments (a home
# directory on a network drive, a dump of files); stop listing it.
MAX_ENTRIES = 2000
MAX_TEXT = 1_000_000

# Folders a workspace scan never enters: tool caches, VCS data, package trees.
SKIP_DIRS = frozenset(
    {
        "node_modules",
        ".git",
        ".hg",
        ".svn",
        ".tox",
        ".nox",
        ".cache",
        "__pycache__",
        "__pypackages__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".vscode",
        ".idea",
        ".github",
        ".devcontainer",
        "site-packages",
        "dist-packages",
        "bin",
        "Scripts",
        "env.bak",
        "venv.bak",
        "build",
        "dist",
        ".eggs",
    }
)


def exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def lexists(path: Path) -> bool:
    """True for anything at `path`, dangling symlinks included."""
    try:
        return os.path.lexists(path)
    except (OSError, ValueError):
        return False


def is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def is_symlink(path: Path) -> bool:
    try:
        return path.is_symlink()
    except (OSError, ValueError):
        return False


def realpath(path: Path) -> Path:
    """The canonical path; a symlink loop or an unreadable part leaves it as far as it got."""
    try:
        return Path(os.path.realpath(path))
    except (OSError, ValueError, RuntimeError):
        return path


class RealpathCache:
    """`realpath` for many paths below the same folders, resolving each folder once.

    os.path.realpath checks every component of every path it is given; a scan asks
    for hundreds of paths under a few folders (~/projects/*/.venv), so this resolves
    the parent once and then only checks whether the last component is a link.
    """

    __slots__ = ("_known",)

    def __init__(self) -> None:
        self._known: dict[Path, Path] = {}

    def __call__(self, path: Path) -> Path:
        known = self._known.get(path)
        if known is not None:
            return known
        parent = path.parent
        if os.name != "posix" or parent == path or not path.is_absolute() or ".." in path.parts:
            resolved = realpath(path)  # the root, or a path the shortcut does not cover
        else:
            joined = self(parent) / path.name
            resolved = realpath(joined) if is_symlink(joined) else joined
        self._known[path] = resolved
        return resolved


def readlink(path: Path) -> str:
    try:
        return os.readlink(path)
    except (OSError, ValueError):
        return "?"


def read_text(path: Path) -> str | None:
    """A small text file's content, or None when missing, unreadable or too big."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_TEXT + 1)
    except (OSError, ValueError):
        return None
    if len(data) > MAX_TEXT:
        _log.info("skipping %s: larger than %d bytes", path, MAX_TEXT)
        return None
    return data.decode("utf-8", errors="replace")


def list_names(path: Path) -> list[str]:
    """The entry names of a folder, sorted; empty (with a log line) when unreadable.

    Callers that filter by name use this rather than `list_dir`, since building a
    `Path` per entry of /usr/bin (1,000+ entries) costs more than the rest of a scan.
    """
    return sorted(entry.name for entry in list_entries(path))


def list_dir(path: Path) -> list[Path]:
    """The entries of a folder, sorted by name; empty (with a log line) when unreadable."""
    return [path / name for name in list_names(path)]


def subdirs(path: Path) -> list[Path]:
    """The sub-folders of a folder (symlinked ones included when they resolve), sorted."""
    names: list[str] = []
    for entry in list_entries(path):
        try:
            if entry.is_dir():  # follows symlinks, like Path.is_dir
                names.append(entry.name)
        except OSError:
            continue
    return [path / name for name in sorted(names)]


def list_entries(path: Path) -> list[os.DirEntry[str]]:
    """At most MAX_ENTRIES entries of a folder, unsorted; [] (with a log line) when unreadable.

    A DirEntry knows whether it is a file, folder or link without another system call.
    """
    entries: list[os.DirEntry[str]] = []
    try:
        with os.scandir(path) as scan:
            for entry in scan:
                if len(entries) >= MAX_ENTRIES:
                    _log.info("stopped listing %s after %d entries", path, MAX_ENTRIES)
                    break
                entries.append(entry)
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        _log.info("cannot list %s: %s", path, exc)
        return []
    return entries


def is_within(path: Path, folder: Path) -> bool:
    """True when `path` is `folder` or below it (lexically)."""
    return path == folder or folder in path.parents
