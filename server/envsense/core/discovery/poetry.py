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
from envsense.core.discovery.scan import Scan, Tie
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


def _cache_dir(scan: Scan, config: dict[str, Any]) -> Path:
    ctx = scan.ctx
    configured = ctx.env_path("POETRY_CACHE_DIR")
    if configured is not None:
        return configured
    value = config.get("cache-dir")
    if isinstance(value, str) and value:
        return ctx.expand(value)
    if ctx.is_windows:
        return ctx.user_cache_base / "pypoetry" / "Cache"
    return ctx.user_cache_base / "pypoetry"


def virtualenvs_dirs(scan: Scan) -> list[Path]:
    """Where Poetry keeps central envs: POETRY_VIRTUALENVS_PATH, config.toml, the cache."""
    ctx = scan.ctx
    config = _global_config(scan)
    cache = _cache_dir(scan, config)
    found: list[Path] = []
    explicit = ctx.env_path("POETRY_VIRTUALENVS_PATH")
    if explicit is not None:
        found.append(explicit)
    configured = table(config, "virtualenvs").get("path")
    if isinstance(configured, str) and configured:
        found.append(ctx.expand(configured.replace("{cache-dir}", str(cache))))
    found.append(cache / "virtualenvs")
    return list(dict.fromkeys(found))


def in_project_setting(project_dir: Path, scan: Scan) -> bool | None:
    """virtualenvs.in-project: poetry.toml first, then the env var, then the global config."""
    local = table(scan.toml(project_dir / "poetry.toml"), "virtualenvs").get("in-project")
    if isinstance(local, bool):
        return local
    variable = scan.ctx.env("POETRY_VIRTUALENVS_IN_PROJECT")
    if variable is not None:
        return variable.lower() in _TRUE
    configured = table(_global_config(scan), "virtualenvs").get("in-project")
    return configured if isinstance(configured, bool) else None


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
