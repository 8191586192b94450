"""What one discovery pass knows besides the machine: the projects it may tie environments to.

A pass asks the same questions many times (every candidate environment is checked
against every project's TOML and tool hashes), so the `Scan` remembers answers for
as long as it lives. A new pass makes a new `Scan` and reads the disk afresh, so
nothing it remembers can go stale between passes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from envsense.core.discovery.context import DiscoveryContext
from envsense.core.discovery.fs import RealpathCache
from envsense.core.discovery.tomlfiles import read_toml
from envsense.core.environment import Environment, EnvKind

# Folder names of environments kept inside a project, closest-to-conventional first.
IN_PROJECT_NAMES = (".venv", "venv", "env", ".virtualenv", ".conda")

_T = TypeVar("_T")


class ScanMemo:
    """Answers remembered for one pass: parsed TOML files and per-project indexes."""

    __slots__ = ("_tomls", "_built", "classified", "realpath")

    def __init__(self) -> None:
        self._tomls: dict[Path, dict[str, Any]] = {}
        self._built: dict[Callable[..., object], object] = {}
        self.realpath = RealpathCache()
        # Several sources reach the same prefix (a project's .venv is both in a workspace
        # folder and in a project; /usr holds python, python3 and python3.X).
        self.classified: dict[Path, Environment | None] = {}

    def toml(self, path: Path) -> dict[str, Any]:
        """`read_toml(path)`, read once per pass; callers must not modify the result."""
        found = self._tomls.get(path)
        if found is None:
            found = self._tomls[path] = read_toml(path)
        return found

    def built(self, build: Callable[[Scan], _T], scan: Scan) -> _T:
        """`build(scan)`, computed on first use; `build` itself is the key."""
        if build not in self._built:
            self._built[build] = build(scan)
        return cast(_T, self._built[build])


@dataclass(frozen=True, slots=True)
class Scan:
    """A context plus the project roots of its workspace folders (for tool hashes)."""

    ctx: DiscoveryContext
    project_roots: tuple[Path, ...] = ()
    memo: ScanMemo = field(default_factory=ScanMemo, compare=False, repr=False)

    def toml(self, path: Path) -> dict[str, Any]:
        """A TOML file parsed at most once per pass ({} when missing or malformed)."""
        return self.memo.toml(path)

    def realpath(self, path: Path) -> Path:
        """`fs.realpath(path)`, with the folders it goes through resolved once per pass."""
        return self.memo.realpath(path)

    def once(self, build: Callable[[Scan], _T]) -> _T:
        """What `build` derives from this pass (an index of the projects, say), built once."""
        return self.memo.built(build, self)


@dataclass(frozen=True, slots=True)
class Tie:
    """A locator's verdict on a virtual environment: its kind and what it belongs to."""

    kind: EnvKind
    project: Path | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class ToolPick:
    """The environment a project's own tool says it uses, and that rule in the tool's words.

    `path` is the env's folder or its interpreter (pdm's `.pdm-python` names the
    interpreter). `kind` is the kind the tool gives the env, when the layout alone
    would not tell (hatch's `path = ".venv"`).
    """

    path: Path
    reason: str
    kind: EnvKind | None = None


def in_project_holder(prefix: Path) -> Path | None:
    """The project folder of an in-project environment (`<project>/.venv`), else None."""
    return prefix.parent if prefix.name in IN_PROJECT_NAMES else None
