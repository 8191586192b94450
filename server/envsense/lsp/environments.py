"""envsense/environments, envsense/selectEnvironment, envsense/environmentChanged, file watchers.

The client's interpreter picker is fed from here; whenever the environment a project
uses may have changed (discovery, a pick, files changing on disk) every open document's
project is announced again so that status bars follow without polling.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.exceptions import JsonRpcInvalidParams

from envsense.core.discovery import identify
from envsense.core.environment import Environment, EnvKind
from envsense.core.environment.activation import activation_for
from envsense.core.selection import recommended_order, select_environment
from envsense.lsp.command_guards import checked_interpreter
from envsense.lsp.environment_choices import interpreter_problem, title
from envsense.lsp.server import uri_to_path

if TYPE_CHECKING:
    from envsense.lsp.server import EnvsenseServer

log = logging.getLogger(__name__)

# Files whose change means an environment appeared, vanished or changed its packages.
WATCHED_GLOBS = (
    "**/pyvenv.cfg",
    "**/conda-meta/*.json",
    "**/site-packages/*.dist-info/RECORD",
    "**/site-packages/*.pth",
    "**/pyproject.toml",
    "**/requirements*.txt",
    "**/requirements/*.txt",
    "**/setup.cfg",
    "**/Pipfile",
)


def _param(params: Any, name: str) -> Any:
    """Custom params arrive as pygls' namedtuple 'Object' (or a dict from some clients)."""
    if isinstance(params, dict):
        return params.get(name)
    return getattr(params, name, None)


def _path_from(params: Any) -> Path:
    uri = _param(params, "uri")
    path = uri_to_path(uri) if isinstance(uri, str) else None
    if path is None:
        raise JsonRpcInvalidParams("expected {uri} with a file: URI")
    return path


def env_json(env: Environment) -> dict[str, Any]:
    """The ENV object plus what a client shows and sets: `title` and `activation`."""
    activation = activation_for(env)
    return {
        **env.to_json(),
        "title": title(env),
        "activation": activation.to_json() if activation is not None else None,
    }


def environments_payload(ls: EnvsenseServer, path: Path) -> dict[str, Any]:
    """{environments, selected, reason, project, recommended, fallback} for `path`'s project.

    `recommended` is what envsense's rules pick without the user's own pick; `fallback`
    is true when the project has no environment of its own (a base interpreter stands in).
    """
    session = ls.session
    project = session.project_for(path)
    selection = session.selection(project)
    environments = session.environments()
    ordered = recommended_order(project, environments, selection)
    declared = session.declarations(project).requires_python
    rules = select_environment(
        project, environments, requires_python=declared.specifier if declared else None
    )
    selected = selection.environment
    # Selection.fallback comes with the no-environment finding; older cores lack it.
    fallback = getattr(selection, "fallback", None)
    if fallback is None:
        fallback = _stands_in(selected, selection.reason)
    return {
        "environments": [env_json(env) for env in ordered],
        "selected": env_json(selected) if selected else None,
        "reason": selection.reason,
        "project": str(project.root),
        "recommended": env_json(rules.environment) if rules.environment else None,
        "fallback": bool(fallback),
    }


def _stands_in(env: Environment | None, reason: str) -> bool:
    """No environment of the project's own: nothing, or a shared base interpreter that
    the rules fell back to (not one the user picked, not a named conda/pixi env)."""
    if env is None:
        return True
    if env.kind.is_virtual or env.project is not None or "picked" in reason:
        return False
    return env.kind not in (EnvKind.CONDA, EnvKind.PIXI) or env.display_name == "base"


def validated_pick(ls: EnvsenseServer, executable: str) -> tuple[Environment, str | None]:
    """The environment of a typed/browsed interpreter and what is wrong with it (blocking)."""
    session = ls.session
    path = Path(executable).expanduser()
    env = next(
        (e for e in session.environments() if e.executable is not None and e.executable == path),
        None,
    )
    if env is None:
        env = identify(path, session.discovery_context())
    roots = [Path(p) for p in (uri_to_path(f.uri) for f in ls.workspace.folders.values()) if p]
    return interpreter_problem(env, path, trusted=ls.options.trusted, workspace_roots=roots)


def announce(ls: EnvsenseServer) -> None:
    """envsense/environmentChanged for the project of every open document."""
    seen: set[Path] = set()
    workspace = ls.workspace
    for uri in list(workspace.text_documents) + list(workspace.notebook_documents):
        path = uri_to_path(uri)
        if path is None:
            continue
        project = ls.session.project_for(path)
        if project.root in seen:
            continue
        seen.add(project.root)
        selection = ls.session.selection(project)
        ls.protocol.notify(
            "envsense/environmentChanged",
            {
                "uri": project.root.as_uri(),
                "environment": env_json(selection.environment) if selection.environment else None,
                "reason": selection.reason,
            },
        )


def register(server: EnvsenseServer) -> None:
    """Wire the environment requests, notifications and watchers."""

    server.environment_listeners.insert(0, lambda: announce(server))
    register_create_options(server)

    @server.feature("envsense/environments")
    async def list_environments(ls: EnvsenseServer, params: Any) -> dict[str, Any]:
        """All environments (recommended first) and the one selected for {uri}'s project."""
        path = _path_from(params)
        await ls.discovered.wait()
        return await asyncio.to_thread(environments_payload, ls, path)

    @server.feature("envsense/selectEnvironment")
    async def select_environment(ls: EnvsenseServer, params: Any) -> dict[str, Any]:
        """Persist the user's pick for {uri}'s project, announce it and re-check."""
        path = _path_from(params)
        executable = _param(params, "executable")
        if not isinstance(executable, str) or not executable:
            raise JsonRpcInvalidParams("expected {uri, executable}")
        await ls.discovered.wait()
        env, problem = await asyncio.to_thread(validated_pick, ls, executable)
        if problem is not None:
            # Nothing is selected: the project keeps what it had, and the client says why.
            raise JsonRpcInvalidParams(
                f"{executable} can't be used: {problem}; nothing was selected"
            )
        # Only a Python envsense can identify is remembered (issue #11: /bin/sh was taken).
        if (problem := await asyncio.to_thread(checked_interpreter, ls, executable)) is not None:
            raise JsonRpcInvalidParams(f"{problem}; nothing was selected")
        selection = await asyncio.to_thread(ls.session.select, path, Path(executable))
        ls.environments_changed()
        return {
            "selected": env_json(selection.environment) if selection.environment else None,
            "reason": selection.reason,
        }

    async def watch_files(ls: EnvsenseServer) -> None:
        """Ask the client to tell us when environments change outside the editor."""
        if not get_capability(
            ls.client_capabilities, "workspace.did_change_watched_files.dynamic_registration", False
        ):
            return
        options = types.DidChangeWatchedFilesRegistrationOptions(
            watchers=[types.FileSystemWatcher(glob_pattern=glob) for glob in WATCHED_GLOBS]
        )
        registration = types.Registration(
            id=str(uuid.uuid4()),
            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=options,
        )
        try:
            await ls.client_register_capability_async(
                types.RegistrationParams(registrations=[registration])
            )
        except Exception as error:  # a client refusing watchers still gets everything else
            log.warning("file watcher registration failed: %s", error)

    server.initialized_hooks.append(watch_files)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def files_changed(ls: EnvsenseServer, params: types.DidChangeWatchedFilesParams) -> None:
        """Environments or manifests changed on disk: rediscover if needed, then re-check."""
        paths = [p for change in params.changes if (p := uri_to_path(change.uri)) is not None]
        if not paths:
            return
        rediscover = ls.session.invalidate(paths)
        if rediscover:
            from envsense.lsp.lifecycle import discover

            await discover(ls)
        else:
            ls.environments_changed()


def create_options(ls: EnvsenseServer, path: Path) -> dict[str, Any]:
    """What the create-environment flow offers for `path`'s project (blocking).

    Base interpreters satisfying requires-python come first (newest first, `fits: true`),
    then the others; extras, dependency groups and requirements files as declared; the
    project's manager and whether it is on PATH.
    """
    import shutil

    from envsense.core.project_manager import read_project_layout
    from envsense.lsp.install_flow import base_interpreters

    session = ls.session
    project = session.project_for(path)
    declarations = session.declarations(project)
    requires = declarations.requires_python.specifier if declarations.requires_python else None
    environments = session.environments()
    fitting = base_interpreters(environments, project, requires)
    others = [e for e in base_interpreters(environments, project, None) if e not in fitting]
    extras: list[str] = []
    groups: list[str] = []
    for requirement in declarations.requirements:
        kind, _, name = requirement.group.partition(":")
        if kind == "optional" and name not in extras:
            extras.append(name)
        elif kind in ("group", "poetry") and name != "main" and name not in groups:
            groups.append(name)
    files = [str(s.path) for s in declarations.sources if s.kind == "requirements"]
    layout = read_project_layout(project.root)
    manager = layout.manager.value if layout.manager is not None else None
    return {
        "project": str(project.root),
        "requiresPython": str(requires) if requires is not None else None,
        "bases": [{**env_json(e), "fits": True} for e in fitting]
        + [{**env_json(e), "fits": False} for e in others],
        "extras": extras,
        "groups": groups,
        "requirementFiles": files,
        "installable": layout.buildable or layout.dependencies is not None,
        "manager": manager,
        "managerFound": manager is not None and shutil.which(manager) is not None,
        "venvExists": (project.root / ".venv").exists(),
    }


def register_create_options(server: EnvsenseServer) -> None:
    """envsense/createOptions {uri}: the choices of the create-environment flow."""

    @server.feature("envsense/createOptions")
    async def options(ls: EnvsenseServer, params: Any) -> dict[str, Any]:
        """Base interpreters, extras, groups, requirements files and manager for {uri}."""
        path = _path_from(params)
        await ls.discovered.wait()
        return await asyncio.to_thread(create_options, ls, path)
