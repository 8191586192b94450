"""Jupyter notebooks: their code cells, and the imports of each cell.

IPython syntax (`%pip install x`, `!ls`, `%%time` cells, `obj?`) isn't Python; such lines are
blanked, not removed, so line numbers inside a cell stay those the editor shows.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from envsense.core.imports.extract import ImportRef, extract_imports
from envsense.core.versions import PythonVersion

_log = logging.getLogger(__name__)

# Code read from one notebook (docs/security.md, "Limits").
MAX_CODE_CELLS = 1_000
MAX_CODE_CHARS = 256 * 1024

# Line magics, shell escapes, help lines (`obj?`, `??obj`) and `files = !ls`.
_MAGIC_LINE = re.compile(r"^\s*(?:%|!|\?|[\w.]+\?{1,2}\s*$|[\w., ]+=\s*[!%])")


@dataclass(frozen=True, slots=True)
class NotebookCell:
    """A code cell: its position among ALL cells of the notebook, and its source."""

    index: int
    source: str
    cell_type: str = "code"


@dataclass(frozen=True, slots=True)
class NotebookCells:
    """The code cells of a notebook, or why they couldn't be read."""

    cells: tuple[NotebookCell, ...] = ()
    error: str | None = None


@dataclass(frozen=True, slots=True)
class CellImport:
    """An import in a cell; `ref.span` lines are relative to the cell."""

    cell_index: int
    ref: ImportRef


def read_notebook(text: str) -> NotebookCells:
    """Code cells of an .ipynb document; malformed JSON gives an error, never an exception."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        return NotebookCells(error=f"not a notebook: invalid JSON ({error})")
    if not isinstance(data, dict):
        return NotebookCells(error="not a notebook: the top level is not an object")
    raw_cells = data.get("cells")
    if raw_cells is None and isinstance(data.get("worksheets"), list):
        # nbformat 3 kept cells inside worksheets.
        raw_cells = [
            c
            for ws in data["worksheets"]
            if isinstance(ws, dict) and isinstance(ws.get("cells", []), list)
            for c in ws.get("cells", [])
        ]
    if not isinstance(raw_cells, list):
        return NotebookCells(error="not a notebook: no 'cells' list")
    cells: list[NotebookCell] = []
    code_size = 0
    for index, cell in enumerate(raw_cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", cell.get("input", ""))
        if isinstance(source, list):
            source = "".join(part for part in source if isinstance(part, str))
        if not isinstance(source, str):
            continue
        code_size += len(source)
        if len(cells) >= MAX_CODE_CELLS or code_size > MAX_CODE_CHARS:
            # Outputs make notebooks big; code this big is generated: the rest is skipped.
            _log.warning(
                "notebook code past %d cells or %d characters is not checked",
                MAX_CODE_CELLS,
                MAX_CODE_CHARS,
            )
            break
        cells.append(NotebookCell(index, source))
    return NotebookCells(tuple(cells))


def read_notebook_cells(text: str) -> list[NotebookCell]:
    """Just the code cells (empty when the notebook can't be read; see read_notebook)."""
    return list(read_notebook(text).cells)


def python_source_of_cell(source: str) -> str:
    """The cell with IPython-only lines blanked (same number of lines)."""
    lines = source.split("\n")
    if lines and lines[0].lstrip().startswith("%%"):
        # A cell magic (%%time, %%bash, ...) makes the whole cell not Python.
        return "\n" * (len(lines) - 1)
    return "\n".join("" if _MAGIC_LINE.search(line) else line for line in lines)


def extract_cell_imports(
    source: str, *, version: PythonVersion | None = None, platform: str | None = None
) -> tuple[ImportRef, ...]:
    """Imports of one cell; spans are (line, column) inside the cell."""
    return extract_imports(
        python_source_of_cell(source), version=version, platform=platform
    ).imports


def extract_notebook_imports(
    cells: Sequence[str], *, version: PythonVersion | None = None, platform: str | None = None
) -> list[tuple[ImportRef, ...]]:
    """Per cell source (same order as given), its imports with cell-relative spans.

    Cells past MAX_CODE_CELLS or MAX_CODE_CHARS of code get none (an editor can send a
    notebook of any size; the same limits as for a file on disk)."""
    found: list[tuple[ImportRef, ...]] = []
    size = 0
    for cell in cells:
        size += len(cell)
        if len(found) >= MAX_CODE_CELLS or size > MAX_CODE_CHARS:
            break
        found.append(extract_cell_imports(cell, version=version, platform=platform))
    if len(found) < len(cells):
        _log.warning(
            "notebook code past %d cells or %d characters is not checked",
            MAX_CODE_CELLS,
            MAX_CODE_CHARS,
        )
        found += [()] * (len(cells) - len(found))
    return found


def notebook_imports(
    text: str, *, version: PythonVersion | None = None, platform: str | None = None
) -> tuple[list[CellImport], str | None]:
    """Imports of a whole .ipynb document, each tagged with its cell's index; plus any error."""
    notebook = read_notebook(text)
    found = [
        CellImport(cell.index, ref)
        for cell in notebook.cells
        for ref in extract_cell_imports(cell.source, version=version, platform=platform)
    ]
    return found, notebook.error
