"""Which declared distribution pulled an undeclared one in (for transitive-import)."""

from __future__ import annotations

import logging
from collections import deque

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from envsense.core.declarations import Declarations
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
        queue: deque[tuple[str, str]] = deque()
        for canonical, requirements in self._declarations.by_canonical().items():
            owner.setdefault(canonical, requirements[0].name)
            queue.append((canonical, requirements[0].name))
        # Breadth first, so the owner named is the nearest declared ancestor.
        while queue:
            canonical, root = queue.popleft()
            dist = inventory.distribution(canonical)
            if dist is None:
                continue
            for raw in dist.requires:
                child = _requirement_name(raw, environment)
                if child is not None and child not in owner:
                    owner[child] = root
                    queue.append((child, root))
        declared = set(self._declarations.by_canonical())
        return {name: root for name, root in owner.items() if name not in declared}


def _requirement_name(raw: str, environment: dict[str, str]) -> str | None:
    try:
        requirement = Requirement(raw)
    except InvalidRequirement:
        log.debug("unparseable Requires-Dist %r", raw)
        return None
    if requirement.marker is not None:
        # Extras of the parent are not known here; a requirement behind `extra == ...`
        # counts, since someone who declared the parent may well have asked for it.
        try:
            if not requirement.marker.evaluate({**environment, "extra": ""}):
                if "extra" not in str(requirement.marker):
                    return None
        except Exception:  # an odd marker must not hide the edge
            pass
    return canonicalize_name(requirement.name)
