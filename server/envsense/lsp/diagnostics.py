"""Diagnostics for Python files, notebooks and manifests: pull when the client can, else push.

Checks run in a worker thread (the first one may read an environment's whole
site-packages); edits are debounced, and a result computed for an older version of a
document is dropped rather than published.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.workspace import TextDocument

from envsense.core.files import is_manifest
from envsense.core.findings import Finding
from envsense.core.imports.incremental import IncrementalImports
from envsense.core.locks import is_lock_file
from envsense.lsp.server import uri_to_path

if TYPE_CHECKING:
    from envsense.lsp.first_diagnostics import FirstPublish
    from envsense.lsp.server import EnvsenseServer

log = logging.getLogger(__name__)

SOURCE = "envsense"


def to_diagnostic(
    finding: Finding, document: TextDocument | None, lines: Sequence[str] | None = None
) -> types.Diagnostic:
    """A finding as an LSP diagnostic; columns become the client's units (UTF-16 usually).

    `lines` are the document's lines when the caller converts many findings: pygls splits
    the whole text again on every `document.lines`."""
    span = finding.span
    start = types.Position(line=span.line, character=span.column)
    end = types.Position(line=span.end_line, character=span.end_column)
    if document is not None:
        if lines is None:
            lines = document.lines
        start = document.position_codec.position_to_client_units(lines, start)
        end = document.position_codec.position_to_client_units(lines, end)
    return types.Diagnostic(
        range=types.Range(start=start, end=end),
        message=finding.message,
        severity=types.DiagnosticSeverity(int(finding.severity)),
        code=finding.code.value,
        code_description=types.CodeDescription(href=finding.code.docs_url),
        source=SOURCE,
        data=finding.fix.to_json(),
    )


def is_python(document: TextDocument) -> bool:
    return document.language_id == "python" or document.uri.endswith((".py", ".pyi"))


class DiagnosticsFeature:
    """Decides what to check when, and delivers the results."""

    def __init__(self, server: EnvsenseServer) -> None:
        self.server = server
        self.pull = False
        self._pending: dict[str, asyncio.TimerHandle] = {}
        self._running: dict[str, asyncio.Task[None]] = {}
        # Per open Python document: its last import scan, re-read only where edits land.
        self._imports: dict[str, IncrementalImports] = {}
        # Told the URI of every document the editor opens (lock_diagnostics.py listens).
        self.open_listeners: list[Callable[[str], None]] = []
        # Published before this server existed (lsp/first_diagnostics.py), by URI.
        self._early: dict[str, FirstPublish] = {}

    def published_early(self, first: FirstPublish) -> None:
        """lsp/first_diagnostics.py checked `first.uri`: its import scan is kept, and
        diagnostics the client already has aren't sent again."""
        if first.sent:
            self._early[first.uri] = first
        self._imports[first.uri] = first.imports

    def _sent_early(
        self, uri: str, version: int | None, diagnostics: list[types.Diagnostic]
    ) -> bool:
        first = self._early.pop(uri, None)
        if first is None or first.version != version:
            return False
        # The protocol's own converter, so the comparison is of what would be written.
        unstructured = self.server.protocol._converter.unstructure(diagnostics)
        return bool(json.loads(json.dumps(unstructured)) == first.diagnostics)

    # -- scheduling --------------------------------------------------------------------

    def schedule(self, uri: str, *, delay_ms: int | None = None) -> None:
        """Check `uri` after the debounce delay (pull mode: ask the client to re-pull)."""
        if self.pull:
            self._refresh_pull()
            return
        loop = asyncio.get_running_loop()
        handle = self._pending.pop(uri, None)
        if handle is not None:
            handle.cancel()
        delay = (self.server.options.debounce_ms if delay_ms is None else delay_ms) / 1000
        self._pending[uri] = loop.call_later(delay, self._start, uri)

    def _start(self, uri: str) -> None:
        self._pending.pop(uri, None)
        previous = self._running.get(uri)
        if previous is not None and not previous.done():
            previous.cancel()
        self._running[uri] = asyncio.ensure_future(self._publish(uri))

    def recheck_all(self) -> None:
        """Environments changed: every open document gets new diagnostics unasked."""
        if self.pull:
            self._refresh_pull()
            return
        for uri in self._open_uris():
            # Started now, not on the next loop turn, so `settled` sees every re-check.
            handle = self._pending.pop(uri, None)
            if handle is not None:
                handle.cancel()
            self._start(uri)

    async def settled(self, timeout: float = 10.0) -> None:
        """Wait until the re-checks under way are published (bounded by `timeout`).

        Commands call this before replying: eglot (Emacs's jsonrpc.el) leaves whatever it
        read after a request's reply in its buffer until the server writes again, so a
        clearing publish sent right after the reply was shown only after the next edit.
        """
        running = [task for task in self._running.values() if not task.done()]
        if running:
            await asyncio.wait(running, timeout=timeout)

    def _refresh_pull(self) -> None:
        if get_capability(
            self.server.client_capabilities, "workspace.diagnostics.refresh_support", False
        ):
            self.server.workspace_diagnostic_refresh(None)

    def _open_uris(self) -> list[str]:
        workspace = self.server.workspace
        uris = [uri for uri in workspace.text_documents if not self._is_cell(uri)]
        uris += list(workspace.notebook_documents)
        return uris

    def _is_cell(self, uri: str) -> bool:
        return self.server.workspace.get_notebook_document(cell_uri=uri) is not None

    def imports_for(self, uri: str) -> IncrementalImports | None:
        """The open document's kept import scan (code actions check the same text)."""
        return self._imports.get(uri)

    # -- computing ---------------------------------------------------------------------

    async def _publish(self, uri: str) -> None:
        await self.server.discovered.wait()
        workspace = self.server.workspace
        notebook = workspace.get_notebook_document(notebook_uri=uri)
        if notebook is not None:
            await self._publish_notebook(notebook)
            return
        document = workspace.get_text_document(uri)
        version = document.version
        diagnostics = await asyncio.to_thread(self.compute, document)
        if document.version != version or uri not in workspace.text_documents:
            return  # a newer edit is already scheduled, or the document was closed
        if not self._sent_early(uri, version, diagnostics):
            self.server.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=diagnostics)
            )
        imports = self._imports.get(uri)
        if imports is not None:
            # Between keystrokes: what the next edit is judged by, so it needn't wait.
            await asyncio.to_thread(imports.prepare)

    async def _publish_notebook(self, notebook: types.NotebookDocument) -> None:
        path = uri_to_path(notebook.uri)
        if path is None:
            return
        workspace = self.server.workspace
        cells = [
            workspace.get_text_document(cell.document)
            for cell in notebook.cells
            if cell.kind == types.NotebookCellKind.Code
        ]
        sources = [cell.source for cell in cells]
        results = await asyncio.to_thread(self.server.session.check_notebook, path, sources)
        for cell, findings in zip(cells, results, strict=True):
            lines = cell.lines
            self.server.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(
                    uri=cell.uri,
                    version=cell.version,
                    diagnostics=[to_diagnostic(f, cell, lines) for f in findings],
                )
            )

    def compute(self, document: TextDocument) -> list[types.Diagnostic]:
        """Findings of one document as diagnostics (blocking; call from a thread)."""
        notebook = self.server.workspace.get_notebook_document(cell_uri=document.uri)
        if notebook is not None:
            return self._cell_diagnostics(notebook, document)
        path = uri_to_path(document.uri)
        if path is None:
            return []
        session = self.server.session
        try:
            if is_lock_file(path):
                findings = session.check_lock(path, document.source)
            elif is_manifest(path):
                findings = session.check_manifest(path, document.source)
            elif is_python(document):
                imports = self._imports.get(document.uri)
                if imports is None:
                    imports = self._imports[document.uri] = IncrementalImports()
                findings = session.check_source(path, document.source, imports)
            else:
                return []
        except Exception:  # one odd file must never take diagnostics down for the rest
            log.exception("checking %s failed", path)
            self.server.log(f"envsense: checking {path} failed; see the server log")
            return []
        if not findings:
            return []
        lines = document.lines
        return [to_diagnostic(f, document, lines) for f in findings]

    def _cell_diagnostics(
        self, notebook: types.NotebookDocument, cell: TextDocument
    ) -> list[types.Diagnostic]:
        """Pull clients ask per cell; imports are checked per notebook, so check it all."""
        path = uri_to_path(notebook.uri)
        if path is None:
            return []
        workspace = self.server.workspace
        cells = [
            workspace.get_text_document(c.document)
            for c in notebook.cells
            if c.kind == types.NotebookCellKind.Code
        ]
        results = self.server.session.check_notebook(path, [c.source for c in cells])
        for document, findings in zip(cells, results, strict=True):
            if document.uri == cell.uri:
                lines = document.lines
                return [to_diagnostic(f, document, lines) for f in findings]
        return []

    def clear(self, uri: str) -> None:
        self._imports.pop(uri, None)
        self._early.pop(uri, None)
        handle = self._pending.pop(uri, None)
        if handle is not None:
            handle.cancel()
        if not self.pull:
            self.server.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
            )


def register(server: EnvsenseServer) -> None:
    """Wire document sync and diagnostics."""
    feature = DiagnosticsFeature(server)
    server.diagnostics = feature
    server.environment_listeners.append(feature.recheck_all)

    def overlay(document: TextDocument, closed: bool = False) -> None:
        path = uri_to_path(document.uri)
        if path is not None and is_manifest(path):
            server.session.set_overlay(path, None if closed else document.source)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: EnvsenseServer, params: types.DidOpenTextDocumentParams) -> None:
        """Check a newly opened document at once."""
        document = ls.workspace.get_text_document(params.text_document.uri)
        overlay(document)
        feature.schedule(document.uri, delay_ms=0)
        for listener in feature.open_listeners:
            listener(document.uri)
        workspace = getattr(ls, "workspace_diagnostics", None)
        if workspace is not None:
            workspace.opened(document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: EnvsenseServer, params: types.DidChangeTextDocumentParams) -> None:
        """Re-check after the debounce delay; a manifest edit re-checks every open file."""
        document = ls.workspace.get_text_document(params.text_document.uri)
        overlay(document)
        path = uri_to_path(document.uri)
        if path is not None and is_manifest(path):
            feature.recheck_all()
        else:
            feature.schedule(document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: EnvsenseServer, params: types.DidSaveTextDocumentParams) -> None:
        """Saved manifests become the truth on disk; re-check what depends on them."""
        document = ls.workspace.get_text_document(params.text_document.uri)
        path = uri_to_path(document.uri)
        if path is not None and is_manifest(path):
            ls.session.invalidate([path])
            feature.recheck_all()
        else:
            feature.schedule(document.uri, delay_ms=0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: EnvsenseServer, params: types.DidCloseTextDocumentParams) -> None:
        """Forget unsaved manifest text and clear the document's diagnostics."""
        path = uri_to_path(params.text_document.uri)
        if path is not None and is_manifest(path):
            ls.session.set_overlay(path, None)
        feature.clear(params.text_document.uri)
        workspace = getattr(ls, "workspace_diagnostics", None)
        if workspace is not None:
            workspace.closed(params.text_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
    def notebook_open(ls: EnvsenseServer, params: types.DidOpenNotebookDocumentParams) -> None:
        """Check every code cell of a notebook."""
        feature.schedule(params.notebook_document.uri, delay_ms=0)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def notebook_change(ls: EnvsenseServer, params: types.DidChangeNotebookDocumentParams) -> None:
        """Cells changed or moved: re-check the notebook after the debounce delay."""
        feature.schedule(params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def notebook_close(ls: EnvsenseServer, params: types.DidCloseNotebookDocumentParams) -> None:
        """Clear the closed notebook's cells."""
        for cell in params.cell_text_documents:
            feature.clear(cell.uri)

    def enable_pull(params: types.InitializeParams) -> None:
        if not get_capability(params.capabilities, "text_document.diagnostic", None):
            return
        # Our diagnostics change when an environment does, not only on edits: a client
        # that can't be asked to re-pull would keep stale ones, so it gets pushes instead.
        if not get_capability(params.capabilities, "workspace.diagnostics.refresh_support", False):
            return
        feature.pull = True

        @server.feature(
            types.TEXT_DOCUMENT_DIAGNOSTIC,
            types.DiagnosticOptions(
                identifier=SOURCE, inter_file_dependencies=True, workspace_diagnostics=False
            ),
        )
        async def pull_diagnostics(
            ls: EnvsenseServer, params: types.DocumentDiagnosticParams
        ) -> types.FullDocumentDiagnosticReport:
            """textDocument/diagnostic: the document's findings, computed off the loop."""
            await ls.discovered.wait()
            document = ls.workspace.get_text_document(params.text_document.uri)
            items = await asyncio.to_thread(feature.compute, document)
            return types.FullDocumentDiagnosticReport(items=items)

    server.initialize_hooks.append(enable_pull)
