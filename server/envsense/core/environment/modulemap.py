"""Which distribution provides an import name: installed metadata, declarations, curated table.

A name from the import alone ("guessed") must never be installed without the user saying
so, and for TRAPS (import names whose look-alike distribution is another project, a shim
or nothing) we never guess at all: the curated answer is the only one given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Literal

from packaging.utils import canonicalize_name

from envsense.core.data.module_map import PATTERNS, TABLE
from envsense.core.environment.inventory import Distribution, Inventory
from envsense.core.findings import NameSource

Confidence = Literal["known", "uncertain"]


@dataclass(frozen=True, slots=True)
class MapEntry:
    """One curated row: import name (maybe dotted) -> distributions."""

    module: str
    distributions: tuple[str, ...]
    trap: bool = False
    confidence: Confidence = "known"


@dataclass(frozen=True, slots=True)
class DistributionGuess:
    """Distribution names for one import, best first, and how they were learnt.

    `names` is empty only for ambiguous traps (`import google`): nothing safe to offer.
    """

    names: tuple[str, ...]
    source: NameSource
    trap: bool = False
    confidence: Confidence = "known"

    @property
    def best(self) -> str | None:
        return self.names[0] if self.names else None

    @property
    def alternatives(self) -> tuple[str, ...]:
        return self.names[1:]


def _parse_table(text: str) -> dict[str, MapEntry]:
    entries: dict[str, MapEntry] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        left, _, right = line.partition("=")
        module = left.strip()
        trap = module.startswith("!")
        module = module.lstrip("!")
        right = right.strip()
        confidence: Confidence = "known"
        if right.endswith("?"):
            confidence = "uncertain"
            right = right[:-1]
        dists = tuple(d.strip() for d in right.split(",") if d.strip())
        entries[module] = MapEntry(module, dists, trap, confidence)
    return entries


@cache
def curated_table() -> Mapping[str, MapEntry]:
    """The parsed curated table, keyed by (dotted) import name."""
    return _parse_table(TABLE)


@cache
def _modules_by_distribution() -> Mapping[str, frozenset[str]]:
    reverse: dict[str, set[str]] = {}
    for entry in curated_table().values():
        for dist in entry.distributions:
            reverse.setdefault(canonicalize_name(dist), set()).add(entry.module)
    return {k: frozenset(v) for k, v in reverse.items()}


def known_modules(distribution: str) -> frozenset[str]:
    """Import names the curated table attributes to `distribution` (any spelling)."""
    return _modules_by_distribution().get(_canonical(distribution), frozenset())


@lru_cache(maxsize=4096)
def _canonical(name: str) -> str:
    # Matching a missing import against every declared name canonicalized them all again
    # per import (230k regex substitutions on homeassistant).
    return canonicalize_name(name)


def _pattern_entry(module: str) -> MapEntry | None:
    for prefix, template in PATTERNS:
        if module.startswith(prefix):
            rest = module[len(prefix) :].split(".", 1)[0]
            if rest.isidentifier():
                name = template.format(rest.replace("_", "-"))
                return MapEntry(prefix + rest, (name,), False, "uncertain")
    return None


def curated_entry(module: str) -> MapEntry | None:
    """The curated row for `module`: longest dotted prefix, or a family pattern if longer."""
    table = curated_table()
    parts = module.split(".")
    found: MapEntry | None = None
    for size in range(len(parts), 0, -1):
        found = table.get(".".join(parts[:size]))
        if found is not None:
            break
    pattern = _pattern_entry(module)
    if pattern is not None and (
        found is None or pattern.module.count(".") > found.module.count(".")
    ):
        return pattern
    return found


def is_trap(module: str) -> bool:
    """True when installing a distribution named like this import would be wrong."""
    entry = curated_entry(module)
    return entry is not None and entry.trap


def _installed(module: str, inventory: Inventory) -> tuple[Distribution, ...]:
    providers = inventory.providers(module)
    if len(providers) > 1 and "." in module:
        # A namespace shared by several distributions (google.*): keep the one the
        # curated table names for the full dotted path, when it is among them.
        entry = curated_entry(module)
        if entry is not None and entry.distributions:
            wanted = {canonicalize_name(d) for d in entry.distributions}
            narrowed = tuple(d for d in providers if d.canonical_name in wanted)
            if narrowed:
                return narrowed
    return providers


def _declared(
    module: str, declared: Mapping[str, str], declared_modules: Mapping[str, str]
) -> tuple[str, ...]:
    parts = module.split(".")
    for size in range(len(parts), 0, -1):
        owner = declared_modules.get(".".join(parts[:size]))
        if owner is not None:
            return (declared.get(canonicalize_name(owner), owner),)
    top = parts[0]
    matches: list[str] = []
    entry = curated_entry(module)
    curated = {_canonical(d) for d in entry.distributions} if entry else set()
    top_key = _canonical(top)
    for canonical, display in declared.items():
        key = _canonical(canonical)
        if key in curated or key == top_key:
            matches.append(display)
            continue
        if any(module == m or module.startswith(m + ".") for m in known_modules(key)):
            matches.append(display)
    return tuple(matches)


def distributions_for_module(
    module: str,
    inventory: Inventory | None,
    declared: Mapping[str, str] | None = None,
    declared_modules: Mapping[str, str] | None = None,
) -> DistributionGuess:
    """Who provides `module`, in order of trust: installed metadata, the project's own
    declarations, the curated table, and last the import name itself ("guessed").

    `declared` maps canonical distribution names the project declares to their display
    spelling; `declared_modules` maps import names to a declared distribution when the
    project says so explicitly (a module-map setting).
    """
    if inventory is not None:
        providers = _installed(module, inventory)
        if providers:
            return DistributionGuess(tuple(d.name for d in providers), "installed")
    names = _declared(module, declared or {}, declared_modules or {})
    if names:
        return DistributionGuess(names, "declared")
    entry = curated_entry(module)
    if entry is not None:
        return DistributionGuess(entry.distributions, "curated", entry.trap, entry.confidence)
    return DistributionGuess((module.split(".")[0],), "guessed", False, "uncertain")
