"""The environment active when the server started (VIRTUAL_ENV, CONDA_PREFIX).

An editor started from an activated shell inherits these; selection prefers that
environment over guessing, as people expect from `code .` in an activated shell.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from envsense.core.discovery import fs
from envsense.core.discovery.conda import is_install
from envsense.core.discovery.context import DiscoveryContext
from envsense.core.environment import Environment


def active_prefixes(ctx: DiscoveryContext) -> list[Path]:
    """VIRTUAL_ENV first, then CONDA_PREFIX unless it is a conda base.

    conda activates `base` in every new shell by default, so base being active says
    nothing about what the user wants for this project.
    """
    found: list[Path] = []
    virtual_env = ctx.env_path("VIRTUAL_ENV")
    if virtual_env is not None:
        found.append(virtual_env)
    conda_prefix = ctx.env_path("CONDA_PREFIX")
    if conda_prefix is not None and ctx.env("CONDA_DEFAULT_ENV") != "base":
        if not is_install(conda_prefix):
            found.append(conda_prefix)
    return found


def active_variable(ctx: DiscoveryContext, env: Environment) -> str | None:
    """Which variable made `env` active: "VIRTUAL_ENV" or "CONDA_PREFIX"."""
    for variable in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        value = ctx.env_path(variable)
        if value is not None and env.prefix is not None and _same(value, env.prefix):
            return variable
    return None


def active_environment(ctx: DiscoveryContext, envs: Sequence[Environment]) -> Environment | None:
    """The discovered environment that was active at launch, if any."""
    for prefix in active_prefixes(ctx):
        for env in envs:
            if env.prefix is not None and _same(env.prefix, prefix):
                return env
    return None


def _same(left: Path, right: Path) -> bool:
    return left == right or fs.realpath(left) == fs.realpath(right)
