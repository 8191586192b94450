"""`envsense check`: walk the paths, check every file, print findings, choose the exit code."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from envsense.check_report import format_github, format_json, format_text
from envsense.core.environment import Environment
from envsense.core.files import is_manifest, iter_checkable_files
from envsense.core.findings import Finding, Severity
from envsense.core.imports import decode_source
from envsense.core.notebooks import read_notebook_cells
from envsense.core.session import Session, SessionSettings

log = logging.getLogger(__name__)


def check_file(session: Session, path: Path) -> list[Finding]:
    """Findings of one file, read from disk whatever its encoding."""
    try:
        data = path.read_bytes()
    except OSError as error:
        log.warning("cannot read %s: %s", path, error)
        return []
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
    if is_manifest(path):
        return session.check_manifest(path, text)
    return session.check_source(path, text)


def run_check(
    paths: Sequence[Path],
    folders: Sequence[Path],
    *,
    python: Path | None = None,
    output_format: str = "text",
) -> int:
    """Check `paths`; exit 1 when an error-severity finding exists, 2 on internal error."""
    session = Session(folders, settings=SessionSettings(interpreter=python))
    try:
        findings: list[Finding] = []
        files = 0
        for path in iter_checkable_files(paths):
            files += 1
            findings += check_file(session, path)
        environment = _environment(session, paths)
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
    return 1 if any(f.severity is Severity.ERROR for f in findings) else 0


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
