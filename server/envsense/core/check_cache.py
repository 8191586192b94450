"""On-disk cache of `envsense check` results, so an unchanged workspace is checked in a blink.

A file's findings are reused when its content hash is the same and so is the context it
was checked in: the environment, the state of its site-packages, the project's
manifests and envsense's own version. Anything else recomputes. The cache is a
convenience: an unreadable or corrupt cache file is ignored, never an error.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from envsense import __version__
from envsense.core.findings import Code, Finding, FixData, Severity, Span

log = logging.getLogger(__name__)

_FORMAT = 1


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def context_fingerprint(*parts: str) -> str:
    """Fold everything a file's findings depend on, besides its own text, into one key."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (__version__, str(_FORMAT), *parts):
        digest.update(part.encode("utf-8", "surrogateescape"))
        digest.update(b"\0")
    return digest.hexdigest()


def manifests_fingerprint(manifests: tuple[Path, ...]) -> str:
    stamps = []
    for manifest in sorted(manifests):
        try:
            stat = manifest.stat()
            stamps.append(f"{manifest}:{stat.st_mtime_ns}:{stat.st_size}")
        except OSError:
            stamps.append(f"{manifest}:-")
    return "|".join(stamps)


class CheckCache:
    """Findings per file, keyed by (content hash, context fingerprint)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[str, list[Any]] = {}
        self._dirty = False
        self._used: set[str] = set()
        self._load()

    def get(self, file: Path, digest: str, context: str) -> list[Finding] | None:
        entry = self._entries.get(str(file))
        if entry is None or entry[0] != digest or entry[1] != context:
            return None
        self._used.add(str(file))
        try:
            return [_decode(file, item) for item in entry[2]]
        except (ValueError, TypeError, KeyError, IndexError):
            return None

    def put(self, file: Path, digest: str, context: str, findings: list[Finding]) -> None:
        self._entries[str(file)] = [digest, context, [_encode(f) for f in findings]]
        self._used.add(str(file))
        self._dirty = True

    def save(self) -> None:
        """Write atomically; files not seen in this run are dropped (deleted or moved)."""
        if len(self._used) != len(self._entries):
            self._entries = {k: v for k, v in self._entries.items() if k in self._used}
            self._dirty = True
        if not self._dirty:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".check-")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump({"format": _FORMAT, "files": self._entries}, out, separators=(",", ":"))
            os.replace(tmp, self.path)
        except OSError as error:
            log.info("could not write the check cache %s: %s", self.path, error)

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if isinstance(data, dict) and data.get("format") == _FORMAT:
            files = data.get("files")
            if isinstance(files, dict):
                self._entries = files


def _encode(finding: Finding) -> list[Any]:
    span = finding.span
    return [
        span.line,
        span.column,
        span.end_line,
        span.end_column,
        finding.code.value,
        int(finding.severity),
        finding.message,
        finding.fix.to_json(),
    ]


def _decode(file: Path, item: list[Any]) -> Finding:
    line, column, end_line, end_column, code, severity, message, fix = item
    return Finding(
        file,
        Span(int(line), int(column), int(end_line), int(end_column)),
        Code(code),
        Severity(int(severity)),
        str(message),
        FixData.from_json(fix),
    )
