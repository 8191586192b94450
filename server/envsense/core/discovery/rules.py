"""Each project's own tool's answer to "which environment is mine", read from the tool's files.

Nothing is run: Poetry's envs.toml, PDM's .pdm-python, Hatch's config, Pipenv's
naming, uv's workspace root, pyenv's version files, conda's environment.yml and
pixi's manifest say it. Selection matches these answers against the environments
discovery found; discovery also lists them, so an env in an unusual place is found.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from envsense.core.discovery import conda, fs, hatch, pdm, pipenv, pixi, poetry, pyenv, uv
from envsense.core.discovery.context import DiscoveryContext
from envsense.core.discovery.layout import prefix_of_executable
from envsense.core.discovery.scan import Scan, ToolPick

_log = logging.getLogger(__name__)

# Files in a project where its tools record their choice: a change re-runs the selection.
CHOICE_FILES = frozenset(
    {
        ".pdm-python",
        ".python-version",
        "poetry.toml",
        "hatch.toml",
        "pixi.toml",
        "environment.yml",
        "environment.yaml",
        "Pipfile",
        "pyproject.toml",
        "uv.lock",
        ".venv",
    }
)

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


def manager_picks(project_root: Path, scan: Scan) -> list[ToolPick]:
    """Each manager's pick for the project, most explicit first; a failing rule is skipped."""
    # One tool's odd config must not cost the others: each rule is guarded.
    picks = [_guarded_rule(rule, project_root, scan) for rule in _MANAGERS]
    return [pick for pick in picks if pick is not None]


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


def _outside_usual_places(project_root: Path, scan: Scan) -> list[ToolPick]:
    """Picks that may name an env no other source looks at: PDM's saved interpreter,
    UV_PROJECT_ENVIRONMENT, a Pipenv `.venv` file, environment.yml `prefix:`.

    The others (in-project `.venv`, the managers' central folders, Hatch's computed
    folders) are listed by the regular sources already; skipping them keeps a pass fast.
    A path read from a file in the project is followed only inside the project: an
    untrusted checkout must not steer discovery (and the version probe) to an
    interpreter elsewhere. UV_PROJECT_ENVIRONMENT is the user's own setting.
    """
    picks: list[ToolPick] = []
    from_files = (pdm.saved_python, conda.environment_file_env, pipenv.project_env)
    for rule in from_files:
        if rule is pipenv.project_env and not scan.has_file(project_root, ".venv"):
            continue
        pick = _guarded_rule(rule, project_root, scan)
        if pick is not None and fs.is_within(pick_prefix(pick, scan.ctx.platform), project_root):
            picks.append(pick)
    if scan.ctx.env("UV_PROJECT_ENVIRONMENT"):
        pick = _guarded_rule(uv.project_env, project_root, scan)
        if pick is not None:
            picks.append(pick)
    return picks


def _guarded_rule(
    rule: Callable[[Path, Scan], ToolPick | None], project_root: Path, scan: Scan
) -> ToolPick | None:
    try:
        return rule(project_root, scan)
    except Exception:
        _log.exception("reading %s's choice for %s failed", rule.__module__, project_root)
        return None


def tool_prefixes(scan: Scan) -> Iterator[Path]:
    """The env folders the managers pick for every known project, where they exist."""
    for root in scan.project_roots:
        for pick in _outside_usual_places(root, scan):
            prefix = pick_prefix(pick, scan.ctx.platform)
            if fs.is_dir(prefix):
                yield prefix
