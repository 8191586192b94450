"""Forked workers pulling numbered parts of a job, without multiprocessing.

`envsense check`'s pool needs little: fork (the workers inherit the prepared session),
hand out parts on demand (their costs vary a hundredfold), and bring back each part's
results. concurrent.futures did that with an import of multiprocessing (10-25 ms before the
first fork), a manager thread and a feeder thread in the parent, and one pickled round trip
per part: CPU the parent took from the two cores the workers were using. Here:

- the part numbers wait in a pipe, 4 bytes each, written before the fork; a worker reads
  the next 4 (a read that small is atomic, so no two workers get one part) until the end;
- each worker sends its results back on its own pipe, one length-prefixed pickle per part,
  and the parent reads all the pipes as they fill (a worker blocked on a full pipe would
  otherwise wait for a parent waiting for another worker).

A worker that dies leaves parts unanswered: PoolFailed, and the caller checks serially. An
exception raised by the task is re-raised in the parent, as the serial path would.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

Result = TypeVar("Result")

_PART = struct.Struct("<I")
_LENGTH = struct.Struct("<Q")
# The part numbers are written before any worker reads: they must fit the pipe's buffer.
_MAX_PARTS = 4096
_READ = 1 << 20


class PoolFailed(Exception):
    """The pool itself failed (a worker died, or what it sent could not be read)."""


def run_forked(
    task: Callable[[Sequence[int]], list[Result]],
    parts: Sequence[Sequence[int]],
    workers: int,
) -> list[list[Result]]:
    """`task` of each part, in `workers` forked processes; the results in part order."""
    count = len(parts)
    if not count:
        return []
    if count > _MAX_PARTS:
        raise PoolFailed(f"{count} parts; at most {_MAX_PARTS}")
    todo, numbers = os.pipe()
    try:
        os.write(numbers, b"".join(_PART.pack(number) for number in range(count)))
    finally:
        os.close(numbers)  # the workers then see the end once every number is taken
    children: dict[int, int] = {}  # the results pipe's read end -> the worker's pid
    try:
        try:
            for _ in range(min(workers, count)):
                read_end, write_end = os.pipe()
                try:
                    pid = os.fork()
                except OSError:
                    os.close(read_end)
                    os.close(write_end)
                    raise
                if pid == 0:  # pragma: no cover (the child ends in os._exit)
                    _work(task, parts, todo, write_end, (read_end, *children))
                os.close(write_end)
                children[read_end] = pid
        finally:
            os.close(todo)
        received = _receive(list(children))
    except BaseException:
        _kill(children.values())
        raise
    finally:
        for fd in children:
            os.close(fd)
    statuses = [_reap(pid) for pid in children.values()]
    results: list[list[Result] | None] = [None] * count
    for data in received:
        for kind, number, value in _frames(data):
            if kind == "raised":
                raise value
            results[number] = value
    missing = sum(1 for result in results if result is None)
    if missing:
        raise PoolFailed(f"{missing} of {count} parts unanswered (exit statuses {statuses})")
    return [result for result in results if result is not None]


def _work(
    task: Callable[[Sequence[int]], list[Any]],
    parts: Sequence[Sequence[int]],
    todo: int,
    out: int,
    inherited: Sequence[int],
) -> None:
    """In a worker: answer parts until none is left, then exit (no atexit handlers, no
    flush of the parent's buffered output)."""
    status = 0
    try:
        for fd in inherited:
            os.close(fd)
        while True:
            data = os.read(todo, _PART.size)
            if len(data) < _PART.size:
                break
            (number,) = _PART.unpack(data)
            try:
                frame: tuple[str, int, Any] = ("done", number, task(parts[number]))
            except Exception as error:
                frame = ("raised", number, error)
            try:
                payload = pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as error:  # an exception that can't be pickled
                failure = RuntimeError(f"{type(frame[2]).__name__}: {frame[2]} ({error})")
                payload = pickle.dumps(("raised", number, failure))
            _write_all(out, _LENGTH.pack(len(payload)) + payload)
            if frame[0] == "raised":
                break
    except BaseException:
        status = 1
    finally:
        os._exit(status)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _receive(fds: list[int]) -> list[bytes]:
    """Everything sent on each pipe, read as it comes, until every worker closed its own."""
    buffers = {fd: bytearray() for fd in fds}
    open_fds = set(fds)
    while open_fds:
        ready, _, _ = select.select(list(open_fds), [], [])
        for fd in ready:
            chunk = os.read(fd, _READ)
            if chunk:
                buffers[fd] += chunk
            else:
                open_fds.discard(fd)
    return [bytes(buffers[fd]) for fd in fds]


def _frames(data: bytes) -> list[tuple[str, int, Any]]:
    frames = []
    offset = 0
    while offset < len(data):
        if offset + _LENGTH.size > len(data):
            raise PoolFailed("a worker's results end mid-frame")
        (length,) = _LENGTH.unpack_from(data, offset)
        offset += _LENGTH.size
        if offset + length > len(data):
            raise PoolFailed("a worker's results end mid-frame")
        try:
            frames.append(pickle.loads(data[offset : offset + length]))
        except Exception as error:
            raise PoolFailed(f"a worker's results could not be read: {error}") from error
        offset += length
    return frames


def _reap(pid: int) -> int:
    """The worker's exit status (as waitpid gives it)."""
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return 0


def _kill(pids: Iterable[int]) -> None:
    """Kill and reap the workers started (the parent is leaving with an error)."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        _reap(pid)
