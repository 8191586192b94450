"""Run an InstallPlan: one subprocess per step, output line by line, cancellable, checked.

Each step starts in its own session (process group), so cancelling ends the installer
and everything it spawned (build backends, compilers). Before the first step the whole
of site-packages is recorded (core/install/restore.py); if the plan fails or is
cancelled, the environment is put back as recorded, and whatever could not be is named.
An environment that disappears during the install is reported as gone, never as done.
docs/security.md says what that does and does not guarantee.
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

from envsense.core.install.plan import Command, InstallPlan
from envsense.core.install.restore import Restored, SiteState, compare, restore, snapshot

log = logging.getLogger(__name__)

OnLine = Callable[[str], None]
KEEP_LINES = 20
# Cancel: SIGTERM to the group, SIGKILL to what is left after this long (must stay < 2 s).
GRACE_SECONDS = 0.5
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
    # Canonical distribution names that are new / gone / at another version now
    # (after a failed install: what is still so after the rollback).
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    # New distributions a failed or cancelled plan left behind and that were uninstalled again.
    rolled_back: tuple[str, ...] = ()
    # Distributions put back at the version they had ("markupsafe 3.0.2").
    restored: tuple[str, ...] = ()
    # Top-level entries without metadata that the failed install left and that were deleted.
    deleted: tuple[str, ...] = ()
    # What could not be put back, one sentence each; non-empty means "Recreate .venv".
    left: tuple[str, ...] = ()
    environment_gone: bool = False

    @property
    def suggest_recreate(self) -> bool:
        return bool(self.left) or self.environment_gone


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
    grace_seconds: float = GRACE_SECONDS,
) -> InstallResult:
    """Run the plan's steps in order, stopping at the first failure or on `cancel`."""
    cancel = cancel or asyncio.Event()
    before = await asyncio.to_thread(snapshot, plan.rollback)
    outcome = StepOutcome(0, False, ())
    failed_step: Command | None = None
    for step in plan.steps:
        on_line(f"$ {shlex.join(step.argv)}")
        outcome = await run_command(step, on_line, cancel, grace_seconds=grace_seconds)
        if outcome.cancelled or outcome.returncode != 0:
            failed_step = step
            break
    after = await asyncio.to_thread(snapshot, plan.rollback)
    if before.present and not after.present:
        return _gone(plan, outcome, failed_step)
    change = compare(before, after)
    if failed_step is None:
        what = ", ".join(_with_versions(change.added + change.changed, after))
        message = f"{plan.title}: done; installed {what or 'nothing new (already satisfied)'}"
        if change.removed:  # `uv sync` removes what the lock does not list: say so
            message += f"; uninstalled {', '.join(_with_versions(change.removed, before))}"
        return InstallResult(
            True, False, 0, outcome.last_lines, message,
            change.added, change.removed, change.changed,
        )  # fmt: skip
    if plan.rollback is None or change.none:
        message = _failure_message(plan, failed_step, outcome, before, after, None)
        return InstallResult(
            False, outcome.cancelled, outcome.returncode, outcome.last_lines, message,
            change.added, change.removed, change.changed,
        )  # fmt: skip

    async def run(command: Command, line: OnLine, stop: asyncio.Event) -> int | None:
        return (await run_command(command, line, stop, grace_seconds=grace_seconds)).returncode

    restored = await restore(plan.rollback, before, on_line, run)
    if not restored.after.present:
        return _gone(plan, outcome, failed_step)
    final = compare(before, restored.after)
    message = _failure_message(plan, failed_step, outcome, before, after, restored)
    return InstallResult(
        False, outcome.cancelled, outcome.returncode, outcome.last_lines, message,
        final.added, final.removed, final.changed, restored.uninstalled,
        restored.reinstalled, restored.deleted, restored.left,
    )  # fmt: skip


def _gone(plan: InstallPlan, outcome: StepOutcome, failed_step: Command | None) -> InstallResult:
    where = plan.rollback.prefix if plan.rollback and plan.rollback.prefix else plan.environment_key
    message = (
        f"{plan.title}: the environment {where} was deleted during the install, "
        "so nothing was installed; create it again"
    )
    return InstallResult(
        False, outcome.cancelled, outcome.returncode, outcome.last_lines, message,
        environment_gone=True,
    )  # fmt: skip


def _with_versions(names: tuple[str, ...], state: SiteState) -> list[str]:
    return [
        f"{name} {state.version_text(name)}" if name in state.versions else name for name in names
    ]


async def run_command(
    command: Command,
    on_line: OnLine,
    cancel: asyncio.Event | None = None,
    *,
    grace_seconds: float = GRACE_SECONDS,
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


def _failure_message(
    plan: InstallPlan,
    step: Command,
    outcome: StepOutcome,
    before: SiteState,
    after: SiteState,
    restored: Restored | None,
) -> str:
    if outcome.cancelled:
        head = f"{plan.title}: cancelled during '{step.description}'"
    elif outcome.start_error is not None:
        head = f"{plan.title}: {outcome.start_error}"
    else:
        errors = [line for line in outcome.last_lines if _ERROR_LINE.match(line)]
        detail = (errors or list(outcome.last_lines) or ["no output"])[-1]
        code = outcome.returncode
        how = f"was killed ({_signal_name(-code)})" if code is not None and code < 0 else "failed"
        head = f"{plan.title}: '{step.description}' {how} (exit {code}): {detail}"
    parts = [head]
    if restored is None:
        change = compare(before, after)
        if change.none:
            parts.append("the environment is unchanged")
        else:  # no record to restore from (no site-packages known): say what changed
            if change.added:
                parts.append(f"left installed: {', '.join(change.added)}")
            if change.changed:
                parts.append(f"version changed: {', '.join(change.changed)}")
            if change.removed:
                parts.append(f"no longer installed: {', '.join(change.removed)}")
        return "; ".join(parts)
    if restored.uninstalled:
        parts.append(f"uninstalled again: {', '.join(restored.uninstalled)}")
    if restored.reinstalled:
        parts.append(f"restored: {', '.join(restored.reinstalled)}")
    if restored.deleted:
        parts.append(f"removed what it left without metadata: {', '.join(restored.deleted)}")
    if restored.left:
        parts.append(
            "could not put back: " + "; ".join(restored.left)
            + " (recreate the environment to start clean)"
        )  # fmt: skip
    else:
        parts.append("the environment is as it was before")
    return "; ".join(parts)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
