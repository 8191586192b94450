"""pyenv and pyenv-virtualenv: `$PYENV_ROOT/versions/*`, never the shims."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from envsense.core.discovery import fs, ondisk
from envsense.core.discovery.conda import is_conda_env
from envsense.core.discovery.layout import prefix_interpreter
from envsense.core.discovery.pyvenv import has_pyvenv_cfg
from envsense.core.discovery.scan import Scan, Tie
from envsense.core.discovery.virtual import build_virtual
from envsense.core.environment import Environment, EnvKind


def pyenv_root(scan: Scan) -> Path:
    ctx = scan.ctx
    explicit = ctx.env_path("PYENV_ROOT")
    if explicit is not None:
        return explicit
    if ctx.is_windows:
        return ctx.env_path("PYENV") or ctx.home / ".pyenv" / "pyenv-win"
    return ctx.home / ".pyenv"


def find_pyenv_prefixes(scan: Scan) -> Iterator[Path]:
    """Each installed version and each pyenv-virtualenv env (versions/X/envs/NAME)."""
    for version in fs.subdirs(pyenv_root(scan) / "versions"):
        yield version
        yield from fs.subdirs(version / "envs")


def pyenv_kind(prefix: Path, scan: Scan) -> EnvKind | None:
    """PYENV for an install, PYENV_VIRTUALENV for a venv; conda installs go to conda."""
    versions = scan.once(pyenv_root) / "versions"
    direct = prefix.parent == versions
    nested = prefix.parent.name == "envs" and prefix.parent.parent.parent == versions
    if not (direct or nested) or is_conda_env(prefix):
        return None
    if nested or has_pyvenv_cfg(prefix):
        return EnvKind.PYENV_VIRTUALENV
    return EnvKind.PYENV


def pyenv_environment(prefix: Path, kind: EnvKind, scan: Scan) -> Environment:
    if kind is EnvKind.PYENV_VIRTUALENV:
        return build_virtual(prefix, scan, Tie(kind, name=prefix.name))
    interpreter = prefix_interpreter(prefix, scan.ctx.platform, root_too=scan.ctx.is_windows)
    version = ondisk.from_install(prefix) or ondisk.from_folder_name(prefix.name)
    return Environment(
        kind=kind,
        prefix=prefix,
        executable=interpreter.executable,
        version=version,
        name=prefix.name,
        error=interpreter.error,
    )


def is_shim_dir(folder: Path) -> bool:
    """pyenv, asdf and mise shims are scripts that pick a Python; never list or run them."""
    return folder.name == "shims" or "shims" in folder.parts
