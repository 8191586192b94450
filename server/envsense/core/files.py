"""Which files of a workspace `envsense check` reads: bounded, never into environments."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

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


def _is_environment(folder: str) -> bool:
    return os.path.exists(os.path.join(folder, "pyvenv.cfg")) or os.path.isdir(
        os.path.join(folder, "conda-meta")
    )


# Folder depth `envsense check` walks; os.walk recursed per level (1,500 nested folders
# crashed check with RecursionError). Real projects nest a few dozen deep at most.
MAX_WALK_DEPTH = 100


def iter_checkable_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Python files, notebooks and manifests under `paths`, each once, in a stable order.

    Symlinked folders are not followed (no loops); unreadable folders are logged and
    skipped; environment folders are recognised by their marker files whatever their name;
    folders deeper than MAX_WALK_DEPTH are logged and skipped.
    """
    seen: set[Path] = set()
    for start in paths:
        if start.is_file() or (os.path.lexists(start) and not start.is_dir()):
            # Named on the command line: a FIFO or device too, so that it is reported.
            if start not in seen:
                seen.add(start)
                yield start
            continue
        # Depth first, folders in name order, a folder's files before its sub-folders (the
        # order os.walk gave), without recursion.
        stack: list[tuple[str, int]] = [(str(start), 0)]
        while stack:
            root, depth = stack.pop()
            dirs, files = _list(root)
            for name in files:
                path = Path(root, name)
                if is_checkable(path) and path not in seen:
                    seen.add(path)
                    yield path
            children = [
                d
                for d in dirs
                if d not in SKIPPED_DIRS
                and not d.endswith(".egg-info")
                and not _is_environment(os.path.join(root, d))
            ]
            if children and depth >= MAX_WALK_DEPTH:
                log.warning(
                    "skipping folders below %s: deeper than %d levels", root, MAX_WALK_DEPTH
                )
                continue
            stack.extend((os.path.join(root, d), depth + 1) for d in reversed(children))


def _list(folder: str) -> tuple[list[str], list[str]]:
    """(sub-folders not reached through a symlink, other entries), each sorted."""
    dirs: list[str] = []
    files: list[str] = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                if is_dir:
                    if not entry.is_symlink():
                        dirs.append(entry.name)
                else:
                    files.append(entry.name)
    except OSError as error:
        _log_error(error)
    return sorted(dirs), sorted(files)


def _log_error(error: OSError) -> None:
    log.warning("skipping %s: %s", error.filename, error.strerror)
