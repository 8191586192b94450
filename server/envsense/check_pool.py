"""Both cores for `envsense check`: a fork-based process pool over the files to check.

The parent prepares the session first (discovery, selections, inventories, each
project's context), then forks: workers inherit all of it instead of rebuilding it. The
files are cut into many small chunks that end at folder boundaries (a folder's files sit
together in walk order, so its project's caches stay warm), and each worker pulls the next
chunk when it is done with one: a chunk that follows long import chains no longer leaves
the other worker idle, as fixed contiguous shards did. Workers return compactly encoded
findings, which the parent puts back in walk order: the output is the serial path's, byte
for byte.
A pool only pays past a number of files (forking and each worker's cold resolver caches
cost about as much as checking `POOL_THRESHOLD` files), never with one CPU, and never
where fork is unavailable or unsafe (only Linux forks here). Any failure of the pool
itself falls back to checking serially.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import TypeVar

from envsense.fork_pool import PoolFailed, flush_output, run_forked

log = logging.getLogger(__name__)

# Files needing a check (not answered by the cache) from which a pool pays: two workers
# cost 0.1-0.5 s CPU more than one process (forking, caches each worker fills again),
# measured on django, homeassistant and the bench's generated workspace.
POOL_THRESHOLD = 400
# Past this, more processes only add memory: the walk, the cache and the output are serial.
MAX_WORKERS = 8
# Chunks per worker: a file's cost varies by two orders of magnitude (the first file to
# follow an import chain pays for it), so many chunks pulled on demand balance the workers;
# each costs one round trip to a worker.
SHARDS_PER_WORKER = 24
# Fewest files per chunk: below this the round trips cost more than the balance gains.
MIN_SHARD = 16

# Below this CPU pressure (percent of the last ten seconds some task waited for a CPU) a
# helper process finds a core of its own, whatever the load average says.
SPARE_PRESSURE = 2.0

# Share of the files the parent checks before forking, spread over the tree: the caches
# those checks fill (import chains of the modules most files import) are then inherited
# instead of rebuilt by every worker. The fill is front-loaded (on django the first 40
# spread files pay 0.29 s CPU of it, 100 files 0.33 s, 140 files 0.42 s), and the
# warm-up is serial: past about 100 files it cost more wall time than the workers saved.
# (The other core meanwhile scans the imports the warm-up reads: check_prefetch.)
WARM_UP_SHARE = 0.05
WARM_UP_MAX = 100

Result = TypeVar("Result")


def available_cpus() -> int:
    """CPUs this process may run on (a container's or taskset's limit, not the machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def spare_core(cpus: int | None = None) -> bool:
    """Whether the machine has a core to spare beside this process: a helper process then
    runs on it instead of taking turns with this one. Spare when the last minute's load
    average is below the CPU count, or when over the last ten seconds almost no task had
    to wait for a CPU (the load average also counts this tool's own runs of the last
    minute: checks run back to back, as a benchmark or a script does, pushed it past 2 on
    two cores and turned the helper off). Unknown load counts as spare."""
    cpus = available_cpus() if cpus is None else cpus
    if cpus < 2:
        return False
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return True
    if load < cpus:
        return True
    pressure = cpu_pressure()
    return pressure is not None and pressure < SPARE_PRESSURE


def cpu_pressure() -> float | None:
    """The share (percent) of the last ten seconds in which some runnable task waited for
    a CPU (Linux pressure stall information); None where the kernel does not tell."""
    try:
        with open("/proc/pressure/cpu", "rb") as stream:
            text = stream.read(512).decode("ascii", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        fields = line.split()
        if fields and fields[0] == "some":
            for field in fields[1:]:
                name, _, value = field.partition("=")
                if name == "avg10":
                    try:
                        return float(value)
                    except ValueError:
                        return None
    return None


def worker_count(jobs: int | None, pending: int, cpus: int | None = None) -> int:
    """How many processes check `pending` files: 1 means serial, in this process.

    `jobs` None is automatic (every available CPU, once `pending` reaches POOL_THRESHOLD);
    a number is the most processes to use, whatever the file count.
    """
    cpus = available_cpus() if cpus is None else cpus
    if cpus < 2 or pending < 2 or (jobs is None and pending < POOL_THRESHOLD):
        return 1
    if not can_fork():
        return 1
    if jobs is None:
        return min(cpus, MAX_WORKERS)
    return max(1, min(jobs, cpus, pending))


def can_fork() -> bool:
    """Whether this platform forks workers (only Linux here)."""
    # Linux always offers fork (multiprocessing's start methods say so; importing it to
    # ask cost 10-25 ms before the scanner could fork).
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def shards(
    indices: Sequence[int], workers: int, groups: Sequence[object] | None = None
) -> list[list[int]]:
    """Contiguous runs of `indices` (walk order keeps a folder's files together), about
    SHARDS_PER_WORKER per worker; with `groups` (each index's folder, by position), a run
    ends where its folder does, unless that folder alone would make it twice too long."""
    size = max(MIN_SHARD, -(-len(indices) // (workers * SHARDS_PER_WORKER)))
    parts: list[list[int]] = []
    current: list[int] = []
    for position, index in enumerate(indices):
        if current and len(current) >= size:
            same = groups is not None and groups[position] is groups[position - 1]
            if not same or len(current) >= 2 * size:
                parts.append(current)
                current = []
        current.append(index)
    if current:
        parts.append(current)
    return parts


def run_sharded(
    task: Callable[[Sequence[int]], list[Result]],
    indices: Sequence[int],
    workers: int,
    groups: Sequence[object] | None = None,
) -> list[Result] | None:
    """`task` over `indices` in `workers` forked processes, results in `indices` order;
    None when the pool itself failed (the caller then runs `task` serially).

    `groups` (each index's folder, by position) keeps a folder's files in one chunk where
    it can. An exception raised by `task` itself is re-raised, as the serial path would."""
    parts = shards(indices, workers, groups)
    # A child flushes its copy of any buffered output when it exits: print it once, here.
    flush_output()
    # Move everything allocated so far out of the collector's generations: a collection in
    # a worker would otherwise write to every inherited object's header and copy the
    # parent's pages into each worker (memory, and the time to copy them). No collection
    # first: on homeassistant it costs 24 ms while the second core waits.
    gc.freeze()
    try:
        done = run_forked(task, parts, workers)
    except (PoolFailed, OSError) as error:
        log.warning("parallel check failed (%s); checking in one process", error)
        return None
    finally:
        gc.unfreeze()
    results: list[Result] = []
    for part in done:
        results += part
    return results


def warm_up_sample(pending: Sequence[int]) -> Sequence[int]:
    """The files the parent checks before forking: spread over the whole tree."""
    count = max(1, min(WARM_UP_MAX, round(len(pending) * WARM_UP_SHARE)))
    step = max(2, len(pending) // count)
    return pending[::step][:count]
