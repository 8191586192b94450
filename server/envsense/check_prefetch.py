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
from dataclasses import dataclass
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


def _frame_digest(header: bytes, payload: bytes) -> bytes:
    return hashlib.blake2b(header + payload, digest_size=8).digest()


def _target_key(target: Target) -> tuple[Any, ...]:
    version = target.version
    if version is None:
        return (None, target.platform)
    fields = (version.major, version.minor, version.micro, version.releaselevel, version.serial)
    return (*fields, version.exact, target.platform)


@dataclass(frozen=True)
class ScanPlan:
    """What the scanner reads: `first` the files the warm-up checks (in its order), each
    followed through the modules it imports (named as under `roots`), then `then`."""

    first: Sequence[int]
    then: Sequence[int]
    roots: Sequence[str] = ()


class PreparedScans:
    """The scans the scanner has written, by path: a `ScanSource` for
    ModuleReading.prepared. While `live` (the scanner running), a path not yet indexed
    makes it look for frames written since; each frame's digest is checked before its
    scan is used."""

    def __init__(self, memory: mmap.mmap, files: Sequence[Path]) -> None:
        self._memory = memory
        self._files = files
        # path -> (frame offset, payload length, digest of bytes, digest of text, whether
        # the frame's digest was checked)
        self._index: dict[str, tuple[int, int, bytes, bytes, bool]] = {}
        self._keys: dict[Target, tuple[Any, ...]] = {}
        self._parsed = _DATA_AT
        self.live = True

    def __len__(self) -> int:
        return len(self._index)

    def refresh(self, *, check: bool = True) -> None:
        """Index the frames committed since the last look (`check`: only those whose
        digest matches, stopping at the first that does not, to be read again later)."""
        memory = self._memory
        files = self._files
        (end,) = _COMMITTED.unpack_from(memory, 0)
        end = min(end, len(memory))
        offset = self._parsed
        while offset + _FRAME_SIZE <= end:
            index, length, data_digest, text_digest = _HEADER.unpack_from(memory, offset)
            following = offset + _FRAME_SIZE + length
            if index >= len(files) or following > end:
                break  # not yet seen as written
            if check and not self._intact(offset, length):
                break
            self._index[str(files[index])] = (offset, length, data_digest, text_digest, check)
            offset = following
        self._parsed = offset

    def settle(self) -> None:
        """The scanner was told to stop: index what it committed, and look no further."""
        if self.live:
            self.live = False
            # Unchecked here (serial, in the parent): each is checked where it is used.
            self.refresh(check=False)

    def _intact(self, offset: int, length: int) -> bool:
        memory = self._memory
        header = memory[offset : offset + _HEADER.size]
        check: bytes = _CHECK.unpack_from(memory, offset + _HEADER.size)[0]
        payload = memory[offset + _FRAME_SIZE : offset + _FRAME_SIZE + length]
        return _frame_digest(header, payload) == check

    def scan(self, path: Path, digest: bytes, target: Target) -> ImportScan | None:
        """The scan of `path` when it was made from content `digest` (of its bytes or of
        its decoded text) for `target`; None otherwise."""
        name = str(path)
        entry = self._index.get(name)
        if entry is None and self.live:
            self.refresh()
            entry = self._index.get(name)
        if entry is None or digest not in (entry[2], entry[3]):
            return None
        offset, length, _, _, checked = entry
        if not checked and not self._intact(offset, length):
            return None
        start = offset + _FRAME_SIZE
        try:
            key, encoded = marshal.loads(self._memory[start : start + length])
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
    """A forked process scanning the files of a `ScanPlan`, until stopped."""

    def __init__(self, memory: mmap.mmap, pid: int, files: Sequence[Path]) -> None:
        self._memory = memory
        self._pid = pid
        # Live until `finish`: the warm-up reads scans as they come.
        self.prepared = PreparedScans(memory, files)
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
        return cls(memory, pid, files)

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

    def __init__(self, memory: mmap.mmap, files: Sequence[Path], target: Target) -> None:
        self.memory = memory
        self.files = files
        self.target = target
        self.key = _target_key(target)
        self.offset = _DATA_AT

    def write(self, index: int) -> ImportScan | None:
        """Scan `files[index]` into the memory; its scan, None when it was left out."""
        memory = self.memory
        if memory[_STOP_AT]:
            raise _Stopped
        path = self.files[index]
        if path.suffix not in (".py", ".pyi"):
            return None
        target = self.target
        try:
            data = read_bytes(path, SOURCE_LIMIT)
            if b"\x00" in data:
                return None  # binary: extract_imports_from_bytes tells it apart, leave it to it
            text = decode_source(data, name=str(path))
            if text.count("\n") > SOURCE_LINE_LIMIT:
                return None
            scan = extract_imports(text, version=target.version, platform=target.platform)
            payload = marshal.dumps((self.key, encode_scan(scan)))
            data_digest = hashlib.blake2b(data, digest_size=16).digest()
            # ASCII (most sources): the decoded text encodes back to these very bytes.
            text_digest = (
                data_digest
                if data.isascii()
                else hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
            )
        except Exception:  # the check meets the same trouble and reports it
            return None
        end = self.offset + _FRAME_SIZE + len(payload)
        if end > len(memory):
            raise _Stopped
        header = _HEADER.pack(index, len(payload), data_digest, text_digest)
        memory[self.offset : end] = header + _CHECK.pack(_frame_digest(header, payload)) + payload
        _COMMITTED.pack_into(memory, 0, end)
        self.offset = end
        return scan


def _scan_into(
    memory: mmap.mmap,
    files: Sequence[Path],
    plan: ScanPlan,
    target: Target,
) -> None:
    """In the scanner: the warm-up's files, each followed through the project modules it
    imports in the order its import chains will read them, then the rest of `plan`."""
    writer = _Writer(memory, files, target)
    names = _module_names(files, plan.roots)
    dotted = {index: name for name, index in names.items()}
    done: set[int] = set()
    try:
        for first in plan.first:
            stack = [first]
            while stack:
                index = stack.pop()
                if index in done:
                    continue
                done.add(index)
                scan = writer.write(index)
                if scan is not None:
                    package = files[index].name in ("__init__.py", "__init__.pyi")
                    followed = _followed(scan, dotted.get(index), package, names)
                    stack.extend(reversed(followed))
        for index in plan.then:
            if index not in done:
                writer.write(index)
    except _Stopped:
        return


def _module_names(files: Sequence[Path], roots: Sequence[str]) -> dict[str, int]:
    """Dotted module name -> index in `files`, for the files under one of `roots`."""
    prefixes = [root.rstrip(os.sep) + os.sep for root in roots]
    names: dict[str, int] = {}
    for index, path in enumerate(files):
        text = str(path)
        if not text.endswith((".py", ".pyi")):
            continue
        for prefix in prefixes:
            if text.startswith(prefix):
                parts = text[len(prefix) :].rsplit(".", 1)[0].split(os.sep)
                if parts[-1] == "__init__":
                    parts.pop()
                if parts:
                    names.setdefault(".".join(parts), index)
                break
    return names


def _followed(scan: ImportScan, own: str | None, package: bool, names: dict[str, int]) -> list[int]:
    """Files of the walk a module's chains may read next: what it imports at module level,
    with the packages above each (the chain walk decides what really runs)."""
    found: list[int] = []
    for ref in scan.imports:
        if ref.in_function or ref.type_checking or ref.main_block:
            continue
        module = ref.module
        if ref.level:
            if own is None:
                continue
            base = own.split(".") if package else own.split(".")[:-1]
            up = ref.level - 1
            if up > len(base):
                continue
            base = base[: len(base) - up]
            module = ".".join([*base, module] if module else base)
        if not module:
            continue
        parts = module.split(".")
        candidates = [".".join(parts[: n + 1]) for n in range(len(parts))]
        candidates += [f"{module}.{name}" for name in ref.names]
        for candidate in candidates:
            index = names.get(candidate)
            if index is not None:
                found.append(index)
    return found
