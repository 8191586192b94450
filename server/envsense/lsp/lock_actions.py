"""Quick fixes and commands for the lock-* diagnostics: sync the environment with its lock
through the project's own tool, or update a stale lock.

- envsense.syncLock {uri, lock, environment?: executable}: `uv sync --frozen`, `poetry sync`,
  `pdm sync`, `pipenv sync`, or `uv pip sync` / pip `--no-deps -r` for pylock.toml and
  pinned requirements, into the environment envsense selected.
- envsense.updateLock {uri, lock}: `uv lock`, `poetry lock`, `pdm lock`, `pipenv lock`.

Both run through the shared install queue with progress, cancel and rollback; a lock that
names other indexes, URLs or paths outside the project is synced only after the user
confirms them. Nothing is offered or run in an untrusted workspace.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from envsense.core.findings import Code, FixData
from envsense.core.install.plan import IndexOptions, Refusal
from envsense.core.install.sync_plan import (
    SyncAction,
    SyncRequest,
    can_update,
    plan_sync,
    sync_title,
)
from envsense.core.locks import read_lock
from envsense.core.locks.records import LockFile
from envsense.lsp.commands import _object, _path, _text, environment_for
from envsense.lsp.install_flow import InstallService, Outcome
from envsense.lsp.server import EnvsenseServer  # pygls reads the handlers' annotations

if TYPE_CHECKING:
    from envsense.lsp.code_actions import ActionBuilder

SYNC_LOCK = "envsense.syncLock"
UPDATE_LOCK = "envsense.updateLock"


def lock_quick_fixes(
    builder: ActionBuilder, d: types.Diagnostic, fix: FixData
) -> Iterator[types.CodeAction]:
    """One action per lock diagnostic: sync for drift, update the lock when it is stale."""
    if not builder.trusted or not fix.lock:
        return
    lock = read_lock(Path(fix.lock))
    if lock is None or lock.problem is not None:
        return
    args: dict[str, Any] = {"uri": builder.command_uri, "lock": str(lock.path)}
    if str(d.code) == Code.LOCK_STALE.value:
        if can_update(lock):
            title = sync_title_for(builder, lock, fix, "lock")
            yield builder.action(title, d, command=UPDATE_LOCK, arguments=args, preferred=True)
        return
    env = builder.environment_for(fix)
    if env is None:
        return
    if env.executable is not None:
        args["environment"] = str(env.executable)
    title = sync_title(env, lock, "sync")
    yield builder.action(title, d, command=SYNC_LOCK, arguments=args, preferred=True)


def sync_title_for(builder: ActionBuilder, lock: LockFile, fix: FixData, action: SyncAction) -> str:
    env = builder.environment_for(fix) or builder.selected()
    if env is None:
        return f"Update {lock.path.name}"
    return sync_title(env, lock, action)


class LockCommands:
    """Runs the two lock commands through the server's shared InstallService."""

    def __init__(self, server: EnvsenseServer) -> None:
        self.server = server

    @property
    def service(self) -> InstallService:
        return InstallService.shared(self.server)

    async def run(self, action: SyncAction, args: tuple[Any, ...]) -> Outcome:
        command = SYNC_LOCK if action == "sync" else UPDATE_LOCK
        raw = _object(args, command)
        path = _path(raw, command)
        lock_text = _text(raw, "lock", command)
        executable = _text(raw, "environment", command)
        ls = self.server
        service = self.service
        if not ls.options.trusted:
            return service.untrusted()
        await ls.discovered.wait()
        lock_path = Path(lock_text) if lock_text else None
        lock = await asyncio.to_thread(read_lock, lock_path) if lock_path else None
        if lock is None:
            message = f"envsense: {lock_text or 'no lock file given'} is not a lock file"
            service.show(types.MessageType.Error, message)
            return Outcome(False, message)
        environment = await asyncio.to_thread(environment_for, ls, path, executable)
        if environment is None:
            message = (
                f"envsense: {ls.session.project_for(path).root.name} has no environment to sync"
            )
            service.show(types.MessageType.Error, message)
            return Outcome(False, message)
        project = ls.session.project_for(path)
        request = SyncRequest(
            environment,
            lock,
            project.root,
            action=action,
            installer_setting=ls.options.installer,
            trusted=True,
            index=IndexOptions.from_environ(os.environ),
        )
        plan = await asyncio.to_thread(plan_sync, request)
        if isinstance(plan, Refusal):
            message = f"envsense: {plan.reason}"
            service.show(types.MessageType.Error, message)
            return Outcome(False, plan.reason, environment=environment)
        verb = "Sync" if action == "sync" else "Update"
        if plan.needs_confirmation and not await service.confirm(
            plan.title, plan.confirmation_text, verb
        ):
            message = f"{plan.title}: not confirmed, so nothing ran"
            service.show(types.MessageType.Info, message)
            return Outcome(False, message, cancelled=True, environment=environment)
        outcome = await service.run_plan(plan, environment, path)
        if action == "lock":
            # The lock changed, not the environment: compare again.
            ls.environments_changed()
        return outcome


def register(server: EnvsenseServer) -> None:
    """Wire envsense.syncLock and envsense.updateLock."""
    commands = LockCommands(server)

    @server.command(SYNC_LOCK)
    async def sync_lock(ls: EnvsenseServer, *args: Any) -> dict[str, Any]:
        """Make the environment match the lock through the project's own tool."""
        return (await commands.run("sync", args)).to_json()

    @server.command(UPDATE_LOCK)
    async def update_lock(ls: EnvsenseServer, *args: Any) -> dict[str, Any]:
        """Bring a stale lock up to date with the manifest (`uv lock`, `poetry lock`, ...)."""
        return (await commands.run("lock", args)).to_json()
