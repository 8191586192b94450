"""pixi: conda-layout envs under `<project>/.pixi/envs/*`, marked by `conda-meta/pixi`.

Checked before conda, since a pixi env is otherwise indistinguishable from one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from envsense.core.discovery import fs
from envsense.core.discovery.conda import conda_environment
from envsense.core.discovery.scan import Scan, ToolPick
from envsense.core.discovery.tomlfiles import table
from envsense.core.environment import Environment, EnvKind


def is_pixi_env(prefix: Path) -> bool:
    return fs.is_dir(prefix / "conda-meta") and fs.lexists(prefix / "conda-meta" / "pixi")


def pixi_envs_of(folder: Path) -> Iterator[Path]:
    """The pixi envs of the project at `folder`."""
    yield from (env for env in fs.subdirs(folder / ".pixi" / "envs") if is_pixi_env(env))


def pixi_environment(prefix: Path, scan: Scan) -> Environment:
    return conda_environment(prefix, scan, kind=EnvKind.PIXI)


def default_env(project_root: Path, scan: Scan) -> ToolPick | None:
    """`.pixi/envs/default` of a pixi project (pixi.toml or `[tool.pixi]` in pyproject.toml)."""
    is_pixi = fs.is_file(project_root / "pixi.toml") or bool(
        table(scan.toml(project_root / "pyproject.toml"), "tool", "pixi")
    )
    if not is_pixi:
        return None
    return ToolPick(
        project_root / ".pixi" / "envs" / "default", "pixi default environment", EnvKind.PIXI
    )
