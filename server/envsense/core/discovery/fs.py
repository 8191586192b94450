"""File-system reads that never raise: discovery walks other people's disks.

Unreadable folders, symlink loops, odd encodings and huge folders are logged and
treated as empty, so one bad corner never stops the rest of the scan.
"""

from __future__ import annotations

import itertools
import logging
import os
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PosixPath
from typing import TYPE_CHECKING

from envsense.core.safe_read import UnreadableFile
from envsense.core.safe_read import read_text as _read_text

if TYPE_CHECKING:
    from envsense.core.files import ListedFolder

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
    the parent once and then only checks whether the last component is a link. Folders
    a walk has just listed (`take_listings`) tell which of their entries are links, so
    the others need no check at all.
    """

    __slots__ = ("_known", "_listed", "_starts")

    def __init__(self) -> None:
        self._known: dict[Path, Path] = {}
        self._listed: Mapping[str, ListedFolder] = {}
        self._starts: frozenset[str] = frozenset()

    def take_listings(self, listed: Mapping[str, ListedFolder], starts: Iterable[Path]) -> None:
        """Folders a walk from `starts` listed (core/files.py), within this cache's life:
        a folder it entered below a start is no link (links to folders are not entered),
        nor is a file it listed as plain."""
        self._listed = listed
        self._starts = frozenset(map(str, starts))

    def listed_file(self, path: Path) -> bool:
        """Whether the walk listed `path` as a plain file (no link, no folder)."""
        return bool(self._listed) and self._plain_file(str(path))

    def _plain_file(self, text: str) -> bool:
        # By text (walked paths are absolute and normalised): a Path parent per file cost more.
        folder, _, name = text.rpartition(os.sep)
        entry = self._listed.get(folder or os.sep)
        if entry is None:
            return False
        files = entry.files
        at = bisect_left(files, name)
        return at < len(files) and files[at] == name and name not in entry.irregular

    def __call__(self, path: Path) -> Path:
        known = self._known.get(path)
        if known is not None:
            return known
        parent = path.parent
        if os.name != "posix" or parent == path or not path.is_absolute() or ".." in path.parts:
            resolved = realpath(path)  # the root, or a path the shortcut does not cover
        else:
            real_parent = self(parent)
            if self._no_link(path):  # the walk's listing says so (the same entry)
                same = real_parent is parent or real_parent == parent
                resolved = path if same else real_parent / path.name
            else:
                joined = real_parent / path.name
                resolved = realpath(joined) if is_symlink(joined) else joined
        self._known[path] = resolved
        return resolved

    def _no_link(self, path: Path) -> bool:
        if not self._listed:
            return False
        text = str(path)
        if text in self._listed:
            return text not in self._starts
        return self._plain_file(text)


def readlink(path: Path) -> str:
    try:
        return os.readlink(path)
    except (OSError, ValueError):
        return "?"


def read_text(path: Path) -> str | None:
    """A small text file's content, or None when missing, unreadable or too big."""
    # Regular files only: a FIFO pyvenv.cfg must not stop discovery (see safe_read).
    try:
        return _read_text(path, MAX_TEXT)
    except UnreadableFile as error:
        if not isinstance(error.__cause__, FileNotFoundError):
            _log.info("skipping %s: %s", path, error)
        return None


def list_names(path: Path) -> list[str]:
    """The entry names of a folder, sorted; empty (with a log line) when unreadable.

    Callers that filter by name use this rather than `list_dir`, since building a
    `Path` per entry of /usr/bin (1,000+ entries) costs more than the rest of a scan.
    """
    return read_listing(path).names()


def list_dir(path: Path) -> list[Path]:
    """The entries of a folder, sorted by name; empty (with a log line) when unreadable."""
    return [path / name for name in list_names(path)]


def subdirs(path: Path) -> list[Path]:
    """The sub-folders of a folder (symlinked ones included when they resolve), sorted."""
    return [path / name for name in read_listing(path).dir_names()]


@dataclass(frozen=True, slots=True)
class Listing:
    """A folder read with one system call, answering "is there a file / folder named X?".

    A DirEntry knows whether it is a file, folder or link without another system call.
    A listing cut off at MAX_ENTRIES cannot say what is missing, so it asks the disk.
    """

    folder: Path
    entries: dict[str, os.DirEntry[str]]
    complete: bool = True

    def names(self) -> list[str]:
        return sorted(self.entries)

    def dir_names(self, *, follow_symlinks: bool = True) -> list[str]:
        """Sorted names of the sub-folders (without symlinked ones unless `follow_symlinks`)."""
        return sorted(
            name
            for name, entry in self.entries.items()
            if _entry_test(entry.is_dir, follow_symlinks=follow_symlinks)
        )

    def is_file(self, name: str) -> bool:
        """Like `is_file(folder / name)`: symlinks to files count."""
        if not self.complete:
            return is_file(self.folder / name)
        entry = self.entries.get(name)
        return entry is not None and _entry_test(entry.is_file, follow_symlinks=True)

    def is_dir(self, name: str) -> bool:
        """Like `is_dir(folder / name)`: symlinks to folders count."""
        if not self.complete:
            return is_dir(self.folder / name)
        entry = self.entries.get(name)
        return entry is not None and _entry_test(entry.is_dir, follow_symlinks=True)


def read_listing(path: Path) -> Listing:
    """At most MAX_ENTRIES entries of a folder; empty (with a log line) when unreadable."""
    try:
        with os.scandir(path) as scan:
            # One entry past the limit tells a full folder from a cut-off one.
            found = list(itertools.islice(scan, MAX_ENTRIES + 1))
    except FileNotFoundError:
        return Listing(path, {})
    except (OSError, ValueError) as exc:
        _log.info("cannot list %s: %s", path, exc)
        return Listing(path, {}, complete=False)  # a folder may be searchable yet unreadable
    entries = {entry.name: entry for entry in found[:MAX_ENTRIES]}
    if len(found) > MAX_ENTRIES:
        _log.info("stopped listing %s after %d entries", path, MAX_ENTRIES)
        return Listing(path, entries, complete=False)
    return Listing(path, entries)


def _entry_test(test: Callable[..., bool], *, follow_symlinks: bool) -> bool:
    try:
        return test(follow_symlinks=follow_symlinks)
    except OSError:  # a symlink loop or an unreadable target, as Path.is_dir treats them
        return False


def is_within(path: Path, folder: Path) -> bool:
    """True when `path` is `folder` or below it (lexically)."""
    if path == folder:
        return True
    # By text where that is the same answer: `parents` builds a path per level, and this
    # is asked per folder of a workspace. Posix paths equal when their texts do (POSIX
    # gives a leading "//" a meaning of its own: those go the long way).
    top = str(folder)
    if type(path) is PosixPath and type(folder) is PosixPath and top[:1] == "/" != top[1:2]:
        text = str(path)
        return text[1:2] != "/" and text.startswith(top if top == "/" else top + "/")
    return folder in path.parents
