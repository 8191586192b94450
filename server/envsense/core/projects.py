"""Projects: the folders whose own environment and declarations apply to a file."""

from __future__ import annotations

import logging
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
    return _markers(fs.read_listing(folder))


def _markers(listing: fs.Listing) -> tuple[str, ...]:
    found = [name for name in MARKER_FILES if listing.is_file(name)]
    requirements = [
        name
        for name in listing.names()
        if name.startswith("requirements") and name.endswith(".txt")
    ]
    return tuple(found + requirements)


def _is_environment(listing: fs.Listing) -> bool:
    return listing.is_file("pyvenv.cfg") or listing.is_dir("conda-meta")


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
            # One listing per folder answers all: is it an environment, its markers, its sub-folders.
            listing = fs.read_listing(folder)
            if depth > 0 and _is_environment(listing):
                continue  # an environment, whatever its name
            markers = _markers(listing)
            if markers:
                found.append(Project(folder, markers))
            if depth == MAX_PROJECT_DEPTH:
                continue
            for name in listing.dir_names(follow_symlinks=False):
                if name not in fs.SKIP_DIRS and name not in _ENV_FOLDERS:
                    next_level.append(folder / name)
        level = next_level
    if not found:
        _log.debug("no project markers under %s", workspace_folder)
    return found
