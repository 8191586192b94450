"""Environments inside workspace folders, found by a deliberately shallow scan.

A recursive search of a big monorepo took over a minute in other tools, so this
looks only at the folder itself, its conventional env folders, pixi envs, ONE
level of sub-folders, and the env folders of projects already found.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from envsense.core.discovery import fs
from envsense.core.discovery.hatch import find_custom_envs
from envsense.core.discovery.layout import prefix_interpreter
from envsense.core.discovery.pixi import pixi_envs_of
from envsense.core.discovery.scan import IN_PROJECT_NAMES, Scan


def looks_like_env(folder: Path, scan: Scan) -> bool:
    """Cheap test before identification: pyvenv.cfg, conda-meta/ or bin/python."""
    if fs.is_file(folder / "pyvenv.cfg") or fs.is_dir(folder / "conda-meta"):
        return True
    return prefix_interpreter(folder, scan.ctx.platform).executable is not None


def in_project_prefixes(folder: Path, scan: Scan) -> Iterator[Path]:
    """`<folder>/.venv`, venv, env, .virtualenv, .conda and `.pixi/envs/*` that exist."""
    listing = fs.read_listing(folder)
    for name in IN_PROJECT_NAMES:
        if listing.is_dir(name) and looks_like_env(folder / name, scan):
            yield folder / name
    if listing.is_dir(".pixi"):
        yield from pixi_envs_of(folder)


def workspace_prefixes(scan: Scan) -> Iterator[Path]:
    """Candidate env folders in every workspace folder and in every known project."""
    looked_into: set[Path] = set()
    for folder in scan.ctx.workspace_folders:
        if looks_like_env(folder, scan):
            yield folder
            continue  # the workspace IS an environment; nothing inside is another one
        yield from in_project_prefixes(folder, scan)
        looked_into.add(folder)
        for sub in fs.subdirs(folder):
            if sub.name in fs.SKIP_DIRS or sub.name in IN_PROJECT_NAMES:
                continue
            if looks_like_env(sub, scan):
                yield sub
    for root in scan.project_roots:
        if root not in looked_into:  # a workspace folder is usually a project too
            yield from in_project_prefixes(root, scan)
    yield from find_custom_envs(scan)
