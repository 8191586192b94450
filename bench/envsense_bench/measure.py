"""Timing and memory helpers: whole-process runs with peak RSS, medians/percentiles after warm-up."""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ProcessRun:
    """One finished child process: wall time, exit code, peak RSS and captured output.

    `cpu_seconds` is user + system time of the child and every descendant it waited for.
    """

    seconds: float
    returncode: int
    max_rss_mb: float
    stdout: str
    stderr: str
    cpu_seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class Stats:
    """Summary of repeated samples (seconds)."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        return percentile(self.samples, 95)

    @property
    def minimum(self) -> float:
        return min(self.samples)


class MeasureError(RuntimeError):
    """A run failed in a way that makes its figure meaningless (the message says why)."""


def percentile(samples: Sequence[float], pct: float) -> float:
    """Nearest-rank-with-interpolation percentile (like numpy's default `linear`)."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    position = (len(ordered) - 1) * pct / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# GNU time reports its child's ru_maxrss; that child is forked from a ~1 MB process.
TIME_BINARY = Path("/usr/bin/time")


def run_process(
    argv: Sequence[str | Path],
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 600,
    exact_rss: bool = False,
) -> ProcessRun:
    """Run `argv` to completion; peak RSS and CPU come from wait4 on that very child.

    Python spawns with vfork, and Linux carries the parent's peak RSS into the child's
    ru_maxrss at exec: a small child of a big bench process reports the bench's peak. With
    `exact_rss`, the child runs under GNU time (when installed), whose own small child's peak
    is the true one.
    """
    command = [str(arg) for arg in argv]
    rss_file: Path | None = None
    if exact_rss and TIME_BINARY.is_file():
        handle, name = tempfile.mkstemp(prefix="bench-rss-")
        os.close(handle)
        rss_file = Path(name)
        command = [str(TIME_BINARY), "-q", "-f", "%M", "-o", name, *command]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            # Its own process group, so a timeout also ends what it spawned (node, GNU time's child).
            start_new_session=True,
        )
        timer = threading.Timer(timeout, _kill_group, (process.pid,))
        timer.start()
        try:
            # wait4 instead of Popen.wait: it also returns this child's own resource usage.
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    max_rss_mb = usage.ru_maxrss / 1024
    if rss_file is not None:
        max_rss_mb = parse_time_rss(rss_file.read_text(), max_rss_mb)
        rss_file.unlink(missing_ok=True)
    if elapsed >= timeout:
        raise MeasureError(f"{Path(str(argv[0])).name} did not finish within {timeout:.0f} s")
    cpu = usage.ru_utime + usage.ru_stime
    return ProcessRun(elapsed, process.returncode, max_rss_mb, stdout, stderr, cpu)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def parse_time_rss(text: str, fallback_mb: float) -> float:
    """MB from GNU time's `%M` (KB) output: its last line; `fallback_mb` when there is none."""
    for line in reversed(text.strip().splitlines()):
        if line.strip().isdigit():
            return int(line.strip()) / 1024
    return fallback_mb


def repeat(
    action: Callable[[], float],
    repeats: int,
    warmup: int = 1,
    before_each: Callable[[], None] | None = None,
) -> Stats:
    """Call `action` (which returns the seconds it measured) `warmup` + `repeats` times."""
    samples: list[float] = []
    for index in range(warmup + repeats):
        if before_each is not None:
            before_each()
        seconds = action()
        if index >= warmup:
            samples.append(seconds)
    return Stats(tuple(samples))


def timed_process(
    argv: Sequence[str | Path],
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    ok_codes: tuple[int, ...] = (0,),
    timeout: float = 600,
    valid: Callable[[ProcessRun], bool] | None = None,
) -> Callable[[], float]:
    """An action for `repeat` that runs `argv` and fails loudly on an unexpected exit code.

    `valid` guards against a crash whose exit code looks like an accepted one (Python's
    traceback exit 1 is also `check`'s "findings exist" code).
    """

    def action() -> float:
        run = run_process(argv, env, cwd, timeout)
        if run.returncode not in ok_codes or (valid is not None and not valid(run)):
            raise MeasureError(
                f"{Path(str(argv[0])).name} exited {run.returncode}: {tail(run.stderr or run.stdout)}"
            )
        return run.seconds

    return action


def tail(text: str, lines: int = 3) -> str:
    """The last few non-empty lines of `text`, joined, for one-line error messages."""
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()][-lines:]
    return " | ".join(kept)[:300] or "(no output)"


def rss_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a live process in MB, from /proc/<pid>/status."""
    values = {"VmRSS": 0.0, "VmHWM": 0.0}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in values:
                values[key] = float(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def _process_tree(pid: int) -> tuple[list[int], dict[int, list[str]]]:
    """`pid` and its live descendants (Linux /proc), with each one's /proc stat fields after
    the command name."""
    children: dict[int, list[int]] = {}
    fields: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                own = stat.read().rpartition(")")[2].split()
        except OSError:
            continue
        children.setdefault(int(own[1]), []).append(int(entry))
        fields[int(entry)] = own
    tree: list[int] = []
    stack = [pid]
    while stack:
        current = stack.pop()
        tree.append(current)
        stack.extend(children.get(current, []))
    return tree, fields


def tree_rss_mb(pid: int) -> float:
    """VmRSS of `pid` plus every live descendant, in MB (servers that run node under a wrapper)."""
    total = 0.0
    for member in _process_tree(pid)[0]:
        try:
            total += rss_mb(member)[0]
        except OSError:
            continue
    return total


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU so far of `pid` and its live descendants (Linux /proc): the
    steadier figure on a busy machine, next to the wall time."""
    ticks = os.sysconf("SC_CLK_TCK")
    tree, fields = _process_tree(pid)
    # utime and stime are the 12th and 13th fields after the command name.
    return sum((int(fields[m][11]) + int(fields[m][12])) / ticks for m in tree if m in fields)


def cpu_count() -> int:
    return os.cpu_count() or 1


@dataclass(frozen=True, slots=True)
class Sampled:
    """Repeated whole-process runs: wall and CPU medians, the highest peak RSS, the last run."""

    wall: Stats
    cpu: Stats
    peak_rss_mb: float
    last: ProcessRun


def sample_process(
    argv: Sequence[str | Path],
    repeats: int,
    warmup: int = 1,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    ok_codes: tuple[int, ...] = (0,),
    valid: Callable[[ProcessRun], bool] | None = None,
    before_each: Callable[[], None] | None = None,
    timeout: float = 600,
) -> Sampled:
    """Run `argv` `warmup` + `repeats` times (exact peak RSS each time); MeasureError on failure."""
    walls: list[float] = []
    cpus: list[float] = []
    peak = 0.0
    last: ProcessRun | None = None
    for index in range(warmup + repeats):
        if before_each is not None:
            before_each()
        run = run_process(argv, env, cwd, timeout, exact_rss=True)
        if run.returncode not in ok_codes or (valid is not None and not valid(run)):
            raise MeasureError(
                f"{Path(str(argv[0])).name} exited {run.returncode}: {tail(run.stderr or run.stdout)}"
            )
        last = run
        if index >= warmup:
            walls.append(run.seconds)
            cpus.append(run.cpu_seconds)
            peak = max(peak, run.max_rss_mb)
    assert last is not None, "repeats + warmup must be at least 1"
    return Sampled(Stats(tuple(walls)), Stats(tuple(cpus)), peak, last)
