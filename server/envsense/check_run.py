"""`envsense check`: walk the paths, check every file, print findings, choose the exit code."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
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
from envsense.core.findings import Finding, Severity
from envsense.core.imports.extract import decode_source
from envsense.core.imports.notebooks import read_notebook_cells
from envsense.core.locks import find_lock_files, is_lock_file
from envsense.core.session import Session, SessionSettings

log = logging.getLogger(__name__)


def check_file(
    session: Session,
    path: Path,
    cache: CheckCache | None = None,
    fingerprints: dict[Path, str] | None = None,
) -> list[Finding]:
    """Findings of one file, read from disk whatever its encoding (cached when unchanged)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        log.warning("cannot read %s: %s", path, error)
        return []
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
    )


def _check_data(session: Session, path: Path, data: bytes) -> list[Finding]:
    if path.suffix == ".ipynb":
        cells = read_notebook_cells(data.decode("utf-8", errors="replace"))
        sources = [cell.source for cell in cells]
        findings: list[Finding] = []
        for cell, cell_findings in zip(cells, session.check_notebook(path, sources), strict=True):
            # Lines count within the cell, as notebook front ends show them.
            findings += [
                replace(f, message=f"cell {cell.index + 1}: {f.message}") for f in cell_findings
            ]
        return findings
    text = decode_source(data)
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
        checked: set[Path] = set()
        for path in iter_checkable_files(paths):
            files += 1
            checked.add(path)
            findings += check_file(session, path, cache, fingerprints)
        for path in _lock_files(session, paths, checked):
            files += 1
            findings += check_file(session, path, cache, fingerprints)
        environment = _environment(session, paths)
        if cache is not None:
            cache.save()
    except Exception as error:  # an internal error must be told apart from findings
        log.exception("envsense check failed")
        print(f"envsense: internal error: {error}", file=sys.stderr)
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
