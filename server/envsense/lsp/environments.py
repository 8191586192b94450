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

from envsense.core.locks import LOCK_GLOBS
from envsense.core.selection import recommended_order
from envsense.lsp.command_guards import checked_interpreter
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
    # The files where a project's own tool records its env choice (core/discovery/rules.py).
    "**/.pdm-python",
    "**/.python-version",
    "**/poetry.toml",
    "**/hatch.toml",
    "**/pixi.toml",
    "**/environment.yml",
    # Lock files: a `git pull` that changes uv.lock re-runs the comparison (lock_diagnostics).
    *LOCK_GLOBS,
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


def environments_payload(ls: EnvsenseServer, path: Path) -> dict[str, Any]:
    """{environments, selected, reason} for the project holding `path`."""
    session = ls.session
    project = session.project_for(path)
    selection = session.selection(project)
    ordered = recommended_order(project, session.environments(), selection)
    return {
        "environments": [env.to_json() for env in ordered],
        "selected": selection.environment.to_json() if selection.environment else None,
        "reason": selection.reason,
        "project": str(project.root),
    }


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
                "environment": selection.environment.to_json() if selection.environment else None,
                "reason": selection.reason,
            },
        )


def register(server: EnvsenseServer) -> None:
    """Wire the environment requests, notifications and watchers."""

    server.environment_listeners.insert(0, lambda: announce(server))

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
        # Only a Python envsense can identify is remembered (issue #11: /bin/sh was taken).
        if (problem := await asyncio.to_thread(checked_interpreter, ls, executable)) is not None:
            raise JsonRpcInvalidParams(f"{problem}; nothing was selected")
        selection = await asyncio.to_thread(ls.session.select, path, Path(executable))
        ls.environments_changed()
        return {
            "selected": selection.environment.to_json() if selection.environment else None,
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
