"""The second core before the pool forks: a process scans files' imports ahead of need.

While the parent imports, walks, prepares each folder (projects, cache contexts) and
checks its warm-up sample (filling the import-chain caches the workers will inherit), the
other core would idle. A process forked as the check starts (or, failing that, right after
the walk) extracts imports (the part of a check that needs no shared cache): first the
warm-up's files, each followed depth first through the modules it imports (the order its
import chains will read them), then the rest from the far end (check_scanner.py). Each scan (`scan_codec` tuples, marshalled)
goes into memory shared with the parent, in a frame with a digest. The warm-up takes scans
as they are committed; when it ends the parent kills the scanner and indexes the rest for
the workers it forks next. A scan is used only where the file's content digest and the
interpreter match (decoding costs a twenty-fifth of extracting), so findings are
unchanged.
"""

from __future__ import annotations

import logging
import marshal
import mmap
import os
import select
import signal
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from envsense.check_claims import WAIT_SECONDS, pause
from envsense.check_pool import available_cpus, can_fork, spare_core
from envsense.check_scanner import quiet, scan_early, scan_into
from envsense.core.files import ListedFolder
from envsense.core.imports.conditions import Target
from envsense.core.imports.extract import ImportScan
from envsense.core.imports.scan_codec import decode_scan
from envsense.fork_pool import flush_output
from envsense.scan_memory import (
    AIM_AT,
    AIM_LENGTH,
    ANY_TARGET,
    BUFFER_BYTES,
    CHECK,
    CLAIMS_AT,
    COMMITTED,
    DATA_AT,
    FRAME_SIZE,
    HEADER,
    STOP_AT,
    WALK_AT,
    WALK_LENGTH,
    WALK_NONE,
    ScanPlan,
    claims_in,
    frame_digest,
    payload_digest,
    target_key,
)

__all__ = ["PreparedScans", "ScanAhead", "ScanPlan"]

log = logging.getLogger(__name__)

# How long the parent waits for an early scanner's walk before walking itself (it walks
# the same folders at the same speed, from earlier), and how often it looks.
WALK_WAIT_SECONDS = 5.0
_WALK_POLL = 0.0005


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
        self._parsed = DATA_AT
        self._claims = claims_in(memory)
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
        (end,) = COMMITTED.unpack_from(memory, 0)
        end = min(end, len(memory))
        offset = self._parsed
        while offset + FRAME_SIZE <= end:
            named, length, data_digest, text_digest = HEADER.unpack_from(memory, offset)
            body = offset + FRAME_SIZE
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
        header = memory[offset : offset + HEADER.size]
        check: bytes = CHECK.unpack_from(memory, offset + HEADER.size)[0]
        body = memory[offset + FRAME_SIZE : offset + FRAME_SIZE + size]
        return frame_digest(header, body) == check

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
        if not checked and not self._intact(body - FRAME_SIZE, named + length):
            return None
        start = body + named
        try:
            key, encoded = marshal.loads(self._memory[start : start + length])
            if key != self._key(target) and key != ANY_TARGET:
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
        while claims.scanning(name) and not self._memory[STOP_AT]:
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
            key = self._keys[target] = target_key(target)
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
        return cls._fork(lambda memory: scan_into(memory, files, plan, target))

    @classmethod
    def start_early(cls, paths: Sequence[Path]) -> ScanAhead | None:
        """A scanner forked as `envsense check` starts, before the session exists (so on
        the idle core while this one imports, walks and finds the interpreter): it walks
        `paths` itself, as the check will, and scans in the warm-up's order what reads
        the same on every interpreter, until `aim` names the one. None where a pool would
        not run or no core is spare (the caller then starts one later, or none)."""
        if not can_fork() or available_cpus() < 2 or not spare_core():
            return None
        return cls._fork(lambda memory: scan_early(memory, paths))

    def aim(self, target: Target, roots: Sequence[str], site: Sequence[str]) -> None:
        """Tell a scanner from `start_early` the interpreter (and the project roots and
        site-packages folders its order follows modules in)."""
        memory = self._memory
        payload = marshal.dumps((target_key(target), tuple(roots), tuple(site)))
        start = AIM_AT + AIM_LENGTH.size
        if start + len(payload) > CLAIMS_AT:
            return  # it keeps to the scans that hold on every interpreter
        memory[start : start + len(payload)] = payload
        AIM_LENGTH.pack_into(memory, AIM_AT, len(payload))

    def take_walk(
        self, timeout: float = WALK_WAIT_SECONDS
    ) -> tuple[list[Path], dict[str, ListedFolder], float] | None:
        """The walk a scanner from `start_early` made of the folders to check: the files
        in walk order, the folders' listings and when the walk started (as
        iter_checkable_files gives them); None when it published none or took longer than
        `timeout` (then the caller walks)."""
        memory = self._memory
        start = WALK_AT + WALK_LENGTH.size
        deadline = time.monotonic() + timeout
        while True:
            length, digest = WALK_LENGTH.unpack_from(memory, WALK_AT)
            if length == WALK_NONE:
                return None
            if length and start + length <= AIM_AT:
                payload = memory[start : start + length]
                if payload_digest(payload) == digest:
                    break
            if self.wait(0) or time.monotonic() > deadline:
                return None
            time.sleep(_WALK_POLL)
        try:
            names, listings, since, messages = marshal.loads(payload)
            files = [Path(name) for name in names]
            listed = {folder: ListedFolder(*listing) for folder, listing in listings.items()}
        except (ValueError, TypeError, EOFError) as error:
            log.debug("the scanner's walk is unusable: %s", error)
            return None
        walk_log = logging.getLogger("envsense.core.files")
        for level, message in messages:
            walk_log.log(level, "%s", message)  # what the walk said, as if walked here
        return files, listed, float(since)

    def adoptable(self) -> bool:
        """Whether a scanner from `start_early` is worth aiming: still scanning, or done
        with scans written (one that found too few files for a pool wrote none)."""
        committed: int = COMMITTED.unpack_from(self._memory, 0)[0]
        return committed > 0 or not self.wait(0)

    @classmethod
    def _fork(cls, scan: Callable[[mmap.mmap], None]) -> ScanAhead | None:
        try:
            memory = mmap.mmap(-1, BUFFER_BYTES)
        except (OSError, ValueError) as error:
            log.debug("no memory for prepared scans: %s", error)
            return None
        flush_output()
        try:
            pid = os.fork()
        except OSError as error:
            log.debug("cannot fork the scanner: %s", error)
            memory.close()
            return None
        if pid == 0:  # pragma: no cover (the child ends in os._exit; coverage can't see it)
            status = 0
            try:
                quiet()
                scan(memory)
            except BaseException:
                status = 1
            finally:
                os._exit(status)
        return cls(memory, pid)

    def finish(self) -> PreparedScans:
        """End the scanner (wherever it is: a frame it had not committed is never read)
        and index what it wrote. Called again, the same answer."""
        if self.prepared.live:
            self._memory[STOP_AT] = 1
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
    if timeout > 0:  # a look without waiting (take_walk polls so) needs no descriptor
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
