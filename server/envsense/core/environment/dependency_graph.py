"""Which declared distribution pulled an undeclared one in (for transitive-import)."""

from __future__ import annotations

import logging
from collections import deque

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from envsense.core.declarations import Declarations, DeclaredRequirement
from envsense.core.environment.inventory import Inventory

log = logging.getLogger(__name__)


class DependencyGraph:
    """Requires-Dist edges of the installed distributions, walked from the declared ones."""

    def __init__(self, inventory: Inventory | None, declarations: Declarations) -> None:
        self._inventory = inventory
        self._declarations = declarations
        self._owner: dict[str, str] | None = None

    def required_by(self, canonical: str) -> str | None:
        """The declared distribution whose dependencies (transitively) include `canonical`."""
        if self._owner is None:
            self._owner = self._walk()
        return self._owner.get(canonical)

    def _walk(self) -> dict[str, str]:
        owner: dict[str, str] = {}
        inventory = self._inventory
        if inventory is None:
            return owner
        environment = inventory.marker_environment()
        declared = self._declarations.by_canonical()
        edges = _edges(inventory, declared, environment)
        queue: deque[tuple[str, str]] = deque()
        for canonical, requirements in declared.items():
            owner.setdefault(canonical, requirements[0].name)
            queue.append((canonical, requirements[0].name))
        # Breadth first, so the owner named is the nearest declared ancestor.
        while queue:
            canonical, root = queue.popleft()
            for child in edges.get(canonical, ()):
                if child not in owner:
                    owner[child] = root
                    queue.append((child, root))
        return {name: root for name, root in owner.items() if name not in declared}


def _edges(
    inventory: Inventory,
    declared: dict[str, list[DeclaredRequirement]],
    environment: dict[str, str],
) -> dict[str, list[str]]:
    """Requires-Dist edges that hold here: markers evaluated on the environment, with
    `extra` set to the extras actually asked of each distribution (by the project's
    declarations or by the requirement that pulled it in), so a parent's test-only extra
    is no edge."""
    extras: dict[str, set[str]] = {}
    for canonical, requirements in declared.items():
        wanted = extras.setdefault(canonical, set())
        for declared_requirement in requirements:
            requirement = declared_requirement.requirement
            if requirement is not None and declared_requirement.marker_applies(environment):
                wanted.update(canonicalize_name(e) for e in requirement.extras)
    edges: dict[str, list[str]] = {}
    queue: deque[str] = deque(extras)
    done: dict[str, frozenset[str]] = {}
    while queue:
        canonical = queue.popleft()
        asked = frozenset(extras.get(canonical, ()))
        if done.get(canonical) == asked:
            continue
        done[canonical] = asked
        dist = inventory.distribution(canonical)
        if dist is None:
            continue
        children: list[str] = []
        for raw in dist.requires:
            parsed = _applying(raw, environment, asked)
            if parsed is None:
                continue
            child, child_extras = parsed
            children.append(child)
            known = extras.setdefault(child, set())
            if child not in done or not child_extras <= known:
                known.update(child_extras)
                queue.append(child)
        edges[canonical] = children
    return edges


def _applying(
    raw: str, environment: dict[str, str], extras: frozenset[str]
) -> tuple[str, frozenset[str]] | None:
    """(name, extras asked of it) when the Requires-Dist line holds here, else None."""
    try:
        requirement = Requirement(raw)
    except InvalidRequirement:
        log.debug("unparseable Requires-Dist %r", raw)
        return None
    if requirement.marker is not None:
        try:
            holds = any(
                requirement.marker.evaluate({**environment, "extra": extra})
                for extra in ("", *sorted(extras))
            )
        except Exception:  # an odd marker must not hide the edge
            holds = True
        if not holds:
            return None
    return canonicalize_name(requirement.name), frozenset(
        canonicalize_name(e) for e in requirement.extras
    )
