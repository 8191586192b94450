"""Projects: the folders whose own environment and declarations apply to a file."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from envsense.core.discovery import fs

_log = logging.getLogger(__name__)

MARKER_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "Pipfile")
# Monorepos nest packages a few levels down (packages/<name>, libs/<group>/<name>).
MAX_PROJECT_DEPTH = 3
_ENV_FOLDERS = frozenset({".venv", "venv", "env", ".virtualenv", ".conda", ".pixi"})


@dataclass(frozen=True, slots=True)
class Project:
    """A folder and the marker files that make it a project (empty: the workspace fallback)."""

    root: Path
    markers: tuple[str, ...]


def project_markers(folder: Path) -> tuple[str, ...]:
    """The marker files in `folder`: pyproject.toml, setup.py, setup.cfg, Pipfile, requirements*.txt."""
    return _markers(folder, fs.list_entries(folder))


def _markers(folder: Path, entries: list[os.DirEntry[str]]) -> tuple[str, ...]:
    """project_markers from a listing already made (one system call per folder, not five)."""
    present = {entry.name: entry for entry in entries}
    if len(entries) >= fs.MAX_ENTRIES:  # a cut-off listing may miss a marker: ask for each
        found = [name for name in MARKER_FILES if fs.is_file(folder / name)]
    else:
        found = [name for name in MARKER_FILES if name in present and _is_file(present[name])]
    requirements = [
        name for name in present if name.startswith("requirements") and name.endswith(".txt")
    ]
    return tuple(found + sorted(requirements))


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()  # follows symlinks, like Path.is_file
    except OSError:
        return False


def find_project(path: Path, workspace_folder: Path) -> Project:
    """The nearest folder at or above `path` holding a marker, not above `workspace_folder`.

    Falls back to the workspace folder itself (with no markers) so every file has a project.
    """
    folder = path if fs.is_dir(path) else path.parent
    if not fs.is_within(folder, workspace_folder):
        folder = workspace_folder
    while True:
        markers = project_markers(folder)
        if markers:
            return Project(folder, markers)
        if folder == workspace_folder or folder.parent == folder:
            return Project(workspace_folder, ())
        folder = folder.parent


def _is_real_dir(entry: os.DirEntry[str]) -> bool:
    """A folder that is no symlink (so a link loop cannot make a walk go round)."""
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def find_projects(workspace_folder: Path) -> list[Project]:
    """Every project in a workspace folder, breadth-first, at most MAX_PROJECT_DEPTH levels down.

    Environment folders, VCS data and tool caches are never entered; symlinked
    folders are not followed, so a link loop cannot make the walk go round.
    """
    found: list[Project] = []
    level = [workspace_folder]
    for depth in range(MAX_PROJECT_DEPTH + 1):
        next_level: list[Path] = []
        for folder in level:
            entries = fs.list_entries(folder)
            markers = _markers(folder, entries)
            if markers:
                found.append(Project(folder, markers))
            if depth == MAX_PROJECT_DEPTH:
                continue
            for name in sorted(entry.name for entry in entries if _is_real_dir(entry)):
                if name in fs.SKIP_DIRS or name in _ENV_FOLDERS:
                    continue
                sub = folder / name
                if fs.is_file(sub / "pyvenv.cfg") or fs.is_dir(sub / "conda-meta"):
                    continue  # an environment, whatever its name
                next_level.append(sub)
        level = next_level
    if not found:
        _log.debug("no project markers under %s", workspace_folder)
    return found
