"""Pipenv: central envs named `<dir>-<hash8>` with a `.project` file, or `.venv` next to a Pipfile."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from envsense.core.discovery import fs
from envsense.core.discovery.pyvenv import PyvenvCfg
from envsense.core.discovery.scan import Scan, Tie, ToolPick
from envsense.core.discovery.tomlfiles import table
from envsense.core.environment import EnvKind

_SANITIZE_RE = re.compile(r'[ &$`!*@"()\[\]\\\r\n\t]')
_HASHED_RE = re.compile(r"^.+-[A-Za-z0-9_-]{8}$")


def pipenv_env_name(project_root: Path) -> str:
    """The folder name Pipenv gives the env of the project whose Pipfile is in `project_root`.

    Pipenv hashes the Pipfile's path (sha256, first 6 bytes, urlsafe base64).
    """
    sanitized = _SANITIZE_RE.sub("_", project_root.name)[:42]
    digest = hashlib.sha256(str(project_root / "Pipfile").encode()).digest()[:6]
    return f"{sanitized}-{base64.urlsafe_b64encode(digest).decode()[:8]}"


def _projects_by_env_name(scan: Scan) -> dict[str, Path]:
    """Each known project by the name of its central Pipenv env (first wins)."""
    projects: dict[str, Path] = {}
    for root in scan.project_roots:
        projects.setdefault(pipenv_env_name(root), root)
    return projects


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def workon_home(scan: Scan) -> Path:
    """Pipenv's home for central envs: WORKON_HOME, else $XDG_DATA_HOME/virtualenvs."""
    ctx = scan.ctx
    if ctx.is_windows:
        return ctx.env_path("WORKON_HOME") or ctx.home / ".virtualenvs"
    return ctx.env_path("WORKON_HOME") or ctx.xdg("XDG_DATA_HOME", ".local/share") / "virtualenvs"


def _in_project_setting(project_root: Path, scan: Scan) -> bool | None:
    """PIPENV_VENV_IN_PROJECT, else the Pipfile's `[pipenv] venv_in_project`."""
    variable = scan.ctx.env("PIPENV_VENV_IN_PROJECT")
    if variable is not None and variable.strip().lower() in _TRUE + _FALSE:
        return variable.strip().lower() in _TRUE
    value = table(scan.toml(project_root / "Pipfile"), "pipenv").get("venv_in_project")
    return bool(value) if value is not None else None


def project_env(project_root: Path, scan: Scan) -> ToolPick | None:
    """The env `pipenv --venv` names for the Pipfile in `project_root` (VenvLocator.get_location)."""
    if not fs.is_file(project_root / "Pipfile"):
        return None
    ctx = scan.ctx
    home = workon_home(scan)
    custom = ctx.env("PIPENV_CUSTOM_VENV_NAME")
    name = custom or pipenv_env_name(project_root)
    python = ctx.env("PIPENV_PYTHON")
    if python and not custom:
        name += f"-{Path(python).name}"
    central = ToolPick(
        home / name,
        f"pipenv: {name} (PIPENV_CUSTOM_VENV_NAME)" if custom else f"pipenv: {name} in {home}",
        EnvKind.PIPENV,
    )
    dot_venv = project_root / ".venv"
    if fs.is_file(dot_venv):
        # A `.venv` file names the env: a path (relative to the project) or a name in WORKON_HOME.
        text = (fs.read_text(dot_venv) or "").strip()
        if not text:
            return central
        if "/" in text or "\\" in text:
            return ToolPick(project_root / text, "pipenv: the path in .venv", EnvKind.PIPENV)
        return ToolPick(home / text, f"pipenv: {text} named in .venv", EnvKind.PIPENV)
    setting = _in_project_setting(project_root, scan)
    if setting is True:
        return ToolPick(dot_venv, "pipenv: .venv (PIPENV_VENV_IN_PROJECT)", EnvKind.PIPENV)
    if setting is None and fs.is_dir(dot_venv):
        # Auto-detected .venv: an env Pipenv made centrally before still wins.
        if fs.is_dir(home / name):
            return central
        return ToolPick(dot_venv, "pipenv: .venv in the project", EnvKind.PIPENV)
    return central


def central_dirs(scan: Scan) -> list[Path]:
    """WORKON_HOME, else XDG_DATA_HOME/virtualenvs (~/.local/share/virtualenvs)."""
    ctx = scan.ctx
    found = [ctx.env_path("WORKON_HOME"), ctx.xdg("XDG_DATA_HOME", ".local/share") / "virtualenvs"]
    return list(dict.fromkeys(path for path in found if path is not None))


def project_file_target(prefix: Path, scan: Scan) -> Path | None:
    """The folder written into `<env>/.project` (by Pipenv or virtualenvwrapper), if it exists."""
    text = fs.read_text(prefix / ".project")
    if not text or not text.strip():
        return None
    target = scan.ctx.expand(text.strip().splitlines()[0].strip())
    return target if fs.is_dir(target) else None


def pipenv_tie(prefix: Path, cfg: PyvenvCfg | None, scan: Scan) -> Tie | None:
    """`.project` naming a folder with a Pipfile, a hashed name in Pipenv's folder, or in-project."""
    target = project_file_target(prefix, scan)
    if target is not None and fs.is_file(target / "Pipfile"):
        return Tie(EnvKind.PIPENV, project=target)
    if (
        prefix.parent in scan.once(central_dirs)
        and target is None
        and _HASHED_RE.match(prefix.name)
    ):
        if not fs.lexists(prefix / ".project"):
            owner = scan.once(_projects_by_env_name).get(prefix.name)
            if owner is not None:
                return Tie(EnvKind.PIPENV, project=owner)
            if prefix.parent != scan.ctx.env_path("WORKON_HOME"):
                return Tie(EnvKind.PIPENV)
    if prefix.name == ".venv" and fs.is_file(prefix.parent / "Pipfile"):
        return Tie(EnvKind.PIPENV, project=prefix.parent)
    return None
