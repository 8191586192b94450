"""Text edits as editors apply them, and where to put an insertion so it reads naturally.

Columns count code points, like `Span`; the LSP glue converts them to UTF-16.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from envsense.core.toml_layout import line_start


@dataclass(frozen=True, slots=True)
class TextEdit:
    """Replace the range (0-based lines, columns in code points) with `new_text`."""

    line: int
    column: int
    end_line: int
    end_column: int
    new_text: str


Insert = tuple[int, str]  # (offset, text)


def apply_edits(text: str, edits: Sequence[TextEdit]) -> str:
    """Apply non-overlapping edits (as an editor would) and return the new text."""
    starts = [0]
    for index, char in enumerate(text):
        if char == "\n":
            starts.append(index + 1)

    def offset(line: int, column: int) -> int:
        return starts[line] + column if line < len(starts) else len(text)

    result = text
    for edit in sorted(edits, key=lambda e: (e.line, e.column), reverse=True):
        start, end = offset(edit.line, edit.column), offset(edit.end_line, edit.end_column)
        result = result[:start] + edit.new_text + result[end:]
    return result


def newline_of(text: str) -> str:
    """The file's own line break."""
    return "\r\n" if "\r\n" in text else "\n"


def above_comments(text: str, start: int, floor: int) -> int:
    """Move an insertion point above comment lines that belong to the item below them."""
    while start > floor:
        previous = line_start(text, start - 1)
        if previous < floor or not text[previous:start].strip().startswith("#"):
            break
        start = previous
    return start


def indent_of(text: str, offset: int) -> str:
    """The leading whitespace of the line holding `offset`."""
    start = line_start(text, offset)
    line = text[start:offset]
    return line[: len(line) - len(line.lstrip(" \t"))]


def append_block(text: str, block: str) -> Insert:
    """Insert `block` as a new paragraph at the end of the text."""
    nl = newline_of(text)
    if not text.strip():
        return (len(text), block)
    lead = nl if text.endswith("\n") else nl + nl
    if text.endswith(nl + nl):
        lead = ""
    return (len(text), lead + block)


def insertion(text: str, offset: int, new_text: str) -> TextEdit:
    """An empty-range edit inserting `new_text` at `offset`."""
    line = text.count("\n", 0, offset)
    column = offset - line_start(text, offset)
    return TextEdit(line, column, line, column, new_text)
