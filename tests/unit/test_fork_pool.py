"""The check's fork pool: every part answered once, in order, by this process and the
workers it forks, sharing the work; a task's exception reaches this process; a dead worker
fails the pool (the caller then checks serially); nothing is left behind (descriptors,
children)."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

import pytest

from envsense.fork_pool import PoolFailed, run_forked
from tests.support.processes import no_children_left, open_fds


def test_every_part_is_answered_in_order_by_this_process_and_a_worker() -> None:
    parts = [list(range(start, start + 5)) for start in range(0, 200, 5)]

    def task(indices: Sequence[int]) -> list[tuple[int, int]]:
        time.sleep(0.002)  # long enough for the other worker to take the next part
        return [(index * index, os.getpid()) for index in indices]

    before = open_fds()
    results = run_forked(task, parts, 2)
    assert [value for part in results for value, _ in part] == [i * i for i in range(200)]
    pids = {pid for part in results for _, pid in part}
    assert len(pids) == 2 and os.getpid() in pids  # it takes parts too, between fork and collect
    assert open_fds() == before
    assert no_children_left()


def test_large_results_from_every_worker_at_once_do_not_deadlock() -> None:
    # Each part's results are far larger than a pipe's buffer.
    parts = [[index] for index in range(16)]
    results = run_forked(lambda indices: ["x" * 300_000 for _ in indices], parts, 3)
    assert len(results) == 16 and all(len(part[0]) == 300_000 for part in results)


def test_the_tasks_exception_is_raised_in_the_parent() -> None:
    def task(indices: Sequence[int]) -> list[int]:
        if 7 in indices:
            raise ValueError("part with 7")
        return list(indices)

    before = open_fds()
    with pytest.raises(ValueError, match="part with 7"):
        run_forked(task, [[i] for i in range(10)], 2)
    assert open_fds() == before
    assert no_children_left()


def test_an_exception_that_cannot_be_pickled_still_says_what_happened() -> None:
    class Local(Exception):  # defined in a function: pickle can't find it by name
        pass

    parent = os.getpid()

    def task(indices: Sequence[int]) -> list[int]:
        if os.getpid() != parent:
            raise Local("not picklable")
        time.sleep(0.05)  # leaves the worker time to take a part
        return list(indices)

    with pytest.raises(RuntimeError, match="Local: not picklable"):
        run_forked(task, [[1], [2], [3]], 2)
    assert no_children_left()


def test_a_worker_that_dies_fails_the_pool() -> None:
    parent = os.getpid()

    def task(indices: Sequence[int]) -> list[int]:
        if os.getpid() != parent:
            os._exit(9)  # as the kernel's OOM killer would
        time.sleep(0.01)  # leaves the worker time to take a part
        return list(indices)

    before = open_fds()
    with pytest.raises(PoolFailed, match="unanswered"):
        run_forked(task, [[i] for i in range(6)], 2)
    assert open_fds() == before
    assert no_children_left()


def test_no_parts_forks_nothing() -> None:
    assert run_forked(lambda indices: list(indices), [], 2) == []


def test_this_processs_own_exception_stops_the_workers() -> None:
    parent = os.getpid()

    def task(indices: Sequence[int]) -> list[int]:
        if os.getpid() == parent:
            raise KeyError("here")
        time.sleep(0.01)
        return list(indices)

    before = open_fds()
    with pytest.raises(KeyError, match="here"):
        run_forked(task, [[i] for i in range(20)], 3)
    assert open_fds() == before
    assert no_children_left()


def test_one_worker_is_this_process_alone() -> None:
    results = run_forked(lambda indices: [os.getpid()] * len(indices), [[1], [2, 3]], 1)
    assert results == [[os.getpid()], [os.getpid()] * 2]
