"""What a lock file says: its packages, how they depend on each other, where each entry is.

Every reader (uv.lock, poetry.lock, pdm.lock, Pipfile.lock, pylock.toml, pinned
requirements) returns the same LockFile record; what each format can't say is empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from envsense.core.declarations.records import ManifestProblem
from envsense.core.findings import Span

LockFormat = Literal["uv", "poetry", "pdm", "pipfile", "pylock", "requirements"]
SourceKind = Literal[
    "registry", "url", "git", "path", "directory", "editable", "virtual", "unknown"
]
# Sources that are the project (or a workspace member) itself: never a version to compare.
LOCAL_PROJECT_KINDS: frozenset[str] = frozenset({"editable", "virtual", "directory"})

MarkerEnvironment = dict[str, str]


def parse_marker(text: object) -> Marker | None:
    """A marker from lock text; an empty or invalid one is None (counts as always true)."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        return Marker(text)
    except InvalidMarker:
        return None


def marker_holds(
    marker: Marker | None,
    environment: MarkerEnvironment,
    *,
    extras: frozenset[str] = frozenset(),
    groups: frozenset[str] = frozenset(),
) -> bool:
    """Whether `marker` holds on the target; a marker that can't be evaluated applies."""
    if marker is None:
        return True
    try:
        if "extras" in str(marker) or "dependency_groups" in str(marker):
            # PEP 751 markers test the sets of requested extras and groups.
            lock_env: dict[str, str | frozenset[str]] = {
                **environment,
                "extras": extras,
                "dependency_groups": groups,
            }
            return marker.evaluate(lock_env, context="lock_file")
        return marker.evaluate({"extra": "", **environment})
    except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName, ValueError, TypeError):
        return True


@dataclass(frozen=True, slots=True)
class LockedEdge:
    """A dependency of a locked package (or of the project) on another locked package."""

    name: str  # canonical
    marker: Marker | None = None
    extras: tuple[str, ...] = ()
    # Locks with several versions of one name (uv's forks) say which one is meant.
    version: str | None = None
    # poetry: only installed when the parent's extra asks for it.
    optional: bool = False


@dataclass(frozen=True, slots=True)
class LockedSource:
    """Where the lock says the package comes from (a registry URL, a git URL, a path)."""

    kind: SourceKind
    location: str | None = None


@dataclass(frozen=True, slots=True)
class DeclaredInLock:
    """What the lock recorded as the project's own requirement (uv's requires-dist)."""

    name: str  # canonical
    specifier: SpecifierSet
    group: str  # "main", "optional:<extra>" or the dependency group's name


@dataclass(frozen=True, slots=True)
class LockedPackage:
    """One package entry; `span` covers its name (and version) lines in the lock file."""

    name: str
    version: str | None
    span: Span
    dependencies: tuple[LockedEdge, ...] = ()
    # extra name -> edges (uv optional-dependencies, poetry extras, pdm extras)
    extras: tuple[tuple[str, tuple[LockedEdge, ...]], ...] = ()
    # dependency group -> edges (uv dev-dependencies)
    groups: tuple[tuple[str, tuple[LockedEdge, ...]], ...] = ()
    # The entry's own marker (poetry `markers`, pdm `marker`, Pipfile.lock `markers`, ...).
    marker: Marker | None = None
    # poetry: {group: marker}; a package applies when one of its installed groups' marker holds.
    group_markers: tuple[tuple[str, Marker | None], ...] = ()
    # Groups the entry belongs to (poetry groups/category, pdm groups, Pipfile section).
    member_of: tuple[str, ...] | None = None
    # poetry `optional = true`: installed only when an extra of the project asks for it.
    optional: bool = False
    source: LockedSource | None = None
    # pdm writes one entry per (name, extras) combination.
    entry_extras: tuple[str, ...] = ()
    # uv: what the project declared when the lock was written (only on root packages).
    requires: tuple[DeclaredInLock, ...] | None = None
    canonical: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.canonical:
            object.__setattr__(self, "canonical", canonicalize_name(self.name))

    @property
    def is_local_project(self) -> bool:
        return self.source is not None and self.source.kind in LOCAL_PROJECT_KINDS

    def extra_edges(self, extra: str) -> tuple[LockedEdge, ...]:
        wanted = canonicalize_name(extra)
        return tuple(
            e for name, edges in self.extras if canonicalize_name(name) == wanted for e in edges
        )

    def group_edges(self, group: str) -> tuple[LockedEdge, ...]:
        wanted = canonicalize_name(group)
        return tuple(
            e for name, edges in self.groups if canonicalize_name(name) == wanted for e in edges
        )


@dataclass(frozen=True, slots=True)
class LockFile:
    """A lock file as read; `problem` is set (and `packages` empty) when it can't be read."""

    path: Path
    format: LockFormat
    # Who wrote it, for messages and for the sync command ("uv", "poetry", "pip-compile", ...).
    tool: str
    packages: tuple[LockedPackage, ...] = ()
    problem: ManifestProblem | None = None
    # poetry/pdm: the hash of the manifest content the lock was made from.
    content_hash: str | None = None
    # uv workspaces: the member projects' names ([manifest] members).
    members: tuple[str, ...] = ()
    # pylock.toml: default-groups; the groups a plain install selects.
    default_groups: tuple[str, ...] = ()
    # Indexes the lock names for all packages (Pipfile.lock _meta.sources, pylock index).
    indexes: tuple[str, ...] = ()
    # The version of the tool that wrote it, when the file says (poetry's header).
    tool_version: str | None = None

    def named(self, canonical: str) -> list[LockedPackage]:
        return [p for p in self.packages if p.canonical == canonical]

    def names(self) -> frozenset[str]:
        return frozenset(p.canonical for p in self.packages)
