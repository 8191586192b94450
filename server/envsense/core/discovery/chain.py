"""Identification: which kind a prefix or an executable is, first match wins (PET's order).

Windows kinds, pyenv, pixi (before conda: a pixi env is a conda env with a marker),
conda, uv-managed CPython, then the virtual-env group in the order hatch (only the
exact folders Hatch computes), uv, poetry, pipenv, pdm, virtualenvwrapper,
venv/virtualenv, where each later kind is a superset of the ones after it. Homebrew and global interpreters come last.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from envsense.core.discovery import fs, homebrew, system, uv, windows
from envsense.core.discovery.conda import conda_environment, is_conda_env
from envsense.core.discovery.hatch import hatch_tie
from envsense.core.discovery.layout import prefix_of_executable
from envsense.core.discovery.pdm import pdm_tie
from envsense.core.discovery.pipenv import pipenv_tie
from envsense.core.discovery.pixi import is_pixi_env, pixi_environment
from envsense.core.discovery.poetry import poetry_tie
from envsense.core.discovery.pyenv import is_shim_dir, pyenv_environment, pyenv_kind
from envsense.core.discovery.pyvenv import PyvenvCfg, read_pyvenv_cfg
from envsense.core.discovery.scan import Scan, Tie
from envsense.core.discovery.virtual import build_virtual, looks_virtual, venv_tie
from envsense.core.discovery.virtualenvwrapper import virtualenvwrapper_tie
from envsense.core.environment import Environment, EnvKind

# Hatch first: a folder Hatch computes for a project (its `path = ".venv"`, say) is
# Hatch's whatever wrote its pyvenv.cfg (Hatch may create envs with uv).
_VIRTUAL_CHAIN: tuple[Callable[[Path, PyvenvCfg | None, Scan], Tie | None], ...] = (
    hatch_tie,
    uv.uv_tie,
    poetry_tie,
    pipenv_tie,
    pdm_tie,
    virtualenvwrapper_tie,
)


def classify_prefix(prefix: Path, scan: Scan) -> Environment | None:
    """The environment rooted at `prefix`, or None when the folder is not one."""
    known = scan.memo.classified
    if prefix not in known:
        known[prefix] = _classify_prefix(prefix, scan)
    return known[prefix]


def _classify_prefix(prefix: Path, scan: Scan) -> Environment | None:
    kind = pyenv_kind(prefix, scan)
    if kind is not None:
        return pyenv_environment(prefix, kind, scan)
    if is_pixi_env(prefix):
        return pixi_environment(prefix, scan)
    if is_conda_env(prefix):
        return conda_environment(prefix, scan)
    if uv.is_managed_python(prefix, scan):
        return uv.managed_python(prefix, scan)
    if not looks_virtual(prefix, scan):
        return None
    cfg = read_pyvenv_cfg(prefix)
    for locator in _VIRTUAL_CHAIN:
        tie = locator(prefix, cfg, scan)
        if tie is not None:
            return build_virtual(prefix, scan, tie, cfg)
    return build_virtual(prefix, scan, venv_tie(prefix, cfg), cfg)


def classify_executable(executable: Path, scan: Scan) -> Environment | None:
    """The environment an interpreter path belongs to; None for shims (never listed)."""
    if is_shim_dir(executable.parent):
        return None
    for prefix in _prefix_candidates(executable, scan):
        env = classify_prefix(prefix, scan)
        if env is not None:
            return env
    if windows.is_store_executable(executable, scan):
        return None  # app aliases: the Store packages are listed from their own folder
    return homebrew.homebrew_environment(executable) or system.system_environment(executable, scan)


def _prefix_candidates(executable: Path, scan: Scan) -> list[Path]:
    """The folder above bin/ for the path as given and as resolved, when they differ.

    The resolved one matters for pyenv's `versions/X/bin/python3` reached through a
    link, but a venv's python resolves to its base install, so the path as given wins.
    """
    platform = scan.ctx.platform
    given = prefix_of_executable(executable, platform)
    candidates = [given]
    resolved = fs.realpath(executable)
    if resolved != executable:
        resolved_prefix = prefix_of_executable(resolved, platform)
        if resolved_prefix not in candidates:
            candidates.append(resolved_prefix)
    return candidates


def is_base_kind(env: Environment) -> bool:
    """Global interpreters are deduplicated by executable: several share one prefix (/usr)."""
    return env.kind in (EnvKind.SYSTEM, EnvKind.HOMEBREW, EnvKind.WINDOWS_STORE)
