"""Findings on a manifest's own lines: requirements not installed, or in the wrong version."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from envsense.core.declarations import Declarations, DeclaredRequirement
from envsense.core.environment.inventory import Inventory
from envsense.core.findings import DEFAULT_SEVERITY, Code, Finding, FixData

if TYPE_CHECKING:
    from envsense.core.checks.source import ProjectContext


def manifest_findings(path: Path, manifest: Declarations, context: ProjectContext) -> list[Finding]:
    """Problems of the manifest at `path`, given its (possibly unsaved) parsed content."""
    findings = [
        Finding(
            path,
            p.span,
            Code.MALFORMED_MANIFEST,
            DEFAULT_SEVERITY[Code.MALFORMED_MANIFEST],
            p.message,
        )
        for p in manifest.problems
        if p.manifest == path
    ]
    inventory = context.inventory
    if inventory is None:
        return findings
    environment = inventory.marker_environment()
    own_name = context.declarations.project_name
    for declared in manifest.requirements:
        if declared.manifest != path or declared.canonical == own_name:
            continue
        if not declared.marker_applies(environment):
            # e.g. `tomli; python_version < "3.11"` in a 3.12 environment: not wanted here.
            continue
        finding = _check_requirement(path, declared, inventory, context)
        if finding is not None:
            findings.append(finding)
    return findings


def _check_requirement(
    path: Path, declared: DeclaredRequirement, inventory: Inventory, context: ProjectContext
) -> Finding | None:
    env = inventory.environment
    installed = inventory.distribution(declared.canonical)
    fix = FixData(
        distribution=declared.name,
        name_source="declared",
        requirement=declared.raw,
        manifest=str(path),
        environment=env.key,
        project=str(context.project.root),
        specifier=str(declared.requirement.specifier)
        if declared.requirement is not None and declared.requirement.specifier
        else None,
    )
    if installed is None:
        message = f"{declared.raw} is not installed in {env.label}"
        return Finding(
            path,
            declared.span,
            Code.REQUIREMENT_NOT_INSTALLED,
            DEFAULT_SEVERITY[Code.REQUIREMENT_NOT_INSTALLED],
            message,
            fix,
        )
    requirement = declared.requirement
    if requirement is None or not requirement.specifier:
        return None
    if requirement.specifier.contains(installed.version, prereleases=True):
        return None
    message = (
        f"{installed.name} {installed.version} is installed in {env.label}, "
        f"which doesn't satisfy {declared.raw}"
    )
    return Finding(
        path,
        declared.span,
        Code.VERSION_MISMATCH,
        DEFAULT_SEVERITY[Code.VERSION_MISMATCH],
        message,
        _with_installed(fix, installed.version),
    )


def _with_installed(fix: FixData, version: str) -> FixData:
    from dataclasses import replace

    return replace(fix, installed_version=version)
