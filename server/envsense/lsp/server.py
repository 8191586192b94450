"""The language server object and how its feature modules are wired together."""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO, cast

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from envsense import __version__
from envsense.lsp.options import InitOptions
from envsense.lsp.protocol import EnvsenseProtocol

if TYPE_CHECKING:
    from envsense.core.session import Session
    from envsense.lsp.diagnostics import DiagnosticsFeature
    from envsense.lsp.fast_start import EarlyStart
    from envsense.lsp.first_diagnostics import FirstPublish
    from envsense.lsp.install_flow import InstallService

log = logging.getLogger(__name__)

NOTEBOOK_SYNC = types.NotebookDocumentSyncOptions(
    notebook_selector=[
        types.NotebookDocumentFilterWithCells(
            notebook="jupyter-notebook", cells=[types.NotebookCellLanguage(language="python")]
        )
    ],
    save=True,
)


class EnvsenseServer(LanguageServer):
    """Holds per-connection state; every handler receives it as `ls`."""

    def __init__(self) -> None:
        super().__init__(
            "envsense",
            __version__,
            notebook_document_sync=NOTEBOOK_SYNC,
            # Discovery, inventory reads and installs run in threads; keep room for the
            # stdin reader, which shares this pool (see pygls' deadlock rule).
            max_workers=8,
            # Answers every request and enforces initialize/shutdown (lsp/protocol.py).
            protocol_cls=EnvsenseProtocol,
        )
        self.options = InitOptions()
        self._session: Session | None = None
        # Set once the first discovery finished; requests that need environments wait on it.
        self.discovered = asyncio.Event()
        # Feature modules subscribe here to hear that environments or selections changed.
        self.environment_listeners: list[Callable[[], None]] = []
        # Run inside `initialize`, so features they register are advertised (pull diagnostics).
        self.initialize_hooks: list[Callable[[types.InitializeParams], None]] = []
        # Run after `initialized` (server-to-client requests are allowed from then on).
        self.initialized_hooks: list[Callable[[EnvsenseServer], Awaitable[None]]] = []
        self.diagnostics: DiagnosticsFeature | None = None
        # One per server (commands.py makes it), so every install shares one queue.
        self.install_service: InstallService | None = None
        # The first document's check, done before this server existed (fast_start.py).
        self.first_check: FirstPublish | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("envsense session used before initialize")
        return self._session

    def start_session(self, session: Session) -> None:
        self._session = session

    def environments_changed(self) -> None:
        """Tell every feature that environments, selections or inventories changed."""
        for listener in list(self.environment_listeners):
            listener()

    def report_status(self, state: str, message: str | None = None) -> None:
        """`envsense/status` drives the client's language status item."""
        payload: dict[str, str] = {"state": state}
        if message:
            payload["message"] = message
        self.protocol.notify("envsense/status", payload)

    def log(self, message: str, kind: types.MessageType = types.MessageType.Log) -> None:
        self.window_log_message(types.LogMessageParams(type=kind, message=message))

    def start_io(
        self,
        stdin: IO[bytes] | None = None,
        stdout: IO[bytes] | None = None,
        early: EarlyStart | None = None,
    ) -> None:
        """Serve over stdio with envsense's reader (bounded, resynchronising framing)
        instead of pygls' `run_async`, which trusts every Content-Length it is sent.
        `early`: what lsp/fast_start.py read (and maybe answered) before this server existed."""
        from pygls.io_ import StdoutWriter

        from envsense.lsp.protocol import MessageReader, serve_messages

        assert isinstance(self.protocol, EnvsenseProtocol)
        self._stop_event = threading.Event()
        self.protocol.set_writer(StdoutWriter(cast(BinaryIO, stdout or sys.stdout.buffer)))
        reader = MessageReader(stdin or sys.stdin.buffer)
        try:
            asyncio.run(serve_messages(self, self.protocol, reader, self._stop_event, early))
        except BrokenPipeError:
            log.error("the connection to the client is lost; stopping")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()  # type: ignore[no-untyped-call]


def uri_to_path(uri: str) -> Path | None:
    """A local path for `file:` URIs; None for untitled buffers, notebook cells and the like."""
    path = to_fs_path(uri)
    return Path(path) if path else None


def create_server() -> EnvsenseServer:
    """Build a server with every feature module registered."""
    # Imported here so that `envsense envs` / `envsense check` never pay for the LSP modules.
    from envsense.lsp import (
        code_actions,
        commands,
        diagnostics,
        environments,
        lifecycle,
        lock_actions,
        lock_diagnostics,
        packages,
        workspace_diagnostics,
    )

    server = EnvsenseServer()
    for module in (lifecycle, environments, diagnostics, commands, code_actions):
        module.register(server)
    for extra in (packages, workspace_diagnostics, lock_actions, lock_diagnostics):
        extra.register(server)
    return server


def serve() -> int:
    """Run over stdio until the client says exit."""
    logging.getLogger("pygls").setLevel(logging.WARNING)
    create_server().start_io()
    return 0
