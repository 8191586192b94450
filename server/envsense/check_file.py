"""One file of `envsense check`: its findings from the bytes read, by kind (Python source,
notebook, manifest, lock file), with a file that can't be read or checked reported as not
checked while the other files still are."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from envsense.core.checks.module_reading import DiskContent
from envsense.core.files import is_manifest
from envsense.core.findings import DEFAULT_SEVERITY, Code, Finding, Span
from envsense.core.imports.extract import decode_source
from envsense.core.imports.notebooks import read_notebook
from envsense.core.locks import is_lock_file
from envsense.core.safe_read import NOTEBOOK_LIMIT, SOURCE_LIMIT, SOURCE_LINE_LIMIT, manifest_limit
from envsense.core.session import Session
from envsense.error_text import describe_error

log = logging.getLogger(__name__)


def read_limit(path: Path) -> int:
    """The most bytes read of `path`, by kind: a notebook, a manifest or lock file, or source."""
    if path.suffix == ".ipynb":
        return NOTEBOOK_LIMIT
    return manifest_limit(path) if is_manifest(path) else SOURCE_LIMIT


def not_checked(path: Path, reason: str) -> Finding:
    """A file that was skipped says so (exit status stays that of its findings)."""
    code = Code.FILE_NOT_CHECKED
    message = f"{path.name}: not checked: {reason}"
    return Finding(path, Span(0, 0, 0, 0), code, DEFAULT_SEVERITY[code], message)


def _check_data(
    session: Session, path: Path, data: bytes, disk: DiskContent | None
) -> list[Finding]:
    """The findings its kind of file calls for (a notebook per cell)."""
    if path.suffix == ".ipynb":
        notebook = read_notebook(data.decode("utf-8", errors="replace"))
        if notebook.error is not None:
            return [not_checked(path, notebook.error)]
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
    # Only a text longer than the limit can have more lines: don't count the others'.
    if len(text) > SOURCE_LINE_LIMIT and text.count("\n") > SOURCE_LINE_LIMIT:
        return [not_checked(path, f"more than {SOURCE_LINE_LIMIT} lines; skipped")]
    if is_lock_file(path):
        return session.check_lock(path, text)
    if is_manifest(path):
        return session.check_manifest(path, text)
    return session.check_source(path, text, disk=disk)


def checked_safely(
    session: Session, path: Path, data: bytes, disk: DiskContent | None = None
) -> list[Finding]:
    """The findings of one file, with a hostile file reported as not checked while the
    rest still are; `disk` describes `data` as read from the file (ModuleReading.scan_text)."""
    try:
        return _check_data(session, path, data, disk)
    except (RecursionError, MemoryError, ValueError, TypeError, LookupError) as error:
        log.warning("checking %s failed: %s", path, describe_error(error))
        log.debug("checking %s failed", path, exc_info=True)
        return [not_checked(path, f"internal error ({describe_error(error)})")]
