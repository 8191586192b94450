"""Timing and memory helpers: whole-process runs with peak RSS, medians/percentiles after warm-up."""

from __future__ import annotations

import os
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
    """One finished child process: wall time, exit code, peak RSS and captured output."""

    seconds: float
    returncode: int
    max_rss_mb: float
    stdout: str
    stderr: str


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


def run_process(
    argv: Sequence[str | Path],
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 600,
) -> ProcessRun:
    """Run `argv` to completion; peak RSS comes from wait4 on that very child."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(arg) for arg in argv],
            env=dict(env) if env is not None else None,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )
        timer = threading.Timer(timeout, process.kill)
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
    if elapsed >= timeout:
        raise MeasureError(f"{Path(str(argv[0])).name} did not finish within {timeout:.0f} s")
    return ProcessRun(elapsed, process.returncode, usage.ru_maxrss / 1024, stdout, stderr)


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


def cpu_count() -> int:
    return os.cpu_count() or 1
