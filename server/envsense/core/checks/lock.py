"""Findings of the environment against the project's lock files.

On the lock file: `lock-mismatch` / `lock-missing` per entry, one `lock-extra` hint for
installed distributions the lock doesn't know, `malformed-manifest` for a lock that can't
be read. On the project's manifest: one summary per lock and `lock-stale` where the
manifest declares something the lock was not made for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from envsense.core.declarations import Declarations, DeclaredRequirement
from envsense.core.declarations.requirements_txt import requirements_group
from envsense.core.environment import Environment
from envsense.core.environment.inventory import Distribution, Inventory
from envsense.core.findings import DEFAULT_SEVERITY, Code, Finding, FixData, Span
from envsense.core.locks import find_lock_files, parse_lock, read_lock
from envsense.core.locks.applicable import expected_packages
from envsense.core.locks.poetry_lock import poetry_content_hashes
from envsense.core.locks.project_config import ProjectConfig, project_config
from envsense.core.locks.records import LockedPackage, LockFile

if TYPE_CHECKING:
    from envsense.core.checks.source import ProjectContext

# Seeded into new environments by venv/virtualenv; nobody locks them on purpose.
SEED_DISTRIBUTIONS = frozenset({"pip", "setuptools", "wheel", "distribute"})
# Codes that mean "the environment is not what the lock says" (`envsense check --locked`).
DRIFT_CODES = frozenset({Code.LOCK_MISMATCH, Code.LOCK_MISSING, Code.LOCK_STALE})
SUMMARY_NAMES = 5
EXTRA_NAMES = 8
UPDATE_COMMANDS = {"uv": "uv lock", "poetry": "poetry lock", "pdm": "pdm lock",
                   "pipfile": "pipenv lock"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Drift:
    """A locked package installed at another version (or not at all: `installed` None)."""

    package: LockedPackage
    installed: Distribution | None


@dataclass(frozen=True, slots=True)
class Staleness:
    """Why the lock no longer covers the manifest; `declared` is where, when one line is."""

    reason: str
    declared: DeclaredRequirement | None = None


@dataclass(frozen=True, slots=True)
class LockComparison:
    lock: LockFile
    drift: tuple[Drift, ...] = ()
    unknown: tuple[Distribution, ...] = ()
    stale: tuple[Staleness, ...] = ()

    @property
    def mismatched(self) -> tuple[Drift, ...]:
        return tuple(d for d in self.drift if d.installed is not None)

    @property
    def missing(self) -> tuple[Drift, ...]:
        return tuple(d for d in self.drift if d.installed is None)


def same_version(installed: str, locked: str) -> bool:
    try:
        return Version(installed) == Version(locked)
    except InvalidVersion:
        return installed == locked


def compare_lock(lock: LockFile, inventory: Inventory, config: ProjectConfig,
                 declarations: Declarations) -> LockComparison:  # fmt: skip
    """The lock against the environment's distributions and the project's declarations."""
    if lock.problem is not None:
        return LockComparison(lock)
    expectation = expected_packages(lock, inventory.marker_environment(), config)
    report_missing = not (lock.format == "requirements" and requirements_group(lock.path)[1])
    grouped: dict[str, list[LockedPackage]] = {}
    for package in expectation.packages:
        if package.canonical not in expectation.own and not package.is_local_project:
            grouped.setdefault(package.canonical, []).append(package)
    drift: list[Drift] = []
    for name, packages in grouped.items():
        installed = inventory.distribution(name)
        if installed is None:
            if report_missing:
                drift.append(Drift(packages[0], None))
            continue
        versions = [p.version for p in packages if p.version]
        if versions and not any(same_version(installed.version, v) for v in versions):
            drift.append(Drift(packages[0], installed))
    known = lock.names() | expectation.own | SEED_DISTRIBUTIONS
    if config.name:
        known |= {config.name}
    unknown = tuple(d for d in inventory.distributions if d.canonical_name not in known)
    stale = _staleness(lock, config, declarations, inventory)
    drift.sort(key=lambda d: (d.package.span.line, d.package.canonical))
    return LockComparison(lock, tuple(drift), unknown, stale)


def _staleness(
    lock: LockFile, config: ProjectConfig, declarations: Declarations, inventory: Inventory
) -> tuple[Staleness, ...]:
    if lock.format in ("pylock", "requirements"):
        return ()  # what they were compiled from is not recorded in a form to compare
    folder = config.root or lock.path.parent
    manifest = folder / ("Pipfile" if lock.format == "pipfile" else "pyproject.toml")
    environment = inventory.marker_environment()
    declared = [
        r
        for r in declarations.requirements
        if r.manifest == manifest and r.canonical and r.canonical != config.name
        and r.requirement is not None and _locked_group(lock, r.group)
    ]  # fmt: skip
    found: list[Staleness] = []
    if lock.format == "poetry" and lock.content_hash and config.pyproject:
        if lock.content_hash not in poetry_content_hashes(dict(config.pyproject)):
            found.append(Staleness("its content-hash no longer matches pyproject.toml"))
    root = _uv_root(lock, config)
    names = lock.names()
    for requirement in declared:
        if lock.format == "pipfile" and not requirement.marker_applies(environment):
            continue  # pipenv locks for the platform it ran on
        if root is not None and root.requires is not None:
            locked = [r for r in root.requires if r.name == requirement.canonical]
            wanted = (
                requirement.requirement.specifier if requirement.requirement else SpecifierSet()
            )
            if not locked:
                found.append(Staleness(f"{requirement.raw} is not in it", requirement))
            elif not any(r.specifier == wanted for r in locked):
                was = ", ".join(sorted({str(r.specifier) or "any version" for r in locked}))
                found.append(Staleness(f"{requirement.raw} was locked as {was}", requirement))
        elif requirement.canonical not in names:
            found.append(Staleness(f"{requirement.raw} is not in it", requirement))
    return tuple(found)


def _locked_group(lock: LockFile, group: str) -> bool:
    """pdm locks only the groups it was asked to; the others can't make the lock stale."""
    if lock.format != "pdm" or not lock.default_groups:
        return True
    name = "default" if group == "main" else group.split(":", 1)[-1]
    return name in lock.default_groups


def _uv_root(lock: LockFile, config: ProjectConfig) -> LockedPackage | None:
    if lock.format != "uv" or not config.name:
        return None
    for package in lock.named(config.name):
        if package.is_local_project:
            return package
    return None


# -- gathering a project's locks ------------------------------------------------------------


def project_locks(
    context: ProjectContext, boundary: Path | None, overlay: tuple[Path, str] | None = None
) -> list[LockFile]:
    """Every lock of the project, read (an editor's unsaved text replaces the file's)."""
    locks: list[LockFile] = []
    for path in find_lock_files(context.project.root, boundary):
        if overlay is not None and path == overlay[0]:
            lock = parse_lock(path, overlay[1])
        else:
            lock = read_lock(path)
        if lock is None:
            continue
        if lock.path.parent != context.project.root and not _governs(lock, context):
            continue
        locks.append(lock)
    return locks


def _governs(lock: LockFile, context: ProjectContext) -> bool:
    """A workspace root's uv.lock applies to a project below it only when that project
    is one of the workspace's members (an unrelated nested project is not)."""
    if lock.problem is not None:
        return False
    name = context.declarations.project_name
    return name is not None and any(
        p.is_local_project and p.canonical == name for p in lock.packages
    )


def comparisons(context: ProjectContext, locks: Sequence[LockFile]) -> list[LockComparison]:
    inventory = context.inventory
    if inventory is None:
        return [LockComparison(lock) for lock in locks]
    config = project_config(context.project.root, context.declarations)
    return [compare_lock(lock, inventory, config, context.declarations) for lock in locks]


# -- findings ----------------------------------------------------------------------------


def lock_file_findings(
    path: Path, context: ProjectContext, boundary: Path | None, text: str | None = None
) -> list[Finding]:
    """Findings located on the lock file at `path` (`text`: its unsaved editor content)."""
    if text is not None:
        lock = parse_lock(path, text)
    else:
        lock = read_lock(path)
    if lock is None:
        return []
    if lock.problem is not None:
        code = Code.MALFORMED_MANIFEST
        return [
            Finding(path, lock.problem.span, code, DEFAULT_SEVERITY[code], lock.problem.message)
        ]
    environment = context.environment
    if context.inventory is None or environment is None:
        return []
    comparison = comparisons(context, [lock])[0]
    return _entry_findings(comparison, environment, context)


def _fix(comparison: LockComparison, environment: Environment, context: ProjectContext,
         **kwargs: str | None) -> FixData:  # fmt: skip
    return FixData(
        lock=str(comparison.lock.path),
        environment=environment.key,
        project=str(context.project.root),
        **kwargs,  # type: ignore[arg-type]
    )


def _entry_findings(
    comparison: LockComparison, environment: Environment, context: ProjectContext
) -> list[Finding]:
    lock = comparison.lock
    path = lock.path
    findings: list[Finding] = []
    for drift in comparison.drift:
        package = drift.package
        locked = package.version or "a pinned version"
        if drift.installed is None:
            code = Code.LOCK_MISSING
            what = f"{package.name} {package.version}" if package.version else package.name
            message = f"{what} is locked in {path.name} but not installed in {environment.label}"
            fix = _fix(comparison, environment, context, distribution=package.name,
                       specifier=f"=={package.version}" if package.version else None)  # fmt: skip
        else:
            code = Code.LOCK_MISMATCH
            message = (
                f"{drift.installed.name} {drift.installed.version} is installed in "
                f"{environment.label}, but {path.name} locks {locked}"
            )
            fix = _fix(comparison, environment, context, distribution=package.name,
                       installed_version=drift.installed.version,
                       specifier=f"=={package.version}" if package.version else None)  # fmt: skip
        findings.append(Finding(path, package.span, code, DEFAULT_SEVERITY[code], message, fix))
    if comparison.unknown:
        names = [f"{d.name} {d.version}" for d in comparison.unknown]
        shown = ", ".join(names[:EXTRA_NAMES])
        if len(names) > EXTRA_NAMES:
            shown += f" and {len(names) - EXTRA_NAMES} more"
        count = len(names)
        noun = "distribution is" if count == 1 else "distributions are"
        message = f"{count} installed {noun} not in {path.name} (added by hand?): {shown}"
        code = Code.LOCK_EXTRA
        fix = _fix(comparison, environment, context)
        findings.append(Finding(path, Span(0, 0, 0, 0), code, DEFAULT_SEVERITY[code], message, fix))
    return findings


def manifest_lock_findings(
    path: Path, text: str, context: ProjectContext, boundary: Path | None
) -> list[Finding]:
    """The per-lock summary and lock-stale findings that belong on the manifest at `path`."""
    environment = context.environment
    if context.inventory is None or environment is None:
        return []
    manifest = path.name in ("pyproject.toml", "Pipfile") and path.parent == context.project.root
    if not manifest and path.suffix != ".txt":
        return []
    locks = project_locks(context, boundary, overlay=(path, text))
    findings: list[Finding] = []
    for comparison in comparisons(context, locks):
        lock = comparison.lock
        if lock.problem is not None:
            continue
        if lock.path == path:
            # A pinned requirements file is a manifest and a lock: its entries get the findings.
            findings += _entry_findings(comparison, environment, context)
            continue
        wanted = "Pipfile" if lock.format == "pipfile" else "pyproject.toml"
        if path.name != wanted:
            continue
        findings += _summary(path, text, comparison, environment, context)
        findings += _stale(path, text, comparison, environment, context)
    return findings


def _summary(path: Path, text: str, comparison: LockComparison, environment: Environment,
             context: ProjectContext) -> list[Finding]:  # fmt: skip
    lock = comparison.lock
    if not comparison.drift or lock.format == "requirements":
        return []
    parts = []
    for drift in comparison.drift:
        locked = drift.package.version or "by source"
        if drift.installed is None:
            parts.append(f"{drift.package.name} not installed (locked {locked})")
        else:
            parts.append(f"{drift.installed.name} {drift.installed.version} (locked {locked})")
    count = len(parts)
    shown = ", ".join(parts[:SUMMARY_NAMES])
    if count > SUMMARY_NAMES:
        shown += f", and {count - SUMMARY_NAMES} more"
    noun = "package differs" if count == 1 else "packages differ"
    message = f"{count} {noun} from {lock.path.name}: {shown}"
    code = Code.LOCK_MISMATCH if comparison.mismatched else Code.LOCK_MISSING
    fix = _fix(comparison, environment, context, manifest=str(path))
    return [Finding(path, _header_span(text), code, DEFAULT_SEVERITY[code], message, fix)]


def _stale(path: Path, text: str, comparison: LockComparison, environment: Environment,
           context: ProjectContext) -> list[Finding]:  # fmt: skip
    lock = comparison.lock
    command = UPDATE_COMMANDS.get(lock.format)
    if not comparison.stale or command is None:
        return []
    findings = []
    code = Code.LOCK_STALE
    for stale in comparison.stale:
        span = stale.declared.span if stale.declared is not None else _header_span(text)
        message = (
            f"{lock.path.name} is out of date with {path.name} ({stale.reason}); run {command}"
        )
        fix = _fix(comparison, environment, context, manifest=str(path))
        findings.append(Finding(path, span, code, DEFAULT_SEVERITY[code], message, fix))
    return findings


_HEADERS = re.compile(r"^\s*\[(project|tool\.poetry|packages)\]\s*(#.*)?$")


def _header_span(text: str) -> Span:
    """The `[project]` (or `[tool.poetry]`, Pipfile's `[packages]`) line, else the first."""
    lines = text.split("\n")
    for number, line in enumerate(lines):
        if _HEADERS.match(line):
            return Span.whole_line(number, len(line.rstrip("\r")))
    return Span.whole_line(0, len(lines[0].rstrip("\r")) if lines else 0)


def prefer_lock_findings(findings: list[Finding]) -> list[Finding]:
    """On a pinned requirements file, a lock finding replaces the requirement check's one
    for the same line (they say the same thing; the lock's names the locked version)."""
    lock_spans = {
        (f.path, f.span) for f in findings if f.code in (Code.LOCK_MISMATCH, Code.LOCK_MISSING)
    }
    if not lock_spans:
        return findings
    replaced = {Code.VERSION_MISMATCH, Code.REQUIREMENT_NOT_INSTALLED}
    return [f for f in findings if not (f.code in replaced and (f.path, f.span) in lock_spans)]


def is_lock_code(code: Code) -> bool:
    return code in DRIFT_CODES or code is Code.LOCK_EXTRA
