"""The packages view: every distribution of an environment, with what the project says of it.

Read from files only (the inventory's dist-info/egg-info headers and the project's
manifests): no `pip list` is spawned, so listing a large environment costs milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from envsense.core.declarations.records import Declarations, DeclaredRequirement
from envsense.core.environment.inventory import Inventory


@dataclass(frozen=True, slots=True)
class Declaration:
    """Where the project declares a distribution, and how."""

    manifest: Path
    line: int
    text: str
    group: str

    def to_json(self) -> dict[str, object]:
        return {
            "manifest": str(self.manifest),
            "line": self.line,
            "text": self.text,
            "group": self.group,
        }


@dataclass(frozen=True, slots=True)
class PackageRow:
    """One installed distribution; `mismatch` says how it fails its declared specifier."""

    name: str
    canonical: str
    version: str
    editable: bool
    location: Path
    declared: tuple[Declaration, ...]
    mismatch: str | None
    # The requirement an upgrade installs: the name with the declared specifier, if any.
    upgrade_requirement: str

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "canonical": self.canonical,
            "version": self.version,
            "editable": self.editable,
            "location": str(self.location),
            "declared": [d.to_json() for d in self.declared],
            "mismatch": self.mismatch,
            "upgradeRequirement": self.upgrade_requirement,
        }


def list_packages(inventory: Inventory, declarations: Declarations) -> list[PackageRow]:
    """Every distribution of `inventory`, sorted by name, joined with the declarations."""
    by_name = declarations.by_canonical()
    markers = inventory.marker_environment()
    rows: list[PackageRow] = []
    for dist in inventory.distributions:
        declared = [r for r in by_name.get(dist.canonical_name, []) if r.marker_applies(markers)]
        rows.append(
            PackageRow(
                name=dist.name,
                canonical=dist.canonical_name,
                version=dist.version,
                editable=dist.editable,
                location=dist.location,
                declared=tuple(_declaration(r) for r in declared),
                mismatch=_mismatch(dist.version, declared),
                upgrade_requirement=_upgrade_requirement(dist.name, declared),
            )
        )
    return sorted(rows, key=lambda row: row.canonical)


def _declaration(requirement: DeclaredRequirement) -> Declaration:
    return Declaration(
        requirement.manifest, requirement.span.line, requirement.raw.strip(), requirement.group
    )


def _mismatch(version: str, declared: list[DeclaredRequirement]) -> str | None:
    """`2.1.5 does not satisfy >=3 (requirements.txt)`, or None."""
    try:
        installed = Version(version)
    except InvalidVersion:
        return None
    for requirement in declared:
        parsed = requirement.requirement
        if parsed is None or not parsed.specifier:
            continue
        if not parsed.specifier.contains(installed, prereleases=True):
            return f"{version} does not satisfy {parsed.specifier} ({requirement.manifest.name})"
    return None


def _upgrade_requirement(name: str, declared: list[DeclaredRequirement]) -> str:
    """The newest the declared specifiers allow: every specifier stated for it, joined."""
    specifiers = [
        str(r.requirement.specifier)
        for r in declared
        if r.requirement is not None and r.requirement.specifier and r.requirement.url is None
    ]
    return name + ",".join(dict.fromkeys(specifiers))
