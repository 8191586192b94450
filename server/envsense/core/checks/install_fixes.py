"""What a quick fix for a missing module installs, and where the project declares it.

Shared by the import checks: the declared requirement (with its extra, if any), the
distribution named by the curated table or the import itself, and `proj[extra]` when the
project itself is installed in the environment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from envsense.core.declarations import Declarations, DeclaredRequirement
from envsense.core.environment.inventory import Inventory
from envsense.core.environment.modulemap import distributions_for_module
from envsense.core.findings import FixData

if TYPE_CHECKING:
    from envsense.core.checks.source import ProjectContext


def install_fix(module: str, context: ProjectContext, inventory: Inventory) -> FixData:
    # Same declarations and environment for every file of the project: once per module.
    cached = context._fixes.get(module)
    if cached is None:
        cached = context._fixes[module] = _compute_install_fix(module, context, inventory)
    return cached


def _compute_install_fix(module: str, context: ProjectContext, inventory: Inventory) -> FixData:
    declared = {name: reqs[0].name for name, reqs in _by_canonical(context.declarations).items()}
    guess = distributions_for_module(module, None, declared=declared)
    names = guess.names
    declared_req = declared_requirement(context.declarations, names[0]) if names else None
    extra = _extra_install(declared_req, context, inventory)
    if extra is not None:
        display, requirement = extra
        return FixData(
            module=module,
            distribution=display,
            name_source="declared",
            requirement=requirement,
            manifest=str(declared_req.manifest) if declared_req else None,
            environment=inventory.environment.key,
            project=str(context.project.root),
        )
    return FixData(
        module=module,
        distribution=names[0] if names else None,
        name_source=guess.source if names else None,
        alternatives=tuple(names[1:]),
        specifier=str(declared_req.requirement.specifier)
        if declared_req and declared_req.requirement and declared_req.requirement.specifier
        else None,
        requirement=declared_req.raw if declared_req else None,
        manifest=_manifest_for_fix(context, declared_req),
        environment=inventory.environment.key,
        project=str(context.project.root),
    )


def _manifest_for_fix(context: ProjectContext, declared: DeclaredRequirement | None) -> str | None:
    if declared is not None:
        return str(declared.manifest)
    manifest = context.declarations.preferred_manifest()
    return str(manifest) if manifest else None


def declared_requirement(declarations: Declarations, name: str) -> DeclaredRequirement | None:
    found = _by_canonical(declarations).get(canonicalize_name(name))
    return found[0] if found else None


# Declarations -> by_canonical(), for the few declarations in use: grouping every
# requirement again per question was 4 % of homeassistant's check (1,000 requirements).
# The records are frozen; the object is kept with its groups, so an id is never reused.
_GROUPED: dict[int, tuple[Declarations, dict[str, list[DeclaredRequirement]]]] = {}
_MAX_GROUPED = 16


def _by_canonical(declarations: Declarations) -> dict[str, list[DeclaredRequirement]]:
    entry = _GROUPED.get(id(declarations))
    if entry is not None and entry[0] is declarations:
        return entry[1]
    grouped = declarations.by_canonical()
    if len(_GROUPED) >= _MAX_GROUPED:
        _GROUPED.clear()
    _GROUPED[id(declarations)] = (declarations, grouped)
    return grouped


def _extra_of(declared: DeclaredRequirement) -> str | None:
    group = declared.group
    return group.partition(":")[2] or None if group.startswith("optional:") else None


def where_declared(declared: DeclaredRequirement) -> str:
    extra = _extra_of(declared)
    if extra is not None:
        return f"extra `{extra}` of {declared.where}"
    return declared.where


def declared_for_module(module: str, context: ProjectContext) -> DeclaredRequirement | None:
    # Asked per finding (10,000 on homeassistant), answered once per module and project.
    if module in context._declared_for:
        return context._declared_for[module]
    found: DeclaredRequirement | None = None
    for name in distributions_for_module(module, None).names:
        found = declared_requirement(context.declarations, name)
        if found is not None:
            break
    context._declared_for[module] = found
    return found


def _extra_install(
    declared: DeclaredRequirement | None, context: ProjectContext, inventory: Inventory
) -> tuple[str, str] | None:
    """`httpx[http2]` for a requirement of the project's extra `http2`, when the project
    itself is installed in the environment (pinned to that version, so only the extra's
    dependencies are added)."""
    if declared is None:
        return None
    extra = _extra_of(declared)
    own = context.declarations.project_name
    if extra is None or own is None:
        return None
    dist = inventory.distribution(own)
    if dist is None:
        return None
    display = f"{dist.name}[{extra}]"
    return display, f"{display}=={dist.version}"
