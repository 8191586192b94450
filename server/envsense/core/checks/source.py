"""Findings for the imports of one Python file (or notebook) in its project's environment."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from envsense.core.checks.answer_scope import PackageFolders, same_from_every_folder
from envsense.core.checks.import_chain import ImportOutcomes
from envsense.core.checks.import_findings import (
    check_chain,
    import_finding,
    optional_when_lazy,
    with_reachability,
)
from envsense.core.checks.install_fixes import (
    declared_for_module,
    declared_requirement,
    install_fix,
    where_declared,
)
from envsense.core.checks.module_reading import DiskContent
from envsense.core.declarations import Declarations, DeclaredRequirement, read_script_metadata
from envsense.core.environment import Environment
from envsense.core.environment.dependency_graph import DependencyGraph
from envsense.core.environment.inventory import Distribution, Inventory
from envsense.core.environment.resolver import Resolution, ResolutionStatus, Resolver
from envsense.core.files import iter_checkable_files
from envsense.core.findings import Code, Finding, FixData
from envsense.core.imports.conditions import Target
from envsense.core.imports.extract import ImportRef
from envsense.core.imports.notebooks import extract_notebook_imports
from envsense.core.selection import Selection

if TYPE_CHECKING:
    from envsense.core.imports.incremental import IncrementalImports

    # Only a type here; importing core.projects first would close an import cycle with
    # core.discovery for callers that import the checks first.
    from envsense.core.projects import Project


# (scope, module, level, kind, names, guarded): what decides an import's answer. The
# scope is a folder, None (any folder outside installed code) or which package folders
# of the project hold the importing one (see answer_scope).
_AnswerKey = tuple[str | tuple[bool, ...] | None, str, int, str, tuple[str, ...], bool]


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
    # A one-shot check: the files it reads don't change while it runs (not re-stat'ed).
    steady: bool = False
    _resolver: Resolver | None = field(default=None, init=False, repr=False)
    _graph: DependencyGraph | None = field(default=None, init=False, repr=False)
    _outcomes: ImportOutcomes | None = field(default=None, init=False, repr=False)
    _sources_stamp: str | None = field(default=None, init=False, repr=False)
    _fixes: dict[str, FixData] = field(default_factory=dict, init=False, repr=False)
    _declared_for: dict[str, DeclaredRequirement | None] = field(
        default_factory=dict, init=False, repr=False
    )
    # Per folder and import as written: its finding before the import's own guards and
    # reachability are applied (see `_findings_for_imports`), for one state of the chains.
    _import_answers: (
        tuple[tuple[int, int, int], dict[_AnswerKey, Finding | None], PackageFolders] | None
    ) = field(default=None, init=False, repr=False)

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
                self._outcomes = ImportOutcomes(
                    self.resolver, Target(), watch_files=not self.steady
                )
            else:
                target = Target(inventory.version, inventory.platform)
                stdlib_dir = inventory.layout.stdlib_dir
                self._outcomes = ImportOutcomes(
                    self.resolver, target, stdlib_dir, watch_files=not self.steady
                )
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

    def import_answers(self) -> tuple[dict[_AnswerKey, Finding | None], PackageFolders]:
        """The findings of imports already checked, and the package folders of the
        imports asked about, for the state of the environment's folders and of the module
        files the chains read (new tables once either moved)."""
        epoch = self.outcomes.epoch()
        answers = self._import_answers
        if answers is None or answers[0] != epoch:
            answers = self._import_answers = (epoch, {}, PackageFolders())
        return answers[1], answers[2]

    @property
    def graph(self) -> DependencyGraph:
        if self._graph is None:
            self._graph = DependencyGraph(self.inventory, self.declarations)
        return self._graph


def source_findings(
    path: Path,
    text: str,
    context: ProjectContext,
    imports: IncrementalImports | None = None,
    disk: DiskContent | None = None,
) -> list[Finding]:
    """Every import of `text` that won't work in the project's environment, with why.

    `imports` keeps an open document's last scan, re-read only where its edits can
    change imports (same result as a full scan); `disk`, the bytes `text` was just read
    and decoded from (see ModuleReading.scan_text)."""
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
            context.steady,
        )
    outcomes = context.outcomes
    if imports is None:
        scan = outcomes.scan_text(path, text, disk)
    else:
        scan = imports.scan(text, outcomes.target, lambda t: outcomes.scan_text(path, t))
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
    # Every file of a folder gets the same answer for the same import: its resolution,
    # relative name and chain depend on the folder, not the file (the chains' own cache
    # says the same). Only the path and span differ.
    tables = context.import_answers()
    answers = tables[0]
    folder = os.path.dirname(str(path))
    resolver = context.resolver
    # Installed code imports differently from inside its own folders (its own package is
    # already being imported): a file there gets answers of its folder only.
    may_share = not resolver.inside_installed_folder(folder)
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
        key = (folder, ref.module, ref.level, ref.kind, ref.names, ref.guarded)
        try:
            finding = answers[key]
        except KeyError:
            shared = folder if may_share else None
            finding = _answer(path, ref, shared, context, inventory, tables)
            answers[key] = finding
        if finding is not None:
            if finding.path is not path or finding.span != ref.span:
                # Another file's answer (dataclasses.replace costs twice the constructor).
                found = finding
                finding = Finding(
                    path, ref.span, found.code, found.severity, found.message, found.fix
                )
            finding = optional_when_lazy(finding, ref, context)
            findings.append(with_reachability(finding, ref, runs, inventory))
    return findings


def _answer(
    path: Path,
    ref: ImportRef,
    folder: str | None,
    context: ProjectContext,
    inventory: Inventory,
    tables: tuple[dict[_AnswerKey, Finding | None], PackageFolders],
) -> Finding | None:
    """The finding of `ref` before its own guards and reachability, for the first file of
    its folder to ask; another folder's answer when it holds here too (see answer_scope;
    `folder` None: the folder is inside installed code, only its own answers hold)."""
    answers, package_folders = tables
    wider: _AnswerKey | None = None
    if folder is not None and not ref.level:
        resolver = context.resolver
        if same_from_every_folder(ref.module, resolver):
            wider = (None, ref.module, ref.level, ref.kind, ref.names, ref.guarded)
        else:
            held = package_folders.holding(ref, path, folder, resolver, context.outcomes)
            if held is not None:
                wider = (held, ref.module, ref.level, ref.kind, ref.names, ref.guarded)
    if wider is not None and wider in answers:
        return answers[wider]
    # A module that fails when imported matters more than whether it is declared.
    finding = check_chain(path, ref, context, inventory)
    if finding is None:
        finding = _check_import(path, ref, context, inventory)
    if wider is not None:
        answers[wider] = finding
    return finding


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
        return import_finding(
            path, ref, Code.INCOMPATIBLE_EXTENSION, message, _fix(ref, resolution, context)
        )
    if status is ResolutionStatus.STUB_ONLY:
        fix = install_fix(ref.module, context, inventory)
        wanted = f"; install {fix.distribution} for the code itself" if fix.distribution else ""
        stubs = ", ".join(d.name for d in resolution.distributions) or "stubs"
        message = f"'{ref.module}' has only type stubs ({stubs}) in {env.label}{wanted}"
        return import_finding(path, ref, Code.MISSING_MODULE_SOURCE, message, fix)
    return _missing(path, ref, context, inventory)


def _missing(path: Path, ref: ImportRef, context: ProjectContext, inventory: Inventory) -> Finding:
    env = inventory.environment
    fix = install_fix(ref.module, context, inventory)
    message = f"'{ref.module}' is not installed in {env.label}"
    if fix.distribution:
        declared = declared_requirement(context.declarations, fix.distribution)
        if declared is None and fix.module:
            declared = declared_for_module(fix.module, context)
        # `proj[http2]` is what the fix installs; the module comes from the requirement.
        provider = declared.name if declared and "[" in fix.distribution else fix.distribution
        others = f" (or {', '.join(fix.alternatives)})" if fix.alternatives else ""
        message += f"; it is provided by {provider}{others}"
        if declared is not None:
            message += f", declared in {where_declared(declared)} as {declared.raw}"
        elif fix.name_source == "guessed":
            message += " (name guessed from the import)"
    return import_finding(path, ref, Code.MISSING_IMPORT, message, fix)


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
    return import_finding(path, ref, Code.STDLIB_UNAVAILABLE, message, fix)


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
        declared = declared_requirement(declarations, dist.name)
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
        return import_finding(path, ref, Code.TRANSITIVE_IMPORT, message, fix)
    message = f"'{ref.module}' comes from {dist.name} {dist.version}, which {where} doesn't declare"
    return import_finding(path, ref, Code.UNDECLARED_IMPORT, message, fix)


def _version_mismatch(
    path: Path,
    ref: ImportRef,
    dist: Distribution,
    declared: DeclaredRequirement,
    inventory: Inventory,
) -> Finding | None:
    requirement = declared.requirement
    if requirement is None or not requirement.specifier or declared.is_dev:
        # A dev/test/docs pin is not what the code needs; its own file reports it.
        return None
    if requirement.specifier.contains(dist.version, prereleases=True):
        return None
    if not declared.marker_applies(inventory.marker_environment()):
        return None
    message = (
        f"'{ref.module}' comes from {dist.name} {dist.version} in {inventory.environment.label}, "
        f"but {declared.where} requires {declared.raw}"
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
    return import_finding(path, ref, Code.VERSION_MISMATCH, message, fix)


def _check_relative(path: Path, ref: ImportRef, context: ProjectContext) -> Finding | None:
    absolute = context.outcomes.relative.absolute(ref.module, ref.level, path, context.project.root)
    if absolute is None or not ref.module:
        # `from . import x` names may be attributes of the package, not modules.
        return None
    resolution = context.resolver.resolve(absolute, path)
    if resolution.status is not ResolutionStatus.MISSING:
        return None
    dots = "." * ref.level
    message = f"relative import '{dots}{ref.module}' doesn't exist: no module {absolute}"
    return import_finding(path, ref, Code.MISSING_IMPORT, message, FixData(module=absolute))


def _fix(ref: ImportRef, resolution: Resolution, context: ProjectContext) -> FixData:
    env = context.environment
    dist = resolution.distributions[0].name if resolution.distributions else None
    return FixData(
        module=ref.module,
        distribution=dist,
        name_source="installed" if dist else None,
        environment=env.key if env else None,
    )


def _is_project_itself(providers: Sequence[Distribution], context: ProjectContext) -> bool:
    """The project's own distribution, installed editable into its environment."""
    own = context.declarations.project_name
    return own is not None and any(d.canonical_name == own for d in providers)
