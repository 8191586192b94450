"""Forked workers pulling numbered parts of a job, without multiprocessing.

`envsense check`'s pool needs little: fork (the workers inherit the prepared session),
hand out parts on demand (their costs vary a hundredfold), and bring back each part's
results. concurrent.futures did that with an import of multiprocessing (10-25 ms before the
first fork), a manager thread and a feeder thread in the parent, and one pickled round trip
per part: CPU the parent took from the two cores the workers were using. Here:

- the part numbers wait in a pipe, 4 bytes each, written before the fork; whoever is free
  reads the next 4 (a read that small is atomic, so no two get one part) until the end;
- this process takes parts too, between forking and collecting: it would only wait, and
  its own parts need no fork (whose copy-on-write faults cost a worker about 5,000 pages on
  django), no pickling and no unpickling;
- each worker writes its results, one length-prefixed pickle per part, to a file in memory
  of its own (`memfd`), read once it has exited: a worker never waits for this process to
  read, however large its results.

A worker that dies leaves parts unanswered: PoolFailed, and the caller checks serially. An
exception raised by the task, here or in a worker, is raised here, as the serial path would.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import sys
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
    """`task` of each part, in this process and `workers - 1` forked ones; the results in
    part order."""
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
    results: list[list[Result] | None] = [None] * count
    children: dict[int, int] = {}  # the worker's pid -> the file its results are written to
    try:
        try:
            for _ in range(min(workers, count) - 1):
                out = _results_file()
                try:
                    pid = os.fork()
                except OSError:
                    os.close(out)
                    raise
                if pid == 0:  # pragma: no cover (the child ends in os._exit)
                    _work(task, parts, todo, out, list(children.values()))
                children[pid] = out
            # This process's share: parts until none is left.
            while (number := _next_part(todo)) is not None:
                results[number] = task(parts[number])
        finally:
            os.close(todo)
    except BaseException:
        _kill(children)
        for out in children.values():
            os.close(out)
        raise
    statuses = []
    try:
        for pid, out in children.items():
            statuses.append(_reap(pid))
            for kind, number, value in _frames(_read_all(out)):
                if kind == "raised":
                    raise value
                results[number] = value
    finally:
        for out in children.values():
            os.close(out)
    missing = sum(1 for result in results if result is None)
    if missing:
        raise PoolFailed(f"{missing} of {count} parts unanswered (exit statuses {statuses})")
    return [result for result in results if result is not None]


def flush_output() -> None:
    """Write out what stdout and stderr buffer: before a fork (a child that exits flushes
    its copy, printing it twice) or an exit that skips the interpreter's own flush. A
    closed pipe is ignored: what was written is all the reader wanted."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass


def _next_part(todo: int) -> int | None:
    data = os.read(todo, _PART.size)
    if len(data) < _PART.size:
        return None
    number: int = _PART.unpack(data)[0]
    return number


def _results_file() -> int:
    """A file in memory, unnamed, for one worker's results."""
    try:
        return os.memfd_create("envsense-pool")
    except (AttributeError, OSError):
        import tempfile

        return os.dup(tempfile.TemporaryFile().fileno())


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
        while (number := _next_part(todo)) is not None:
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


def _read_all(fd: int) -> bytes:
    """Everything a worker wrote to its results file."""
    chunks = []
    offset = 0
    while chunk := os.pread(fd, _READ, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


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
    """Kill and reap the workers started (this process is leaving with an error)."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        _reap(pid)
