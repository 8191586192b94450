"""The language server object and how its feature modules are wired together."""

from __future__ import annotations

import logging

from pygls.lsp.server import LanguageServer

from envsense import __version__
from envsense.lsp.options import InitOptions

log = logging.getLogger(__name__)


class EnvsenseServer(LanguageServer):
    """Holds per-connection state; every handler receives it as `ls`."""

    def __init__(self) -> None:
        super().__init__("envsense", __version__)
        self.options = InitOptions()


def create_server() -> EnvsenseServer:
    """Build a server with every feature module registered."""
    # Imported here so that `envsense envs` / `envsense check` never pay for pygls start-up.
    from envsense.lsp import lifecycle

    server = EnvsenseServer()
    for module in (lifecycle,):
        module.register(server)
    return server


def serve() -> int:
    """Run over stdio until the client says exit."""
    logging.getLogger("pygls").setLevel(logging.WARNING)
    create_server().start_io()
    return 0
