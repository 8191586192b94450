"""What happens when the user runs an install or "create environment" action.

Plan (core, in a thread) -> refuse, or ask for confirmation -> queue per environment ->
run with work-done progress -> tell the user the outcome -> re-check every open document.
Nothing runs when the workspace is untrusted; the answer says so instead.
"""

from __future__ import annotations

import asyncio
import logging
import os
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from envsense.core.environment import Environment
from envsense.core.install.envcreate import (
    CreateContents,
    EnvCreatePlan,
    EnvCreateRequest,
    create_env,
    plan_create_env,
)
from envsense.core.install.plan import (
    IndexOptions,
    InstallPlan,
    InstallRequest,
    PackageRequest,
    Refusal,
    plan_install,
)
from envsense.core.install.queue import InstallQueue
from envsense.core.install.target import InstallTarget
from envsense.core.projects import Project
from envsense.core.selection import is_foreign
from envsense.lsp.command_guards import workspace_folders
from envsense.lsp.install_progress import InstallProgress

if TYPE_CHECKING:
    from envsense.lsp.server import EnvsenseServer

log = logging.getLogger(__name__)

UNTRUSTED = (
    "envsense: this workspace is not trusted, so envsense runs no installer and creates "
    "no environment for it. Trust the workspace in your editor to use this action."
)
CREATE_VENV = "Create .venv"
RECREATE_VENV = "Recreate .venv"
# How many of the installer's last lines an error message quotes.
ERROR_LINES = 5


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of a command: `ok`, a sentence for the user, and what changed."""

    ok: bool
    message: str
    cancelled: bool = False
    environment: Environment | None = None
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    # After a failed install: what could not be put back (one sentence each).
    left: tuple[str, ...] = ()
    environment_gone: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "message": self.message,
            "cancelled": self.cancelled,
            "environment": self.environment.to_json() if self.environment else None,
            "added": list(self.added),
            "changed": list(self.changed),
            "left": list(self.left),
            "environmentGone": self.environment_gone,
        }


def requires_python_of(ls: EnvsenseServer, project: Project) -> SpecifierSet | None:
    declared = ls.session.declarations(project).requires_python
    return declared.specifier if declared is not None else None


def base_interpreters(
    environments: Sequence[Environment], project: Project, requires: SpecifierSet | None
) -> list[Environment]:
    """Interpreters a .venv can be made from, newest first: not virtual, usable, fitting."""
    found = [
        env
        for env in environments
        if not env.kind.is_virtual
        and env.is_usable
        and env.version is not None
        and not is_foreign(env, project)
        and (requires is None or requires.contains(str(env.version), prereleases=True))
    ]
    return sorted(
        found, key=lambda env: env.version.triple if env.version else (0, 0, 0), reverse=True
    )


def parse_specifier(text: str | None) -> SpecifierSet | None:
    if not text:
        return None
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        return None


class InstallService:
    """One per server: owns the install queue, so installs into one environment take turns."""

    def __init__(self, server: EnvsenseServer) -> None:
        self.server = server
        self.queue = InstallQueue()

    @classmethod
    def shared(cls, server: EnvsenseServer) -> InstallService:
        """The server's one service: every feature that installs shares its queue."""
        service = _SERVICES.get(server)
        if service is None:
            service = _SERVICES[server] = cls(server)
        return service

    async def run_plan(self, plan: InstallPlan, environment: Environment, path: Path) -> Outcome:
        """Run an already planned (and confirmed) change for `path`'s project with progress,
        then re-check."""
        return await self._run(plan, environment, path)

    # -- talking to the user -----------------------------------------------------------

    def show(self, kind: types.MessageType, message: str) -> None:
        self.server.window_show_message(types.ShowMessageParams(type=kind, message=message))
        self.server.log(message, kind)

    async def ask(self, kind: types.MessageType, message: str, actions: list[str]) -> str | None:
        """window/showMessageRequest; None when dismissed or the client can't answer."""
        try:
            answer = await self.server.window_show_message_request_async(
                types.ShowMessageRequestParams(
                    type=kind,
                    message=message,
                    actions=[types.MessageActionItem(title=title) for title in actions],
                )
            )
        except Exception as error:  # no answer is a "no", never a crash
            log.warning("window/showMessageRequest failed: %s", error)
            return None
        return answer.title if answer is not None else None

    async def confirm(self, title: str, text: str | None, verb: str) -> bool:
        answer = await self.ask(
            types.MessageType.Warning, f"{title}?\n{text or ''}".rstrip(), [verb, "Cancel"]
        )
        return answer == verb

    def untrusted(self) -> Outcome:
        self.show(types.MessageType.Warning, UNTRUSTED)
        return Outcome(False, UNTRUSTED)

    # -- installing --------------------------------------------------------------------

    async def install(
        self,
        environment: Environment | None,
        packages: tuple[PackageRequest, ...],
        *,
        path: Path,
        requirement_files: tuple[Path, ...] = (),
        install_project: bool = False,
    ) -> Outcome:
        """Install packages (or the project) into `environment`, asking first when needed."""
        ls = self.server
        if not ls.options.trusted:
            return self.untrusted()
        project = ls.session.project_for(path)
        if environment is None:
            refusal = Refusal(
                f"{project.root.name} has no Python environment to install into",
                suggest_create_venv=True,
            )
            return await self._refused(refusal, None, path, packages)
        request = InstallRequest(
            environment,
            packages=packages,
            project_root=project.root,
            requirement_files=requirement_files,
            install_project=install_project,
            installer_setting=ls.options.installer,
            trusted=True,
            index=IndexOptions.from_environ(os.environ),
            workspace_roots=(*workspace_folders(ls), project.root),
        )
        plan = await asyncio.to_thread(plan_install, request)
        if isinstance(plan, Refusal):
            return await self._refused(plan, environment, path, packages)
        if plan.needs_confirmation:
            # A global interpreter: the question names it and offers a .venv instead (#10).
            actions = ["Install", CREATE_VENV, "Cancel"] if plan.global_environment else None
            answer = await self.ask(
                types.MessageType.Warning,
                f"{plan.title}?\n{plan.confirmation_text or ''}".rstrip(),
                actions or ["Install", "Cancel"],
            )
            if answer == CREATE_VENV and plan.global_environment:
                return await self._create_then_install(environment, path, packages)
            if answer != "Install":
                message = f"{plan.title}: not confirmed, so nothing was installed"
                self.show(types.MessageType.Info, message)
                return Outcome(False, message, cancelled=True, environment=environment)
        return await self._run(plan, environment, path)

    async def _create_then_install(
        self, base: Environment | None, path: Path, packages: tuple[PackageRequest, ...]
    ) -> Outcome:
        """Create the project's .venv (from `base` when it is a base interpreter), then install."""
        usable = base if base is not None and not base.kind.is_virtual else None
        created = await self.create(path, usable.executable if usable else None)
        if not created.ok or not packages or created.environment is None:
            return created
        return await self.install(created.environment, packages, path=path)

    async def _run(self, plan: InstallPlan, environment: Environment, path: Path) -> Outcome:
        ls = self.server
        progress = InstallProgress(ls, plan.title)
        await progress.start()

        def queued(ahead: int) -> None:
            message = (
                f"{plan.title}: queued; {ahead} install(s) into {environment.label} "
                "must finish first"
            )
            progress.report(message)
            self.show(types.MessageType.Info, message)

        try:
            result = await self.queue.run(plan, progress.line, progress.cancel, on_queued=queued)
        except Exception as error:  # the runner reports failures; this is a bug, not a result
            log.exception("install failed")
            progress.end(f"failed: {error}")
            message = f"{plan.title}: failed: {error}"
            self.show(types.MessageType.Error, message)
            return Outcome(False, message, environment=environment)
        progress.end(result.message)
        touched = (
            result.added or result.changed or result.removed or result.rolled_back
            or result.restored or result.deleted or result.left or result.environment_gone
        )  # fmt: skip
        if touched:
            await self._environment_changed(environment)
        if result.suggest_recreate and self._is_project_venv(environment, path):
            # Something could not be put back (or the environment is gone): offer a clean one.
            answer = await self.ask(types.MessageType.Error, result.message, [RECREATE_VENV])
            if answer == RECREATE_VENV:
                return await self.create(path, None, recreate=not result.environment_gone)
        elif result.ok:
            self.show(types.MessageType.Info, result.message)
        elif result.cancelled:
            self.show(types.MessageType.Warning, result.message)
        else:
            tail = "\n".join(result.last_lines[-ERROR_LINES:])
            self.show(types.MessageType.Error, f"{result.message}\n{tail}".rstrip())
        return Outcome(
            result.ok, result.message, result.cancelled, environment, result.added,
            result.changed, result.left, result.environment_gone,
        )  # fmt: skip

    def _is_project_venv(self, environment: Environment, path: Path) -> bool:
        """Whether "Recreate .venv" would replace this very environment (the project's own)."""
        prefix = environment.prefix
        if not environment.kind.is_virtual or prefix is None:
            return False
        return prefix.parent == self.server.session.project_for(path).root

    async def _environment_changed(self, environment: Environment) -> None:
        """Forget the old inventory and re-check every open document."""
        target = await asyncio.to_thread(InstallTarget.read, environment)
        folders = list(target.site_packages) if target is not None else []
        self.server.session.invalidate(folders)
        self.server.environments_changed()

    async def _refused(
        self,
        refusal: Refusal,
        environment: Environment | None,
        path: Path,
        packages: tuple[PackageRequest, ...],
    ) -> Outcome:
        """Say why; for PEP 668 (or no environment) offer to create a .venv instead."""
        if not refusal.suggest_create_venv:
            self.show(types.MessageType.Error, f"envsense: {refusal.reason}")
            return Outcome(False, refusal.reason, environment=environment)
        answer = await self.ask(types.MessageType.Warning, refusal.reason, [CREATE_VENV])
        if answer != CREATE_VENV:
            message = f"{refusal.reason}; nothing was installed"
            self.show(types.MessageType.Info, message)
            return Outcome(False, message, environment=environment)
        return await self._create_then_install(environment, path, packages)

    # -- creating ----------------------------------------------------------------------

    async def plan_create(
        self,
        path: Path,
        python: Path | None = None,
        *,
        recreate: bool = False,
        contents: CreateContents | None = None,
    ) -> EnvCreatePlan | str:
        """The creation plan for `path`'s project, or why there is none (nothing runs)."""
        ls = self.server
        await ls.discovered.wait()
        project = ls.session.project_for(path)
        base = await asyncio.to_thread(self._base_for, project, python)
        if isinstance(base, str):
            return base
        request = EnvCreateRequest(
            base,
            project.root,
            mode="recreate" if recreate else "new",
            installer_setting=ls.options.installer,
            trusted=ls.options.trusted,
            index=IndexOptions.from_environ(os.environ),
            contents=contents,
        )
        plan = await asyncio.to_thread(plan_create_env, request)
        return plan.reason if isinstance(plan, Refusal) else plan

    async def create(
        self,
        path: Path,
        python: Path | None = None,
        *,
        recreate: bool = False,
        contents: CreateContents | None = None,
    ) -> Outcome:
        """Create (or recreate) the project's .venv, install what was chosen, select it."""
        ls = self.server
        if not ls.options.trusted:
            return self.untrusted()
        session = ls.session
        plan = await self.plan_create(path, python, recreate=recreate, contents=contents)
        if isinstance(plan, str):
            self.show(types.MessageType.Error, f"envsense: {plan}")
            return Outcome(False, plan)
        if plan.needs_confirmation and not await self.confirm(
            plan.title, plan.confirmation_text, "Create"
        ):
            message = f"{plan.title}: not confirmed, so nothing was created"
            self.show(types.MessageType.Info, message)
            return Outcome(False, message, cancelled=True)
        if self.queue.busy(plan.environment.key):
            message = (
                f"{plan.title}: an install into {plan.target.name} is running; try again after it"
            )
            self.show(types.MessageType.Warning, message)
            return Outcome(False, message)
        progress = InstallProgress(ls, plan.title)
        await progress.start()
        result = await create_env(plan, progress.line, progress.cancel)
        progress.end(result.message)
        if not result.ok:
            tail = "" if result.cancelled else "\n".join(result.last_lines[-ERROR_LINES:])
            kind = types.MessageType.Warning if result.cancelled else types.MessageType.Error
            self.show(kind, f"{result.message}\n{tail}".rstrip())
            return Outcome(False, result.message, result.cancelled)
        await asyncio.to_thread(session.refresh_environments)
        assert plan.environment.executable is not None
        selection = await asyncio.to_thread(session.select, path, plan.environment.executable)
        ls.environments_changed()
        self.show(types.MessageType.Info, result.message)
        installed = result.install
        return Outcome(
            True,
            result.message,
            environment=selection.environment,
            added=installed.added if installed else (),
        )

    def _base_for(self, project: Project, python: Path | None) -> Environment | str:
        """The interpreter to create from (blocking), or why there is none."""
        session = self.server.session
        environments = session.environments()
        if python is not None:
            for env in environments:
                if env.executable is not None and _same_path(env.executable, python):
                    return env
            from envsense.core.discovery import identify

            return identify(python, session.discovery_context())
        requires = requires_python_of(self.server, project)
        bases = base_interpreters(environments, project, requires)
        if bases:
            return bases[0]
        wanted = f" satisfying requires-python {requires}" if requires else ""
        return f"no Python interpreter{wanted} was found to create a .venv with"


_SERVICES: weakref.WeakKeyDictionary[EnvsenseServer, InstallService] = weakref.WeakKeyDictionary()


def _same_path(a: Path, b: Path) -> bool:
    try:
        return a == b or a.parent.resolve() / a.name == b.parent.resolve() / b.name
    except OSError:
        return False
