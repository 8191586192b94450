"""The server against the capabilities real editors declare (pytest-lsp's recorded profiles):
everything it sends must be allowed by what that client said it supports, so any
LspSpecificationWarning (a progress token, a registration or a field the client never
announced) fails the test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from tests.e2e.conftest import open_document, wait_for_diagnostics
from tests.e2e.quickfix_support import (
    NO_SPEC_WARNINGS,
    VENV_LABEL,
    by_title,
    code_actions,
    installed,
    offline_env,
    put_uv_on_path,
    result_field,
    run_action,
    session,
    wheelhouse,
    write_project,
)
from tests.support.venvs import make_venv

pytestmark = pytest.mark.filterwarnings(NO_SPEC_WARNINGS)

DIST = "envsense-demo-pkg"

# "neovim" is the newest recorded Neovim; 0.7.0 is the Debian nvim the editors test drives.
PROFILES = ["neovim", "neovim@v0.7.0", "visual-studio-code", "emacs"]


async def current_diagnostics(
    client: LanguageClient, uri: str, pull: bool, predicate: Any
) -> list[types.Diagnostic]:
    """What the editor shows: pulled (textDocument/diagnostic) when the profile declares pull
    support, as the server then answers only pulls; else the last published ones."""
    if not pull:
        return await wait_for_diagnostics(client, uri, predicate)
    report = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert isinstance(
        report, types.RelatedFullDocumentDiagnosticReport | types.FullDocumentDiagnosticReport
    ), report
    items = list(report.items)
    assert predicate(items), items
    return items


@pytest.mark.parametrize("profile", PROFILES)
async def test_editor_profile_gets_diagnostic_fix_install_and_environments(
    profile: str, machine: Path, tmp_path: Path
) -> None:
    project = write_project(tmp_path / "ws", [DIST], "import json\nimport envsense_demo_pkg\n")
    make_venv(project / ".venv")
    wheels = wheelhouse(tmp_path / "wheels", DIST)
    put_uv_on_path(machine)
    capabilities = client_capabilities(profile)
    # The server pulls only with clients it can ask to re-pull after an install.
    pull = (
        capabilities.text_document is not None
        and capabilities.text_document.diagnostic is not None
        and capabilities.workspace is not None
        and capabilities.workspace.diagnostics is not None
        and bool(capabilities.workspace.diagnostics.refresh_support)
    )
    async with session(
        machine, project, capabilities=capabilities, env=offline_env(wheels)
    ) as client:
        uri = open_document(client, project / "main.py")
        diagnostics = await current_diagnostics(client, uri, pull, lambda d: bool(d))
        (missing,) = diagnostics
        assert missing.code == "missing-import"
        assert missing.range.start == types.Position(line=1, character=7)

        actions = await code_actions(client, uri, [missing])
        install = by_title(actions, f"Install {DIST} into {VENV_LABEL}")
        assert install.is_preferred is True

        listing = await client.protocol.send_request_async("envsense/environments", {"uri": uri})
        selected = result_field(listing, "selected")
        assert result_field(selected, "prefix") == str(project / ".venv")
        assert result_field(listing, "reason") == "in-project environment .venv"

        result = await run_action(client, install)
        assert result_field(result, "ok") is True, result
        assert installed(project / ".venv", DIST)
        # Pushed again, or (pull clients) re-pulled after the server's refresh request.
        assert await current_diagnostics(client, uri, pull, lambda d: d == []) == []
