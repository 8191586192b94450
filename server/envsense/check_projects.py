"""What `envsense check` adds per project beyond its files' findings: each project's own
findings once (no environment, ...), and the lock files under the checked paths, which the
walk skips."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from envsense.core.check_cache import Encoded
from envsense.core.findings import Finding
from envsense.core.locks import find_lock_files, is_lock_file
from envsense.core.session import Session


def project_findings(
    session: Session, samples: Iterable[Path], found: Sequence[tuple[Path, list[Encoded]]]
) -> list[Finding]:
    """Each project's own findings once (no-environment), even when only one of its
    source files was checked; those already reported through its manifest are kept once.
    `found`: each file's encoded findings."""
    candidates = [finding for sample in samples for finding in session.check_project(sample)]
    if not candidates:
        return []
    # Only findings of the candidates' codes can repeat one (hashing every path is slow).
    codes = {f.code.value for f in candidates}
    seen = {
        (Path(item[8]) if len(item) > 8 else path, item[4], item[0])
        for path, encoded in found
        for item in encoded
        if item[4] in codes
    }
    extra: list[Finding] = []
    for finding in candidates:
        key = (finding.path, finding.code.value, finding.span.line)
        if key not in seen:
            seen.add(key)
            extra.append(finding)
    return extra


def lock_files_to_check(
    session: Session, paths: Sequence[Path], roots: Iterable[Path], checked: Sequence[Path]
) -> list[Path]:
    """Lock files of the checked projects (`roots`) that lie under `paths` (walks skip them)."""
    found: list[Path] = []
    walked: set[Path] | None = None  # hashing every path walked only when there are locks
    for root in sorted(roots):
        for lock in find_lock_files(root, session.folder_for(root)):
            if walked is None:
                walked = set(checked)
            inside = any(lock == p or p in lock.parents for p in paths)
            if is_lock_file(lock) and lock not in walked and inside and lock not in found:
                found.append(lock)
    return found
