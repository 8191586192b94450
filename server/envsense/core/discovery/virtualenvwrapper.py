"""virtualenvwrapper: envs in $WORKON_HOME (default ~/.virtualenvs), project in `.project`."""

from __future__ import annotations

from pathlib import Path

from envsense.core.discovery.pipenv import project_file_target
from envsense.core.discovery.pyvenv import PyvenvCfg
from envsense.core.discovery.scan import Scan, Tie
from envsense.core.environment import EnvKind


def workon_home(scan: Scan) -> Path:
    ctx = scan.ctx
    default = ctx.home / ("Envs" if ctx.is_windows else ".virtualenvs")
    return ctx.env_path("WORKON_HOME") or default


def virtualenvwrapper_tie(prefix: Path, cfg: PyvenvCfg | None, scan: Scan) -> Tie | None:
    if prefix.parent != scan.once(workon_home):
        return None
    return Tie(EnvKind.VIRTUALENVWRAPPER, project=project_file_target(prefix, scan))
