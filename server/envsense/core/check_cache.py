"""On-disk cache of `envsense check` results, so an unchanged workspace is checked in a blink.

A file's findings are reused when its content hash is the same and so is the context it
was checked in: the environment, the state of its site-packages, the project's
manifests and envsense's own version. Anything else recomputes. The cache is a
convenience: an unreadable, corrupt or older-format cache file is ignored, never an error.

The format is built to be cheap both ways (it was 17 % of a cold check as dicts of dicts):
one JSON document written by the C encoder, each finding a flat list, each FixData a
positional list of its fields. A file whose stat (mtime, ctime, size, inode) is the one
recorded is not even read, unless it was modified within `RACY_NS` of the run that
recorded it: a second write inside the same timestamp tick would look unchanged (git's
"racy" index entries), so such files are read and hashed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import fields
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import Any

from envsense import __version__
from envsense.core.findings import Code, Finding, FixData, Severity, Span

log = logging.getLogger(__name__)

_FORMAT = 2
# A file modified this close to (or after) the start of the run that recorded it is
# verified by content: filesystem timestamps are coarser than a fast edit-and-check.
RACY_NS = 2_000_000_000

_FIX_FIELDS = tuple(f.name for f in fields(FixData))
_ALTERNATIVES = _FIX_FIELDS.index("alternatives")
_CODES = {code.value: code for code in Code}
_SEVERITIES = {int(severity): severity for severity in Severity}

# A file's stat signature: (mtime_ns, ctime_ns, size, inode).
StatKey = tuple[int, int, int, int]
# A finding as stored: [line, column, end_line, end_column, code, severity, message, fix].
Encoded = list[Any]


def content_hash(data: bytes) -> str:
    return content_digest(data).hex()


def content_digest(data: bytes) -> bytes:
    """content_hash as bytes: the digest import chains know a module file's bytes by
    (ModuleReading), so a file checked is hashed once."""
    return hashlib.blake2b(data, digest_size=16).digest()


def stat_key(stat: os.stat_result) -> StatKey:
    return (stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size, stat.st_ino)


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


# Cache entries encoded (and written) at a time when saving.
_SAVE_SLICE = 500


class CheckCache:
    """Findings per file, keyed by (content hash, context fingerprint), found by stat first.

    Entries are `[digest, context, mtime_ns, ctime_ns, size, inode, [encoded findings]]`.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[str, list[Any]] = {}
        self._dirty = False
        self._used: set[str] = set()
        # Stat signatures from before this instant may be trusted without reading.
        self._trusted_before = 0
        self._started = time.time_ns()
        self._load()

    @property
    def empty(self) -> bool:
        """Nothing recorded (no cache file yet, or one that was ignored)."""
        return not self._entries

    def __len__(self) -> int:
        """Files with an entry (from the last save, and put since)."""
        return len(self._entries)

    def get_by_stat(self, file: str, stat: StatKey, context: str) -> list[Encoded] | None:
        """The stored findings when the file's stat and context are those recorded and the
        file was not modified too close to the recording (then its content must decide)."""
        entry = self._entries.get(file)
        if entry is None or entry[1] != context:
            return None
        if (entry[2], entry[3], entry[4], entry[5]) != stat:
            return None
        if max(stat[0], stat[1]) >= self._trusted_before:
            return None
        self._used.add(file)
        findings: list[Encoded] = entry[6]
        return findings

    def peek(self, file: str, digest: str, context: str) -> list[Encoded] | None:
        """The stored findings when content and context are those recorded (read-only: a
        forked worker may call it; the parent then `put`s what it got back)."""
        entry = self._entries.get(file)
        if entry is None or entry[0] != digest or entry[1] != context:
            return None
        findings: list[Encoded] = entry[6]
        return findings

    def put(
        self,
        file: str,
        digest: str,
        context: str,
        stat: StatKey,
        findings: list[Encoded],
        text: str | None = None,
    ) -> None:
        """Record `findings`; `text`, when given, is `encoded_text(findings)` (made where the
        file was checked, so that saving need not encode them again)."""
        self._used.add(file)
        entry = self._entries.get(file)
        if entry is not None and entry[:6] == [digest, context, *stat] and entry[6] == findings:
            # Verified by content and unchanged: rewrite the cache only when the entry has
            # become old enough to be trusted by its stat next time.
            changed = max(stat[0], stat[1])
            if self._trusted_before <= changed < self._started - RACY_NS:
                self._dirty = True
            return
        entry = [digest, context, *stat, findings]
        if text is not None:
            entry.append(text)  # an eighth field, in memory only
        self._entries[file] = entry
        self._dirty = True

    def save(self) -> None:
        """Write atomically; files not seen in this run are dropped (deleted or moved)."""
        if len(self._used) != len(self._entries):
            self._entries = {k: v for k, v in self._entries.items() if k in self._used}
            self._dirty = True
        if not self._dirty:
            return
        header = {
            "format": _FORMAT,
            "version": __version__,
            # Files modified after (or just before) this run started are verified next time.
            "trusted_before": self._started - RACY_NS,
        }
        try:
            # dumps, not dump: json.dump streams through the pure-Python encoder. But one
            # dumps of the whole document holds it twice at its peak (chunks, then the
            # joined text): 13 MB on 10,000 files, the run's peak. So the entries go out
            # in slices, each encoded by the C encoder. ASCII output escapes the lone
            # surrogates of undecodable file names.
            head = json.dumps(header, separators=(",", ":"))[:-1] + ',"files":{'
            # Entries whose findings' text came with them are written as text; the others
            # (read from the file, or put without it) are encoded here.
            texted = [(k, v) for k, v in self._entries.items() if len(v) == 8]
            entries = [(k, v) for k, v in self._entries.items() if len(v) != 8]
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # A name of this process's own, created exclusively (what tempfile.mkstemp
            # does, without tempfile's imports: shutil, lzma, bz2, random at start-up).
            tmp = self.path.parent / f".check-{os.getpid()}-{time.monotonic_ns()}"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "w", encoding="ascii") as out:
                    out.write(head)
                    for start in range(0, len(texted), _SAVE_SLICE):
                        chunk = texted[start : start + _SAVE_SLICE]
                        out.write("," if start else "")
                        out.write(",".join([_entry_text(k, v) for k, v in chunk]))
                        for _, entry in chunk:
                            del entry[7]  # written: the text is not needed again
                    for start in range(0, len(entries), _SAVE_SLICE):
                        part = dict(entries[start : start + _SAVE_SLICE])
                        out.write("," if start or texted else "")
                        out.write(json.dumps(part, separators=(",", ":"))[1:-1])
                    out.write("}}")
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as error:
            log.info("could not write the check cache %s: %s", self.path, error)

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            return
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            return
        if data.get("version") != __version__:
            return
        files = data.get("files")
        trusted = data.get("trusted_before")
        if not isinstance(files, dict) or type(trusted) is not int:
            return
        # Entries are checked for shape here, once, so lookups can index them blindly.
        entries: dict[str, list[Any]] = {}
        for name, entry in files.items():
            if (
                type(entry) is list
                and len(entry) == 7
                and type(entry[0]) is str
                and type(entry[1]) is str
                and all(type(n) is int for n in entry[2:6])
                and type(entry[6]) is list
            ):
                entries[name] = entry
        self._entries = entries
        self._trusted_before = trusted


def encoded_text(findings: list[Encoded]) -> str:
    """Encoded findings as the cache file holds them (what `save` would write for them)."""
    return _dumps(findings)


_dumps = json.JSONEncoder(separators=(",", ":")).encode


def _entry_text(file: str, entry: list[Any]) -> str:
    """`"file":[digest,context,mtime,ctime,size,inode,findings]` as json.dumps writes it,
    from an entry that carries its findings' text."""
    digest, context, mtime, ctime, size, inode, _, text = entry
    return (
        f"{_string(file)}:[{_string(digest)},{_string(context)},"
        f"{mtime:d},{ctime:d},{size:d},{inode:d},{text}]"
    )


_string = encode_basestring_ascii


def encode_findings(file: Path, findings: list[Finding]) -> list[Encoded]:
    """`findings` of `file` as plain lists (a finding on another path carries that path)."""
    return [encode(f, file) for f in findings]


def encode(finding: Finding, file: Path) -> Encoded:
    span = finding.span
    item = [
        span.line,
        span.column,
        span.end_line,
        span.end_column,
        finding.code.value,
        int(finding.severity),
        finding.message,
        encode_fix(finding.fix),
    ]
    if finding.path != file:
        item.append(str(finding.path))
    return item


def encode_fix(fix: FixData) -> list[Any]:
    """FixData's fields in declaration order, trailing empty ones left off."""
    values: list[Any] = [getattr(fix, name) for name in _FIX_FIELDS]
    values[_ALTERNATIVES] = list(fix.alternatives) if fix.alternatives else None
    while values and values[-1] is None:
        values.pop()
    return values


def decode_findings(file: Path, items: list[Encoded]) -> list[Finding] | None:
    """The findings of `file`, or None when the stored data is not what encode wrote."""
    try:
        return [decode(file, item) for item in items]
    except (ValueError, TypeError, KeyError, IndexError):
        return None


def valid_findings(items: list[Encoded]) -> bool:
    """Whether `items` are what `encode_findings` writes, so that decode_findings (and the
    JSON output, which reads them as they are) takes them: decode without the objects."""
    try:
        for item in items:
            if type(item) is not list:
                raise TypeError("finding")
            if len(item) == 9:
                if type(item[8]) is not str:
                    raise TypeError("path")
            elif len(item) != 8:
                raise ValueError("finding")
            if type(item[6]) is not str:
                raise TypeError("message")
            for number in item[:4]:
                if type(number) is not int:
                    raise TypeError("span")
            _CODES[item[4]]
            _SEVERITIES[item[5]]
            decode_fix(item[7])
    except (ValueError, TypeError, KeyError, IndexError):
        return False
    return True


def decode(file: Path, item: Encoded) -> Finding:
    if len(item) == 9:
        *item, other = item
        if type(other) is not str:
            raise TypeError("path")
        file = Path(other)
    line, column, end_line, end_column, code, severity, message, fix = item
    if type(message) is not str:
        raise TypeError("message")
    for number in (line, column, end_line, end_column):
        if type(number) is not int:
            raise TypeError("span")
    return Finding(
        file,
        Span(line, column, end_line, end_column),
        _CODES[code],
        _SEVERITIES[severity],
        message,
        decode_fix(fix),
    )


def decode_fix(values: list[Any]) -> FixData:
    if not values:
        return _EMPTY_FIX
    if type(values) is not list:
        raise TypeError("fix")
    # Few distinct fixes repeat over many findings (40 in 11,640 on the bench workspace).
    key: tuple[Any, ...] | None = tuple(values)
    try:
        known = _FIX_MEMO.get(key)  # type: ignore[arg-type]
    except TypeError:  # a list inside: the alternatives (or malformed)
        try:
            key = tuple(tuple(v) if type(v) is list else v for v in values)
            known = _FIX_MEMO.get(key)
        except TypeError:  # still unhashable: malformed, _decode_fix says so
            known = None
            key = None
    if known is None:
        known = _decode_fix(values)
        if key is not None:
            if len(_FIX_MEMO) > 4096:
                _FIX_MEMO.clear()
            _FIX_MEMO[key] = known
    return known


def _decode_fix(values: list[Any]) -> FixData:
    if len(values) > len(_FIX_FIELDS):
        raise TypeError("fix")
    values = list(values)
    for index, value in enumerate(values):
        if index == _ALTERNATIVES:
            if value is None:
                values[index] = ()
            elif type(value) is list and all(type(v) is str for v in value):
                values[index] = tuple(value)
            else:
                raise TypeError("fix alternatives")
        elif value is not None and type(value) is not str:
            raise TypeError("fix field")
    if len(values) > 2 and values[2] not in (None, "installed", "declared", "curated", "guessed"):
        raise ValueError("fix name_source")
    return FixData(*values)


_FIX_MEMO: dict[tuple[Any, ...], FixData] = {}
_EMPTY_FIX = FixData()


def cache_path(folders: Sequence[Path], python: Path | None) -> Path:
    """One cache file per (workspace folders, interpreter) combination."""
    from platformdirs import user_cache_dir

    key = context_fingerprint(*(str(f) for f in folders), str(python or ""))
    return Path(user_cache_dir("envsense")) / "check" / f"{key}.json"
