"""Run an InstallPlan: one subprocess per step, output line by line, cancellable, checked.

Each step starts in its own session (process group), so cancelling ends the installer
and everything it spawned (build backends, compilers). Before the first step the set of
`*.dist-info` folders is recorded; if the plan fails or is cancelled, distributions that
appeared in the meantime are uninstalled with the same installer. docs/security.md says
what that does and does not guarantee.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shlex
import signal
import subprocess
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from envsense.core.install.plan import Command, InstallPlan, Rollback
from envsense.core.install.requirement_safety import dist_name_from_dist_info

log = logging.getLogger(__name__)

OnLine = Callable[[str], None]
KEEP_LINES = 20
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
_ERROR_LINE = re.compile(r"^\s*(error|×|x |fatal|ERROR|because|Because)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class InstallResult:
    """The outcome. `last_lines` is the tail of the output of the step that decided it."""

    ok: bool
    cancelled: bool
    returncode: int | None
    last_lines: tuple[str, ...]
    message: str
    # Canonical distribution names that are new / gone / got another version.
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    # New distributions a failed or cancelled plan left behind and that were uninstalled again.
    rolled_back: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StepOutcome:
    """One command's exit status (None if it never started) and the tail of its output."""

    returncode: int | None
    cancelled: bool
    last_lines: tuple[str, ...]
    start_error: str | None = None


async def run_plan(
    plan: InstallPlan,
    on_line: OnLine,
    cancel: asyncio.Event | None = None,
    *,
    grace_seconds: float = 3.0,
) -> InstallResult:
    """Run the plan's steps in order, stopping at the first failure or on `cancel`."""
    cancel = cancel or asyncio.Event()
    before = _snapshot(plan.rollback)
    outcome = StepOutcome(0, False, ())
    failed_step: Command | None = None
    for step in plan.steps:
        on_line(f"$ {shlex.join(step.argv)}")
        outcome = await run_command(step, on_line, cancel, grace_seconds=grace_seconds)
        if outcome.cancelled or outcome.returncode != 0:
            failed_step = step
            break
    after = _snapshot(plan.rollback)
    added, removed, changed = _diff(before, after)
    if failed_step is None:
        what = ", ".join(added + changed) or "nothing new (already satisfied)"
        return InstallResult(
            True, False, 0, outcome.last_lines, f"{plan.title}: done; installed {what}",
            tuple(added), tuple(removed), tuple(changed),
        )  # fmt: skip
    rolled_back: tuple[str, ...] = ()
    leftovers = [name for name in added if name != "pip"]
    if leftovers and plan.rollback is not None:
        rolled_back = await _roll_back(plan.rollback, leftovers, on_line, grace_seconds)
        added = [name for name in added if name not in rolled_back]
    message = _failure_message(plan, failed_step, outcome, added, removed, changed, rolled_back)
    return InstallResult(
        False, outcome.cancelled, outcome.returncode, outcome.last_lines, message,
        tuple(added), tuple(removed), tuple(changed), rolled_back,
    )  # fmt: skip


async def run_command(
    command: Command,
    on_line: OnLine,
    cancel: asyncio.Event | None = None,
    *,
    grace_seconds: float = 3.0,
) -> StepOutcome:
    """Run one command, streaming merged stdout/stderr lines; kill its group on `cancel`."""
    cancel = cancel or asyncio.Event()
    env = {**os.environ, **dict(command.env)}
    tail: deque[str] = deque(maxlen=KEEP_LINES)
    try:
        if sys.platform == "win32":
            proc = await asyncio.create_subprocess_exec(
                *command.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, cwd=command.cwd, env=env,
                creationflags=subprocess.CREATE_NEW_PROCESS_GROUP,
            )  # fmt: skip
        else:
            proc = await asyncio.create_subprocess_exec(
                *command.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, cwd=command.cwd, env=env, start_new_session=True,
            )  # fmt: skip
    except OSError as error:
        text = f"could not start {command.argv[0]}: {error}"
        on_line(text)
        return StepOutcome(None, False, (text,), start_error=text)

    def emit(raw: bytes) -> None:
        line = raw.decode("utf-8", errors="replace").rstrip()
        if line:
            tail.append(line)
            on_line(line)

    async def pump() -> None:
        assert proc.stdout is not None
        pending = b""
        while chunk := await proc.stdout.read(65536):
            *lines, pending = _LINE_BREAK.split(pending + chunk)
            for raw in lines:
                emit(raw)
        emit(pending)

    work = asyncio.ensure_future(asyncio.gather(pump(), proc.wait()))
    cancelled_task = asyncio.ensure_future(cancel.wait())
    waiting: list[asyncio.Future[Any]] = [work, cancelled_task]
    await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    if work.done():
        cancelled_task.cancel()
        return StepOutcome(proc.returncode, False, tuple(tail))
    await _end_process_group(proc, grace_seconds)
    try:
        await asyncio.wait_for(work, grace_seconds)
    except (asyncio.TimeoutError, asyncio.CancelledError):
        work.cancel()
    note = f"cancelled: stopped {Path(command.argv[0]).name} and the processes it started"
    tail.append(note)
    on_line(note)
    return StepOutcome(proc.returncode, True, tuple(tail))


async def _end_process_group(proc: asyncio.subprocess.Process, grace_seconds: float) -> None:
    """SIGTERM to the whole group, then SIGKILL to whatever is left after the grace period."""
    if sys.platform == "win32":
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), grace_seconds)
        except asyncio.TimeoutError:
            proc.kill()
        return
    group = proc.pid  # start_new_session made the installer its group's leader
    _signal_group(group, signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), grace_seconds)
    except asyncio.TimeoutError:
        pass
    # Children may outlive (or ignore) SIGTERM; the group id stays valid while any is alive.
    _signal_group(group, signal.SIGKILL)
    await proc.wait()


if sys.platform != "win32":

    def _signal_group(group: int, sig: signal.Signals) -> None:
        try:
            os.killpg(group, sig)
        except (ProcessLookupError, PermissionError):
            pass


def _snapshot(rollback: Rollback | None) -> dict[str, frozenset[str]]:
    """Canonical name -> dist-info folder names, across the target's site-packages."""
    names: dict[str, set[str]] = {}
    if rollback is None:
        return {}
    for folder in rollback.site_packages:
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            name = dist_name_from_dist_info(entry)
            if name is not None:
                names.setdefault(name, set()).add(entry.name)
    return {name: frozenset(dirs) for name, dirs in names.items()}


def _diff(
    before: dict[str, frozenset[str]], after: dict[str, frozenset[str]]
) -> tuple[list[str], list[str], list[str]]:
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(n for n in set(before) & set(after) if before[n] != after[n])
    return added, removed, changed


async def _roll_back(
    rollback: Rollback, names: list[str], on_line: OnLine, grace_seconds: float
) -> tuple[str, ...]:
    """Uninstall `names`; returns those whose dist-info is really gone afterwards."""
    command = Command((*rollback.uninstall, *names), "roll back: uninstall new distributions")
    on_line(f"$ {shlex.join(command.argv)}")
    # Not cancellable: a half-done rollback would leave the environment worse off.
    await run_command(command, on_line, asyncio.Event(), grace_seconds=grace_seconds)
    remaining = _snapshot(rollback)
    return tuple(name for name in names if name not in remaining)


def _failure_message(
    plan: InstallPlan,
    step: Command,
    outcome: StepOutcome,
    added: list[str],
    removed: list[str],
    changed: list[str],
    rolled_back: tuple[str, ...],
) -> str:
    if outcome.cancelled:
        head = f"{plan.title}: cancelled during '{step.description}'"
    elif outcome.start_error is not None:
        head = f"{plan.title}: {outcome.start_error}"
    else:
        errors = [line for line in outcome.last_lines if _ERROR_LINE.match(line)]
        detail = (errors or list(outcome.last_lines) or ["no output"])[-1]
        head = f"{plan.title}: '{step.description}' failed (exit {outcome.returncode}): {detail}"
    parts = [head]
    if rolled_back:
        parts.append(f"uninstalled again: {', '.join(rolled_back)}")
    if added:
        parts.append(f"left installed: {', '.join(added)}")
    if changed:
        parts.append(f"version changed: {', '.join(changed)}")
    if removed:
        parts.append(f"no longer installed: {', '.join(removed)}")
    if not (rolled_back or added or changed or removed):
        parts.append("the environment is unchanged")
    return "; ".join(parts)
