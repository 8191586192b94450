"""initialize / initialized / shutdown: read options, report bad ones, start background work."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from envsense.lsp.options import parse_options

if TYPE_CHECKING:
    from envsense.lsp.server import EnvsenseServer


def register(server: EnvsenseServer) -> None:
    """Wire the lifecycle handlers."""

    @server.feature(types.INITIALIZE)
    def on_initialize(ls: EnvsenseServer, params: types.InitializeParams) -> None:
        """Structure initializationOptions; bad options fall back to defaults with a message."""
        options, error = parse_options(params.initialization_options)
        ls.options = options
        if error:
            ls.window_log_message(
                types.LogMessageParams(type=types.MessageType.Warning, message=error)
            )
            ls.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Warning, message=error)
            )
