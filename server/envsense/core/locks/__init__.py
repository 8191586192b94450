"""Lock files: which a project has, and what each says (read from files, cached by stat).

One reader per format (uv_lock, poetry_lock, pdm_lock, pipfile_lock, pylock,
pinned_requirements) returns a LockFile; `applicable` decides which of its packages the
environment should have. Nothing here raises on bad input: a malformed lock is a LockFile
whose `problem` says what is wrong.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from envsense.core.locks.common import problem, read_lock_text
from envsense.core.locks.pylock import is_pylock_name
from envsense.core.locks.records import LockedPackage, LockFile, LockFormat

# The readers are imported by _parse, when a lock is read: most checks meet no lock file.

__all__ = [
    "LockFile",
    "LockFormat",
    "LockedPackage",
    "find_lock_files",
    "is_lock_file",
    "parse_lock",
    "read_lock",
]

log = logging.getLogger(__name__)

# The manager lock files, in the order a project's "main" lock is chosen.
LOCK_NAMES = ("uv.lock", "poetry.lock", "pdm.lock", "Pipfile.lock")
# File-name globs for editors' file watchers.
LOCK_GLOBS = (
    "**/uv.lock",
    "**/poetry.lock",
    "**/pdm.lock",
    "**/Pipfile.lock",
    "**/pylock.toml",
    "**/pylock.*.toml",
)


def is_lock_file(path: Path) -> bool:
    """Manager lock files and PEP 751 locks (pinned requirements files are manifests too)."""
    return path.name in LOCK_NAMES or is_pylock_name(path.name)


def parse_lock(path: Path, text: str) -> LockFile | None:
    """The lock in `text` (named by `path`); None for a requirements file that pins nothing."""
    try:
        return _parse(path, text)
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, RecursionError) as error:
        # The readers check every value they use; this net only keeps a shape nobody
        # foresaw from taking a check (or the server) down.
        log.warning("reading %s failed", path, exc_info=True)
        if not is_lock_file(path):
            return None
        return _unreadable(path, ValueError(f"unexpected structure ({type(error).__name__})"))


def _parse(path: Path, text: str) -> LockFile | None:
    from envsense.core.locks.pdm_lock import parse_pdm_lock
    from envsense.core.locks.pinned_requirements import parse_pinned_requirements
    from envsense.core.locks.pipfile_lock import parse_pipfile_lock
    from envsense.core.locks.poetry_lock import parse_poetry_lock
    from envsense.core.locks.pylock import parse_pylock
    from envsense.core.locks.uv_lock import parse_uv_lock

    name = path.name
    if name == "uv.lock":
        return parse_uv_lock(path, text)
    if name == "poetry.lock":
        return parse_poetry_lock(path, text)
    if name == "pdm.lock":
        return parse_pdm_lock(path, text)
    if name == "Pipfile.lock":
        return parse_pipfile_lock(path, text)
    if is_pylock_name(name):
        return parse_pylock(path, text)
    return parse_pinned_requirements(path, text)


_cache: dict[Path, tuple[tuple[int, int], LockFile | None]] = {}
_cache_lock = threading.Lock()
_CACHE_SIZE = 64


def read_lock(path: Path) -> LockFile | None:
    """The lock at `path`, re-read only when its size or mtime changed."""
    try:
        stat = os.stat(path)
    except OSError as error:
        return _unreadable(path, error)
    key = (stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        cached = _cache.get(path)
    if cached is not None and cached[0] == key:
        return cached[1]
    try:
        text = read_lock_text(path)
    except (OSError, ValueError) as error:
        return _unreadable(path, error)
    lock = parse_lock(path, text)
    with _cache_lock:
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[path] = (key, lock)
    return lock


def _unreadable(path: Path, error: Exception) -> LockFile | None:
    log.info("can't read %s: %s", path, error)
    if not is_lock_file(path):
        return None  # a requirements file: the manifest reader reports it
    fmt: LockFormat = "pylock"
    for name, candidate in zip(LOCK_NAMES, ("uv", "poetry", "pdm", "pipfile"), strict=True):
        if path.name == name:
            fmt = candidate  # type: ignore[assignment]
    return LockFile(path, fmt, fmt, problem=problem(path, f"can't be read: {error}"))


def _requirements_files(root: Path) -> list[Path]:
    found: list[Path] = []
    try:
        found += sorted(
            p for p in root.iterdir()
            if p.name.lower().startswith("requirements") and p.suffix == ".txt" and p.is_file()
        )  # fmt: skip
        folder = root / "requirements"
        if folder.is_dir():
            found += sorted(p for p in folder.iterdir() if p.suffix == ".txt" and p.is_file())
    except OSError:
        pass
    return found


def find_lock_files(project_root: Path, boundary: Path | None = None) -> list[Path]:
    """The lock files that govern `project_root`, main lock first.

    A uv workspace member has no uv.lock of its own: the workspace root's (up to
    `boundary`, the workspace folder) governs it.
    """
    found: list[Path] = []
    for name in LOCK_NAMES:
        candidate = project_root / name
        if candidate.is_file():
            found.append(candidate)
    if not (project_root / "uv.lock").is_file() and boundary is not None:
        for parent in project_root.parents:
            if parent != boundary and boundary not in parent.parents:
                break
            if (parent / "uv.lock").is_file() and (parent / "pyproject.toml").is_file():
                found.insert(0, parent / "uv.lock")
                break
    try:
        found += sorted(p for p in project_root.iterdir() if is_pylock_name(p.name) and p.is_file())
    except OSError:
        pass
    found += _requirements_files(project_root)
    return found
