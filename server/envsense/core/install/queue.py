"""One install at a time per environment: two installers writing one site-packages race.

Installs into different environments still run side by side. A request that has to wait
is told its place in line, and can be cancelled while it waits (then it never starts).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from envsense.core.install.plan import InstallPlan
from envsense.core.install.runner import GRACE_SECONDS, InstallResult, OnLine, run_plan

# Called with the number of installs ahead of this one, when it has to wait.
OnQueued = Callable[[int], None]


class InstallQueue:
    """Serialises `run_plan` per `plan.environment_key`."""

    def __init__(self, *, grace_seconds: float = GRACE_SECONDS) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiting: dict[str, int] = {}
        self._grace = grace_seconds

    def busy(self, environment_key: str) -> bool:
        """Whether an install into that environment is running now."""
        lock = self._locks.get(environment_key)
        return lock is not None and lock.locked()

    def queued(self, environment_key: str) -> int:
        """How many installs into that environment are waiting (not counting the running one)."""
        return self._waiting.get(environment_key, 0)

    async def run(
        self,
        plan: InstallPlan,
        on_line: OnLine,
        cancel: asyncio.Event | None = None,
        *,
        on_queued: OnQueued | None = None,
    ) -> InstallResult:
        """Wait for earlier installs into the same environment, then run the plan."""
        cancel = cancel or asyncio.Event()
        key = plan.environment_key
        lock = self._locks.setdefault(key, asyncio.Lock())
        if lock.locked() and on_queued is not None:
            on_queued(self._waiting.get(key, 0) + 1)
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            acquired = await _acquire_unless_cancelled(lock, cancel)
        finally:
            self._waiting[key] -= 1
        if not acquired:
            return InstallResult(
                ok=False,
                cancelled=True,
                returncode=None,
                last_lines=(),
                message=f"{plan.title}: cancelled while waiting for another install; "
                "nothing ran and the environment is unchanged",
            )
        try:
            return await run_plan(plan, on_line, cancel, grace_seconds=self._grace)
        finally:
            lock.release()


async def _acquire_unless_cancelled(lock: asyncio.Lock, cancel: asyncio.Event) -> bool:
    if cancel.is_set():
        return False
    if not lock.locked():
        await lock.acquire()  # free: asyncio.Lock hands it over without suspending
        return True
    acquiring = asyncio.ensure_future(lock.acquire())
    cancelled = asyncio.ensure_future(cancel.wait())
    waiting: list[asyncio.Future[Any]] = [acquiring, cancelled]
    await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    if acquiring.done() and not acquiring.cancelled():
        cancelled.cancel()
        return True
    acquiring.cancel()
    try:
        await acquiring
    except asyncio.CancelledError:
        return False
    # The lock was granted just as the cancel arrived: give it back.
    lock.release()
    return False
