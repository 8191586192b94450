"""Reading back the manifest text a span points at."""

from __future__ import annotations

from envsense.core.declarations import DeclaredRequirement
from envsense.core.findings import Span


def text_at(text: str, span: Span) -> str:
    lines = text.split("\n")
    if span.line == span.end_line:
        return lines[span.line][span.column : span.end_column]
    middle = lines[span.line + 1 : span.end_line]
    return "\n".join(
        [lines[span.line][span.column :], *middle, lines[span.end_line][: span.end_column]]
    )


def spelled(requirement: DeclaredRequirement) -> str:
    return text_at(requirement.manifest.read_text(), requirement.span)
