"""Diagnostics for files nobody opened: every manifest at once, every Python file on request.

On folder open (and whenever environments or settings change) each project's manifests
(pyproject.toml, requirements*.txt, setup.cfg, Pipfile) are checked and pushed, so the
Problems panel shows them without opening a file. With `diagnosticScope: "workspace"`
every Python file is checked too, in the background, with cancellable progress and at
most MAX_PYTHON_FILES files. Open documents are left to lsp/diagnostics.py.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.capabilities import get_capability

from envsense.core.files import is_manifest
from envsense.lsp.diagnostics import to_diagnostic
from envsense.lsp.server import uri_to_path

if TYPE_CHECKING:
    from envsense.lsp.server import EnvsenseServer

log = logging.getLogger(__name__)

MAX_PYTHON_FILES = 5000
MAX_MANIFESTS = 500
# A workspace opened at $HOME or / must not turn into a walk of the whole disk.
MAX_FOLDERS = 20000
# Folders never walked: environments, caches, VCS data, JS dependencies.
SKIPPED_DIRS = frozenset(
    {"node_modules", "__pycache__", "site-packages", "build", "dist", ".git", ".hg", ".tox"}
)
# Re-runs requested in a burst (discovery, settings, installs) coalesce.
RERUN_DELAY = 0.5


def walk_workspace(root: Path, max_folders: int = MAX_FOLDERS) -> Iterator[Path]:
    """Files under `root`, skipping hidden folders, environments and SKIPPED_DIRS; at most
    `max_folders` folders are read."""
    if root == Path.home() or root.parent == root:
        return
    for count, (folder, dirs, files) in enumerate(os.walk(root, onerror=lambda error: None)):
        if count >= max_folders:
            log.info("stopped walking %s after %d folders", root, max_folders)
            return
        here = Path(folder)
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".")
            and d not in SKIPPED_DIRS
            and not (here / d / "pyvenv.cfg").exists()
            and not (here / d / "conda-meta").is_dir()
        )
        for name in sorted(files):
            yield here / name


class WorkspaceDiagnostics:
    """Pushes diagnostics for closed files and forgets them when the file is opened."""

    def __init__(self, server: EnvsenseServer) -> None:
        self.server = server
        self.published: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None

    @property
    def scope(self) -> str:
        return getattr(self.server.options, "diagnostic_scope", "openFiles")

    def schedule(self) -> None:
        """Run again soon (a burst of triggers gives one run; a running one is cancelled)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_later(RERUN_DELAY, self._start)

    def _start(self) -> None:
        self._timer = None
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = asyncio.ensure_future(self.run())

    def _open(self) -> set[str]:
        return set(self.server.workspace.text_documents)

    def targets(self) -> list[Path]:
        """Manifests (and, in workspace scope, Python files) of every workspace folder."""
        python = self.scope == "workspace"
        manifests: list[Path] = []
        sources: list[Path] = []
        workspace = self.server.workspace
        uris = [folder.uri for folder in workspace.folders.values()]
        if not uris and workspace.root_uri:
            uris = [workspace.root_uri]  # clients that send only rootUri (older Neovim)
        for uri in uris:
            root = uri_to_path(uri)
            if root is None or not root.is_dir():
                continue
            for path in walk_workspace(root):
                if is_manifest(path) and len(manifests) < MAX_MANIFESTS:
                    manifests.append(path)
                elif python and path.suffix == ".py" and len(sources) < MAX_PYTHON_FILES:
                    sources.append(path)
        return manifests + sources

    def check(self, path: Path) -> list[types.Diagnostic]:
        """One closed file's findings (blocking)."""
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as error:
            log.info("cannot read %s: %s", path, error)
            return []
        session = self.server.session
        try:
            if is_manifest(path):
                findings = session.check_manifest(path, text)
            else:
                findings = session.check_source(path, text)
        except Exception:  # one odd file must not stop the others
            log.exception("checking %s failed", path)
            return []
        return [to_diagnostic(f, None) for f in findings]

    async def run(self) -> None:
        """Check every target that is not open; publish, and clear what no longer applies."""
        ls = self.server
        await ls.discovered.wait()
        paths = await asyncio.to_thread(self.targets)
        progress = await self._progress(len(paths)) if self.scope == "workspace" else None
        seen: set[str] = set()
        try:
            for number, path in enumerate(paths, 1):
                if progress is not None and progress[1].is_set():
                    break
                uri = path.as_uri()
                if uri in self._open():
                    continue
                diagnostics = await asyncio.to_thread(self.check, path)
                if uri in self._open():
                    continue  # opened meanwhile: the open-document diagnostics own it now
                if diagnostics or uri in self.published:
                    self._publish(uri, diagnostics)
                if diagnostics:
                    seen.add(uri)
                if progress is not None and number % 20 == 0:
                    self._report(progress[0], f"{number}/{len(paths)} files")
        finally:
            if progress is not None:
                self._end(progress[0], f"checked {len(seen)} file(s) with problems")
        for uri in self.published - seen - self._open():
            self._publish(uri, [])
        self.published = seen

    def _publish(self, uri: str, diagnostics: list[types.Diagnostic]) -> None:
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics)
        )

    def opened(self, uri: str) -> None:
        """The editor checks open documents itself: drop the pushed copy (pull clients
        would otherwise show it twice)."""
        if uri in self.published:
            self.published.discard(uri)
            if self.server.diagnostics is not None and self.server.diagnostics.pull:
                self._publish(uri, [])

    def closed(self, uri: str) -> None:
        """A closed manifest (or, in workspace scope, Python file) keeps its problems shown."""
        path = uri_to_path(uri)
        if path is None or not path.is_file():
            return
        if is_manifest(path) or (self.scope == "workspace" and path.suffix == ".py"):
            self.schedule()

    # -- progress ------------------------------------------------------------------------

    async def _progress(self, total: int) -> tuple[str, asyncio.Event] | None:
        ls = self.server
        cancel = asyncio.Event()
        if not get_capability(ls.client_capabilities, "window.work_done_progress", False):
            return None
        token = f"envsense-workspace-{uuid.uuid4()}"
        try:
            await ls.work_done_progress.create_async(token)
        except Exception as error:  # progress is a courtesy; the check goes on without it
            log.info("window/workDoneProgress/create failed: %s", error)
            return None
        ls.work_done_progress.begin(
            token,
            types.WorkDoneProgressBegin(
                title="envsense: checking the workspace",
                cancellable=True,
                message=f"{total} files",
            ),
        )
        future = ls.work_done_progress.tokens.get(token)
        if future is not None:
            loop = asyncio.get_running_loop()

            def on_done(done: Future[Any]) -> None:
                if done.cancelled():
                    loop.call_soon_threadsafe(cancel.set)

            future.add_done_callback(on_done)
        return token, cancel

    def _report(self, token: str, message: str) -> None:
        self.server.work_done_progress.report(token, types.WorkDoneProgressReport(message=message))

    def _end(self, token: str, message: str) -> None:
        self.server.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))
        self.server.work_done_progress.tokens.pop(token, None)


def register(server: EnvsenseServer) -> None:
    """Check closed files after discovery and whenever environments or settings change."""
    feature = WorkspaceDiagnostics(server)
    server.workspace_diagnostics = feature  # type: ignore[attr-defined]
    server.environment_listeners.append(feature.schedule)
