"""Notebook cells: code cells only, IPython lines blanked, cell-relative spans, bad JSON."""

from __future__ import annotations

import json
from pathlib import Path

from envsense.core.imports.notebooks import (
    extract_notebook_imports,
    notebook_imports,
    read_notebook,
    read_notebook_cells,
)
from envsense.core.versions import PythonVersion


def write_notebook(path: Path, cells: list[tuple[str, str]]) -> str:
    document = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {"cell_type": kind, "metadata": {}, "source": source.splitlines(keepends=True)}
            for kind, source in cells
        ],
    }
    path.write_text(json.dumps(document))
    return path.read_text()


def test_code_cells_keep_their_notebook_index(tmp_path: Path) -> None:
    text = write_notebook(
        tmp_path / "nb.ipynb",
        [("markdown", "# import nothing"), ("code", "import pandas as pd\n"), ("raw", "x")],
    )
    cells = read_notebook_cells(text)
    assert [(c.index, c.source) for c in cells] == [(1, "import pandas as pd\n")]


def test_magics_and_shell_lines_are_skipped_and_lines_stay_put(tmp_path: Path) -> None:
    text = write_notebook(
        tmp_path / "nb.ipynb",
        [
            ("code", "%pip install requests\n!ls -la\nfiles = !ls\nimport requests\nrequests?\n"),
            ("code", "%%time\nimport hidden_by_cell_magic\n"),
            ("code", "import sys\nif sys.version_info >= (3, 11):\n    import tomllib\n"),
        ],
    )
    found, error = notebook_imports(text, version=PythonVersion(3, 10))
    assert error is None
    assert [(f.cell_index, f.ref.module, f.ref.span.line) for f in found] == [
        (0, "requests", 3),
        (2, "sys", 0),
    ]
    source = read_notebook_cells(text)[0].source.split("\n")
    span = found[0].ref.span
    assert source[span.line][span.column : span.end_column] == "requests"


def test_per_cell_sources_as_an_editor_sends_them() -> None:
    per_cell = extract_notebook_imports(["import a\n", "!pip list\n", "x = (\n"])
    assert [[r.module for r in refs] for refs in per_cell] == [["a"], [], []]


def test_malformed_notebooks_give_an_error_not_an_exception(tmp_path: Path) -> None:
    path = tmp_path / "broken.ipynb"
    path.write_text('{"cells": [')
    result = read_notebook(path.read_text())
    assert result.cells == () and result.error is not None and "invalid JSON" in result.error
    assert read_notebook("[1, 2]").error is not None
    assert read_notebook('{"cells": 3}').error is not None
    found, error = notebook_imports('{"nbformat": 4}')
    assert found == [] and error is not None
