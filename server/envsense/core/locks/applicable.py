"""Which locked packages this environment should have: a walk of the lock's graph.

The walk starts where the manager's plain sync starts (the project and its default
groups), follows dependencies whose markers hold for the environment's Python and
platform, and keeps only entries the format itself marks as installed by default.
Flat formats (Pipfile.lock, pylock.toml, pinned requirements) carry a marker per entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from packaging.utils import canonicalize_name

from envsense.core.locks.project_config import ProjectConfig
from envsense.core.locks.records import (
    LockedEdge,
    LockedPackage,
    LockFile,
    MarkerEnvironment,
    marker_holds,
)


@dataclass(frozen=True, slots=True)
class Expectation:
    """The packages the lock wants installed here, and the project's own entries."""

    packages: tuple[LockedPackage, ...]
    # Canonical names of the project and workspace members (local, never compared).
    own: frozenset[str]


def expected_packages(
    lock: LockFile, environment: MarkerEnvironment, config: ProjectConfig
) -> Expectation:
    """The entries of `lock` that apply to an environment with these marker values."""
    if lock.format == "uv":
        return _uv(lock, environment, config)
    if lock.format in ("poetry", "pdm"):
        return _grouped(lock, environment, config)
    groups = frozenset(lock.default_groups)
    flat = [
        p
        for p in lock.packages
        if (lock.format != "pipfile" or p.member_of == ("default",))
        and marker_holds(p.marker, environment, groups=groups)
    ]
    return Expectation(tuple(flat), frozenset())


def _uv(lock: LockFile, environment: MarkerEnvironment, config: ProjectConfig) -> Expectation:
    index = _index(lock.packages)
    roots: list[LockedPackage] = []
    if config.name and any(p.is_local_project for p in index.get(config.name, [])):
        roots = [p for p in index[config.name] if p.is_local_project]
    elif lock.members:
        roots = [p for name in lock.members for p in index.get(name, []) if p.is_local_project]
    else:
        roots = [p for p in lock.packages if p.is_local_project and p.source
                 and p.source.location in (".", "")]  # fmt: skip
    start: list[LockedEdge] = []
    for root in roots:
        start.append(LockedEdge(root.canonical, version=root.version))
        groups = config.uv_default_groups
        for name, edges in root.groups:
            if groups is None or canonicalize_name(name) in groups:
                start.extend(edges)
    reached = _walk(index, start, environment)
    own = frozenset(p.canonical for p in lock.packages if p.is_local_project)
    return Expectation(tuple(p for p in lock.packages if id(p) in reached), own)


def _grouped(lock: LockFile, environment: MarkerEnvironment, config: ProjectConfig) -> Expectation:
    """poetry and pdm: entries of installed groups whose markers hold, reached from the roots."""
    if lock.format == "poetry":

        def installed(group: str) -> bool:
            return group not in config.poetry_optional_groups

    else:
        wanted = {"default", *config.dev_groups}

        def installed(group: str) -> bool:
            return group in wanted

    index = _index(lock.packages)
    start = [edge for edge in config.roots if edge.name in index]
    # Without roots in the lock (an empty manifest), the entries' own flags decide alone.
    reached = _walk(index, start, environment) if start else None

    def applies(package: LockedPackage) -> bool:
        if reached is not None and id(package) not in reached:
            return False
        if package.optional and reached is None:
            return False  # only an extra brings it, and the walk is what follows extras
        if package.group_markers:
            return any(
                installed(g) and marker_holds(m, environment) for g, m in package.group_markers
            )
        if package.member_of is not None and not any(installed(g) for g in package.member_of):
            return False
        return marker_holds(package.marker, environment)

    candidates = [p for p in lock.packages if applies(p)]
    own = frozenset({config.name} if config.name else ())
    return Expectation(tuple(p for p in candidates if p.canonical not in own), own)


def _index(packages: Iterable[LockedPackage]) -> dict[str, list[LockedPackage]]:
    index: dict[str, list[LockedPackage]] = {}
    for package in packages:
        index.setdefault(package.canonical, []).append(package)
    return index


def _walk(
    index: dict[str, list[LockedPackage]],
    start: list[LockedEdge],
    environment: MarkerEnvironment,
) -> set[int]:
    """ids of the entries reachable from `start` through edges whose markers hold."""
    reached: set[int] = set()
    seen: set[tuple[int, tuple[str, ...]]] = set()
    queue = list(start)
    while queue:
        edge = queue.pop()
        if not marker_holds(edge.marker, environment):
            continue
        for package in _targets(index.get(edge.name, ()), edge, environment):
            key = (id(package), edge.extras)
            if key in seen:
                continue
            seen.add(key)
            reached.add(id(package))
            requested: set[str] = set()
            for extra in edge.extras:
                extra_edges = package.extra_edges(extra)
                requested.update(e.name for e in extra_edges)
                queue.extend(extra_edges)
            for dependency in package.dependencies:
                if dependency.optional and dependency.name not in requested:
                    continue
                queue.append(dependency)
    return reached


def _targets(
    candidates: Iterable[LockedPackage], edge: LockedEdge, environment: MarkerEnvironment
) -> list[LockedPackage]:
    found = list(candidates)
    if len(found) <= 1:
        return found
    if edge.version is not None:
        exact = [p for p in found if p.version == edge.version]
        if exact:
            return exact
    # pdm writes `requests[socks]` as its own entry: take those whose extras were asked for.
    extras = set(edge.extras)
    found = [p for p in found if set(p.entry_extras) <= extras]
    fitting = [p for p in found if marker_holds(p.marker, environment)]
    return fitting or found
