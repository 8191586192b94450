"""Findings on a manifest's own lines: requirements not installed, or in the wrong version.

Only what the environment is meant to hold is checked at the usual severity: an extra or
dependency group nobody installed gives no finding (a hint when `report_unrequested` is
set), and a manifest for developing, testing or documenting the project (by name or
location, see declarations.roles) gives information unless the environment was made for
that role.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from envsense.core.checks.requested import (
    OptionalGroup,
    group_is_installed,
    optional_group,
    syncing_tools,
)
from envsense.core.declarations import Declarations, DeclaredRequirement
from envsense.core.declarations.installed import installed_project
from envsense.core.declarations.roles import (
    ManifestRole,
    environment_serves,
    requirement_role,
)
from envsense.core.environment.inventory import Inventory
from envsense.core.findings import DEFAULT_SEVERITY, Code, Finding, FixData, Severity

if TYPE_CHECKING:
    from envsense.core.checks.source import ProjectContext


@dataclass(frozen=True, slots=True)
class ManifestOptions:
    """Settings for manifest checks (`envsense.reportUnrequestedExtras`, `requestedExtras`)."""

    report_unrequested: bool = False
    requested: Sequence[str] = ()


def manifest_findings(
    path: Path,
    manifest: Declarations,
    context: ProjectContext,
    options: ManifestOptions | None = None,
) -> list[Finding]:
    """Problems of the manifest at `path`, given its (possibly unsaved) parsed content."""
    options = options or ManifestOptions()
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
    env = inventory.environment
    names = [r.canonical for r in manifest.requirements if r.manifest == path]
    role = requirement_role(path, names, context.declarations)
    serves = environment_serves(role, env.name, env.prefix)
    groups: dict[str, tuple[bool, str | None]] = {}
    tools = syncing_tools(env, context.project.root)
    for declared in manifest.requirements:
        if declared.manifest != path or declared.canonical == own_name:
            continue
        if not declared.marker_applies(environment):
            # e.g. `tomli; python_version < "3.11"` in a 3.12 environment: not wanted here.
            continue
        group = optional_group(declared, tools, context.declarations.default_groups)
        installed_member: str | None = None
        if group is not None:
            if declared.group not in groups:
                members = [r for r in manifest.requirements if r.group == declared.group]
                groups[declared.group] = group_is_installed(
                    group, members, inventory, context.declarations, options.requested
                )
            asked, installed_member = groups[declared.group]
            if not asked:
                if options.report_unrequested:
                    finding = _unrequested(path, declared, group, inventory, context)
                    if finding is not None:
                        findings.append(finding)
                continue
        finding = _check_requirement(path, declared, inventory, context)
        if finding is None:
            continue
        if group is not None and installed_member is not None:
            finding = replace(
                finding,
                message=f"{finding.message} ({group.describe()} is installed: "
                f"{installed_member} is there)",
            )
        if not serves:
            finding = _for_role(finding, path, role)
        findings.append(finding)
    return findings


def _unrequested(
    path: Path,
    declared: DeclaredRequirement,
    group: OptionalGroup,
    inventory: Inventory,
    context: ProjectContext,
) -> Finding | None:
    """A hint that a requirement of an extra/group nobody installed is absent."""
    finding = _check_requirement(path, declared, inventory, context)
    if finding is None or finding.code is not Code.REQUIREMENT_NOT_INSTALLED:
        return None
    message = f"{group.describe()} is not installed in {inventory.environment.label}"
    return replace(finding, severity=Severity.HINT, message=f"{message}: {declared.raw}")


def _for_role(finding: Finding, path: Path, role: ManifestRole) -> Finding:
    """Findings on a dev/test/docs/example manifest are information, not warnings."""
    if finding.severity > Severity.WARNING:
        return finding
    if role.role == "pins":
        why = f"{path.name} pins versions; the project's runtime is declared in its metadata"
    elif role.folder is not None:
        why = f"{role.folder.name}/ is for {role.role}"
    else:
        why = f"{path.name} is for {role.role}"
    tail = "" if role.role == "pins" else ", not the project's runtime"
    return replace(
        finding, severity=Severity.INFORMATION, message=f"{finding.message} ({why}{tail})"
    )


def _check_requirement(
    path: Path, declared: DeclaredRequirement, inventory: Inventory, context: ProjectContext
) -> Finding | None:
    env = inventory.environment
    if declared.requirement is None and _is_installed_project(path, declared, inventory, context):
        # `.[socks]` / `-e .` in requirements-dev.txt: the project itself, and it is here.
        return None
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


def _is_installed_project(
    path: Path, declared: DeclaredRequirement, inventory: Inventory, context: ProjectContext
) -> bool:
    """Whether an unnamed local-path requirement is the project, installed here."""
    location = (declared.url or declared.raw).strip()
    location = location.removeprefix("-e").strip().split("[", 1)[0].split("#", 1)[0]
    if location.startswith("file:"):
        location = location.removeprefix("file://").removeprefix("file:")
    if not location or "://" in location:
        return False
    try:
        target = (path.parent / location).resolve()
        root = context.project.root.resolve()
    except (OSError, ValueError):
        return False
    if target != root:
        return False
    return installed_project(context.declarations, root, inventory) is not None


def _with_installed(fix: FixData, version: str) -> FixData:
    return replace(fix, installed_version=version)
