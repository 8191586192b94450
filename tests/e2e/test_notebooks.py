"""Notebook cells synced with notebookDocument/* get their own diagnostics."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from tests.e2e.conftest import open_session, wait_for_diagnostics
from tests.support.venvs import make_venv


async def test_each_cell_gets_the_findings_of_its_imports(machine: Path, tmp_path: Path) -> None:
    project = tmp_path / "ws"
    project.mkdir()
    make_venv(project / ".venv")
    notebook_uri = (project / "analysis.ipynb").as_uri()
    cells = [
        ("import json\n%matplotlib inline\n", f"{notebook_uri}#cell1"),
        ("x = 1\nimport envsense_missing_mod\n", f"{notebook_uri}#cell2"),
    ]
    async with open_session(machine, project) as client:
        client.notebook_document_did_open(
            types.DidOpenNotebookDocumentParams(
                notebook_document=types.NotebookDocument(
                    uri=notebook_uri,
                    notebook_type="jupyter-notebook",
                    version=1,
                    cells=[
                        types.NotebookCell(kind=types.NotebookCellKind.Code, document=uri)
                        for _, uri in cells
                    ],
                ),
                cell_text_documents=[
                    types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
                    for text, uri in cells
                ],
            )
        )
        second = await wait_for_diagnostics(client, cells[1][1], lambda d: bool(d))
        first = await wait_for_diagnostics(client, cells[0][1])
    assert first == []
    (missing,) = second
    assert missing.code == "missing-import"
    assert missing.range.start == types.Position(line=1, character=7)
    assert "'envsense_missing_mod' is not installed in .venv" in missing.message
