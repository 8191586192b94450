"""Diagnostics over the real protocol: published with the right range and code, and
re-published when the environment changes on disk."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from tests.e2e.conftest import open_document, open_session, wait_for_diagnostics, wait_until
from tests.support.venvs import install_wheels, make_venv
from tests.support.wheels import simple_wheel


def make_project(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "proj"\nversion = "1"\ndependencies = ["envsense-demo-pkg>=1"]\n'
    )
    (root / "main.py").write_text("import json\nimport envsense_demo_pkg\n")
    make_venv(root / ".venv")
    return root


def codes(diagnostics: list[types.Diagnostic]) -> list[str]:
    return [str(d.code) for d in diagnostics]


async def test_missing_import_is_published_then_cleared_by_an_install(
    machine: Path, tmp_path: Path
) -> None:
    project = make_project(tmp_path / "ws")
    async with open_session(machine, project) as client:
        uri = open_document(client, project / "main.py")
        diagnostics = await wait_for_diagnostics(client, uri, lambda d: bool(d))
        (missing,) = diagnostics
        assert missing.code == "missing-import"
        assert missing.source == "envsense"
        assert missing.severity == types.DiagnosticSeverity.Error
        assert missing.range == types.Range(
            start=types.Position(line=1, character=7), end=types.Position(line=1, character=24)
        )
        assert "'envsense_demo_pkg' is not installed in .venv" in missing.message
        assert "declared in pyproject.toml as envsense-demo-pkg>=1" in missing.message
        assert missing.code_description is not None
        assert missing.code_description.href.endswith("diagnostics.md#missing-import")
        assert missing.data["distribution"] == "envsense-demo-pkg"

        wheel = simple_wheel(tmp_path / "wheels", "envsense-demo-pkg", version="1.2")
        install_wheels(project / ".venv" / "bin" / "python", wheel)
        record = next((project / ".venv").glob("lib/python*/site-packages/*.dist-info/RECORD"))
        client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=record.as_uri(), type=types.FileChangeType.Created)]
            )
        )
        assert await wait_for_diagnostics(client, uri, lambda d: d == []) == []


async def test_manifest_lines_get_their_own_findings(machine: Path, tmp_path: Path) -> None:
    project = make_project(tmp_path / "ws")
    async with open_session(machine, project) as client:
        uri = open_document(client, project / "pyproject.toml", language="toml")
        diagnostics = await wait_for_diagnostics(client, uri, lambda d: bool(d))
    assert codes(diagnostics) == ["requirement-not-installed"]
    assert diagnostics[0].range.start.line == 3


async def test_pull_clients_pull_and_are_asked_to_refresh(machine: Path, tmp_path: Path) -> None:
    project = make_project(tmp_path / "ws")
    capabilities = types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            diagnostic=types.DiagnosticClientCapabilities(dynamic_registration=False)
        ),
        workspace=types.WorkspaceClientCapabilities(
            diagnostics=types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
        ),
    )
    async with open_session(machine, project, capabilities=capabilities) as client:
        uri = open_document(client, project / "main.py")
        report = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        assert codes(list(report.items)) == ["missing-import"]
        refreshes = client.diagnostic_refresh_count
        wheel = simple_wheel(tmp_path / "wheels", "envsense-demo-pkg", version="1.2")
        install_wheels(project / ".venv" / "bin" / "python", wheel)
        client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[
                    types.FileEvent(
                        uri=(project / ".venv" / "lib").as_uri() + "/site-packages/x.pth",
                        type=types.FileChangeType.Changed,
                    )
                ]
            )
        )
        await wait_until(lambda: client.diagnostic_refresh_count > refreshes, what="a refresh")
        report = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        assert list(report.items) == []


async def test_extras_nobody_installed_are_silent_unless_a_setting_asks(
    machine: Path, tmp_path: Path
) -> None:
    project = tmp_path / "ws"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "proj"\nversion = "1"\ndependencies = []\n\n'
        '[project.optional-dependencies]\nhttp2 = ["envsense-demo-h2>=3"]\n'
    )
    make_venv(project / ".venv")
    async with open_session(machine, project) as client:
        uri = open_document(client, project / "pyproject.toml", language="toml")
        assert await wait_for_diagnostics(client, uri, lambda d: True) == []
    options = {"reportUnrequestedExtras": True}
    async with open_session(machine, project, options=options) as client:
        uri = open_document(client, project / "pyproject.toml", language="toml")
        (hint,) = await wait_for_diagnostics(client, uri, lambda d: bool(d))
    assert hint.severity == types.DiagnosticSeverity.Hint
    assert hint.message.startswith("extra `http2` is not installed in .venv")
    assert hint.range.start.line == 6
    async with open_session(machine, project, options={"requestedExtras": ["http2"]}) as client:
        uri = open_document(client, project / "pyproject.toml", language="toml")
        (warning,) = await wait_for_diagnostics(client, uri, lambda d: bool(d))
    assert warning.severity == types.DiagnosticSeverity.Warning
    assert warning.code == "requirement-not-installed"
