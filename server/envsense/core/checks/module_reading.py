"""What each module file an import chain follows says: its imports (scanned once per
mtime and size, or taken from the check that just scanned it), whether it edits
sys.path, and its text when a probe looks names up in it.

Every file read is recorded in the read sets of the chain results being worked out
(`_read`), so that a result can be dropped when a file behind it changes.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from envsense.core.imports.conditions import Target
from envsense.core.imports.extract import ImportScan, extract_imports, extract_imports_from_bytes
from envsense.core.safe_read import read_bytes

# Files past this size are not followed (generated tables, vendored bundles).
_MAX_FILE_BYTES = 2 * 1024 * 1024
_MAX_TEXTS = 64
# Scans of checked files kept for the chains that may follow them soon after.
_MAX_SEEDS = 2048

Stamp = tuple[Path, int, int]


class ScanSource(Protocol):
    """Scans worked out ahead of need (by another process), by path and content digest."""

    def scan(self, path: Path, digest: bytes, target: Target, *, text: bool) -> ImportScan | None:
        """The scan of `path` on `target` when its content had `digest` (of the decoded
        text when `text`, else of the file's bytes); None when not at hand."""


@dataclass(frozen=True, slots=True)
class DiskContent:
    """The file bytes a text being checked was decoded from, as read: their digest
    (blake2b, 16 bytes, as `_load` takes it), the mtime and size stat'ed when the file was
    opened, and whether they mention sys.path."""

    digest: bytes
    mtime_ns: int
    size: int
    edits_sys_path: bool


def stamp_of(path: Path) -> Stamp | None:
    """(path, mtime, size), None when it can't be stat'ed."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (path, stat.st_mtime_ns, stat.st_size)


class ModuleReading:
    """The file reading of ImportOutcomes; the chain caches react through `_forget`."""

    target: Target
    _lock: threading.RLock

    def __init__(self, target: Target) -> None:
        self.target = target
        self._files: dict[Path, FileFacts] = {}
        # Texts of modules whose names a `from m import name` probe looks up (few).
        self._texts: dict[Path, tuple[Stamp | None, str]] = {}
        self._seeds: dict[Path, tuple[bytes, ImportScan]] = {}
        # The files read by each chain result being worked out, innermost last. Strings:
        # str caches its hash, Path re-hashes its parts in Python (half a million unions).
        self._read: list[set[str]] = []
        # Scans prepared elsewhere (`envsense check`'s pool), consulted before extracting.
        self.prepared: ScanSource | None = None

    def _forget(self, changed: set[Path]) -> None:
        """Drop what was worked out from the old text of `changed` files."""
        raise NotImplementedError

    def _load(self, source: Path) -> FileFacts:
        """What a module file says (cached by mtime and size; the text itself isn't kept)."""
        stamp = stamp_of(source)
        if self._read:
            # The innermost result only: each result hands its set to the one around it
            # when it is done.
            self._read[-1].add(str(source))
        cached = self._files.get(source)
        if cached is not None:
            if cached.stamp == stamp:
                return cached
            # Changed since read: what was worked out from the old text goes.
            self._forget({source})
        data = b""
        if stamp is not None and stamp[2] <= _MAX_FILE_BYTES:
            try:
                data = read_bytes(source, _MAX_FILE_BYTES)
            except OSError:
                data = b""
        digest = hashlib.blake2b(data, digest_size=16).digest()
        scan: ImportScan | None = None
        seeded = self._seeds.pop(source, None)
        if seeded is not None and seeded[0] == digest:
            scan = seeded[1]
        elif data:
            if self.prepared is not None:
                scan = self.prepared.scan(source, digest, self.target, text=False)
            if scan is None:
                scan = extract_imports_from_bytes(
                    data, version=self.target.version, platform=self.target.platform
                )
        if scan is not None and scan.skipped:
            scan = None
        facts = FileFacts(stamp, digest, scan, b"sys.path" in data)
        self._files[source] = facts
        return facts

    def scan_text(self, source: Path, text: str, disk: DiskContent | None = None) -> ImportScan:
        """The imports of a file being checked; one scan serves the check and the chains
        through it when `text` is what the file holds on disk (not an unsaved buffer).

        `disk`: `text` is the decoding of these bytes just read (`envsense check`). The
        scan is then kept as what the file says, so a chain that follows it reads it no
        more (neither hashed again nor read again: half of the files a check reads)."""
        if disk is not None:
            return self._scan_read(source, text, disk)
        digest = hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
        with self._lock:
            cached = self._files.get(source)
        if cached is not None and cached.digest == digest and cached.scan is not None:
            return cached.scan
        # Outside the lock: reading imports is pure, and the slow part of a check.
        prepared = self.prepared
        scan = prepared.scan(source, digest, self.target, text=True) if prepared else None
        if scan is None:
            scan = extract_imports(text, version=self.target.version, platform=self.target.platform)
        if cached is None:
            with self._lock:
                if len(self._seeds) >= _MAX_SEEDS:
                    self._seeds.pop(next(iter(self._seeds)))
                self._seeds[source] = (digest, scan)
        return scan

    def _scan_read(self, source: Path, text: str, disk: DiskContent) -> ImportScan:
        with self._lock:
            cached = self._files.get(source)
        if cached is not None and cached.digest == disk.digest and cached.scan is not None:
            return cached.scan
        prepared = self.prepared
        scan = prepared.scan(source, disk.digest, self.target, text=False) if prepared else None
        if scan is None:
            scan = extract_imports(text, version=self.target.version, platform=self.target.platform)
        if cached is None:
            # Not yet read by a chain: what `_load` would find (a file changed since is
            # told by its stamp there, as any other).
            facts = FileFacts(
                (source, disk.mtime_ns, disk.size),
                disk.digest,
                None if scan.skipped else scan,
                disk.edits_sys_path,
            )
            with self._lock:
                self._files.setdefault(source, facts)
        return scan

    def _scan(self, source: Path) -> ImportScan | None:
        return self._load(source).scan

    def _text(self, source: Path) -> str:
        self._load(source)  # records the file as read, for the chain caches
        stamp = stamp_of(source)
        cached = self._texts.get(source)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        try:
            data = read_bytes(source, _MAX_FILE_BYTES, truncate=True)
            text = data.decode("utf-8", errors="replace")
        except OSError:
            text = ""
        if len(self._texts) >= _MAX_TEXTS:
            self._texts.pop(next(iter(self._texts)))
        self._texts[source] = (stamp, text)
        return text


@dataclass(frozen=True, slots=True)
class FileFacts:
    """What a followed module file says, as of `stamp` (its text is not kept)."""

    stamp: Stamp | None
    digest: bytes
    scan: ImportScan | None
    edits_sys_path: bool
