"""The second core before the pool forks: a process scans files' imports ahead of need.

While the parent prepares each folder (projects, cache contexts) and checks its warm-up
sample (filling the import-chain caches the workers will inherit), the other core would
idle. A process forked first reads the files, far end of the walk first, and extracts
their imports (the part of a check that needs no shared cache) for the target of the
first file's environment, and writes each scan (as `scan_codec` tuples, marshalled) into
memory shared with the parent. When the warm-up ends the parent stops it and indexes what
was written; the workers forked next inherit the index and, where a file's content digest
and target match, decode its scan instead of extracting it (a twentieth of the cost). A
scan is only used for the exact content and target it was made from, so findings are
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
from pathlib import Path
from typing import Any

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
_DATA_AT = 16
# A frame: file index, payload length, digest of the file's bytes, digest of its decoded
# text, then a digest of all that and the payload. The parent reads frames while the
# scanner may still write the next one, and memory ordering between cores differs by
# CPU: a frame whose digest does not match is never used.
_HEADER = struct.Struct("<II16s16s")
_CHECK = struct.Struct("<8s")
_FRAME_SIZE = _HEADER.size + _CHECK.size
# How long the parent waits, once done with it, for the scanner to see the stop flag
# (it looks between files) before killing it.
_STOP_TIMEOUT = 2.0


def _frame_digest(header: bytes, payload: bytes) -> bytes:
    return hashlib.blake2b(header + payload, digest_size=8).digest()


def _target_key(target: Target) -> tuple[Any, ...]:
    version = target.version
    if version is None:
        return (None, target.platform)
    fields = (version.major, version.minor, version.micro, version.releaselevel, version.serial)
    return (*fields, version.exact, target.platform)


class PreparedScans:
    """Scans the scanner wrote up to `end`, by path: a `ScanSource` for
    ModuleReading.prepared. Each frame is verified when used, not when indexed (the
    workers verify what they use, in parallel)."""

    def __init__(self, memory: mmap.mmap, files: Sequence[Path], end: int) -> None:
        self._memory = memory
        # path -> (frame offset, payload length, digest of bytes, digest of text)
        self._index: dict[str, tuple[int, int, bytes, bytes]] = {}
        self._keys: dict[Target, tuple[Any, ...]] = {}
        offset = _DATA_AT
        while offset + _FRAME_SIZE <= end:
            index, length, data_digest, text_digest = _HEADER.unpack_from(memory, offset)
            if index >= len(files) or offset + _FRAME_SIZE + length > end:
                break  # not written as read: what follows can't be found
            self._index[str(files[index])] = (offset, length, data_digest, text_digest)
            offset += _FRAME_SIZE + length

    def __len__(self) -> int:
        return len(self._index)

    def scan(self, path: Path, digest: bytes, target: Target) -> ImportScan | None:
        """The scan of `path` when it was made from content `digest` (of its bytes or of
        its decoded text) for `target`; None otherwise."""
        entry = self._index.get(str(path))
        if entry is None or digest not in (entry[2], entry[3]):
            return None
        offset, length, _, _ = entry
        memory = self._memory
        header = memory[offset : offset + _HEADER.size]
        (check,) = _CHECK.unpack_from(memory, offset + _HEADER.size)
        payload = memory[offset + _FRAME_SIZE : offset + _FRAME_SIZE + length]
        if _frame_digest(header, payload) != check:
            return None
        try:
            key, encoded = marshal.loads(payload)
            if key != self._key(target):
                return None
            return decode_scan(encoded)
        except (ValueError, TypeError, EOFError) as error:
            log.debug("prepared scan of %s unusable: %s", path, error)
            return None

    def _key(self, target: Target) -> tuple[Any, ...]:
        key = self._keys.get(target)
        if key is None:
            key = self._keys[target] = _target_key(target)
        return key


class ScanAhead:
    """A forked process scanning `files[i]` for each i of `order`, until stopped."""

    def __init__(self, memory: mmap.mmap, pid: int, files: Sequence[Path]) -> None:
        self._memory = memory
        self._pid = pid
        self._files = files
        self._prepared: PreparedScans | None = None
        self._reaped = False

    @classmethod
    def start(cls, files: Sequence[Path], order: Sequence[int], target: Target) -> ScanAhead | None:
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
                _scan_into(memory, files, order, target)
            except BaseException:
                status = 1
            finally:
                os._exit(status)
        return cls(memory, pid, files)

    def finish(self) -> PreparedScans:
        """Tell the scanner to stop and index what it has written so far (without waiting
        for it: it may finish the file in hand). Called again, the same answer."""
        if self._prepared is None:
            self._memory[_STOP_AT] = 1
            (end,) = _COMMITTED.unpack_from(self._memory, 0)
            end = min(end, len(self._memory))
            self._prepared = PreparedScans(self._memory, self._files, end)
        return self._prepared

    def wait(self, timeout: float) -> bool:
        """Wait (at most `timeout` seconds) for the scanner to end by itself, having scanned
        every file of its order; True when it has."""
        if not self._reaped:
            self._reaped = _wait(self._pid, timeout)
        return self._reaped

    def reap(self) -> None:
        """Stop the scanner for good and collect its exit (killed if it does not stop)."""
        self.finish()
        if self._reaped:
            return
        self._reaped = True
        if not _wait(self._pid, _STOP_TIMEOUT):
            log.debug("the scanner did not stop; killing it")
            try:
                os.kill(self._pid, signal.SIGKILL)
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
    and no collections (they would copy the parent's pages)."""
    gc.disable()
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    os.close(null)


def _scan_into(
    memory: mmap.mmap, files: Sequence[Path], order: Sequence[int], target: Target
) -> None:
    """In the scanner: one frame per file scanned, committed once whole."""
    offset = _DATA_AT
    limit = len(memory)
    key = _target_key(target)
    for index in order:
        if memory[_STOP_AT]:
            return
        path = files[index]
        if path.suffix not in (".py", ".pyi"):
            continue
        try:
            data = read_bytes(path, SOURCE_LIMIT)
            if b"\x00" in data:
                continue  # binary: extract_imports_from_bytes tells it apart, leave it to it
            text = decode_source(data, name=str(path))
            if text.count("\n") > SOURCE_LINE_LIMIT:
                continue
            scan = extract_imports(text, version=target.version, platform=target.platform)
            payload = marshal.dumps((key, encode_scan(scan)))
            data_digest = hashlib.blake2b(data, digest_size=16).digest()
            text_digest = hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
        except Exception:  # the check meets the same trouble and reports it
            continue
        end = offset + _FRAME_SIZE + len(payload)
        if end > limit:
            return
        header = _HEADER.pack(index, len(payload), data_digest, text_digest)
        frame = header + _CHECK.pack(_frame_digest(header, payload)) + payload
        memory[offset:end] = frame
        _COMMITTED.pack_into(memory, 0, end)
        offset = end
