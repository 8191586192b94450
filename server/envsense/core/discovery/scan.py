"""What one discovery pass knows besides the machine: the projects it may tie environments to."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from envsense.core.discovery.context import DiscoveryContext
from envsense.core.environment import EnvKind

# Folder names of environments kept inside a project, closest-to-conventional first.
IN_PROJECT_NAMES = (".venv", "venv", "env", ".virtualenv", ".conda")


@dataclass(frozen=True, slots=True)
class Scan:
    """A context plus the project roots of its workspace folders (for tool hashes)."""

    ctx: DiscoveryContext
    project_roots: tuple[Path, ...] = ()


@dataclass(frozen=True, slots=True)
class Tie:
    """A locator's verdict on a virtual environment: its kind and what it belongs to."""

    kind: EnvKind
    project: Path | None = None
    name: str | None = None


def in_project_holder(prefix: Path) -> Path | None:
    """The project folder of an in-project environment (`<project>/.venv`), else None."""
    return prefix.parent if prefix.name in IN_PROJECT_NAMES else None
