"""Which package manager owns a project, and what "install the project" would install.

Read from the project's files only (lock files and pyproject tables); deciding whether
the manager is usable (on PATH) is the planner's job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from envsense.core.toml_compat import TOMLDecodeError, load_toml

log = logging.getLogger(__name__)


class Manager(str, Enum):
    """Managers whose own command keeps their lock file consistent; value = executable name."""

    UV = "uv"
    POETRY = "poetry"
    PDM = "pdm"
    PIPENV = "pipenv"


@dataclass(frozen=True, slots=True)
class ProjectLayout:
    """`dependencies` is [project].dependencies when that table exists (None otherwise)."""

    root: Path
    manager: Manager | None
    # [project] plus [build-system]: installable as `-e <root>`.
    buildable: bool
    dependencies: tuple[str, ...] | None
    error: str | None = None


def read_project_layout(root: Path) -> ProjectLayout:
    """Inspect `root`; a malformed pyproject.toml is reported in `error`, never raised."""
    data: dict[str, Any] = {}
    error = None
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = load_toml(pyproject)
        except (OSError, UnicodeDecodeError, TOMLDecodeError) as exc:
            error = f"{pyproject}: {exc}"
            log.info("cannot read %s", error)
    project = data.get("project")
    tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
    assert isinstance(tool, dict)
    deps: tuple[str, ...] | None = None
    if isinstance(project, dict):
        raw = project.get("dependencies", [])
        deps = tuple(d for d in raw if isinstance(d, str)) if isinstance(raw, list) else ()
    return ProjectLayout(
        root=root,
        manager=_manager(root, tool),
        buildable=isinstance(project, dict) and isinstance(data.get("build-system"), dict),
        dependencies=deps,
        error=error,
    )


def _manager(root: Path, tool: dict[str, Any]) -> Manager | None:
    if (root / "uv.lock").is_file():
        return Manager.UV
    if (root / "poetry.lock").is_file() or "poetry" in tool:
        return Manager.POETRY
    if (root / "pdm.lock").is_file() or "pdm" in tool:
        return Manager.PDM
    if (root / "Pipfile").is_file():
        return Manager.PIPENV
    return None
