"""Plain top-level import lines, read without a parse.

Most imports of a real module are one-line statements in column 0 (`import os`,
`from a.b import c as d, e`) with no guard around them. For those the parse and the walk
give nothing a regex can't: this module reads them directly, and builds the same ImportRef
the walker would. Anything less plain (brackets over several lines, `;`, `\\`, non-ASCII
names, keywords used as names, `__future__`) is left to the parser.
"""

from __future__ import annotations

import keyword
import re

from envsense.core.findings import Span
from envsense.core.imports.layout import SourceLayout
from envsense.core.imports.refs import ImportRef

_ID = r"[A-Za-z_][A-Za-z0-9_]*"
_DOTTED = rf"{_ID}(?:\.{_ID})*"
_ALIASES = rf"{_DOTTED}(?:[ \t]+as[ \t]+{_ID})?(?:[ \t]*,[ \t]*{_DOTTED}(?:[ \t]+as[ \t]+{_ID})?)*"
_NAMES = rf"{_ID}(?:[ \t]+as[ \t]+{_ID})?(?:[ \t]*,[ \t]*{_ID}(?:[ \t]+as[ \t]+{_ID})?)*"
_PLAIN = re.compile(
    rf"""(?:import[ \t]+(?P<modules>{_ALIASES})
         |from[ \t]+(?P<source>\.*{_DOTTED}|\.+)[ \t]+import[ \t]+
          (?P<names>\*|{_NAMES}|\([ \t]*{_NAMES}[ \t]*,?[ \t]*\)))
       [ \t]*(?:\#.*)?""",
    re.X,
)
_ALIAS = re.compile(rf"(?P<name>{_DOTTED})(?:[ \t]+as[ \t]+(?P<asname>{_ID}))?")
# Names the parser refuses where an import binds or names something.
_RESERVED = frozenset(keyword.kwlist) | {"__debug__"}
# Longer lines, and lines with dotted names the parser is refused (scanner.parse), go to it.
_MAX_LINE = 2000
_MAX_DOTS = 150


def plain_import(layout: SourceLayout, line: int) -> tuple[int, tuple[ImportRef, ...]] | None:
    """(end, refs) when `line` is a plain import statement standing alone at the top level:
    `end` is one past it and the blank or comment lines after it, as far as the next
    top-level statement (where the scanner's chunk would end)."""
    lines = layout.lines
    text = lines[line]
    if len(text) > _MAX_LINE or text[:1] not in ("i", "f") or text.count(".") > _MAX_DOTS:
        return None
    match = _PLAIN.fullmatch(text)
    if match is None:
        return None
    refs = _refs(match, line)
    if refs is None:
        return None
    if layout.in_string(line) or layout.continues_previous(line):
        return None
    end = line + 1
    total = len(lines)
    while end < total:
        stripped = lines[end].strip()
        if stripped and stripped[0] != "#":
            break
        end += 1
    if end < total and not layout.top_statement_start(end):
        return None
    return end, tuple(refs)


def _refs(match: re.Match[str], line: int) -> list[ImportRef] | None:
    text = match.string
    refs: list[ImportRef] = []
    modules = match.start("modules")
    if modules >= 0:
        for alias in _ALIAS.finditer(text, modules, match.end("modules")):
            name = alias.group("name")
            if not _allowed(name, alias.group("asname")) or name.partition(".")[0] == "__future__":
                return None
            column = alias.start("name")
            span = Span(line, column, line, column + len(name))
            refs.append(ImportRef(module=name, level=0, span=span, names=(), kind="import"))
        return refs
    source = match.group("source")
    module = source.lstrip(".")
    level = len(source) - len(module)
    if (not level and module.partition(".")[0] == "__future__") or not _allowed(module, None):
        return None
    names: list[str] = []
    if match.group("names") == "*":
        names.append("*")
    else:
        for alias in _ALIAS.finditer(text, match.start("names"), match.end("names")):
            name = alias.group("name")
            if not _allowed(name, alias.group("asname")):
                return None
            names.append(name)
    column = match.start("source")
    span = Span(line, column, line, column + len(source))
    refs.append(ImportRef(module=module, level=level, span=span, names=tuple(names), kind="from"))
    return refs


def _allowed(dotted: str, asname: str | None) -> bool:
    if asname is not None and asname in _RESERVED:
        return False
    return not dotted or all(part not in _RESERVED for part in dotted.split("."))
