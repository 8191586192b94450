"""Poetry: central envs named `<name>-<hash8>-pyX.Y`, and in-project `.venv`.

The hash ties an environment to its project the way Poetry itself does, so the
project is known without asking Poetry (which would mean running it).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from pathlib import Path
from typing import Any

from envsense.core.discovery import fs
from envsense.core.discovery.pyvenv import PyvenvCfg
from envsense.core.discovery.scan import Scan, Tie, ToolPick
from envsense.core.discovery.tomlfiles import project_name, table
from envsense.core.environment import EnvKind

_SANITIZE_RE = re.compile(r'[ $`!*@"\\\r\n\t]')
_ENV_NAME_RE = re.compile(r"^(?P<base>.+-[A-Za-z0-9_-]{8})-py\d+\.\d+$")
_TRUE = ("1", "true", "yes", "on")


def poetry_env_base(name: str, project_root: Path, platform: str) -> str:
    """`<sanitized name>-<hash8>`: Poetry's env name before the `-pyX.Y` suffix."""
    return _env_base(name, os.path.realpath(project_root), platform)


def _env_base(name: str, cwd: str, platform: str) -> str:
    """poetry_env_base of the project whose canonical folder is `cwd`."""
    canonical = re.sub(r"[-_.]+", "-", name).lower()
    sanitized = _SANITIZE_RE.sub("_", canonical)[:42]
    if platform == "win32":
        cwd = cwd.lower()  # os.path.normcase on Windows
    digest = hashlib.sha256(cwd.encode()).digest()
    return f"{sanitized}-{base64.urlsafe_b64encode(digest).decode()[:8]}"


def poetry_env_name(name: str, project_root: Path, python_short: str, platform: str) -> str:
    """The folder name Poetry gives a project's env for Python X.Y."""
    return f"{poetry_env_base(name, project_root, platform)}-py{python_short}"


def _global_config(scan: Scan) -> dict[str, Any]:
    ctx = scan.ctx
    folder = ctx.env_path("POETRY_CONFIG_DIR") or ctx.user_config_base / "pypoetry"
    return scan.toml(folder / "config.toml")


def _setting(scan: Scan, project_dir: Path | None, *keys: str) -> str | bool | None:
    """One Poetry setting as Poetry reads it: POETRY_* variable, poetry.toml, config.toml."""
    variable = scan.ctx.env("POETRY_" + "_".join(k.upper().replace("-", "_") for k in keys))
    if variable is not None:
        return variable
    configs = [_global_config(scan)]
    if project_dir is not None:
        configs.insert(0, scan.toml(project_dir / "poetry.toml"))
    for config in configs:
        value = table(config, *keys[:-1]).get(keys[-1]) if len(keys) > 1 else config.get(keys[0])
        if isinstance(value, str | bool):
            return value
    return None


def _cache_dir(scan: Scan, project_dir: Path | None = None) -> Path:
    ctx = scan.ctx
    value = _setting(scan, project_dir, "cache-dir")
    if isinstance(value, str) and value:
        return _local_path(ctx.expand(value), project_dir)
    if ctx.is_windows:
        return ctx.user_cache_base / "pypoetry" / "Cache"
    return ctx.user_cache_base / "pypoetry"


def _local_path(path: Path, project_dir: Path | None) -> Path:
    """Poetry resolves a relative setting against the folder it runs in: the project."""
    return path if path.is_absolute() or project_dir is None else project_dir / path


def virtualenvs_path(scan: Scan, project_dir: Path | None = None) -> Path:
    """`virtualenvs.path` for a project (or globally): where its central envs and envs.toml are."""
    cache = _cache_dir(scan, project_dir)
    value = _setting(scan, project_dir, "virtualenvs", "path")
    if isinstance(value, str) and value:
        expanded = scan.ctx.expand(value.replace("{cache-dir}", str(cache)))
        return _local_path(expanded, project_dir)
    return cache / "virtualenvs"


def virtualenvs_dirs(scan: Scan) -> list[Path]:
    """Where Poetry keeps central envs: the global setting, each project's, and the cache."""
    found = [virtualenvs_path(scan), _cache_dir(scan) / "virtualenvs"]
    # Envs made before POETRY_VIRTUALENVS_PATH was set still exist where config.toml says.
    configured = table(_global_config(scan), "virtualenvs").get("path")
    if isinstance(configured, str) and configured:
        found.append(scan.ctx.expand(configured.replace("{cache-dir}", str(_cache_dir(scan)))))
    found += [virtualenvs_path(scan, root) for root in scan.project_roots]
    return list(dict.fromkeys(found))


def in_project_setting(project_dir: Path, scan: Scan) -> bool | None:
    """virtualenvs.in-project: the env var, then poetry.toml, then the global config."""
    value = _setting(scan, project_dir, "virtualenvs", "in-project")
    if isinstance(value, str):
        return value.strip().lower() in _TRUE
    return value


def active_env(project_dir: Path, scan: Scan) -> ToolPick | None:
    """The env Poetry uses for the project (EnvManager.get), read from Poetry's own files.

    The in-project `.venv` when `virtualenvs.in-project` allows it and it exists; else
    the env `poetry env use` recorded in `<virtualenvs.path>/envs.toml`. Without that
    record Poetry would ask the Python on PATH for its version, which we don't run:
    the project's central envs are then left to the tied-environment rule.
    """
    if not is_poetry_project(project_dir, scan):
        return None
    in_project = in_project_setting(project_dir, scan)
    venv = project_dir / ".venv"
    if in_project is not False and fs.is_dir(venv):
        why = " (virtualenvs.in-project)" if in_project else ""
        return ToolPick(venv, f"poetry: in-project .venv{why}", EnvKind.POETRY)
    name = project_name(scan.toml(project_dir / "pyproject.toml"))
    if not name:
        return None
    folder = virtualenvs_path(scan, project_dir)
    base = _env_base(name, str(scan.realpath(project_dir)), scan.ctx.platform)
    minor = table(scan.toml(folder / "envs.toml"), base).get("minor")
    if isinstance(minor, str) and minor.strip():
        return ToolPick(
            folder / f"{base}-py{minor.strip()}",
            f"poetry env use: py{minor.strip()} (envs.toml)",
            EnvKind.POETRY,
        )
    existing = [entry for entry in fs.subdirs(folder) if entry.name.startswith(f"{base}-py")]
    if len(existing) > 1:
        # Poetry takes the env of the `python` on PATH; read its X.Y from the link name.
        path_minor = _path_python_minor(scan)
        existing = [entry for entry in existing if entry.name == f"{base}-py{path_minor}"]
    if len(existing) == 1:
        return ToolPick(existing[0], f"poetry: {existing[0].name}", EnvKind.POETRY)
    return None


def _path_python_minor(scan: Scan) -> str | None:
    """X.Y of the first `python`/`python3` on PATH, from names only (shims say nothing)."""
    from envsense.core.discovery.ondisk import from_executable_name

    for folder in scan.ctx.path_dirs:
        for name in ("python", "python3"):
            candidate = folder / name
            if not fs.is_file(candidate):
                continue
            if "shims" in folder.parts:
                return None
            version = from_executable_name(scan.realpath(candidate))
            return version.short if version is not None else None
    return None


def is_poetry_project(folder: Path, scan: Scan) -> bool:
    """poetry.toml, [tool.poetry], or poetry-core as the build backend."""
    if fs.is_file(folder / "poetry.toml"):
        return True
    pyproject = scan.toml(folder / "pyproject.toml")
    backend = table(pyproject, "build-system").get("build-backend")
    return bool(table(pyproject, "tool", "poetry")) or (
        isinstance(backend, str) and backend.startswith("poetry")
    )


def _projects_by_env_base(scan: Scan) -> dict[str, Path]:
    """Each known project (with a name) by its env base `<name>-<hash8>` (first wins)."""
    projects: dict[str, Path] = {}
    for root in scan.project_roots:
        name = project_name(scan.toml(root / "pyproject.toml"))
        if name:
            base = _env_base(name, str(scan.realpath(root)), scan.ctx.platform)
            projects.setdefault(base, root)
    return projects


def project_of_central_env(env_name: str, scan: Scan) -> Path | None:
    """The known project whose Poetry hash is in `env_name`, if any."""
    match = _ENV_NAME_RE.match(env_name)
    if match is None:
        return None
    return scan.once(_projects_by_env_base).get(match.group("base"))


def poetry_tie(prefix: Path, cfg: PyvenvCfg | None, scan: Scan) -> Tie | None:
    """Central env (by folder and name) or in-project `.venv` of a Poetry project."""
    if _ENV_NAME_RE.match(prefix.name) and (
        prefix.parent in scan.once(virtualenvs_dirs)
        or ("pypoetry" in prefix.parts and "virtualenvs" in prefix.parts)
    ):
        return Tie(EnvKind.POETRY, project=project_of_central_env(prefix.name, scan))
    if prefix.name == ".venv" and is_poetry_project(prefix.parent, scan):
        if in_project_setting(prefix.parent, scan) is not False:
            return Tie(EnvKind.POETRY, project=prefix.parent)
    return None
