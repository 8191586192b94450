"""Folders whose children are environments: tool-managed and conventional global venv homes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from envsense.core.discovery import fs, pdm, pipenv, poetry
from envsense.core.discovery.scan import Scan
from envsense.core.discovery.virtualenvwrapper import workon_home


def env_parent_dirs(scan: Scan) -> list[Path]:
    """Poetry's, Pipenv's, virtualenvwrapper's and PDM's homes, then ~/.venvs-style folders."""
    ctx = scan.ctx
    folders = poetry.virtualenvs_dirs(scan) + pipenv.central_dirs(scan)
    folders += [workon_home(scan), pdm.venvs_dir(scan)]
    folders += [ctx.home / name for name in ("envs", ".direnv", ".venvs", ".virtualenvs")]
    folders.append(ctx.home / ".local" / "share" / "virtualenvs")
    if ctx.platform.startswith("linux"):
        folders.append(ctx.home / "Envs")
    return list(dict.fromkeys(folders))


def global_prefixes(scan: Scan) -> Iterator[Path]:
    """Each sub-folder of those homes (identification decides whether it is an env)."""
    for folder in env_parent_dirs(scan):
        yield from fs.subdirs(folder)
