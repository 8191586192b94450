"""textDocument/codeAction: one quick fix per real remedy of an envsense diagnostic.

Installs and environment creation are commands (envsense.* in commands.py) so that the
editor runs them and the server can ask, queue, show progress and re-check. Declaring a
requirement is a plain WorkspaceEdit. The preferred fix of a diagnostic is marked
isPreferred; a name only guessed from the import never is, and its title says so.

Untrusted workspace: actions that would run an installer or create an environment are
not offered at all (the commands would only refuse); edits and switching environments,
which run nothing, still are.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from envsense.core.checks.project import create_command
from envsense.core.environment import Environment
from envsense.core.environment_owner import environment_owner
from envsense.core.findings import Code, FixData
from envsense.core.projects import Project
from envsense.core.selection import is_global
from envsense.lsp.commands import (
    CREATE_ENVIRONMENT,
    EXPLAIN,
    INSTALL_PACKAGES,
    INSTALL_PROJECT,
    SELECT_ENVIRONMENT,
    InstallPackagesArgs,
)
from envsense.lsp.diagnostics import SOURCE, is_python
from envsense.lsp.environment_choices import fitting, other_environments, with_module
from envsense.lsp.environment_choices import title as env_title
from envsense.lsp.install_flow import base_interpreters, parse_specifier
from envsense.lsp.manifest_edits import declare_requirement
from envsense.lsp.packages import INSTALL_AND_DECLARE
from envsense.lsp.server import uri_to_path

if TYPE_CHECKING:
    from envsense.lsp.server import EnvsenseServer

log = logging.getLogger(__name__)

QUICKFIX = types.CodeActionKind.QuickFix
# The VS Code client's own picker (a client-side command; other clients have none).
CLIENT_PICK_ENVIRONMENT = "envsense.pickEnvironment"
MAX_SWITCHES = 3
MAX_ALTERNATIVES = 3


@dataclass
class ActionBuilder:
    """Builds the actions for one request (blocking: runs in a worker thread)."""

    ls: EnvsenseServer
    uri: str
    path: Path
    # The client has its own environment picker command (the VS Code extension).
    client_picker: bool = False
    _project: Project | None = field(default=None, init=False)
    _environments: list[Environment] | None = field(default=None, init=False)
    _missing_count: int | None = field(default=None, init=False)

    # -- context -----------------------------------------------------------------------

    @property
    def trusted(self) -> bool:
        return self.ls.options.trusted

    @property
    def project(self) -> Project:
        if self._project is None:
            self._project = self.ls.session.project_for(self.path)
        return self._project

    @property
    def environments(self) -> list[Environment]:
        if self._environments is None:
            self._environments = self.ls.session.environments()
        return self._environments

    @property
    def command_uri(self) -> str:
        """A file: URI for the commands (a notebook cell's URI isn't one)."""
        return self.uri if uri_to_path(self.uri) is not None else self.path.as_uri()

    def selected(self) -> Environment | None:
        return self.ls.session.selection(self.project).environment

    def is_stand_in(self, env: Environment) -> bool:
        """`env` is a global interpreter standing in for a project without its own env."""
        selection = self.ls.session.selection(self.project)
        return selection.fallback and selection.environment == env

    def into(self, env: Environment) -> str:
        """Where an install goes, in a title: a global interpreter is called global."""
        if is_global(env):
            return f"into your global {_stand_in(env)}"
        return f"into {env_title(env)}"

    def environment_for(self, fix: FixData) -> Environment | None:
        """The environment the diagnostic was computed against (by key), else the selected."""
        if fix.environment:
            for env in self.environments:
                if env.key == fix.environment:
                    return env
        selected = self.selected()
        if selected is not None and fix.environment in (None, selected.key):
            return selected
        return None

    def missing_count(self) -> int:
        """How many missing-imports with a known distribution the file has now."""
        if self._missing_count is None:
            self._missing_count = 0
            document = self.ls.workspace.get_text_document(self.uri)
            if is_python(document) and uri_to_path(self.uri) is not None:
                # The text the diagnostics just checked: its kept scan answers at once.
                feature = self.ls.diagnostics
                imports = feature.imports_for(self.uri) if feature is not None else None
                try:
                    findings = self.ls.session.check_source(self.path, document.source, imports)
                except Exception:  # a failed check only hides "install all"
                    log.exception("checking %s for code actions failed", self.path)
                    findings = []
                self._missing_count = sum(
                    1 for f in findings if f.code is Code.MISSING_IMPORT and f.fix.distribution
                )
        return self._missing_count

    # -- building ----------------------------------------------------------------------

    def build(self, diagnostics: list[types.Diagnostic]) -> list[types.CodeAction]:
        handlers: dict[Code, Callable[[types.Diagnostic, FixData], Iterator[types.CodeAction]]] = {
            Code.MISSING_IMPORT: self.missing_import,
            Code.MISSING_MODULE_SOURCE: self.missing_module_source,
            Code.VERSION_MISMATCH: self.version_mismatch,
            Code.REQUIREMENT_NOT_INSTALLED: self.requirement_not_installed,
            Code.UNDECLARED_IMPORT: self.declare,
            Code.TRANSITIVE_IMPORT: self.declare,
            Code.NO_ENVIRONMENT: self.no_environment,
            Code.PYTHON_VERSION_MISMATCH: self.python_version_mismatch,
            Code.STDLIB_UNAVAILABLE: self.stdlib_unavailable,
            # The fix installs the missing end of the chain, like a missing import.
            Code.IMPORT_CHAIN_BROKEN: self.missing_import,
            Code.LOCK_MISMATCH: self.lock_fix,
            Code.LOCK_MISSING: self.lock_fix,
            Code.LOCK_STALE: self.lock_fix,
        }
        actions: list[types.CodeAction] = []
        titles: set[str] = set()
        for diagnostic in diagnostics:
            try:
                code = Code(str(diagnostic.code))
            except ValueError:
                continue
            handler = handlers.get(code)
            if handler is None:
                continue
            fix = FixData.from_json(diagnostic.data)
            try:
                produced = list(handler(diagnostic, fix))
            except Exception:  # one odd diagnostic must not hide the fixes of the others
                log.exception("building quick fixes for %s failed", code)
                continue
            for action in produced:
                if action.title not in titles:
                    titles.add(action.title)
                    actions.append(action)
        return actions

    def action(
        self,
        title: str,
        diagnostic: types.Diagnostic,
        *,
        command: str | None = None,
        arguments: dict[str, Any] | None = None,
        edit: types.WorkspaceEdit | None = None,
        preferred: bool = False,
    ) -> types.CodeAction:
        return types.CodeAction(
            title=title,
            kind=QUICKFIX,
            diagnostics=[diagnostic],
            is_preferred=preferred or None,
            edit=edit,
            command=types.Command(title=title, command=command, arguments=[arguments])
            if command
            else None,
        )

    def install(
        self,
        title: str,
        diagnostic: types.Diagnostic,
        packages: list[str],
        fix: FixData,
        env: Environment,
        *,
        preferred: bool = False,
        edit: types.WorkspaceEdit | None = None,
    ) -> types.CodeAction:
        args = InstallPackagesArgs(
            uri=self.command_uri,
            packages=tuple(packages),
            name_source=fix.name_source or "guessed",
            module=fix.module,
            environment=str(env.executable) if env.executable else None,
        )
        return self.action(
            title,
            diagnostic,
            command=INSTALL_PACKAGES,
            arguments=args.to_json(),
            edit=edit,
            preferred=preferred,
        )

    # -- one method per code -----------------------------------------------------------

    def missing_import(self, d: types.Diagnostic, fix: FixData) -> Iterator[types.CodeAction]:
        env = self.environment_for(fix)
        dist = fix.distribution
        if dist and env is not None and self.trusted:
            guessed = fix.name_source == "guessed"
            package = fix.requirement or dist
            stand_in = self.is_stand_in(env)
            if stand_in:
                yield from self.create_for_project(d, fix)
            if guessed:
                title = f"Install '{dist}' (name guessed from the import) {self.into(env)}"
            else:
                title = f"Install {dist} {self.into(env)}"
            yield self.install(title, d, [package], fix, env, preferred=not (guessed or stand_in))
            if fix.requirement is None and fix.manifest and not guessed:
                manifest = Path(fix.manifest)
                # Checked now so the action is only offered when the edit is possible; the
                # edit itself is made after the install, pinned to the installed version.
                if self.manifest_edit(manifest, dist, None) is not None:
                    title = f"Install {dist} and add it to {manifest.name}"
                    action = self.install(title, d, [dist], fix, env)
                    assert action.command is not None and action.command.arguments
                    arguments: dict[str, Any] = {**(action.command.arguments[0] or {})}
                    arguments["manifest"] = str(manifest)
                    action.command = types.Command(
                        title=title, command=INSTALL_AND_DECLARE, arguments=[arguments]
                    )
                    yield action
            for alternative in fix.alternatives[:MAX_ALTERNATIVES]:
                yield self.install(
                    f"Install {alternative} {self.into(env)}", d, [alternative], fix, env
                )
            if self.missing_count() > 1:
                args = InstallPackagesArgs(uri=self.uri, all=True).to_json()
                yield self.action(
                    f"Install all missing packages of this file {self.into(env)}",
                    d,
                    command=INSTALL_PACKAGES,
                    arguments=args,
                )
        if fix.module and fix.environment:
            yield from self.switches_with_module(d, fix.module, env)

    def missing_module_source(
        self, d: types.Diagnostic, fix: FixData
    ) -> Iterator[types.CodeAction]:
        env = self.environment_for(fix)
        if fix.distribution and env is not None and self.trusted:
            stand_in = self.is_stand_in(env)
            if stand_in:
                yield from self.create_for_project(d, fix)
            title = f"Install {fix.distribution} {self.into(env)}"
            yield self.install(
                title, d, [fix.requirement or fix.distribution], fix, env, preferred=not stand_in
            )

    def version_mismatch(self, d: types.Diagnostic, fix: FixData) -> Iterator[types.CodeAction]:
        env = self.environment_for(fix)
        if fix.distribution and fix.specifier and env is not None and self.trusted:
            wanted = f"{fix.distribution}{fix.specifier}"
            stand_in = self.is_stand_in(env)
            if stand_in:
                yield from self.create_for_project(d, fix)
            title = f"Install {wanted} {self.into(env)}"
            yield self.install(title, d, [wanted], fix, env, preferred=not stand_in)

    def requirement_not_installed(
        self, d: types.Diagnostic, fix: FixData
    ) -> Iterator[types.CodeAction]:
        env = self.environment_for(fix)
        if not self.trusted or env is None:
            return
        stand_in = self.is_stand_in(env)
        if stand_in:
            yield from self.create_for_project(d, fix)
        if fix.requirement:
            name = fix.distribution or fix.requirement
            yield self.install(
                f"Install {name} {self.into(env)}",
                d,
                [fix.requirement],
                fix,
                env,
                preferred=not stand_in,
            )
        yield self.action(
            f"Install all requirements of {self.project.root.name} {self.into(env)}",
            d,
            command=INSTALL_PROJECT,
            arguments={"uri": self.command_uri},
        )

    def declare(self, d: types.Diagnostic, fix: FixData) -> Iterator[types.CodeAction]:
        if not (fix.distribution and fix.manifest):
            return
        manifest = Path(fix.manifest)
        edit = self.manifest_edit(manifest, fix.distribution, fix.installed_version)
        if edit is not None:
            title = f"Add {fix.distribution} to {manifest.name}"
            yield self.action(title, d, edit=edit, preferred=True)

    def no_environment(self, d: types.Diagnostic, fix: FixData) -> Iterator[types.CodeAction]:
        if self.ls.session.selection(self.project).fallback:
            # A global interpreter stands in: create the project's own, or pick one.
            if self.trusted:
                yield from self.create_for_project(d, fix)
            if self.client_picker:
                yield self.action("Select an environment...", d, command=CLIENT_PICK_ENVIRONMENT)
            return
        if not self.trusted:
            return
        project = self.project
        bases = base_interpreters(self.environments, project, parse_specifier(fix.requires_python))
        if not bases:
            return
        broken = self.environment_for(fix)
        recreate = broken is not None and broken.prefix == project.root / ".venv"
        yield self.create_action(d, bases[0], recreate=recreate, preferred=True)

    def python_version_mismatch(
        self, d: types.Diagnostic, fix: FixData
    ) -> Iterator[types.CodeAction]:
        requires = parse_specifier(fix.requires_python)
        current = self.environment_for(fix)
        preferred = True
        others = other_environments(self.project, self.environments, current)
        for env in fitting(others, requires)[: MAX_SWITCHES + 2]:
            yield self.switch(f"Switch to {env_title(env)}", d, env, preferred=preferred)
            preferred = False
        if not self.trusted:
            return
        bases = base_interpreters(self.environments, self.project, requires)
        if bases:
            recreate = current is not None and current.prefix == self.project.root / ".venv"
            yield self.create_action(d, bases[0], recreate=recreate, preferred=preferred)

    def stdlib_unavailable(self, d: types.Diagnostic, fix: FixData) -> Iterator[types.CodeAction]:
        env = self.environment_for(fix)
        module = fix.module or "this module"
        if fix.backport and env is not None and self.trusted:
            title = f"Install {fix.backport} (backport of {module})"
            if is_global(env):
                title += f" {self.into(env)}"
            backport = FixData(module=fix.module, name_source="curated")
            yield self.install(title, d, [fix.backport], backport, env, preferred=True)
        elif not fix.backport:
            yield self.action(
                f"What to use instead of '{module}'",
                d,
                command=EXPLAIN,
                arguments={"message": d.message},
            )

    def lock_fix(self, d: types.Diagnostic, fix: FixData) -> Iterator[types.CodeAction]:
        """Sync the environment with the lock (or update a stale lock) via the project's tool."""
        from envsense.lsp.lock_actions import lock_quick_fixes

        yield from lock_quick_fixes(self, d, fix)

    # -- shared pieces -----------------------------------------------------------------

    def create_action(
        self, d: types.Diagnostic, base: Environment, *, recreate: bool, preferred: bool
    ) -> types.CodeAction:
        short = base.version.short if base.version else "?"
        declares = self.ls.session.declarations(self.project).declares_dependencies
        verb = "Recreate" if recreate else "Create"
        folder = ".venv"
        if not recreate and (self.project.root / ".venv").exists():
            folder = "a new environment"  # .venv is taken; envcreate picks .venv-N
        title = f"{verb} {folder} with Python {short}"
        if declares:
            title += " and install the project"
        args: dict[str, Any] = {"uri": self.command_uri, "python": str(base.executable)}
        if recreate:
            args["recreate"] = True
        return self.action(
            title, d, command=CREATE_ENVIRONMENT, arguments=args, preferred=preferred
        )

    def create_for_project(self, d: types.Diagnostic, fix: FixData) -> Iterator[types.CodeAction]:
        """The preferred fix under a global stand-in: the project's own environment, made
        by its manager where it has one (envsense.createEnvironment with the project URI)."""
        project = self.project
        if not project.markers or not self.trusted:
            return  # a folder of scripts that is no project quietly uses the global one
        # The project whose environment this one would use (a uv workspace root).
        project = environment_owner(project)
        command = create_command(project.root)
        title = _CREATE_TITLES.get(command or "", "Create .venv")
        if command:
            title += f" ({command})"
        args: dict[str, Any] = {"uri": project.root.as_uri()}
        bases = base_interpreters(self.environments, project, parse_specifier(fix.requires_python))
        if bases and bases[0].executable is not None:
            args["python"] = str(bases[0].executable)
        yield self.action(title, d, command=CREATE_ENVIRONMENT, arguments=args, preferred=True)

    def switch(
        self, title: str, d: types.Diagnostic, env: Environment, *, preferred: bool = False
    ) -> types.CodeAction:
        args = {"uri": self.command_uri, "executable": str(env.executable)}
        return self.action(
            title, d, command=SELECT_ENVIRONMENT, arguments=args, preferred=preferred
        )

    def switches_with_module(
        self, d: types.Diagnostic, module: str, current: Environment | None
    ) -> Iterator[types.CodeAction]:
        """Switch to environments that have the module (a bounded look at inventories)."""
        candidates = other_environments(self.project, self.environments, current)
        for env in with_module(self.ls.session, candidates, module, MAX_SWITCHES):
            yield self.switch(f"Switch to {env_title(env)}, which has {module}", d, env)

    def manifest_edit(
        self, manifest: Path, requirement: str, installed_version: str | None
    ) -> types.WorkspaceEdit | None:
        return declare_requirement(self.ls.workspace, manifest, requirement, installed_version)


# What each manager's create command makes, as the title says it (command appended).
_CREATE_TITLES = {
    "uv sync": "Create .venv",
    "poetry install": "Create the poetry environment",
    "pdm install": "Create the pdm environment",
    "hatch env create": "Create the hatch environment",
    "pipenv install": "Create the pipenv environment",
}


def _stand_in(env: Environment) -> str:
    """`pyenv 3.13.0`, as the selection reason names a global interpreter."""
    return (
        f"{env.kind} {env.version}" if env.version is not None else f"{env.kind} {env.display_name}"
    )


def _wants_quickfix(only: Any) -> bool:
    if not only:
        return True
    kind = QUICKFIX.value
    return any(k == kind or kind.startswith(f"{k}.") for k in only)


def register(server: EnvsenseServer) -> None:
    """Wire textDocument/codeAction (quick fixes only; no resolve step)."""
    client = {"picker": False}

    def note_client(params: types.InitializeParams) -> None:
        # Only the VS Code extension registers envsense.pickEnvironment; an action naming
        # it elsewhere would reach the server as an unknown command.
        name = (params.client_info.name if params.client_info else "").lower()
        client["picker"] = any(word in name for word in ("code", "codium", "cursor"))

    server.initialize_hooks.append(note_client)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[QUICKFIX], resolve_provider=False),
    )
    async def code_actions(
        ls: EnvsenseServer, params: types.CodeActionParams
    ) -> list[types.CodeAction] | None:
        """Quick fixes for the envsense diagnostics the client sent in the context."""
        if not _wants_quickfix(params.context.only):
            return None
        diagnostics = [
            d for d in params.context.diagnostics if d.source == SOURCE and d.code is not None
        ]
        if not diagnostics:
            return None
        uri = params.text_document.uri
        path = uri_to_path(uri)
        notebook = ls.workspace.get_notebook_document(cell_uri=uri)
        if notebook is not None:
            path = uri_to_path(notebook.uri)
        if path is None:
            return None
        await ls.discovered.wait()
        builder = ActionBuilder(ls, uri, path, client_picker=client["picker"])
        actions = await asyncio.to_thread(builder.build, diagnostics)
        return actions or None
