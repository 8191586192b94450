"""The second core before the pool forks: a process scans files' imports ahead of need.

While the parent prepares each folder (projects, cache contexts) and checks its warm-up
sample (filling the import-chain caches the workers will inherit), the other core would
idle. A process forked right after the walk extracts imports (the part of a check that
needs no shared cache) for the first file's interpreter: first the warm-up's files, each
followed depth first through the modules it imports (the order its import chains will
read them), then the rest from the far end. Each scan (`scan_codec` tuples, marshalled)
goes into memory shared with the parent, in a frame with a digest. The warm-up takes scans
as they are committed; when it ends the parent kills the scanner and indexes the rest for
the workers it forks next. A scan is used only where the file's content digest and the
interpreter match (decoding costs a twenty-fifth of extracting), so findings are
unchanged.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import marshal
import mmap
import os
import select
import signal
import struct
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from envsense.check_claims import WAIT_SECONDS, Claims, pause
from envsense.check_scan_order import FollowedModules
from envsense.core.checks.chain_limits import MAX_DEPTH
from envsense.core.imports.conditions import Target
from envsense.core.imports.extract import ImportScan, decode_source, extract_imports
from envsense.core.imports.scan_codec import decode_scan, encode_scan
from envsense.core.safe_read import SOURCE_LIMIT, SOURCE_LINE_LIMIT, read_bytes

log = logging.getLogger(__name__)

# Shared memory for the scans (only the pages written are allocated): django's 2,823
# files encode to 0.9 MB; past this the scanner stops.
_BUFFER_BYTES = 64 * 1024 * 1024
# Committed bytes (written after each whole frame), then the parent's stop flag.
_COMMITTED = struct.Struct("<Q")
_STOP_AT = 8
_CURRENT_AT = 16  # the file the scanner is on (check_claims.py)
_DATA_AT = 24
# The files the warm-up read itself, logged for the scanner to skip: the buffer's tail.
_CLAIMS_AT = _BUFFER_BYTES - 4 * 1024 * 1024
# A frame: path length, payload length, digest of the file's bytes, digest of its decoded
# text; a digest of all that, the path and the payload; the path; the payload. The parent
# reads frames while the scanner may still write the next one, and memory ordering
# between cores differs by CPU: a frame whose digest does not match is never used.
_HEADER = struct.Struct("<II16s16s")
_CHECK = struct.Struct("<8s")
_FRAME_SIZE = _HEADER.size + _CHECK.size


def _frame_digest(header: bytes, body: bytes) -> bytes:
    return hashlib.blake2b(header + body, digest_size=8).digest()


def _target_key(target: Target) -> tuple[Any, ...]:
    version = target.version
    if version is None:
        return (None, target.platform)
    fields = (version.major, version.minor, version.micro, version.releaselevel, version.serial)
    return (*fields, version.exact, target.platform)


@dataclass(frozen=True)
class ScanPlan:
    """What the scanner reads: `first` the files the warm-up checks (in its order), each
    followed through the modules it imports (the project's, named as under `roots`, to the
    end; installed ones, found in the `site` folders, MAX_DEPTH deep), then `then`."""

    first: Sequence[int]
    then: Sequence[int]
    roots: Sequence[str] = ()
    site: Sequence[str] = ()


class PreparedScans:
    """The scans the scanner has written, by path: a `ScanSource` for
    ModuleReading.prepared. While `live` (the scanner running), a path not yet indexed
    makes it look for frames written since; each frame's digest is checked before its
    scan is used."""

    def __init__(self, memory: mmap.mmap) -> None:
        self._memory = memory
        # path -> (offset of the body (path, payload), path length, payload length, digest
        # of bytes, digest of text, whether the frame's digest was checked)
        self._index: dict[str, tuple[int, int, int, bytes, bytes, bool]] = {}
        self._keys: dict[Target, tuple[Any, ...]] = {}
        self._parsed = _DATA_AT
        self._claims = _claims(memory)
        self.live = True

    def __len__(self) -> int:
        return len(self._index)

    def paths(self) -> list[str]:
        """The paths scanned, in the order they were."""
        return list(self._index)

    def refresh(self, *, check: bool = True) -> None:
        """Index the frames committed since the last look (`check`: only those whose
        digest matches, stopping at the first that does not, to be read again later)."""
        memory = self._memory
        (end,) = _COMMITTED.unpack_from(memory, 0)
        end = min(end, len(memory))
        offset = self._parsed
        while offset + _FRAME_SIZE <= end:
            named, length, data_digest, text_digest = _HEADER.unpack_from(memory, offset)
            body = offset + _FRAME_SIZE
            following = body + named + length
            if following > end:
                break  # not yet seen as written
            if check and not self._intact(offset, named + length):
                break
            try:
                path = os.fsdecode(memory[body : body + named])
            except UnicodeError:
                break
            self._index[path] = (body, named, length, data_digest, text_digest, check)
            offset = following
        self._parsed = offset

    def settle(self) -> None:
        """The scanner was told to stop: index what it committed, and look no further."""
        if self.live:
            self.live = False
            # Unchecked here (serial, in the parent): each is checked where it is used.
            self.refresh(check=False)

    def _intact(self, offset: int, size: int) -> bool:
        memory = self._memory
        header = memory[offset : offset + _HEADER.size]
        check: bytes = _CHECK.unpack_from(memory, offset + _HEADER.size)[0]
        body = memory[offset + _FRAME_SIZE : offset + _FRAME_SIZE + size]
        return _frame_digest(header, body) == check

    def scan(self, path: Path, digest: bytes, target: Target, *, text: bool) -> ImportScan | None:
        """The scan of `path` when it was made for `target` from content `digest` (of its
        decoded text when `text`, else of its bytes); None otherwise."""
        name = str(path)
        entry = self._index.get(name)
        if entry is None and self.live:
            self.refresh()
            entry = self._index.get(name)
            if entry is None:
                entry = self._await_or_claim(name)
        if entry is None or digest != entry[4 if text else 3]:
            return None
        body, named, length, _, _, checked = entry
        if not checked and not self._intact(body - _FRAME_SIZE, named + length):
            return None
        start = body + named
        try:
            key, encoded = marshal.loads(self._memory[start : start + length])
            if key != self._key(target):
                return None
            return decode_scan(encoded)
        except (ValueError, TypeError, EOFError) as error:
            log.debug("prepared scan of %s unusable: %s", path, error)
            return None

    def _await_or_claim(self, name: str) -> tuple[int, int, int, bytes, bytes, bool] | None:
        """Not scanned yet: the scanner's frame when it is on `name` now and commits it
        soon; else None, `name` logged as read here (the caller extracts it)."""
        claims = self._claims
        deadline = 0.0
        while claims.scanning(name) and not self._memory[_STOP_AT]:
            now = time.monotonic()
            if not deadline:
                deadline = now + WAIT_SECONDS
            elif now > deadline:
                break
            pause()
            self.refresh()
            entry = self._index.get(name)
            if entry is not None:
                return entry
        claims.claim(name)
        return None

    def _key(self, target: Target) -> tuple[Any, ...]:
        key = self._keys.get(target)
        if key is None:
            key = self._keys[target] = _target_key(target)
        return key


class ScanAhead:
    """A forked process scanning the files of a `ScanPlan`, until stopped."""

    def __init__(self, memory: mmap.mmap, pid: int) -> None:
        self._memory = memory
        self._pid = pid
        # Live until `finish`: the warm-up reads scans as they come.
        self.prepared = PreparedScans(memory)
        self._reaped = False

    @classmethod
    def start(cls, files: Sequence[Path], plan: ScanPlan, target: Target) -> ScanAhead | None:
        """Fork the scanner; None when it can't be (then nothing is prepared)."""
        try:
            memory = mmap.mmap(-1, _BUFFER_BYTES)
        except (OSError, ValueError) as error:
            log.debug("no memory for prepared scans: %s", error)
            return None
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError, AttributeError):
                pass
        try:
            pid = os.fork()
        except OSError as error:
            log.debug("cannot fork the scanner: %s", error)
            memory.close()
            return None
        if pid == 0:  # pragma: no cover (the child ends in os._exit; coverage can't see it)
            status = 0
            try:
                _quiet()
                _scan_into(memory, files, plan, target)
            except BaseException:
                status = 1
            finally:
                os._exit(status)
        return cls(memory, pid)

    def finish(self) -> PreparedScans:
        """End the scanner (wherever it is: a frame it had not committed is never read)
        and index what it wrote. Called again, the same answer."""
        if self.prepared.live:
            self._memory[_STOP_AT] = 1
            if not self._reaped:
                try:
                    os.kill(self._pid, signal.SIGKILL)
                except OSError:
                    pass
            self.prepared.settle()
        return self.prepared

    def wait(self, timeout: float) -> bool:
        """Wait (at most `timeout` seconds) for the scanner to end by itself, having scanned
        every file of its plan; True when it has."""
        if not self._reaped:
            self._reaped = _wait(self._pid, timeout)
        return self._reaped

    def reap(self) -> None:
        """End the scanner and collect its exit status."""
        self.finish()
        if not self._reaped:
            self._reaped = True
            try:
                os.waitpid(self._pid, 0)
            except OSError:
                pass


def _wait(pid: int, timeout: float) -> bool:
    """Wait for `pid` to exit, at most `timeout` seconds; True once it has been reaped."""
    deadline = time.monotonic() + timeout
    pidfd = -1
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pass
    try:
        while True:
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                return True  # reaped elsewhere
            if done:
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if pidfd >= 0:
                select.select([pidfd], [], [], left)
            else:
                time.sleep(min(left, 0.001))
    finally:
        if pidfd >= 0:
            os.close(pidfd)


def _quiet() -> None:
    """In the scanner: nothing on the user's terminal (the check itself says it all once)
    and no collections (they would copy the parent's pages). Not niced: on a loaded machine
    a niced scanner fell behind the warm-up and saved it nothing (django, load 5-6: the
    warm-up still extracted 396 of its 399 module files), while at the same priority it
    saved more of the parent's time than it took."""
    gc.disable()
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    os.close(null)


class _Stopped(Exception):
    """The parent set the stop flag."""


class _Writer:
    """In the scanner: one frame per file scanned, committed once whole."""

    def __init__(self, memory: mmap.mmap, target: Target) -> None:
        self.memory = memory
        self.claims = _claims(memory)
        self.target = target
        self.key = _target_key(target)
        self.offset = _DATA_AT

    def write(self, path: str) -> ImportScan | None:
        """Scan `path` into the memory; its scan when the chain walk follows what it
        imports, None when it was left out or edits sys.path."""
        memory = self.memory
        if memory[_STOP_AT]:
            raise _Stopped
        if not path.endswith((".py", ".pyi")):
            return None
        if not self.claims.begin(path):
            return None  # the warm-up read it (and follows what it imports)
        try:
            return self._write(path)
        finally:
            self.claims.end()

    def _write(self, path: str) -> ImportScan | None:
        memory = self.memory
        target = self.target
        try:
            data = read_bytes(path, SOURCE_LIMIT)
            if b"\x00" in data:
                return None  # binary: extract_imports_from_bytes tells it apart, leave it to it
            text = decode_source(data, name=path)
            if text.count("\n") > SOURCE_LINE_LIMIT:
                return None
            scan = extract_imports(text, version=target.version, platform=target.platform)
            payload = marshal.dumps((self.key, encode_scan(scan)))
            data_digest = hashlib.blake2b(data, digest_size=16).digest()
            encoded = text.encode("utf-8")
            # Most sources: the decoded text encodes back to these very bytes.
            text_digest = (
                data_digest
                if encoded == data
                else hashlib.blake2b(encoded, digest_size=16).digest()
            )
            name = os.fsencode(path)
        except Exception:  # the check meets the same trouble and reports it
            return None
        body = name + payload
        end = self.offset + _FRAME_SIZE + len(body)
        if end > _CLAIMS_AT:
            raise _Stopped
        header = _HEADER.pack(len(name), len(payload), data_digest, text_digest)
        memory[self.offset : end] = header + _CHECK.pack(_frame_digest(header, body)) + body
        _COMMITTED.pack_into(memory, 0, end)
        self.offset = end
        # A module that edits sys.path is where the chain walk stops (ImportOutcomes).
        return None if b"sys.path" in data else scan


def _claims(memory: mmap.mmap) -> Claims:
    return Claims(memory, _CURRENT_AT, _CLAIMS_AT, len(memory))


def _scan_into(
    memory: mmap.mmap,
    files: Sequence[Path],
    plan: ScanPlan,
    target: Target,
) -> None:
    """In the scanner: the warm-up's files, each followed through the modules it imports
    in the order its import chains will read them, then the rest of `plan`."""
    writer = _Writer(memory, target)
    modules = FollowedModules(files, plan.roots, plan.site)
    done: set[str] = set()
    try:
        for first in plan.first:
            stack = [(str(files[first]), 0)]
            while stack:
                path, depth = stack.pop()
                if path in done:
                    continue
                done.add(path)
                scan = writer.write(path)
                if scan is not None and depth < MAX_DEPTH:
                    stack.extend(reversed(modules.followed(scan, path, depth)))
        for index in plan.then:
            path = str(files[index])
            if path not in done:
                writer.write(path)
    except _Stopped:
        return
