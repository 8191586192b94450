"""`envsense check`: walk the paths, check every file, print findings, choose the exit code."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from envsense.check_report import format_github, format_json, format_text
from envsense.core.check_cache import (
    CheckCache,
    content_hash,
    context_fingerprint,
    manifests_fingerprint,
)
from envsense.core.checks.lock import DRIFT_CODES
from envsense.core.environment import Environment
from envsense.core.files import is_manifest, iter_checkable_files
from envsense.core.findings import DEFAULT_SEVERITY, Code, Finding, Severity, Span
from envsense.core.imports.extract import decode_source
from envsense.core.imports.notebooks import read_notebook
from envsense.core.locks import find_lock_files, is_lock_file
from envsense.core.safe_read import (
    NOTEBOOK_LIMIT,
    SOURCE_LIMIT,
    SOURCE_LINE_LIMIT,
    manifest_limit,
    read_bytes,
)
from envsense.core.session import Session, SessionSettings
from envsense.error_text import describe_error

log = logging.getLogger(__name__)


def check_file(
    session: Session,
    path: Path,
    cache: CheckCache | None = None,
    fingerprints: dict[Path, str] | None = None,
) -> list[Finding]:
    """Findings of one file, read from disk whatever its encoding (cached when unchanged)."""
    try:
        data = read_bytes(path, _limit(path))
    except OSError as error:
        log.warning("cannot read %s: %s", path, error)
        if isinstance(error.__cause__, FileNotFoundError):
            return []  # gone since the walk listed it
        return [_not_checked(path, str(error))]
    if cache is None:
        return _check_data(session, path, data)
    digest = content_hash(data)
    # Every file of a folder shares its project and environment: fingerprint once per folder.
    context = fingerprints.get(path.parent) if fingerprints is not None else None
    if context is None:
        context = _fingerprint(session, path)
        if fingerprints is not None:
            fingerprints[path.parent] = context
    cached = cache.get(path, digest, context)
    if cached is not None:
        return cached
    findings = _check_data(session, path, data)
    cache.put(path, digest, context, findings)
    return findings


def _fingerprint(session: Session, path: Path) -> str:
    context = session.context_for(path)
    environment = context.environment
    return context_fingerprint(
        str(context.project.root),
        environment.key if environment else "",
        context.selection.reason,
        context.inventory.state_key() if context.inventory else "",
        manifests_fingerprint(context.declarations.manifests),
        # A manifest's lock summary changes with the lock files, not the manifest.
        manifests_fingerprint(
            tuple(find_lock_files(context.project.root, session.folder_for(path)))
        ),
        repr(sorted((c.value, s) for c, s in session.settings.severity_overrides.items())),
        # Findings follow imports into other files of the project (import-chain-broken).
        context.sources_stamp(),
    )


def _limit(path: Path) -> int:
    if path.suffix == ".ipynb":
        return NOTEBOOK_LIMIT
    return manifest_limit(path) if is_manifest(path) else SOURCE_LIMIT


def _not_checked(path: Path, reason: str) -> Finding:
    """A file that was skipped says so (exit status stays that of its findings)."""
    code = Code.FILE_NOT_CHECKED
    message = f"{path.name}: not checked: {reason}"
    return Finding(path, Span(0, 0, 0, 0), code, DEFAULT_SEVERITY[code], message)


def _check_data(session: Session, path: Path, data: bytes) -> list[Finding]:
    if path.suffix == ".ipynb":
        notebook = read_notebook(data.decode("utf-8", errors="replace"))
        if notebook.error is not None:
            return [_not_checked(path, notebook.error)]
        cells = list(notebook.cells)
        sources = [cell.source for cell in cells]
        findings: list[Finding] = []
        for cell, cell_findings in zip(cells, session.check_notebook(path, sources), strict=True):
            # Lines count within the cell, as notebook front ends show them.
            findings += [
                replace(f, message=f"cell {cell.index + 1}: {f.message}") for f in cell_findings
            ]
        return findings
    text = decode_source(data, name=str(path))
    if text.count("\n") > SOURCE_LINE_LIMIT:
        return [_not_checked(path, f"more than {SOURCE_LINE_LIMIT} lines; skipped")]
    if is_lock_file(path):
        return session.check_lock(path, text)
    if is_manifest(path):
        return session.check_manifest(path, text)
    return session.check_source(path, text)


def run_check(
    paths: Sequence[Path],
    folders: Sequence[Path],
    *,
    python: Path | None = None,
    output_format: str = "text",
    use_cache: bool = True,
    locked: bool = False,
) -> int:
    """Check `paths`; exit 1 when an error-severity finding exists (with `locked`, also
    when the environment drifts from a lock file), 2 on internal error."""
    # The CLI runs on checkouts it did not write (CI on a pull request): it never runs an
    # interpreter found inside them.
    session = Session(folders, settings=SessionSettings(interpreter=python, trusted=False))
    cache = CheckCache(cache_path(folders, python)) if use_cache else None
    try:
        findings: list[Finding] = []
        files = 0
        fingerprints: dict[Path, str] = {}
        projects: dict[Path, Path] = {}
        checked: set[Path] = set()
        for path in iter_checkable_files(paths):
            files += 1
            checked.add(path)
            findings += _checked_safely(session, path, cache, fingerprints)
            projects.setdefault(session.project_for(path).root, path)
        for path in _lock_files(session, paths, checked):
            files += 1
            findings += _checked_safely(session, path, cache, fingerprints)
        findings += _project_findings(session, projects.values(), findings)
        environment = _environment(session, paths)
        if cache is not None:
            cache.save()
    except Exception as error:  # an internal error must be told apart from findings
        log.exception("envsense check failed")
        print(f"envsense: internal error: {describe_error(error)}", file=sys.stderr)
        return 2
    base = Path.cwd()
    if output_format == "json":
        print(format_json(findings, environment, base))
    elif output_format == "github":
        if findings:
            print(format_github(findings, base))
    elif findings:
        print(format_text(findings, base))
    if output_format == "text":
        print(_summary(findings, files, environment), file=sys.stderr)
    if locked and any(f.code in DRIFT_CODES for f in findings):
        return 1
    return 1 if any(f.severity is Severity.ERROR for f in findings) else 0


def _checked_safely(
    session: Session, path: Path, cache: CheckCache | None, fingerprints: dict[Path, str]
) -> list[Finding]:
    """check_file, with one hostile file reported as not checked while the rest still are."""
    try:
        return check_file(session, path, cache, fingerprints)
    except (RecursionError, MemoryError, ValueError, TypeError, LookupError) as error:
        log.warning("checking %s failed: %s", path, describe_error(error))
        log.debug("checking %s failed", path, exc_info=True)
        return [_not_checked(path, f"internal error ({describe_error(error)})")]


def _project_findings(
    session: Session, samples: Iterable[Path], found: Sequence[Finding]
) -> list[Finding]:
    """Each project's own findings once (no-environment), even when only one of its
    source files was checked; those already reported through its manifest are kept once."""
    seen = {(f.path, f.code, f.span.line) for f in found}
    extra: list[Finding] = []
    for sample in samples:
        for finding in session.check_project(sample):
            key = (finding.path, finding.code, finding.span.line)
            if key not in seen:
                seen.add(key)
                extra.append(finding)
    return extra


def _lock_files(session: Session, paths: Sequence[Path], checked: set[Path]) -> list[Path]:
    """Lock files of the checked projects that lie under `paths` (walks skip them)."""
    roots = {session.project_for(path).root for path in checked}
    found: list[Path] = []
    for root in sorted(roots):
        for lock in find_lock_files(root, session.folder_for(root)):
            inside = any(lock == p or p in lock.parents for p in paths)
            if is_lock_file(lock) and lock not in checked and inside and lock not in found:
                found.append(lock)
    return found


def cache_path(folders: Sequence[Path], python: Path | None) -> Path:
    """One cache file per (workspace folders, interpreter) combination."""
    from platformdirs import user_cache_dir

    key = context_fingerprint(*(str(f) for f in folders), str(python or ""))
    return Path(user_cache_dir("envsense")) / "check" / f"{key}.json"


def _environment(session: Session, paths: Sequence[Path]) -> Environment | None:
    if not paths:
        return None
    return session.selection(session.project_for(paths[0])).environment


def _summary(findings: Sequence[Finding], files: int, environment: Environment | None) -> str:
    counts = {s: sum(1 for f in findings if f.severity is s) for s in Severity}
    env = environment.label if environment else "no environment"
    return (
        f"envsense: {len(findings)} problems ({counts[Severity.ERROR]} errors, "
        f"{counts[Severity.WARNING]} warnings, {counts[Severity.INFORMATION]} information) "
        f"in {files} files; environment: {env}"
    )
