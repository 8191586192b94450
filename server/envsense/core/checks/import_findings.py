"""Findings on import lines: how guards, functions and reachability set their severity, and
import-chain-broken (a module that resolves but fails when imported)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from envsense.core.checks.import_chain import ChainBreak
from envsense.core.checks.install_fixes import (
    declared_for_module,
    declared_requirement,
    install_fix,
    where_declared,
)
from envsense.core.environment.inventory import Inventory
from envsense.core.environment.resolver import Resolution, ResolutionStatus
from envsense.core.findings import DEFAULT_SEVERITY, Code, Finding, FixData, Severity, Span
from envsense.core.imports.extract import ImportRef

if TYPE_CHECKING:
    from envsense.core.checks.source import ProjectContext


OPTIONAL_WHEN_GUARDED = (Code.MISSING_IMPORT, Code.STDLIB_UNAVAILABLE, Code.IMPORT_CHAIN_BROKEN)


def import_finding(path: Path, ref: ImportRef, code: Code, message: str, fix: FixData) -> Finding:
    severity = DEFAULT_SEVERITY[code]
    if ref.guarded and code in OPTIONAL_WHEN_GUARDED:
        # An optional dependency: the code already handles its absence.
        severity = Severity.INFORMATION
        message += " (the import is guarded by try/except ImportError)"
    span: Span = ref.span
    return Finding(path, span, code, severity, message, fix)


def optional_when_lazy(finding: Finding, ref: ImportRef, context: ProjectContext) -> Finding:
    """An import inside a function, a `__main__` block or an `if` on something unknown, of
    something the project doesn't require, is optional (IPython in rich's `install()`,
    pyperf in jsonschema's benchmarks, `if PY2: import urllib2` with PY2 from another
    module): the module imports fine, so information."""
    if not (ref.in_function or ref.main_block or ref.conditional):
        return finding
    if finding.severity > Severity.WARNING:
        return finding
    if finding.code not in OPTIONAL_WHEN_GUARDED or ref.guarded:
        return finding
    declarations = context.declarations
    if not declarations.declares_dependencies:
        return finding
    wanted = finding.fix.distribution
    declared = declared_requirement(declarations, wanted.partition("[")[0]) if wanted else None
    if declared is not None and declared.group == "main" and not declared.is_dev:
        return finding
    if ref.in_function:
        where = "inside a function, so only that call fails"
    elif ref.main_block:
        where = 'under `if __name__ == "__main__":`, so only running the file fails'
    else:
        where = "under a condition that can't be evaluated statically (`if PY2:`)"
    note = f"it is imported {where}, and the project doesn't require it"
    return replace(finding, severity=Severity.INFORMATION, message=f"{finding.message} ({note})")


def with_reachability(
    finding: Finding, ref: ImportRef, runs: bool | None, inventory: Inventory
) -> Finding:
    if runs is True:
        return finding
    condition = "; ".join(guard.describe() for guard in ref.guards)
    env = inventory.environment.label
    if runs is False:
        message = f"{finding.message} (never runs in {env}: it {condition})"
        return replace(finding, severity=Severity.HINT, message=message)
    message = f"{finding.message} (it {condition}, which can't be told statically here)"
    return replace(finding, severity=max(finding.severity, Severity.INFORMATION), message=message)


def check_chain(
    path: Path, ref: ImportRef, context: ProjectContext, inventory: Inventory
) -> Finding | None:
    """An import that resolves, of a module that fails when imported here."""
    if ref.level:
        absolute = context.outcomes.relative.absolute(
            ref.module, ref.level, path, context.project.root
        )
        if absolute is None:
            return None
    else:
        absolute = ref.module
    resolver = context.resolver
    outcomes = context.outcomes
    written = "." * ref.level + ref.module
    # (module, as written, its resolution when already asked for)
    targets: list[tuple[str, str, Resolution | None]] = []
    lazy_targets: set[str] = set()
    if ref.module:
        targets.append((absolute, written, None))
    if ref.kind == "from":
        # `from . import models` / `from pkg import sub`: names that are submodules, or
        # `from celery import Task`, served lazily from celery.app.task.
        for name in ref.names:
            found = outcomes.name_target(absolute, name, path)
            if found is None or (found[2] and not absolute):
                continue
            shown = f"{written}.{name}" if ref.module else f"{written}{name}"
            module, resolution, lazy = found
            if lazy:
                lazy_targets.add(module)
            targets.append((module, shown, resolution))
    for module, shown, known in targets:
        resolution = known if known is not None else resolver.resolve(module, path)
        broken = outcomes.chain_break(module, resolution, path)
        if broken is not None:
            if module in lazy_targets:
                broken = replace(broken, via=(module, *broken.via))
            return _chain_finding(path, ref, shown, broken, context, inventory)
    return None


def _chain_finding(
    path: Path,
    ref: ImportRef,
    shown: str,
    broken: ChainBreak,
    context: ProjectContext,
    inventory: Inventory,
) -> Finding:
    steps = "".join(f"`{module}`, which imports " for module in broken.via)
    resolution = broken.resolution
    if resolution.status is ResolutionStatus.MISSING:
        fix = install_fix(broken.missing, context, inventory)
        reason = "not installed"
        if fix.distribution:
            reason += f"; provided by {fix.distribution}"
            declared = declared_requirement(context.declarations, fix.distribution)
            if declared is None:
                declared = declared_for_module(broken.missing, context)
            if declared is not None:
                reason += f", declared in {where_declared(declared)}"
            elif fix.name_source == "guessed":
                reason += " (name guessed from the import)"
    else:
        fix = FixData(module=broken.missing, environment=inventory.environment.key)
        reason = resolution.detail or str(resolution.status)
    message = f"`{shown}` can't be imported here: it imports {steps}`{broken.missing}` ({reason})"
    return import_finding(path, ref, Code.IMPORT_CHAIN_BROKEN, message, fix)
