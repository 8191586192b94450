"""Plain top-level import lines, read without a parse.

Most imports of a real module are statements in column 0 (`import os`,
`from a.b import c as d, e`, `from x import (` over several lines `)`) with no guard around
them. For those the parse and the walk give nothing a regex can't: this module reads them
directly, and builds the same ImportRef the walker would. Anything less plain (`;`, `\\`,
non-ASCII names, keywords used as names, `__future__`) is left to the parser.
"""

from __future__ import annotations
import __future__

import keyword
import re

from envsense.core.findings import Span
from envsense.core.imports.layout import CLAUSES, SourceLayout, first_word
from envsense.core.imports.refs import ImportKind, ImportRef

_ID = r"[A-Za-z_][A-Za-z0-9_]*"
_DOTTED = rf"{_ID}(?:\.{_ID})*"
_ALIASES = rf"{_DOTTED}(?:[ \t]+as[ \t]+{_ID})?(?:[ \t]*,[ \t]*{_DOTTED}(?:[ \t]+as[ \t]+{_ID})?)*"
_NAMES = rf"{_ID}(?:[ \t]+as[ \t]+{_ID})?(?:[ \t]*,[ \t]*{_ID}(?:[ \t]+as[ \t]+{_ID})?)*"
# Inside the brackets: one way only to read each character (a comment runs to its newline,
# a word to its last letter), so a line that is not plain fails without backtracking.
_BRACKETED = r"(?:[ \t\n,]|\#[^\n]*\n|[A-Za-z0-9_]+(?![A-Za-z0-9_]))*"
_PLAIN = re.compile(
    rf"""(?:import[ \t]+(?P<modules>{_ALIASES})
         |from[ \t]+(?P<source>\.*{_DOTTED}|\.+)[ \t]+import
          (?:[ \t]+(?P<names>\*|{_NAMES})|[ \t]*\((?P<inner>{_BRACKETED})\)))
       [ \t]*(?:\#[^\n]*)?(?=\n|\Z)""",
    re.X,
)
_ALIAS = re.compile(rf"(?P<name>{_DOTTED})(?:[ \t]+as[ \t]+(?P<asname>{_ID}))?")
_COMMENT = re.compile(r"#[^\n]*")
# Names the parser refuses where an import binds or names something.
_RESERVED = frozenset(keyword.kwlist) | {"__debug__"}
# Longer statements, and ones that may hold dotted names the parser is refused
# (scanner.parse), go to it.
_MAX_CHARS = 20_000
_MAX_DOTS = 150
_FEATURES = frozenset(__future__.all_feature_names)


def plain_import(
    layout: SourceLayout, line: int, *, after_plain: bool = False
) -> tuple[int, tuple[ImportRef, ...]] | None:
    """(end, refs) when a plain import statement starts `line`, standing alone at the top
    level: `end` is one past it and the blank or comment lines after it, as far as the next
    top-level statement (where the scanner's chunk would end).

    `after_plain`: `line` is the `end` of a plain import (so it is known to be outside
    strings and not a continuation: the checks that cost most are skipped along a run).
    """
    source = layout.source
    start = layout.start_of(line)
    if source[start : start + 1] not in ("i", "f"):
        return None
    finish = source.find("\n", start)
    if finish == -1:
        finish = len(source)
    text = source[start:finish]
    seen = _SEEN.get(text)
    if seen is not None:
        template, by_line = seen
        cached = by_line.get(line)
        if cached is not None:
            refs = cached
        else:
            refs = tuple(
                ImportRef(module, level, Span(line, column, line, end_column), names, kind)
                for module, level, column, end_column, names, kind in template
            )
            if len(by_line) < _LINES_PER_TEXT and _placed[0] < _PLACED_MAX:
                by_line[line] = refs
                _placed[0] += 1
    else:
        match = _PLAIN.match(source, start)
        if match is None:
            return None
        finish = match.end()
        if finish - start > _MAX_CHARS or source.count(".", start, finish) > _MAX_DOTS:
            return None
        found = _refs(match, line, start)
        if found is None:
            return None
        refs = found
        if finish - start == len(text):
            _remember(text, line, refs)
    if not after_plain and (layout.in_string(line) or layout.continues_previous(line)):
        return None
    # Past the statement's last line, then over blank and comment lines, by offsets.
    # `offset` is where line `end` starts; past the source when there is no such line.
    end = line + 1 + source.count("\n", start, finish)
    size = len(source)
    offset = finish + 1
    text = ""
    while offset <= size:
        newline = source.find("\n", offset)
        if newline == -1:
            newline = size
        text = source[offset:newline]
        stripped = text.strip()
        if stripped and stripped[0] != "#":
            break
        end += 1
        offset = newline + 1
    if offset <= size:
        layout.note_start(end, offset)
        # Nothing from `line` to here opens a string or continues a line, so this is where
        # the next top-level statement starts unless it is indented, a clause or a closer.
        if text[0] in " \t\f)]}" or (text[0] in "ef" and first_word(text) in CLAUSES):
            return None
    return end, refs


# One-line statements already read, by their text (projects repeat their imports from file
# to file): what their refs hold but the line, and the refs themselves on the lines they
# were met on (the same statement often sits on the same line: `from __future__ import
# annotations` on line 2). Refs are frozen, so files can share them.
_Template = tuple[tuple[str, int, int, int, tuple[str, ...], ImportKind], ...]
_SEEN: dict[str, tuple[_Template, dict[int, tuple[ImportRef, ...]]]] = {}
_SEEN_MAX = 4096
_LINES_PER_TEXT = 32
# Refs kept on their lines, all texts together (a few MB at most).
_PLACED_MAX = 16_384
_placed = [0]


def _remember(text: str, line: int, refs: tuple[ImportRef, ...]) -> None:
    if len(_SEEN) >= _SEEN_MAX:
        _SEEN.clear()
        _placed[0] = 0
    template = tuple(
        (r.module, r.level, r.span.column, r.span.end_column, r.names, r.kind) for r in refs
    )
    _SEEN[text] = (template, {line: refs})


def _refs(match: re.Match[str], line: int, offset: int) -> tuple[ImportRef, ...] | None:
    """The refs of a matched statement on `line`, which starts at `offset` in the source."""
    modules, source, listed, inner = match.group("modules", "source", "names", "inner")
    if modules is not None:
        refs: list[ImportRef] = []
        for alias in _ALIAS.finditer(match.string, match.start("modules"), match.end("modules")):
            name = alias.group("name")
            asname = alias.group("asname")
            if (asname is not None and asname in _RESERVED) or not _RESERVED.isdisjoint(
                name.split(".")
            ):
                return None
            if name.partition(".")[0] == "__future__":
                return None
            column = alias.start("name") - offset
            span = Span(line, column, line, column + len(name))
            refs.append(ImportRef(name, 0, span, (), "import"))
        return tuple(refs)
    module = source.lstrip(".")
    level = len(source) - len(module)
    if not _RESERVED.isdisjoint(module.split(".")):
        return None
    if listed is None:
        names = _bracketed_names(inner)
    elif listed == "*":
        names = ("*",)
    else:
        names = _listed_names(listed)
    if names is None:
        return None
    if not level and module.partition(".")[0] == "__future__":
        # Never returned; the parser takes it alone (its chunk) if it names real features.
        if module == "__future__" and _FEATURES.issuperset(names):
            return ()
        return None
    column = match.start("source") - offset
    span = Span(line, column, line, column + len(source))
    return (ImportRef(module, level, span, names, "from"),)


def _listed_names(text: str) -> tuple[str, ...] | None:
    """Names of `a, b as c` (the regex has checked the commas and `as`)."""
    if "," not in text and " " not in text and "\t" not in text:
        return None if text in _RESERVED else (text,)
    names: list[str] = []
    for item in text.split(","):
        words = item.split()
        if words[0] in _RESERVED or (len(words) == 3 and words[2] in _RESERVED):
            return None
        names.append(words[0])
    return tuple(names)


def _bracketed_names(inner: str) -> tuple[str, ...] | None:
    """Names of `(a,\n b as c,  # note\n)`, or None unless it is a list the parser takes."""
    if "#" in inner:
        inner = _COMMENT.sub("", inner)
    items = inner.split(",")
    if len(items) > 1 and not items[-1].strip():
        items.pop()  # a trailing comma
    names: list[str] = []
    for item in items:
        words = item.split()
        if len(words) == 3 and words[1] == "as":
            if not words[2].isidentifier() or words[2] in _RESERVED:
                return None
        elif len(words) != 1:
            return None
        if not words[0].isidentifier() or words[0] in _RESERVED:
            return None
        names.append(words[0])
    return tuple(names)
