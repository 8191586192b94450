"""Hatch: envs where Hatch itself puts them, read from the user's Hatch config and the project.

Hatch reads `dirs.env` and `dirs.data` only from the user's config file
(`$HATCH_CONFIG`, else `<user config dir>/hatch/config.toml`); `[tool.hatch.dirs.env]`
in a pyproject.toml is ignored by Hatch, so it is ignored here too. The layout is
`<env dir>/<project name>/<id8>/<env folder>`, flat (`<env dir>/<env folder>`) when the
env dir is inside the project or is ~/.virtualenvs, and exactly `path` when an env
sets that option. The default env's folder is named after the project.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from envsense.core.discovery import fs
from envsense.core.discovery.pyvenv import PyvenvCfg
from envsense.core.discovery.scan import Scan, Tie, ToolPick
from envsense.core.discovery.tomlfiles import table
from envsense.core.environment import EnvKind


def _user_config(scan: Scan) -> dict[str, Any]:
    ctx = scan.ctx
    path = ctx.env_path("HATCH_CONFIG")
    if path is None:
        base = ctx.env_path("LOCALAPPDATA") if ctx.is_windows else None
        path = (base or ctx.user_config_base) / "hatch" / "config.toml"
    return scan.toml(path)


def data_dir(scan: Scan) -> Path:
    """$HATCH_DATA_DIR, else `dirs.data` of the user config, else the user data dir."""
    ctx = scan.ctx
    explicit = ctx.env_path("HATCH_DATA_DIR")
    if explicit is not None:
        return explicit
    configured = table(_user_config(scan), "dirs").get("data")
    if isinstance(configured, str) and configured:
        return ctx.expand(configured)
    return ctx.user_data_base / "hatch"


def virtual_root(scan: Scan) -> Path:
    """The central folder of virtual envs: `<data dir>/env/virtual`."""
    return data_dir(scan) / "env" / "virtual"


def _configured_env_dir(scan: Scan) -> str | None:
    value = table(_user_config(scan), "dirs", "env").get("virtual")
    return value if isinstance(value, str) and value else None


def env_dir(project_root: Path, scan: Scan) -> Path:
    """`dirs.env.virtual` of the user config (relative: to the project), else the central one."""
    configured = _configured_env_dir(scan)
    if configured is None:
        return scan.once(virtual_root)
    path = scan.ctx.expand(configured)
    return path if path.is_absolute() else project_root / path


def central_roots(scan: Scan) -> list[Path]:
    """Folders holding `<project>/<id8>/<env>` trees: the data dir's and an absolute dirs.env."""
    roots = [scan.once(virtual_root)]
    configured = _configured_env_dir(scan)
    if configured is not None and scan.ctx.expand(configured).is_absolute():
        roots.append(scan.ctx.expand(configured))
    return list(dict.fromkeys(roots))


def project_id(project_root: Path) -> str:
    """The 8-character folder Hatch files a project's envs under (sha256 of its root)."""
    digest = hashlib.sha256(str(project_root).encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode("utf-8")[:8]


def _hatch_config(project_root: Path, scan: Scan) -> tuple[dict[str, Any], dict[str, Any]]:
    """([tool.hatch] of pyproject.toml, hatch.toml): hatch.toml uses the same keys unprefixed."""
    pyproject = table(scan.toml(project_root / "pyproject.toml"), "tool", "hatch")
    return pyproject, scan.toml(project_root / "hatch.toml")


def is_hatch_project(project_root: Path, scan: Scan) -> bool:
    """hatch.toml, [tool.hatch], or hatchling as the build backend."""
    if fs.is_file(project_root / "hatch.toml"):
        return True
    pyproject = scan.toml(project_root / "pyproject.toml")
    backend = table(pyproject, "build-system").get("build-backend")
    return bool(table(pyproject, "tool", "hatch")) or (
        isinstance(backend, str) and backend.startswith("hatchling")
    )


def declared_env_names(project_root: Path, scan: Scan) -> list[str]:
    """`default` and each `[envs.<name>]` of the project's Hatch config."""
    names = ["default"]
    for config in _hatch_config(project_root, scan):
        names += [name for name in table(config, "envs") if name not in names]
    return names


def _env_option(project_root: Path, env_name: str, option: str, scan: Scan) -> object:
    for config in _hatch_config(project_root, scan):
        value = table(config, "envs", env_name).get(option)
        if value is not None:
            return value
    return None


def _project_folder_name(project_root: Path, scan: Scan) -> str:
    """Hatch's metadata name (PEP 503 normalized), or `<id>-unmanaged` without [project]."""
    project = table(scan.toml(project_root / "pyproject.toml"), "project")
    name = project.get("name")
    if isinstance(name, str) and name.strip():
        return re.sub(r"[-_.]+", "-", name.strip()).lower()
    return f"{project_id(scan.realpath(project_root))}-unmanaged"


def env_location(project_root: Path, env_name: str, scan: Scan) -> Path:
    """Where Hatch keeps the virtual env `env_name` of the project (hatch/env/virtual.py)."""
    project_folder = _project_folder_name(project_root, scan)
    folder = project_folder if env_name == "default" else env_name
    chosen = scan.ctx.env("HATCH_ENV_TYPE_VIRTUAL_PATH") or _env_option(
        project_root, env_name, "path", scan
    )
    if isinstance(chosen, str) and chosen:
        path = scan.ctx.expand(chosen)
        return path if path.is_absolute() else project_root / path
    base = env_dir(project_root, scan)
    flat = base == scan.ctx.home / ".virtualenvs" or fs.is_within(
        scan.realpath(base), scan.realpath(project_root)
    )
    if flat:
        return base / folder
    # Hatch runs in the project folder; the working directory it hashes is resolved.
    return base / project_folder / project_id(scan.realpath(project_root)) / folder


def default_env(project_root: Path, scan: Scan) -> ToolPick | None:
    """The env `hatch shell`/`hatch run` use: $HATCH_ENV, else `default`."""
    if not is_hatch_project(project_root, scan):
        return None
    chosen = scan.ctx.env("HATCH_ENV")
    name = chosen or "default"
    reason = f"hatch environment {name} (HATCH_ENV)" if chosen else "hatch default environment"
    return ToolPick(env_location(project_root, name, scan), reason, EnvKind.HATCH)


def _project_envs(scan: Scan) -> dict[Path, Path]:
    """Each env location Hatch would use for a known project -> that project (first wins)."""
    found: dict[Path, Path] = {}
    for root in scan.project_roots:
        if not is_hatch_project(root, scan):
            continue
        for name in declared_env_names(root, scan):
            found.setdefault(env_location(root, name, scan), root)
    return found


def find_custom_envs(scan: Scan) -> Iterator[Path]:
    """Known projects' Hatch envs outside the central tree (`path`, a relative dirs.env)."""
    roots = scan.once(central_roots)
    for location in scan.once(_project_envs):
        if not any(fs.is_within(location, root) for root in roots) and fs.is_dir(location):
            yield location


def find_central_envs(scan: Scan) -> Iterator[Path]:
    """Every `<project>/<id>/<venv>` folder under the central env folders."""
    for root in scan.once(central_roots):
        for project_dir in fs.subdirs(root):
            for id_dir in fs.subdirs(project_dir):
                yield from fs.subdirs(id_dir)


def _owners_by_id(scan: Scan) -> dict[str, Path]:
    """Each known project by its Hatch id, of the root as given and as resolved (first wins)."""
    owners: dict[str, Path] = {}
    for root in scan.project_roots:
        owners.setdefault(project_id(root), root)
        owners.setdefault(project_id(scan.realpath(root)), root)
    return owners


def hatch_tie(prefix: Path, cfg: PyvenvCfg | None, scan: Scan) -> Tie | None:
    """A location Hatch computes for a known project, or Hatch's central layout."""
    owner = scan.once(_project_envs).get(prefix)
    if owner is not None:
        return Tie(EnvKind.HATCH, project=owner)
    if len(prefix.parts) > 3 and prefix.parent.parent.parent in scan.once(central_roots):
        return Tie(EnvKind.HATCH, project=scan.once(_owners_by_id).get(prefix.parent.name))
    return None
