"""Findings for the imports of one Python file (or notebook) in its project's environment."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from envsense.core.checks.import_chain import ChainBreak, ImportOutcomes
from envsense.core.declarations import Declarations, DeclaredRequirement, read_script_metadata
from envsense.core.environment import Environment
from envsense.core.environment.dependency_graph import DependencyGraph
from envsense.core.environment.inventory import Distribution, Inventory
from envsense.core.environment.modulemap import distributions_for_module
from envsense.core.environment.resolver import Resolution, ResolutionStatus, Resolver
from envsense.core.files import iter_checkable_files
from envsense.core.findings import DEFAULT_SEVERITY, Code, Finding, FixData, Severity, Span
from envsense.core.imports.conditions import Target
from envsense.core.imports.extract import ImportRef, resolve_relative
from envsense.core.imports.notebooks import extract_notebook_imports
from envsense.core.selection import Selection

if TYPE_CHECKING:
    # Only a type here; importing core.projects first would close an import cycle with
    # core.discovery for callers that import the checks first.
    from envsense.core.projects import Project


@dataclass
class ProjectContext:
    """A project with its declarations, selected environment and a resolver over it."""

    project: Project
    declarations: Declarations
    selection: Selection
    inventory: Inventory | None
    extra_paths: tuple[Path, ...] = ()
    # `envsense.reportUnreachableImports`: imports that never run here become hints.
    report_unreachable: bool = False
    _resolver: Resolver | None = field(default=None, init=False, repr=False)
    _graph: DependencyGraph | None = field(default=None, init=False, repr=False)
    _outcomes: ImportOutcomes | None = field(default=None, init=False, repr=False)
    _sources_stamp: str | None = field(default=None, init=False, repr=False)
    _fixes: dict[str, FixData] = field(default_factory=dict, init=False, repr=False)

    @property
    def environment(self) -> Environment | None:
        return self.selection.environment

    @property
    def resolver(self) -> Resolver:
        if self._resolver is None:
            roots = [self.project.root, self.project.root / "src"]
            self._resolver = Resolver(self.inventory, roots, self.extra_paths)
        return self._resolver

    @property
    def outcomes(self) -> ImportOutcomes:
        """Import chains and guards evaluated in this environment (cached per module file)."""
        if self._outcomes is None:
            inventory = self.inventory
            if inventory is None:
                self._outcomes = ImportOutcomes(self.resolver, Target())
            else:
                target = Target(inventory.version, inventory.platform)
                stdlib_dir = inventory.layout.stdlib_dir
                self._outcomes = ImportOutcomes(self.resolver, target, stdlib_dir)
        return self._outcomes

    def sources_stamp(self) -> str:
        """Changes when any Python file of the project changes: a file's import-chain-broken
        findings depend on the modules it imports, so a results cache must key on this."""
        if self._sources_stamp is None:
            digest = hashlib.blake2b(digest_size=16)
            for path in iter_checkable_files([self.project.root]):
                if path.suffix != ".py":
                    continue
                try:
                    stat = path.stat()
                except OSError:
                    continue
                digest.update(f"{path}:{stat.st_mtime_ns}:{stat.st_size}\n".encode())
            self._sources_stamp = digest.hexdigest()
        return self._sources_stamp

    @property
    def graph(self) -> DependencyGraph:
        if self._graph is None:
            self._graph = DependencyGraph(self.inventory, self.declarations)
        return self._graph


def source_findings(path: Path, text: str, context: ProjectContext) -> list[Finding]:
    """Every import of `text` that won't work in the project's environment, with why."""
    inventory = context.inventory
    if inventory is None:
        # Without an environment nothing can be resolved; project_checks says so once.
        return []
    script = read_script_metadata(text, path)
    if script is not None:
        # A PEP 723 script is its own project: its block is what it declares.
        context = ProjectContext(
            context.project,
            script,
            context.selection,
            inventory,
            context.extra_paths,
            context.report_unreachable,
        )
    scan = context.outcomes.scan_text(path, text)
    return _findings_for_imports(path, scan.imports, context, inventory)


def notebook_findings(
    path: Path, cells: Sequence[str], context: ProjectContext
) -> list[list[Finding]]:
    """Per cell, the findings of its imports (spans are relative to the cell)."""
    inventory = context.inventory
    if inventory is None:
        return [[] for _ in cells]
    per_cell = extract_notebook_imports(
        cells, version=inventory.version, platform=inventory.platform
    )
    return [_findings_for_imports(path, refs, context, inventory) for refs in per_cell]


def _findings_for_imports(
    path: Path, imports: Sequence[ImportRef], context: ProjectContext, inventory: Inventory
) -> list[Finding]:
    findings: list[Finding] = []
    for ref in imports:
        if ref.type_checking:
            # Never executed at run time, so it can't fail there.
            continue
        runs: bool | None = True
        if ref.guards:
            # A fallback in `except ImportError:`, a try's `else:`, `if HAS_X:`: decided by
            # whether the guarding imports work in this environment.
            runs = context.outcomes.guards_hold(ref.guards, path)
            if runs is False and not context.report_unreachable:
                continue
        # A module that fails when imported matters more than whether it is declared.
        finding = _check_chain(path, ref, context, inventory)
        if finding is None:
            finding = _check_import(path, ref, context, inventory)
        if finding is not None:
            finding = _lazy(finding, ref, context)
            findings.append(_reachability(finding, ref, runs, inventory))
    return findings


def _lazy(finding: Finding, ref: ImportRef, context: ProjectContext) -> Finding:
    """An import inside a function, a `__main__` block or an `if` on something unknown, of
    something the project doesn't require, is optional (IPython in rich's `install()`,
    pyperf in jsonschema's benchmarks, `if PY2: import urllib2` with PY2 from another
    module): the module imports fine, so information."""
    if not (ref.in_function or ref.main_block or ref.conditional):
        return finding
    if finding.severity > Severity.WARNING:
        return finding
    if finding.code not in _OPTIONAL_WHEN_GUARDED or ref.guarded:
        return finding
    declarations = context.declarations
    if not declarations.declares_dependencies:
        return finding
    wanted = finding.fix.distribution
    declared = _declared(declarations, wanted.partition("[")[0]) if wanted else None
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


def _reachability(
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


def _check_import(
    path: Path, ref: ImportRef, context: ProjectContext, inventory: Inventory
) -> Finding | None:
    if ref.level:
        return _check_relative(path, ref, context)
    resolution = context.resolver.resolve(ref.module, path)
    status = resolution.status
    if status in (ResolutionStatus.STDLIB, ResolutionStatus.PROJECT):
        return None
    if status is ResolutionStatus.INSTALLED:
        return _check_declared(path, ref, resolution, context, inventory)
    env = inventory.environment
    if status in (ResolutionStatus.STDLIB_REMOVED, ResolutionStatus.STDLIB_NOT_YET):
        return _stdlib_unavailable(path, ref, resolution, env)
    if status is ResolutionStatus.INCOMPATIBLE_EXTENSION:
        message = (
            f"'{ref.module}' exists in {env.label} only as an extension module built for "
            f"another Python: {resolution.detail}"
        )
        return _finding(
            path, ref, Code.INCOMPATIBLE_EXTENSION, message, _fix(ref, resolution, context)
        )
    if status is ResolutionStatus.STUB_ONLY:
        fix = _install_fix(ref.module, context, inventory)
        wanted = f"; install {fix.distribution} for the code itself" if fix.distribution else ""
        stubs = ", ".join(d.name for d in resolution.distributions) or "stubs"
        message = f"'{ref.module}' has only type stubs ({stubs}) in {env.label}{wanted}"
        return _finding(path, ref, Code.MISSING_MODULE_SOURCE, message, fix)
    return _missing(path, ref, context, inventory)


def _missing(path: Path, ref: ImportRef, context: ProjectContext, inventory: Inventory) -> Finding:
    env = inventory.environment
    fix = _install_fix(ref.module, context, inventory)
    message = f"'{ref.module}' is not installed in {env.label}"
    if fix.distribution:
        declared = _declared(context.declarations, fix.distribution)
        if declared is None and fix.module:
            declared = _declared_for_module(fix.module, context)
        # `proj[http2]` is what the fix installs; the module comes from the requirement.
        provider = declared.name if declared and "[" in fix.distribution else fix.distribution
        others = f" (or {', '.join(fix.alternatives)})" if fix.alternatives else ""
        message += f"; it is provided by {provider}{others}"
        if declared is not None:
            message += f", declared in {_where(declared)} as {declared.raw}"
        elif fix.name_source == "guessed":
            message += " (name guessed from the import)"
    return _finding(path, ref, Code.MISSING_IMPORT, message, fix)


def _check_chain(
    path: Path, ref: ImportRef, context: ProjectContext, inventory: Inventory
) -> Finding | None:
    """An import that resolves, of a module that fails when imported here."""
    if ref.level:
        absolute = resolve_relative(ref.module, ref.level, path, context.project.root)
        if absolute is None:
            return None
    else:
        absolute = ref.module
    resolver = context.resolver
    written = "." * ref.level + ref.module
    targets: list[tuple[str, str]] = []
    if ref.module:
        targets.append((absolute, written))
    if ref.kind == "from":
        # `from . import models` / `from pkg import sub`: names that are submodules.
        for name in ref.names:
            sub = f"{absolute}.{name}" if absolute else name
            resolution = resolver.resolve(sub, path)
            if resolution.status is not ResolutionStatus.STDLIB and resolution.location:
                targets.append((sub, f"{written}.{name}" if ref.module else f"{written}{name}"))
    for module, shown in targets:
        resolution = resolver.resolve(module, path)
        broken = context.outcomes.chain_break(module, resolution, path)
        if broken is not None:
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
        fix = _install_fix(broken.missing, context, inventory)
        reason = "not installed"
        if fix.distribution:
            reason += f"; provided by {fix.distribution}"
            declared = _declared(context.declarations, fix.distribution)
            if declared is None:
                declared = _declared_for_module(broken.missing, context)
            if declared is not None:
                reason += f", declared in {_where(declared)}"
            elif fix.name_source == "guessed":
                reason += " (name guessed from the import)"
    else:
        fix = FixData(module=broken.missing, environment=inventory.environment.key)
        reason = resolution.detail or str(resolution.status)
    message = f"`{shown}` can't be imported here: it imports {steps}`{broken.missing}` ({reason})"
    return _finding(path, ref, Code.IMPORT_CHAIN_BROKEN, message, fix)


def _stdlib_unavailable(
    path: Path, ref: ImportRef, resolution: Resolution, env: Environment
) -> Finding:
    change = resolution.change
    if resolution.status is ResolutionStatus.STDLIB_REMOVED:
        when = (
            f"was removed from the standard library in Python {change.removed_label}"
            if change
            else ("is no longer in the standard library")
        )
    else:
        when = (
            f"is in the standard library only from Python {change.added_label} on"
            if change
            else ("is not yet in this Python's standard library")
        )
    message = f"'{ref.module}' {when}; {env.label} doesn't have it"
    if change is not None and change.replacement:
        message += f". {change.replacement}"
    fix = FixData(
        module=ref.module,
        distribution=change.backport if change else None,
        name_source="curated" if change and change.backport else None,
        backport=change.backport if change else None,
        environment=env.key,
    )
    return _finding(path, ref, Code.STDLIB_UNAVAILABLE, message, fix)


def _check_declared(
    path: Path,
    ref: ImportRef,
    resolution: Resolution,
    context: ProjectContext,
    inventory: Inventory,
) -> Finding | None:
    providers = resolution.distributions
    if not providers:
        return None
    declarations = context.declarations
    for dist in providers:
        declared = _declared(declarations, dist.name)
        if declared is not None:
            return _version_mismatch(path, ref, dist, declared, inventory)
    if not declarations.declares_dependencies or _is_project_itself(providers, context):
        return None
    dist = providers[0]
    manifest = declarations.preferred_manifest()
    where = manifest.name if manifest else "the project"
    fix = FixData(
        module=ref.module,
        distribution=dist.name,
        name_source="installed",
        installed_version=dist.version,
        manifest=str(manifest) if manifest else None,
        environment=inventory.environment.key,
        project=str(context.project.root),
    )
    parent = context.graph.required_by(dist.canonical_name)
    if parent is not None:
        message = (
            f"'{ref.module}' comes from {dist.name} {dist.version}, installed only as a "
            f"dependency of {parent}; declare it in {where}"
        )
        return _finding(path, ref, Code.TRANSITIVE_IMPORT, message, fix)
    message = f"'{ref.module}' comes from {dist.name} {dist.version}, which {where} doesn't declare"
    return _finding(path, ref, Code.UNDECLARED_IMPORT, message, fix)


def _version_mismatch(
    path: Path,
    ref: ImportRef,
    dist: Distribution,
    declared: DeclaredRequirement,
    inventory: Inventory,
) -> Finding | None:
    requirement = declared.requirement
    if requirement is None or not requirement.specifier:
        return None
    if requirement.specifier.contains(dist.version, prereleases=True):
        return None
    if not declared.marker_applies(inventory.marker_environment()):
        return None
    message = (
        f"'{ref.module}' comes from {dist.name} {dist.version} in {inventory.environment.label}, "
        f"but {declared.manifest.name} requires {declared.raw}"
    )
    fix = FixData(
        module=ref.module,
        distribution=dist.name,
        name_source="installed",
        specifier=str(requirement.specifier),
        installed_version=dist.version,
        requirement=declared.raw,
        manifest=str(declared.manifest),
        environment=inventory.environment.key,
    )
    return _finding(path, ref, Code.VERSION_MISMATCH, message, fix)


def _check_relative(path: Path, ref: ImportRef, context: ProjectContext) -> Finding | None:
    absolute = resolve_relative(ref.module, ref.level, path, context.project.root)
    if absolute is None or not ref.module:
        # `from . import x` names may be attributes of the package, not modules.
        return None
    resolution = context.resolver.resolve(absolute, path)
    if resolution.status is not ResolutionStatus.MISSING:
        return None
    dots = "." * ref.level
    message = f"relative import '{dots}{ref.module}' doesn't exist: no module {absolute}"
    return _finding(path, ref, Code.MISSING_IMPORT, message, FixData(module=absolute))


def _install_fix(module: str, context: ProjectContext, inventory: Inventory) -> FixData:
    # Same declarations and environment for every file of the project: once per module.
    cached = context._fixes.get(module)
    if cached is None:
        cached = context._fixes[module] = _compute_install_fix(module, context, inventory)
    return cached


def _compute_install_fix(module: str, context: ProjectContext, inventory: Inventory) -> FixData:
    declared = {
        name: reqs[0].name for name, reqs in context.declarations.by_canonical().items() if reqs
    }
    guess = distributions_for_module(module, None, declared=declared)
    names = guess.names
    declared_req = _declared(context.declarations, names[0]) if names else None
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


def _fix(ref: ImportRef, resolution: Resolution, context: ProjectContext) -> FixData:
    env = context.environment
    dist = resolution.distributions[0].name if resolution.distributions else None
    return FixData(
        module=ref.module,
        distribution=dist,
        name_source="installed" if dist else None,
        environment=env.key if env else None,
    )


def _manifest_for_fix(context: ProjectContext, declared: DeclaredRequirement | None) -> str | None:
    if declared is not None:
        return str(declared.manifest)
    manifest = context.declarations.preferred_manifest()
    return str(manifest) if manifest else None


def _declared(declarations: Declarations, name: str) -> DeclaredRequirement | None:
    from packaging.utils import canonicalize_name

    found = declarations.by_canonical().get(canonicalize_name(name))
    return found[0] if found else None


_OPTIONAL_WHEN_GUARDED = (Code.MISSING_IMPORT, Code.STDLIB_UNAVAILABLE, Code.IMPORT_CHAIN_BROKEN)


def _extra_of(declared: DeclaredRequirement) -> str | None:
    group = declared.group
    return group.partition(":")[2] or None if group.startswith("optional:") else None


def _where(declared: DeclaredRequirement) -> str:
    extra = _extra_of(declared)
    if extra is not None:
        return f"extra `{extra}` of {declared.manifest.name}"
    return declared.manifest.name


def _declared_for_module(module: str, context: ProjectContext) -> DeclaredRequirement | None:
    guess = distributions_for_module(module, None)
    for name in guess.names:
        found = _declared(context.declarations, name)
        if found is not None:
            return found
    return None


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


def _is_project_itself(providers: Sequence[Distribution], context: ProjectContext) -> bool:
    """The project's own distribution, installed editable into its environment."""
    own = context.declarations.project_name
    return own is not None and any(d.canonical_name == own for d in providers)


def _finding(path: Path, ref: ImportRef, code: Code, message: str, fix: FixData) -> Finding:
    severity = DEFAULT_SEVERITY[code]
    if ref.guarded and code in _OPTIONAL_WHEN_GUARDED:
        # An optional dependency: the code already handles its absence.
        severity = Severity.INFORMATION
        message += " (the import is guarded by try/except ImportError)"
    span: Span = ref.span
    return Finding(path, span, code, severity, message, fix)
