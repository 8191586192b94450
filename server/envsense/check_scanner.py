"""The import scanner's own process (forked by check_prefetch.ScanAhead): it extracts the
imports of the files of a plan into the memory it shares with the parent (scan_memory.py),
in the order the warm-up's import chains will read them, until the plan ends or the parent
stops it.

A scanner started before the interpreter is known (ScanAhead.start_early) walks the
folders itself and commits only scans during which no condition read the target
(`conditions.target_reads`): those read the same on every interpreter. The others wait
until the parent aims it, and are scanned first then.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import marshal
import mmap
import os
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from envsense import check_pool
from envsense.check_pool import warm_up_sample
from envsense.check_scan_order import FollowedModules
from envsense.core.checks.chain_limits import MAX_DEPTH
from envsense.core.imports.conditions import Target, target_reads
from envsense.core.imports.extract import ImportScan, decode_source, extract_imports
from envsense.core.imports.scan_codec import encode_scan
from envsense.core.safe_read import SOURCE_LIMIT, SOURCE_LINE_LIMIT, read_bytes
from envsense.scan_memory import (
    AIM_AT,
    AIM_LENGTH,
    ANY_TARGET,
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
    target_of,
)

# How often a scanner done with all it could scan looks for the parent's aim.
_AIM_POLL = 0.002


def quiet() -> None:
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

    def __init__(self, memory: mmap.mmap, target: Target | None) -> None:
        self.memory = memory
        self.claims = claims_in(memory)
        # None until the parent aims the scanner (start_early): only scans that read
        # nothing of the target are committed; the others wait in `deferred`.
        self.target = target
        self.key = None if target is None else target_key(target)
        self.deferred: list[str] = []
        self.offset = DATA_AT

    def aimed(self) -> tuple[Sequence[str], Sequence[str]] | None:
        """Take the target the parent wrote (once): the roots and site folders it came
        with; None while there is none."""
        memory = self.memory
        (length,) = AIM_LENGTH.unpack_from(memory, AIM_AT)
        start = AIM_AT + AIM_LENGTH.size
        if not length or start + length > CLAIMS_AT:
            return None
        try:
            key, roots, site = marshal.loads(memory[start : start + length])
            target = target_of(tuple(key))
        except (ValueError, TypeError, EOFError):
            return None
        self.target = target
        self.key = target_key(target)
        return roots, site

    def write(self, path: str) -> ImportScan | None:
        """Scan `path` into the memory; its scan when the chain walk follows what it
        imports, None when it was left out or edits sys.path."""
        memory = self.memory
        if memory[STOP_AT]:
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
            if len(text) > SOURCE_LINE_LIMIT and text.count("\n") > SOURCE_LINE_LIMIT:
                return None
            if target is None:
                before = target_reads()
                scan = extract_imports(text)
                if target_reads() != before:
                    self.deferred.append(path)  # scanned again once the target is known
                    return None
                key: tuple[Any, ...] | None = ANY_TARGET
            else:
                scan = extract_imports(text, version=target.version, platform=target.platform)
                key = self.key
            payload = marshal.dumps((key, encode_scan(scan)))
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
        end = self.offset + FRAME_SIZE + len(body)
        if end > WALK_AT:
            raise _Stopped
        header = HEADER.pack(len(name), len(payload), data_digest, text_digest)
        memory[self.offset : end] = header + CHECK.pack(frame_digest(header, body)) + body
        COMMITTED.pack_into(memory, 0, end)
        self.offset = end
        # A module that edits sys.path is where the chain walk stops (ImportOutcomes).
        return None if b"sys.path" in data else scan


def scan_into(
    memory: mmap.mmap,
    files: Sequence[Path],
    plan: ScanPlan,
    target: Target | None,
) -> None:
    """In the scanner: the warm-up's files, each followed through the modules it imports
    in the order its import chains will read them, then the rest of `plan`. With no
    `target` yet, it takes the one the parent aims it at as soon as it is written."""
    writer = _Writer(memory, target)
    modules = FollowedModules(files, plan.roots, plan.site)
    done: set[str] = set()

    def take_aim() -> bool:
        nonlocal modules
        aimed = writer.aimed()
        if aimed is None:
            return False
        roots, site = aimed
        if (tuple(roots), tuple(site)) != (tuple(plan.roots), tuple(plan.site)):
            modules = FollowedModules(files, roots, site)
        deferred, writer.deferred = writer.deferred, []
        for waiting in deferred:
            writer.write(waiting)
        return True

    def write(path: str) -> ImportScan | None:
        if writer.target is None:
            take_aim()
        return writer.write(path)

    try:
        for first in plan.first:
            stack = [(str(files[first]), 0)]
            while stack:
                path, depth = stack.pop()
                if path in done:
                    continue
                done.add(path)
                scan = write(path)
                if scan is not None and depth < MAX_DEPTH:
                    stack.extend(reversed(modules.followed(scan, path, depth)))
        for index in plan.then:
            path = str(files[index])
            if path not in done:
                write(path)
        # Files left for the interpreter: wait for it (or to be stopped).
        while writer.deferred and not take_aim():
            if memory[STOP_AT]:
                return
            time.sleep(_AIM_POLL)
    except _Stopped:
        return


def scan_early(memory: mmap.mmap, paths: Sequence[Path]) -> None:
    """In a scanner started before the check walked: the same walk (published for the
    parent, which then need not walk), then the plan the check would give (the roots
    guessed from the folder named, until `aim` says)."""
    # Imported here: the walk's module is all the parent needs of it before forking.
    from envsense.core.files import ListedFolder, iter_checkable_files

    listed: dict[str, ListedFolder] = {}
    since = time.monotonic()
    with _WalkMessages() as messages:
        files = list(iter_checkable_files(paths, listed))
    publish_walk(memory, files, listed, since, messages.taken)
    if len(files) < check_pool.POOL_THRESHOLD:
        return  # too few for a pool: nothing will wait for these scans
    roots: tuple[str, ...] = ()
    if len(paths) == 1 and paths[0].is_dir():
        roots = (str(paths[0] / "src"), str(paths[0]))
    plan = ScanPlan(
        first=warm_up_sample(range(len(files))),
        then=range(len(files) - 1, -1, -1),
        roots=roots,
    )
    scan_into(memory, files, plan, None)


class _WalkMessages(logging.Handler):
    """What the walk logs (folders skipped: too deep, unreadable), kept for the parent to
    log as its own walk would have: this process logs nothing itself (`quiet`)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.taken: list[tuple[int, str]] = []
        self._logger = logging.getLogger("envsense.core.files")

    def emit(self, record: logging.LogRecord) -> None:
        self.taken.append((record.levelno, record.getMessage()))

    def __enter__(self) -> _WalkMessages:
        self._disabled = logging.root.manager.disable
        self._propagate = self._logger.propagate
        logging.disable(logging.NOTSET)
        self._logger.addHandler(self)
        self._logger.propagate = False
        return self

    def __exit__(self, *exc: object) -> None:
        self._logger.removeHandler(self)
        self._logger.propagate = self._propagate
        logging.disable(self._disabled)


def publish_walk(
    memory: mmap.mmap,
    files: Sequence[Path],
    listed: Mapping[str, Sequence[Any]],
    since: float,
    messages: Sequence[tuple[int, str]] = (),
) -> None:
    """Write the walk for the parent (WALK_NONE when it does not fit: the parent walks)."""
    start = WALK_AT + WALK_LENGTH.size
    try:
        payload = marshal.dumps(
            (
                [str(path) for path in files],
                {k: tuple(v) for k, v in listed.items()},
                since,
                tuple(messages),
            )
        )
    except ValueError:
        payload = b""
    if not payload or start + len(payload) > AIM_AT:
        WALK_LENGTH.pack_into(memory, WALK_AT, WALK_NONE, b"")
        return
    memory[start : start + len(payload)] = payload
    digest = payload_digest(payload)
    WALK_LENGTH.pack_into(memory, WALK_AT, len(payload), digest)
