"""A project with no environment of its own, over the real protocol: one no-environment
warning on its manifest, "Create .venv (uv sync)" preferred over installing into the
global interpreter standing in, and a plain folder of scripts left alone."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from tests.e2e.conftest import (
    make_client,
    open_document,
    server_env,
    vscode_capabilities,
    wait_for_diagnostics,
)
from tests.e2e.quickfix_support import (
    NO_SPEC_WARNINGS,
    code_actions,
    put_uv_on_path,
    result_field,
    run_action,
    session,
    write_project,
)

pytestmark = pytest.mark.filterwarnings(NO_SPEC_WARNINGS)


def envsense(diagnostics: list[types.Diagnostic], code: str) -> list[types.Diagnostic]:
    return [d for d in diagnostics if d.source == "envsense" and d.code == code]


async def test_project_without_env_gets_one_warning_and_create_first(
    machine: Path, tmp_path: Path
) -> None:
    project = write_project(tmp_path / "ws", ["envsense-demo-pkg"], "import envsense_demo_pkg\n")
    (project / "uv.lock").write_text("version = 1\n")
    async with session(machine, project) as client:
        manifest = open_document(client, project / "pyproject.toml", "toml")
        found = await wait_for_diagnostics(
            client, manifest, lambda ds: bool(envsense(ds, "no-environment"))
        )
        (warning,) = envsense(found, "no-environment")
        assert warning.severity == types.DiagnosticSeverity.Warning
        assert warning.range.start.line == 0
        # The fake machine has only the system Python: it stands in, and says so.
        assert "No environment for ws: using your global system 3." in warning.message
        assert "create one with `uv sync`" in warning.message

        actions = await code_actions(client, manifest, [warning])
        (create,) = [a for a in actions if a.is_preferred]
        assert create.title == "Create .venv (uv sync)"
        assert create.command is not None and create.command.command == "envsense.createEnvironment"
        (arguments,) = create.command.arguments or ()
        assert arguments["uri"] == project.as_uri()
        assert arguments["python"].startswith("/usr/bin/python3")
        # Not the VS Code extension: no client-side picker to offer.
        assert not [a for a in actions if a.title.startswith("Select an environment")]

        main = open_document(client, project / "main.py")
        diagnostics = await wait_for_diagnostics(
            client, main, lambda ds: bool(envsense(ds, "missing-import"))
        )
        # One per project: the source file does not repeat the manifest's warning.
        assert not envsense(diagnostics, "no-environment")
        (missing,) = envsense(diagnostics, "missing-import")
        titles = {a.title: a for a in await code_actions(client, main, [missing])}
        assert titles["Create .venv (uv sync)"].is_preferred
        install = [t for t in titles if t.startswith("Install envsense-demo-pkg")]
        assert install and all("into your global system 3." in t for t in install), titles
        assert not any(titles[t].is_preferred for t in install)


async def test_plain_scripts_folder_quietly_uses_the_global_python(
    machine: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "scripts"
    folder.mkdir()
    (folder / "run.py").write_text("import json\nimport envsense_demo_pkg\n")
    async with session(machine, folder) as client:
        uri = open_document(client, folder / "run.py")
        diagnostics = await wait_for_diagnostics(
            client, uri, lambda ds: bool(envsense(ds, "missing-import"))
        )
        assert not envsense(diagnostics, "no-environment")
        (missing,) = envsense(diagnostics, "missing-import")
        titles = [a.title for a in await code_actions(client, uri, [missing])]
        assert not [t for t in titles if t.startswith("Create")], titles
        # The name is only guessed here; either way the title says where it would go.
        assert titles and all("into your global system 3." in t for t in titles), titles


async def test_vscode_gets_its_own_picker_offered(machine: Path, tmp_path: Path) -> None:
    """Only a client that has `envsense.pickEnvironment` (the VS Code extension) gets
    "Select an environment..."; it runs client-side, with no arguments."""
    project = write_project(tmp_path / "ws", ["envsense-demo-pkg"])
    config = ClientServerConfig(
        server_command=[sys.executable, "-m", "envsense", "serve"],
        client_factory=make_client,
        server_env=server_env(machine),
    )
    client = await config.start()
    assert isinstance(client, LanguageClient)
    try:
        await client.initialize_session(
            types.InitializeParams(
                capabilities=vscode_capabilities(),
                client_info=types.ClientInfo(name="Visual Studio Code", version="1.100.3"),
                root_uri=project.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=project.as_uri(), name="ws")],
            )
        )
        manifest = open_document(client, project / "pyproject.toml", "toml")
        found = await wait_for_diagnostics(
            client, manifest, lambda ds: bool(envsense(ds, "no-environment"))
        )
        actions = await code_actions(client, manifest, envsense(found, "no-environment"))
        titles = [a.title for a in actions]
        assert titles[0] == "Create .venv" and actions[0].is_preferred, titles
        (pick,) = [a for a in actions if a.title == "Select an environment..."]
        assert pick.command is not None and pick.command.command == "envsense.pickEnvironment"
        await asyncio.wait_for(client.shutdown_session(), 20)
    finally:
        server = getattr(client, "_server", None)
        if server is not None and server.returncode is None:
            server.kill()
        await asyncio.wait_for(client.stop(), 20)


async def test_create_venv_clears_the_warning_without_an_edit(
    machine: Path, tmp_path: Path
) -> None:
    project = write_project(tmp_path / "ws", [], "import json\n")
    put_uv_on_path(machine)
    async with session(machine, project, capabilities=client_capabilities("neovim")) as client:
        manifest = open_document(client, project / "pyproject.toml", "toml")
        found = await wait_for_diagnostics(
            client, manifest, lambda ds: bool(envsense(ds, "no-environment"))
        )
        actions = await code_actions(client, manifest, envsense(found, "no-environment"))
        (create,) = [a for a in actions if a.is_preferred]
        assert create.title == "Create .venv"
        result = await run_action(client, create)
        assert result_field(result, "ok") is True, result
        assert (project / ".venv" / "pyvenv.cfg").is_file()
        # Published before the command's reply (push client): already gone.
        assert not envsense(client.diagnostics.get(manifest, []), "no-environment")
