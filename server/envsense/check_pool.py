"""Both cores for `envsense check`: a fork-based process pool over the files to check.

The parent prepares the session first (discovery, selections, inventories, each
project's context), then forks: workers inherit all of it instead of rebuilding it. Each
worker takes contiguous runs of the files (a folder's files sit together in walk order,
so its project's resolver caches stay warm) and returns compactly encoded findings,
which the parent puts back in walk order: the output is the serial path's, byte for byte.
A pool only pays past a number of files (forking and each worker's cold resolver caches
cost about as much as checking `POOL_THRESHOLD` files), never with one CPU, and never
where fork is unavailable or unsafe (only Linux forks here). Any failure of the pool
itself falls back to checking serially.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

log = logging.getLogger(__name__)

# Files needing a check (not answered by the cache) from which a pool pays: two workers
# cost 0.1-0.5 s CPU more than one process (forking, caches each worker fills again),
# measured on django, homeassistant and the bench's generated workspace.
POOL_THRESHOLD = 400
# Past this, more processes only add memory: the walk, the cache and the output are serial.
MAX_WORKERS = 8
# Shards per worker: enough for the work to balance, few enough to keep folders together.
SHARDS_PER_WORKER = 6

# Share of the files the parent checks before forking, spread over the tree: the caches
# those checks fill (import chains of the modules most files import) are then inherited
# instead of rebuilt by every worker.
WARM_UP_SHARE = 0.05
WARM_UP_MAX = 400

Result = TypeVar("Result")

# The task the forked workers run, set in the parent just before forking (a function
# object can't be pickled with the session it closes over, but forked children inherit it).
_TASK: Callable[[Sequence[int]], list[object]] | None = None


def available_cpus() -> int:
    """CPUs this process may run on (a container's or taskset's limit, not the machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def worker_count(jobs: int | None, pending: int, cpus: int | None = None) -> int:
    """How many processes check `pending` files: 1 means serial, in this process.

    `jobs` None is automatic (every available CPU, once `pending` reaches POOL_THRESHOLD);
    a number is the most processes to use, whatever the file count.
    """
    cpus = available_cpus() if cpus is None else cpus
    if cpus < 2 or pending < 2 or not _can_fork():
        return 1
    if jobs is None:
        if pending < POOL_THRESHOLD:
            return 1
        return min(cpus, MAX_WORKERS)
    return max(1, min(jobs, cpus, pending))


def _can_fork() -> bool:
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def shards(indices: Sequence[int], workers: int) -> list[list[int]]:
    """Contiguous runs of `indices` (walk order keeps a folder's files together)."""
    size = max(1, -(-len(indices) // (workers * SHARDS_PER_WORKER)))
    return [list(indices[i : i + size]) for i in range(0, len(indices), size)]


def run_sharded(
    task: Callable[[Sequence[int]], list[Result]], indices: Sequence[int], workers: int
) -> list[Result] | None:
    """`task` over `indices` in `workers` forked processes, results in `indices` order;
    None when the pool itself failed (the caller then runs `task` serially).

    An exception raised by `task` itself is re-raised, as the serial path would."""
    global _TASK
    _TASK = task  # type: ignore[assignment]
    # A child flushes its copy of any buffered output when it exits: print it once, here.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            parts = list(pool.map(_run_task, shards(indices, workers)))
    except (BrokenProcessPool, OSError, EOFError, ImportError) as error:
        log.warning("parallel check failed (%s); checking in one process", error)
        return None
    finally:
        _TASK = None
    results: list[Result] = []
    for part in parts:
        results += part  # type: ignore[arg-type]
    return results


def _run_task(indices: Sequence[int]) -> list[object]:
    task = _TASK
    if task is None:  # not forked from run_sharded: nothing was inherited
        raise BrokenProcessPool("worker started without its task")
    return task(indices)
