"""Each project's own tool's answer to "which environment is mine", read from the tool's files.

Nothing is run: Poetry's envs.toml, PDM's .pdm-python, Hatch's config, Pipenv's
naming, uv's workspace root, pyenv's version files, conda's environment.yml and
pixi's manifest say it. Selection matches these answers against the environments
discovery found; discovery also lists them, so an env in an unusual place is found.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from envsense.core.discovery import conda, fs, hatch, pdm, pipenv, pixi, poetry, pyenv, uv
from envsense.core.discovery.context import DiscoveryContext
from envsense.core.discovery.layout import prefix_of_executable
from envsense.core.discovery.scan import Scan, ToolPick

_log = logging.getLogger(__name__)

# Most explicit first: a file naming the interpreter, then a recorded choice, then layouts.
_MANAGERS: tuple[Callable[[Path, Scan], ToolPick | None], ...] = (
    pdm.saved_python,
    poetry.active_env,
    uv.project_env,
    hatch.default_env,
    pipenv.project_env,
    pixi.default_env,
    conda.environment_file_env,
)


@dataclass(frozen=True, slots=True)
class VersionRequest:
    """A `.python-version` naming a version no pyenv install answers (uv reads `3.12` so)."""

    text: str
    file: Path


@dataclass(frozen=True, slots=True)
class ProjectRules:
    """What the project's tools say, in the order selection consults them."""

    managers: tuple[ToolPick, ...] = ()
    pyenv: tuple[ToolPick, ...] = ()
    pyenv_global: ToolPick | None = None
    version_request: VersionRequest | None = None
    errors: tuple[str, ...] = field(default=(), compare=False)


def manager_picks(project_root: Path, scan: Scan) -> list[ToolPick]:
    """Each manager's pick for the project, most explicit first; a failing rule is skipped."""
    picks: list[ToolPick] = []
    for rule in _MANAGERS:
        try:
            pick = rule(project_root, scan)
        except Exception:  # one tool's odd config must not cost the others
            _log.exception("reading %s's choice for %s failed", rule.__module__, project_root)
            continue
        if pick is not None:
            picks.append(pick)
    return picks


def project_rules(project_root: Path, ctx: DiscoveryContext) -> ProjectRules:
    """The managers' picks, pyenv's version and the `.python-version` request for a project."""
    scan = Scan(ctx, (project_root,))
    managers = manager_picks(project_root, scan)
    try:
        local, global_pick = pyenv.pyenv_picks(project_root, scan)
    except Exception:
        _log.exception("reading pyenv's version for %s failed", project_root)
        local, global_pick = [], None
    request = None
    version_file = pyenv.local_version_file(project_root, scan)
    if version_file is not None:
        names = pyenv.version_file_names(version_file)
        if names:
            request = VersionRequest(names[0], version_file)
    return ProjectRules(tuple(managers), tuple(local), global_pick, request)


def pick_prefix(pick: ToolPick, platform: str) -> Path:
    """The env folder of a pick: the folder itself, or the one above an interpreter's bin/."""
    if fs.is_dir(pick.path):
        return pick.path
    return prefix_of_executable(pick.path, platform)


def tool_prefixes(scan: Scan) -> Iterator[Path]:
    """The env folders the managers pick for every known project, where they exist."""
    for root in scan.project_roots:
        for pick in manager_picks(root, scan):
            prefix = pick_prefix(pick, scan.ctx.platform)
            if fs.is_dir(prefix):
                yield prefix
