"""Projects: the folders whose own environment and declarations apply to a file.

A file's project is found from the file upwards, whatever folder the client opened
(eglot without VCS opens the file's own folder, e.g. `src/flask`): the nearest folder
with a marker file that is not itself part of an enclosing project's package. The climb
is bounded: it never examines the user's home folder or a filesystem root (unless the
workspace folder is one), and stops after MAX_CLIMB levels.
"""

from __future__ import annotations

import ast
import logging
import os
import re
import threading
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from envsense.core import folder_memo
from envsense.core.discovery import fs
from envsense.core.files import ListedFolder
from envsense.core.folder_memo import FolderMemo

_log = logging.getLogger(__name__)

MARKER_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "Pipfile")
# Where the no-environment finding of a project goes: its main manifest first.
_MANIFEST_ORDER = ("pyproject.toml", "setup.cfg", "Pipfile", "setup.py")
# Monorepos nest packages a few levels down (packages/<name>, libs/<group>/<name>).
MAX_PROJECT_DEPTH = 3
# How many folders above a file its project may be (src/pkg/sub/module.py is 3).
MAX_CLIMB = 12
_ENV_FOLDERS = frozenset({".venv", "venv", "env", ".virtualenv", ".conda", ".pixi"})
# A package nested deeper than this is not climbed to its top (a link loop, a mistake).
_MAX_PACKAGE_DEPTH = 24


@dataclass(frozen=True, slots=True)
class Project:
    """A folder and the marker files that make it a project (empty: the workspace fallback)."""

    root: Path
    markers: tuple[str, ...]

    @property
    def manifest(self) -> Path | None:
        """The file that says what the project is: pyproject.toml first, then setup.cfg,
        Pipfile, setup.py, a requirements file (None for the workspace fallback)."""
        for name in _MANIFEST_ORDER:
            if name in self.markers:
                return self.root / name
        others = sorted(
            (name for name in self.markers if name not in MARKER_FILES),
            key=lambda name: (name != "requirements.txt", name),
        )
        return self.root / others[0] if others else None


# -- markers ---------------------------------------------------------------------------


def project_markers(folder: Path, folders: ProjectFolders | None = None) -> tuple[str, ...]:
    """The marker files in `folder`: pyproject.toml, a setup.py calling `setup()`,
    setup.cfg, Pipfile, requirements*.txt."""
    if folders is not None:
        return folders.markers(folder)
    return _markers(fs.read_listing(folder))


def _markers(listing: fs.Listing) -> tuple[str, ...]:
    return _with_setup_checked(listing.folder, _marker_files(listing))


def _marker_files(listing: fs.Listing) -> tuple[str, ...]:
    """The marker files of a listing, a setup.py whatever it holds."""
    found = [name for name in MARKER_FILES if listing.is_file(name)]
    requirements = [
        name
        for name in listing.names()
        if name.startswith("requirements") and name.endswith(".txt") and listing.is_file(name)
    ]
    return tuple(found + requirements)


def _with_setup_checked(folder: Path, files: tuple[str, ...]) -> tuple[str, ...]:
    if "setup.py" not in files or calls_setup(folder / "setup.py"):
        return files
    return tuple(name for name in files if name != "setup.py")


@dataclass(frozen=True, slots=True)
class _FolderFacts:
    """What finding a project needs of one folder's listing."""

    marker_files: tuple[str, ...]
    has_init: bool


def _folder_facts(folder: str) -> _FolderFacts:
    listing = fs.read_listing(Path(folder))
    return _FolderFacts(_marker_files(listing), listing.is_file("__init__.py"))


def _listed_facts(folder: str, files: Sequence[str], irregular: Collection[str]) -> _FolderFacts:
    """`_folder_facts` of a listing taken elsewhere: `files` (sorted) are the folder's
    entries that are not folders, `irregular` those of them that are not plain files
    (asked of the disk, as a Listing asks: a link to a file counts)."""

    def is_file(name: str) -> bool:
        return name not in irregular or fs.is_file(Path(folder, name))

    markers = [name for name in MARKER_FILES if name in files and is_file(name)]
    markers += [
        name
        for name in files
        if name.startswith("requirements") and name.endswith(".txt") and is_file(name)
    ]
    return _FolderFacts(tuple(markers), "__init__.py" in files and is_file("__init__.py"))


class ProjectFolders:
    """Each folder's markers and `__init__.py`, listed once and kept while the folder's
    entries stay the same (core/folder_memo.py).

    Finding the projects of every folder of a workspace climbs the same ancestors again
    and again (homeassistant/components, 1,254 entries, once per integration folder);
    one of these per session lists each of them once. Whether a setup.py calls
    `setup()` is read from the file (cached by its mtime), since editing it does not
    change the folder.
    """

    def __init__(self) -> None:
        self._memo: FolderMemo[_FolderFacts] = FolderMemo(_folder_facts)
        # find_project's answers per start folder (see `_Climbs`), valid while no folder
        # listed again has changed (the memo's version).
        # By (workspace folder, climb stop), then by the start folder's path string (a
        # Path's hash is worked out again at every lookup; these are many).
        self._climbs: dict[tuple[Path | None, Path | None], dict[str, _Climb]] = {}
        self._climbs_version = self._memo.version

    def markers(self, folder: Path) -> tuple[str, ...]:
        return _with_setup_checked(folder, self._memo.get(str(folder)).marker_files)

    def take_listings(self, listed: Mapping[str, ListedFolder], since: float) -> None:
        """Folders someone listed from `since` (time.monotonic()) on (a check's walk):
        those are not listed again while a listing of that moment is trusted."""

        def facts(folder: str) -> _FolderFacts | None:
            entry = listed.get(folder)
            if entry is None or entry.entries > fs.MAX_ENTRIES:
                return None  # fs.read_listing stops there: its answer may differ
            return _listed_facts(folder, entry.files, entry.irregular)

        self._memo.offer(facts, since)

    def has_init(self, folder: Path) -> bool:
        return self._memo.get(str(folder)).has_init

    def clear(self) -> None:
        """Forget every folder (a manifest appeared, vanished or changed)."""
        self._memo.clear()
        self._climbs.clear()

    def climbs(self, workspace_folder: Path | None, stop: Path | None) -> dict[str, _Climb]:
        """find_project's memo for climbs within these bounds: start folder -> its climb."""
        if self._climbs_version != self._memo.version:
            self._climbs.clear()
            self._climbs_version = self._memo.version
        return self._climbs.setdefault((workspace_folder, stop), {})


@dataclass(frozen=True, slots=True)
class _Climb:
    """The nearest project root above a folder, `levels` folders up (None: none within
    the climb's bounds; climbs from below find none either), as the folders' listings
    said at `since` (monotonic): trusted as long as those listings are (see folder_memo)."""

    project: Project | None
    levels: int
    since: float


_SETUP_CALL = re.compile(r"\bsetup\s*\(")
_SETUP_OWNERS = frozenset({"setuptools", "distutils", "core", "skbuild"})
_setup_cache: dict[tuple[Path, int, int], bool] = {}
_setup_lock = threading.Lock()


def calls_setup(path: Path) -> bool:
    """Whether a setup.py calls `setup(...)` (read statically, never run).

    A module named setup.py inside a package (homeassistant/setup.py) is an ordinary
    module, not a build script: it only counts as a marker when it calls setup().
    """
    try:
        stat = path.stat()
    except OSError:
        return False
    key = (path, stat.st_mtime_ns, stat.st_size)
    with _setup_lock:
        cached = _setup_cache.get(key)
    if cached is not None:
        return cached
    text = fs.read_text(path)
    result = text is not None and _calls_setup(text)
    with _setup_lock:
        if len(_setup_cache) > 4096:
            _setup_cache.clear()
        _setup_cache[key] = result
    return result


def _calls_setup(text: str) -> bool:
    if _SETUP_CALL.search(text) is None:
        return False  # the cheap test settles nearly every file
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        # Unparsable (Python 2 syntax): a line that starts with the call still counts.
        return re.search(r"^\s*(?:setuptools\.)?setup\s*\(", text, re.MULTILINE) is not None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "setup":
            return True
        if isinstance(func, ast.Attribute) and func.attr == "setup":
            owner = func.value
            if isinstance(owner, ast.Name) and owner.id in _SETUP_OWNERS:
                return True
            if isinstance(owner, ast.Attribute) and owner.attr in _SETUP_OWNERS:
                return True
    return False


def _is_environment(listing: fs.Listing) -> bool:
    return listing.is_file("pyvenv.cfg") or listing.is_dir("conda-meta")


# -- the package rule ------------------------------------------------------------------


def packaged_by(folder: Path, folders: ProjectFolders | None = None) -> Path | None:
    """The enclosing project whose package `folder` is part of, else None.

    `folder` must hold `__init__.py`; its package's top folder is the highest one of the
    unbroken `__init__.py` chain, and the project packaging it sits right above that top
    (root layout) or above the `src/` holding it (src layout).
    """

    def has_init(path: Path) -> bool:
        if folders is not None:
            return folders.has_init(path)
        return fs.is_file(path / "__init__.py")

    if not has_init(folder):
        return None
    top = folder
    for _ in range(_MAX_PACKAGE_DEPTH):
        parent = top.parent
        if parent == top or not has_init(parent):
            break
        top = parent
    holder = top.parent
    if holder == top:
        return None
    if project_markers(holder, folders):
        return holder
    if holder.name == "src" and holder.parent != holder and project_markers(holder.parent, folders):
        return holder.parent
    return None


def _is_project_root(
    folder: Path, markers: tuple[str, ...], folders: ProjectFolders | None = None
) -> bool:
    """Markers make a project root unless the folder is part of an enclosing package."""
    return bool(markers) and packaged_by(folder, folders) is None


# -- finding a file's project ----------------------------------------------------------


def _climb_stop(home: Path | None) -> Path | None:
    if home is not None:
        return home
    try:
        return Path(os.path.expanduser("~")).resolve()
    except (OSError, RuntimeError):
        return None


def _may_examine(folder: Path, workspace_folder: Path | None, home: Path | None) -> bool:
    """Home and filesystem roots are never a project above the workspace (a stray
    ~/requirements.txt must not swallow every project of the user)."""
    if workspace_folder is not None and fs.is_within(folder, workspace_folder):
        return True
    return folder != home and folder.parent != folder


def find_project(
    path: Path,
    workspace_folder: Path | None = None,
    *,
    home: Path | None = None,
    folders: ProjectFolders | None = None,
    is_dir: bool | None = None,
) -> Project:
    """The project of `path`: the nearest folder at or above it that is a project root.

    The climb goes above `workspace_folder` (a client may open a sub-folder of the
    project) but never past the user's home folder, a filesystem root or MAX_CLIMB
    levels. Without any project the workspace folder (else the file's folder) stands in,
    with no markers, so every file has a project. `folders` keeps the listings for
    the next call (a session's many files); without it every folder is listed afresh.
    `is_dir`: whether `path` is a folder, when the caller knows (None: asked of the disk).
    """
    if folders is None:
        folders = ProjectFolders()
    if is_dir is None:
        is_dir = fs.is_dir(path)
    start = path if is_dir else path.parent
    stop = _climb_stop(home)
    climbs = folders.climbs(workspace_folder, stop)
    found = _climb(start, workspace_folder, stop, folders, climbs)
    if found is not None:
        return found
    fallback = workspace_folder if workspace_folder is not None else start
    if workspace_folder is not None and not fs.is_within(start, workspace_folder):
        fallback = start
    return Project(fallback, ())


def _climb(
    start: Path,
    workspace_folder: Path | None,
    stop: Path | None,
    folders: ProjectFolders,
    climbs: dict[str, _Climb],
) -> Project | None:
    """The nearest project root at most MAX_CLIMB levels above `start`, else None.

    A folder climbed from (or through) a moment ago answers for every folder below it: a
    climb from below passes through it with the same bounds, so it reaches the same
    project when that lies within MAX_CLIMB levels of `start`, and nothing otherwise (no
    root lay between). Each folder passed on the way remembers the project found above it.
    Answers are as fresh as the listings they came from: a marker created unannounced is
    seen within folder_memo.REVALIDATE_SECONDS, as without them."""
    now = time.monotonic()
    since = now
    folder = start
    passed: list[Path] = []
    found: Project | None = None
    distance = 0
    for level in range(MAX_CLIMB + 1):
        known = climbs.get(str(folder))
        if known is not None and now - known.since < folder_memo.REVALIDATE_SECONDS:
            found, distance, since = known.project, level + known.levels, known.since
            break
        if not _may_examine(folder, workspace_folder, stop):
            break
        markers = folders.markers(folder)
        if _is_project_root(folder, markers, folders):
            found, distance = Project(folder, markers), level
            climbs[str(folder)] = _Climb(found, 0, now)
            break
        passed.append(folder)
        parent = folder.parent
        if parent == folder:
            break
        folder = parent
    if found is not None:
        for level, below in enumerate(passed):
            climbs[str(below)] = _Climb(found, distance - level, since)
        return found if distance <= MAX_CLIMB else None
    # None within the climb's bounds: a climb from below, within fewer levels, finds none
    # either. (The folders passed might find one past those bounds.)
    climbs[str(start)] = _Climb(None, 0, since)
    return None


def enclosing_projects(
    project: Project, *, home: Path | None = None, folders: ProjectFolders | None = None
) -> list[Project]:
    """The projects above `project` (a monorepo root, a uv workspace root), nearest first.

    Same bounds as `find_project`; a folder that is part of a package is none of them.
    """
    if not project.markers:
        return []
    if folders is None:
        folders = ProjectFolders()
    stop = _climb_stop(home)
    found: list[Project] = []
    folder = project.root
    for _ in range(MAX_CLIMB):
        if folder.parent == folder:
            break
        folder = folder.parent
        if not _may_examine(folder, None, stop):
            break
        markers = folders.markers(folder)
        if _is_project_root(folder, markers, folders):
            found.append(Project(folder, markers))
    return found


# -- every project of a workspace ------------------------------------------------------


def find_projects(workspace_folder: Path) -> list[Project]:
    """Every project in a workspace folder, breadth-first, at most MAX_PROJECT_DEPTH levels down.

    Environment folders, VCS data and tool caches are never entered; symlinked
    folders are not followed, so a link loop cannot make the walk go round. A folder
    that is part of a project's package is not a project (homeassistant/setup.py).
    """
    found: list[Project] = []
    folders = ProjectFolders()
    level = [workspace_folder]
    for depth in range(MAX_PROJECT_DEPTH + 1):
        next_level: list[Path] = []
        for folder in level:
            # One listing per folder answers all: is it an environment, its markers, its sub-folders.
            listing = fs.read_listing(folder)
            if depth > 0 and _is_environment(listing):
                continue  # an environment, whatever its name
            markers = _markers(listing)
            if markers and (
                not listing.is_file("__init__.py") or packaged_by(folder, folders) is None
            ):
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


# Folders whose requirements files serve the enclosing project (its docs, tests, CI): a
# folder holding nothing else uses the enclosing project's environment.
def outermost_project_root(path: Path, *, home: Path | None = None) -> Path | None:
    """The root of the outermost project holding `path` (a monorepo or uv workspace root
    above a member), None when `path` is in no project; the CLI scans from there."""
    project = find_project(path, None, home=home)
    if not project.markers:
        return None
    enclosing = enclosing_projects(project, home=home)
    return enclosing[-1].root if enclosing else project.root
