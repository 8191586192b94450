"""Which files of a workspace `envsense check` reads: bounded, never into environments."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Literal, NamedTuple, overload

log = logging.getLogger(__name__)

MANIFEST_NAMES = frozenset({"pyproject.toml", "setup.cfg", "Pipfile"})


def is_manifest(path: Path) -> bool:
    """Files whose content declares requirements (and so get diagnostics of their own)."""
    name = path.name
    return (
        name in MANIFEST_NAMES
        or (name.startswith("requirements") and name.endswith(".txt"))
        or (path.parent.name == "requirements" and name.endswith(".txt"))
    )


# Folders that hold environments, caches or other people's code, never the project's own.
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".tox",
        ".nox",
        ".venv",
        "venv",
        ".conda",
        ".pixi",
        "node_modules",
        "__pycache__",
        "__pypackages__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "site-packages",
        "dist-packages",
        ".eggs",
        "build",
        "dist",
        ".ipynb_checkpoints",
        ".direnv",
        ".cache",
    }
)
SOURCE_SUFFIXES = (".py", ".pyi", ".ipynb")


def is_checkable(path: Path) -> bool:
    return path.suffix in SOURCE_SUFFIXES or is_manifest(path)


def _is_checkable_name(name: str, folder_name: str) -> bool:
    """`is_checkable(Path(folder, name))` on strings (a Path per entry was half the walk)."""
    dot = name.rfind(".")
    suffix = name[dot:] if 0 < dot < len(name) - 1 else ""  # pathlib's rule
    return (
        suffix in SOURCE_SUFFIXES
        or name in MANIFEST_NAMES
        or (name.startswith("requirements") and name.endswith(".txt"))
        or (folder_name == "requirements" and name.endswith(".txt"))
    )


def _is_environment(folder: str) -> bool:
    return os.path.exists(os.path.join(folder, "pyvenv.cfg")) or os.path.isdir(
        os.path.join(folder, "conda-meta")
    )


# Folder depth `envsense check` walks; os.walk recursed per level (1,500 nested folders
# crashed check with RecursionError). Real projects nest a few dozen deep at most.
MAX_WALK_DEPTH = 100


class ListedFolder(NamedTuple):
    """A folder as the walk listed it, for what else needs its entries (the project
    lookup's markers) instead of listing it again. (A tuple: the walk makes one per
    folder, thousands.)"""

    files: list[str]  # entries that are not folders (links to folders left out), sorted
    irregular: tuple[str, ...]  # those of `files` that are links, FIFOs and the like
    entries: int  # every entry, folders included


def iter_checkable_files(
    paths: Iterable[Path], listed: dict[str, ListedFolder] | None = None
) -> Iterator[Path]:
    """Python files, notebooks and manifests under `paths`, each once, in a stable order.

    Symlinked folders are not followed (no loops); unreadable folders are logged and
    skipped; environment folders are recognised by their marker files whatever their name;
    folders deeper than MAX_WALK_DEPTH are logged and skipped. `listed` receives each
    folder walked that could be read, by its path string.
    """
    paths = list(paths)
    # One folder's walk meets each file once (links to folders are not followed): only
    # several starts need the set (hashing every path was a tenth of the walk).
    seen: set[Path] | None = set() if len(paths) > 1 else None
    for start in paths:
        if start.is_file() or (os.path.lexists(start) and not start.is_dir()):
            # Named on the command line: a FIFO or device too, so that it is reported.
            if seen is None or start not in seen:
                if seen is not None:
                    seen.add(start)
                yield start
            continue
        # Depth first, folders in name order, a folder's files before its sub-folders (the
        # order os.walk gave), without recursion. A sub-folder is listed before it is
        # entered, and that listing tells whether it is an environment (no stat per folder).
        root = str(start)
        # The folder named is walked even when it is an environment (as it always was).
        stack: list[tuple[str, int, _Listing]] = [
            (root, 0, _list(root, environments=False, listed=listed))
        ]
        while stack:
            root, depth, (dirs, files) = stack.pop()
            folder_name = os.path.basename(root)
            folder: Path | None = None
            for name in files:
                if _is_checkable_name(name, folder_name):
                    if folder is None:
                        folder = Path(root)
                    path = _child(folder, name)
                    if seen is None:
                        yield path
                    elif path not in seen:
                        seen.add(path)
                        yield path
            candidates = [d for d in dirs if d not in SKIPPED_DIRS and not d.endswith(".egg-info")]
            if candidates and depth >= MAX_WALK_DEPTH:
                if any(not _is_environment(os.path.join(root, d)) for d in candidates):
                    log.warning(
                        "skipping folders below %s: deeper than %d levels", root, MAX_WALK_DEPTH
                    )
                continue
            children: list[tuple[str, int, _Listing]] = []
            for name in candidates:
                child = os.path.join(root, name)
                child_listing = _list(child, listed=listed)
                if child_listing is not None:
                    children.append((child, depth + 1, child_listing))
            stack.extend(reversed(children))


# `folder / name` for a name a listing gave (no separator, never "." or ".."): pathlib's
# own shortcut for it where there is one (3.10-3.12; parsing the name again was half the
# walk; 3.13 parses lazily).
_child: Callable[[Path, str], Path] = getattr(Path, "_make_child_relpath", Path.__truediv__)


# (sub-folders not reached through a symlink, other entries), each sorted.
_Listing = tuple[list[str], list[str]]


@overload
def _list(
    folder: str, *, environments: Literal[False], listed: dict[str, ListedFolder] | None
) -> _Listing: ...


@overload
def _list(
    folder: str, *, environments: bool = True, listed: dict[str, ListedFolder] | None
) -> _Listing | None: ...


def _list(
    folder: str, *, environments: bool = True, listed: dict[str, ListedFolder] | None
) -> _Listing | None:
    """The folder's entries, None for an environment (pyvenv.cfg or conda-meta/ in it)
    when `environments` says to tell; an unreadable folder is logged and empty. A folder
    read goes into `listed`."""
    dirs: list[str] = []
    files: list[str] = []
    irregular: list[str] = []
    environment = False
    linked = 0  # links to folders: in neither list
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                name = entry.name
                if is_dir:
                    if not entry.is_symlink():
                        dirs.append(name)
                    else:
                        linked += 1
                    if name == "conda-meta":
                        environment = True
                else:
                    files.append(name)
                    if listed is not None and not _plain_file(entry):
                        irregular.append(name)
                if name == "pyvenv.cfg" and (not entry.is_symlink() or os.path.exists(entry.path)):
                    environment = True
    except OSError as error:
        # Unreadable, yet its markers may still be stat'ed (a folder without read access).
        if environments and _is_environment(folder):
            return None
        _log_error(error)
        listed = None  # what it holds is unknown, not nothing
    if environment and environments:
        return None
    dirs.sort()
    files.sort()
    if listed is not None:
        count = len(dirs) + len(files) + linked
        listed[folder] = ListedFolder(files, tuple(irregular) if irregular else (), count)
    return dirs, files


def _plain_file(entry: os.DirEntry[str]) -> bool:
    """A regular file, not through a link (the type came with the listing: no stat)."""
    try:
        return entry.is_file(follow_symlinks=False)
    except OSError:
        return False


def _log_error(error: OSError) -> None:
    log.warning("skipping %s: %s", error.filename, error.strerror)
