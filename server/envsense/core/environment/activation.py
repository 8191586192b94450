"""What activating an environment does to a shell: the variables a terminal needs.

Computed from the Environment record alone (no activate script is run), so any editor can
apply it: VS Code through its environmentVariableCollection, Neovim through `vim.env`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from envsense.core.environment import Environment, EnvKind, bin_dir_name

# conda-like environments are activated by CONDA_PREFIX, not VIRTUAL_ENV.
_CONDA_KINDS = frozenset({EnvKind.CONDA, EnvKind.PIXI})


@dataclass(frozen=True, slots=True)
class Activation:
    """`path` entries go in front of PATH, `set` is exported, `unset` is removed."""

    path: tuple[str, ...]
    set: tuple[tuple[str, str], ...]
    unset: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        """{"pathPrepend": [...], "set": {...}, "unset": [...]} for the LSP answer."""
        return {"pathPrepend": list(self.path), "set": dict(self.set), "unset": list(self.unset)}


def activation_for(env: Environment, platform: str = sys.platform) -> Activation | None:
    """The variables of an activated `env`; None when it can't be used."""
    if not env.is_usable or env.executable is None:
        return None
    windows = platform == "win32"
    if env.kind in _CONDA_KINDS and env.prefix is not None:
        prefix = env.prefix
        if windows:
            dirs = [prefix, prefix / "Library" / "bin", prefix / "Scripts"]
        else:
            dirs = [prefix / "bin"]
        name = prefix.name if prefix.parent.name == "envs" else "base"
        if env.kind is EnvKind.PIXI:
            name = env.display_name
        variables = (("CONDA_PREFIX", str(prefix)), ("CONDA_DEFAULT_ENV", name))
        return Activation(_strings(dirs), variables, ("PYTHONHOME",))
    if env.kind.is_virtual and env.prefix is not None:
        bin_dir = env.prefix / bin_dir_name(platform)
        return Activation(
            (str(bin_dir),), (("VIRTUAL_ENV", str(env.prefix)),), ("PYTHONHOME", "CONDA_PREFIX")
        )
    # A base interpreter (pyenv, system, ...): its folder first on PATH is all activation is.
    return Activation(
        (str(env.executable.parent),), (), ("PYTHONHOME", "VIRTUAL_ENV", "CONDA_PREFIX")
    )


def _strings(paths: list[Path]) -> tuple[str, ...]:
    return tuple(str(p) for p in paths)
