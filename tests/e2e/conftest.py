"""pytest-lsp fixtures: a real `python -m envsense serve` over stdio, and a fake machine.

The server runs with HOME, PATH and the tool variables pointed into a temporary
folder, so it discovers only the environments a test builds (and never the
developer's own).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, Union

import pytest
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import make_test_lsp_client


def _converter_factory() -> Any:
    """lsprotocol 2025.0.0 structures any object with a "command" key as a Command, which
    turns a CodeAction carrying a command into garbage; a Command's command is a string."""
    converter = default_converter()

    def code_action_or_command(obj: Any, _: type) -> types.Command | types.CodeAction:
        if isinstance(obj, dict) and isinstance(obj.get("command"), str):
            return converter.structure(obj, types.Command)
        return converter.structure(obj, types.CodeAction)

    converter.register_structure_hook(
        Union[types.Command, types.CodeAction],  # noqa: UP007 - must equal lsprotocol's key
        code_action_or_command,
    )
    return converter


def make_client() -> LanguageClient:
    client = make_test_lsp_client()
    client.protocol._converter = _converter_factory()
    client.applied_edits: list[types.WorkspaceEdit] = []  # type: ignore[attr-defined]
    client.registrations: list[types.Registration] = []  # type: ignore[attr-defined]
    client.message_requests: list[types.ShowMessageRequestParams] = []  # type: ignore[attr-defined]
    client.message_answers: list[str | None] = []  # type: ignore[attr-defined]

    client.env_changes: list[Any] = []  # type: ignore[attr-defined]
    client.statuses: list[Any] = []  # type: ignore[attr-defined]

    @client.feature("envsense/environmentChanged")
    def environment_changed(params: Any) -> None:
        client.env_changes.append(params)  # type: ignore[attr-defined]

    @client.feature("envsense/status")
    def status(params: Any) -> None:
        client.statuses.append(params)  # type: ignore[attr-defined]

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(params: types.RegistrationParams) -> None:
        client.registrations.extend(params.registrations)  # type: ignore[attr-defined]

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        client.applied_edits.append(params.edit)  # type: ignore[attr-defined]
        return types.ApplyWorkspaceEditResult(applied=True)

    @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def show_message_request(
        params: types.ShowMessageRequestParams,
    ) -> types.MessageActionItem | None:
        client.message_requests.append(params)  # type: ignore[attr-defined]
        answers: list[str | None] = client.message_answers  # type: ignore[attr-defined]
        title = answers.pop(0) if answers else None
        return types.MessageActionItem(title=title) if title else None

    return client


@pytest.fixture
def machine(tmp_path: Path) -> Iterator[Path]:
    """An empty fake machine: HOME with nothing in it, PATH with only the test's bin dir."""
    home = tmp_path / "home"
    (home / "bin").mkdir(parents=True)
    yield home


def server_env(home: Path, **extra: str) -> dict[str, str]:
    env = {
        "HOME": str(home),
        "PATH": f"{home / 'bin'}:/usr/bin:/bin",
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p.endswith("site-packages")),
    }
    env.update(extra)
    return env


def vscode_capabilities() -> types.ClientCapabilities:
    return client_capabilities("visual-studio-code")


@contextlib.asynccontextmanager
async def open_session(
    home: Path,
    workspace: Path,
    *,
    capabilities: types.ClientCapabilities | None = None,
    options: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
) -> AsyncIterator[LanguageClient]:
    """Start `python -m envsense serve` on a fake machine, initialize it on `workspace`."""
    config = ClientServerConfig(
        server_command=[sys.executable, "-m", "envsense", "serve"],
        client_factory=make_client,
        server_env=server_env(home, **(env or {})),
    )
    client = await config.start()
    assert isinstance(client, LanguageClient)
    try:
        await client.initialize_session(
            types.InitializeParams(
                capabilities=capabilities or vscode_capabilities(),
                root_uri=workspace.as_uri(),
                workspace_folders=[
                    types.WorkspaceFolder(uri=workspace.as_uri(), name=workspace.name)
                ],
                initialization_options=options or {},
            )
        )
        yield client
        await asyncio.wait_for(client.shutdown_session(), 20)
    finally:
        # After a failed test the server may never have been told to exit; stopping the
        # client then waits for it forever, so end the process ourselves.
        server = getattr(client, "_server", None)
        if server is not None and server.returncode is None:
            server.kill()
        await asyncio.wait_for(client.stop(), 20)


def open_document(client: LanguageClient, path: Path, language: str = "python") -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id=language, version=1, text=path.read_text()
            )
        )
    )
    return uri


def watched_globs(client: LanguageClient) -> list[str]:
    """Glob patterns the server asked the client to watch (options arrive as plain JSON)."""
    globs: list[str] = []
    for registration in client.registrations:  # type: ignore[attr-defined]
        options = registration.register_options
        watchers = options.get("watchers", []) if isinstance(options, dict) else options.watchers
        for watcher in watchers:
            glob = watcher.get("globPattern") if isinstance(watcher, dict) else watcher.glob_pattern
            globs.append(str(glob))
    return globs


async def wait_until(predicate: Any, timeout: float = 20.0, what: str = "condition") -> None:
    """Poll (the client records notifications as they arrive) until `predicate()` holds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def wait_for_diagnostics(
    client: LanguageClient, uri: str, predicate: Any = None, timeout: float = 20.0
) -> list[types.Diagnostic]:
    """Wait until `uri` has published diagnostics (satisfying `predicate`, when given)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        diagnostics = list(client.diagnostics.get(uri, ()))
        if uri in client.diagnostics and (predicate is None or predicate(diagnostics)):
            return diagnostics
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise AssertionError(f"no matching diagnostics for {uri}; last: {diagnostics}")
        try:
            await asyncio.wait_for(
                client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), remaining
            )
        except asyncio.TimeoutError:
            pass
