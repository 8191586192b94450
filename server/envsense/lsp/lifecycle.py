"""initialize / initialized / configuration: read options, start the session and discovery."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.capabilities import get_capability

from envsense.lsp.options import InitOptions, parse_options, session_settings

if TYPE_CHECKING:
    from envsense.lsp.server import EnvsenseServer

log = logging.getLogger(__name__)


def workspace_folders(params: types.InitializeParams) -> list[Path]:
    """Folders from workspaceFolders, else rootUri/rootPath; empty for a single loose file."""
    # One rule for both: lsp/fast_start.py checks these folders before answering early.
    from envsense.lsp.fast_start import folder_paths

    uris = [folder.uri for folder in params.workspace_folders or ()]
    return folder_paths(uris, params.root_uri, params.root_path)


def apply_options(ls: EnvsenseServer, raw: Any) -> None:
    """Structure options; bad ones fall back to defaults and the user is told why."""
    options, error = parse_options(raw)
    if error:
        ls.log(error, types.MessageType.Warning)
        ls.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Warning, message=error)
        )
    ls.options = options


def register(server: EnvsenseServer) -> None:
    """Wire the lifecycle handlers."""

    @server.feature(types.INITIALIZE)
    def on_initialize(ls: EnvsenseServer, params: types.InitializeParams) -> None:
        """Read initializationOptions and create the session for the workspace folders."""
        from envsense.core.session import Session

        apply_options(ls, params.initialization_options)
        if ls.first_check is not None:
            # Made from these params by lsp/first_diagnostics.py, with the settings the
            # configuration below ends at: its project context is kept.
            ls.start_session(ls.first_check.session)
        else:
            folders = workspace_folders(params)
            ls.start_session(Session(folders, settings=session_settings(ls.options)))
        for hook in ls.initialize_hooks:
            hook(params)

    @server.feature(types.INITIALIZED)
    async def on_initialized(ls: EnvsenseServer, params: types.InitializedParams) -> None:
        """Pull live settings, then discover environments in the background."""
        if get_capability(ls.client_capabilities, "workspace.configuration", False):
            await pull_configuration(ls)
        for hook in ls.initialized_hooks:
            await hook(ls)
        asyncio.ensure_future(discover(ls))

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def on_configuration(
        ls: EnvsenseServer, params: types.DidChangeConfigurationParams
    ) -> None:
        """Settings changed: re-read them; a new interpreter setting changes selections."""
        settings = params.settings
        if isinstance(settings, dict) and isinstance(settings.get("envsense"), dict):
            merge_options(ls, settings["envsense"])
        elif get_capability(ls.client_capabilities, "workspace.configuration", False):
            await pull_configuration(ls)
        update_settings(ls)
        ls.environments_changed()

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def on_folders(ls: EnvsenseServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
        """Multi-root: folders come and go; their projects get selections on demand."""
        from envsense.lsp.server import uri_to_path

        added = [p for f in params.event.added if (p := uri_to_path(f.uri))]
        removed = [p for f in params.event.removed if (p := uri_to_path(f.uri))]
        ls.session.change_folders(added=added, removed=removed)
        asyncio.ensure_future(discover(ls))


def merge_options(ls: EnvsenseServer, raw: dict[str, Any]) -> None:
    """Live settings override initializationOptions, except trust, which only the client's
    initializationOptions may grant (a workspace's own settings must not make it trusted)."""
    trusted = ls.options.trusted
    apply_options(ls, raw)
    ls.options.trusted = trusted and ls.options.trusted


async def pull_configuration(ls: EnvsenseServer) -> None:
    try:
        result = await ls.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section="envsense")])
        )
    except Exception as error:  # a client that can't answer must not stop the server
        log.warning("workspace/configuration failed: %s", error)
        return
    if result and isinstance(result[0], dict) and result[0]:
        merge_options(ls, result[0])
        update_settings(ls)


def update_settings(ls: EnvsenseServer) -> None:
    """Hand the options to the session; the same settings again keep its caches (the
    project contexts a check builds are the slow part of a first check)."""
    settings = session_settings(ls.options)
    if settings != ls.session.settings:
        ls.session.update_settings(settings)


async def discover(ls: EnvsenseServer) -> None:
    """Find every environment off the event loop, then tell the client and re-check."""
    ls.report_status("discovering")
    try:
        count = await asyncio.to_thread(ls.session.refresh_environments)
    except Exception as error:  # discovery must never take the server down
        log.exception("discovery failed")
        ls.report_status("error", f"environment discovery failed: {error}")
        ls.discovered.set()
        return
    ls.log(f"envsense: found {count} Python environments")
    ls.discovered.set()
    ls.report_status("ready")
    ls.environments_changed()


__all__ = ["InitOptions", "register", "discover"]
