"""Lock diagnostics for files nobody opened: a `git pull` that changes uv.lock, or a sync
that fixes the drift, updates them without any document being open.

Whenever environments or files change (the server's environment listeners, which the
file watchers for lock files also trigger), every lock of the workspace's projects is
compared again and its findings are pushed for the lock file, with the lock summary for
a manifest that isn't open. Open documents are left to the normal diagnostics flow.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from envsense.core.checks.lock import is_lock_code
from envsense.core.findings import Finding
from envsense.core.locks import find_lock_files, is_lock_file
from envsense.lsp.diagnostics import to_diagnostic
from envsense.lsp.server import uri_to_path

if TYPE_CHECKING:
    from envsense.lsp.server import EnvsenseServer

log = logging.getLogger(__name__)

DELAY_SECONDS = 0.2
MANIFESTS = ("pyproject.toml", "Pipfile")


class LockDiagnostics:
    """Computes and pushes the lock findings of files that are not open."""

    def __init__(self, server: EnvsenseServer) -> None:
        self.server = server
        self._published: set[str] = set()
        self._pending: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None

    def schedule(self) -> None:
        """Coalesce bursts of changes into one comparison shortly after the last."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._pending is not None:
            self._pending.cancel()
        self._pending = loop.call_later(DELAY_SECONDS, self._start)

    def _start(self) -> None:
        self._pending = None
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = asyncio.ensure_future(self.publish())

    async def publish(self) -> None:
        ls = self.server
        await ls.discovered.wait()
        open_paths = {p for uri in ls.workspace.text_documents if (p := uri_to_path(uri))}
        try:
            results = await asyncio.to_thread(self.compute, open_paths)
        except Exception:  # a broken lock must not take the server down
            log.exception("comparing lock files failed")
            return
        published: set[str] = set()
        for path, findings in results.items():
            uri = path.as_uri()
            if findings or uri in self._published:
                # Not open: spans stay in code points (no document to convert with).
                ls.text_document_publish_diagnostics(
                    types.PublishDiagnosticsParams(
                        uri=uri, diagnostics=[to_diagnostic(f, None) for f in findings]
                    )
                )
            if findings:
                published.add(uri)
        for uri in self._published - published - {p.as_uri() for p in results}:
            if uri_to_path(uri) not in open_paths or self._pulling():
                self._clear(uri)
        self._published = published

    def _pulling(self) -> bool:
        feature = self.server.diagnostics
        return feature is not None and feature.pull

    def _clear(self, uri: str) -> None:
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )

    def opened(self, uri: str) -> None:
        """A pull client now asks for this document's diagnostics itself: drop what was
        pushed for it while it was closed, or the editor would show both (push clients
        get the document's full set published over the same slot anyway)."""
        if uri in self._published and self._pulling():
            self._published.discard(uri)
            self._clear(uri)

    def compute(self, open_paths: set[Path]) -> dict[Path, list[Finding]]:
        """Findings per unopened lock file and manifest of the workspace's projects (blocking)."""
        session = self.server.session
        roots: dict[Path, Path] = {}
        for folder in session.folders:
            roots.setdefault(session.project_for(folder).root, folder)
        for path in open_paths:
            roots.setdefault(session.project_for(path).root, session.folder_for(path))
        results: dict[Path, list[Finding]] = {}
        for root, folder in roots.items():
            for lock in find_lock_files(root, folder):
                if is_lock_file(lock) and lock not in open_paths:
                    results[lock] = session.check_lock(lock)
            for name in MANIFESTS:
                manifest = root / name
                if manifest in open_paths or not manifest.is_file():
                    continue
                try:
                    text = manifest.read_text(encoding="utf-8-sig")
                except (OSError, UnicodeDecodeError):
                    continue
                findings = session.check_manifest(manifest, text)
                results[manifest] = [f for f in findings if is_lock_code(f.code)]
        return results


def register(server: EnvsenseServer) -> None:
    """Re-compare the workspace's locks whenever environments or watched files change."""
    feature = LockDiagnostics(server)
    server.environment_listeners.append(feature.schedule)
    if server.diagnostics is not None:
        server.diagnostics.open_listeners.append(feature.opened)
