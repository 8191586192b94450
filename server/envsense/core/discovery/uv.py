"""uv: virtual environments made by `uv venv`/`uv sync`, uv workspaces, uv-managed CPython."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from pathlib import Path

from envsense.core.discovery import fs, ondisk
from envsense.core.discovery.layout import prefix_interpreter
from envsense.core.discovery.pyvenv import PyvenvCfg
from envsense.core.discovery.scan import Scan, Tie, ToolPick, in_project_holder
from envsense.core.discovery.tomlfiles import table
from envsense.core.environment import Environment, EnvKind

# How far up a uv venv's folder a workspace root may be (packages/<name>/.venv is 3).
_MAX_WORKSPACE_DEPTH = 6
_MANAGED_RE = re.compile(r"^[a-z]+-\d+\.\d+\.\d+")


def uv_tie(prefix: Path, cfg: PyvenvCfg | None, scan: Scan) -> Tie | None:
    """uv writes `uv = <version>` and `version_info` into pyvenv.cfg.

    Only the env at the workspace root is the workspace's: a `.venv` that `uv venv`
    left in a member folder is that folder's own, which uv never uses for the workspace.
    """
    if cfg is None or not cfg.uv or not cfg.version_info:
        return None
    workspace = workspace_root(prefix.parent, scan)
    if workspace is not None and (prefix.parent == workspace or not _in_member(prefix, workspace)):
        return Tie(EnvKind.UV_WORKSPACE, project=workspace)
    return Tie(EnvKind.UV, project=in_project_holder(prefix))


def _in_member(prefix: Path, workspace: Path) -> bool:
    """The env sits in a folder below the workspace root that is a project of its own."""
    return prefix.parent != workspace and fs.is_file(prefix.parent / "pyproject.toml")


def _members_match(root: Path, project: Path, scan: Scan) -> bool:
    """`project` is listed by the workspace's `members` globs and not by its `exclude`."""
    settings = table(scan.toml(root / "pyproject.toml"), "tool", "uv", "workspace")
    try:
        relative = project.relative_to(root).as_posix()
    except ValueError:
        return False

    def listed(key: str) -> bool:
        patterns = settings.get(key)
        if not isinstance(patterns, list):
            return False
        return any(
            isinstance(pattern, str) and fnmatch.fnmatchcase(relative, pattern.rstrip("/"))
            for pattern in patterns
        )

    return listed("members") and not listed("exclude")


def is_uv_project(project_root: Path, scan: Scan) -> bool:
    """uv.lock, [tool.uv], or membership of a uv workspace."""
    if fs.is_file(project_root / "uv.lock") or table(
        scan.toml(project_root / "pyproject.toml"), "tool", "uv"
    ):
        return True
    return project_workspace(project_root, scan) is not None


def project_workspace(project_root: Path, scan: Scan) -> Path | None:
    """The uv workspace root `project_root` belongs to (itself when it is the root)."""
    root = workspace_root(project_root, scan)
    if root is None:
        return None
    if root == project_root or _members_match(root, project_root, scan):
        return root
    return None


def project_env(project_root: Path, scan: Scan) -> ToolPick | None:
    """The env `uv sync`/`uv run` use: UV_PROJECT_ENVIRONMENT, else `.venv` at the workspace root.

    Every member of a workspace shares the root's env; a relative
    UV_PROJECT_ENVIRONMENT is taken from the workspace root.
    """
    if not is_uv_project(project_root, scan):
        return None
    root = project_workspace(project_root, scan) or project_root
    explicit = scan.ctx.env("UV_PROJECT_ENVIRONMENT")
    if explicit is not None:
        path = scan.ctx.expand(explicit)
        return ToolPick(
            path if path.is_absolute() else root / path,
            f"uv: UV_PROJECT_ENVIRONMENT={explicit}",
            EnvKind.UV,
        )
    if root != project_root:
        return ToolPick(root / ".venv", f"uv: .venv of the workspace root {root}", EnvKind.UV)
    return ToolPick(root / ".venv", "uv: project .venv", EnvKind.UV)


def workspace_root(start: Path, scan: Scan) -> Path | None:
    """The nearest folder at or above `start` whose pyproject.toml has [tool.uv.workspace]."""
    folder = start
    for _ in range(_MAX_WORKSPACE_DEPTH):
        if folder == scan.ctx.home or folder.parent == folder:
            return None
        # An empty `[tool.uv.workspace]` table still makes a workspace.
        if "workspace" in table(scan.toml(folder / "pyproject.toml"), "tool", "uv"):
            return folder
        folder = folder.parent
    return None


def managed_python_dirs(scan: Scan) -> list[Path]:
    """Where `uv python install` puts interpreters, in uv's own order of precedence."""
    ctx = scan.ctx
    explicit = ctx.env_path("UV_PYTHON_INSTALL_DIR")
    if explicit is not None:
        return [explicit]
    if ctx.is_windows:
        appdata = ctx.env_path("APPDATA") or ctx.home / "AppData" / "Roaming"
        return [appdata / "uv" / "python"]
    return [ctx.xdg("XDG_DATA_HOME", ".local/share") / "uv" / "python"]


def find_managed_pythons(scan: Scan) -> Iterator[Environment]:
    """One Environment per `cpython-3.12.1-linux-x86_64-gnu` folder.

    uv also keeps `cpython-3.12-...` links pointing at the newest patch release;
    they are skipped so each interpreter is listed once.
    """
    for folder in managed_python_dirs(scan):
        for entry in fs.subdirs(folder):
            if fs.is_symlink(entry) or not _MANAGED_RE.match(entry.name):
                continue
            yield managed_python(entry, scan)


def is_managed_python(prefix: Path, scan: Scan) -> bool:
    return any(prefix.parent == folder for folder in scan.once(managed_python_dirs)) and bool(
        _MANAGED_RE.match(prefix.name)
    )


def managed_python(prefix: Path, scan: Scan) -> Environment:
    interpreter = prefix_interpreter(prefix, scan.ctx.platform, root_too=scan.ctx.is_windows)
    version = ondisk.from_folder_name(prefix.name) or ondisk.from_install(prefix)
    return Environment(
        kind=EnvKind.UV_PYTHON,
        prefix=prefix,
        executable=interpreter.executable,
        version=version,
        name=prefix.name,
        error=interpreter.error,
    )
