"""The text to parse for a chunk of source: its function and class bodies, and its nested
compound statements, that hold no import replaced by `pass`.

Such a body adds nothing to the imports or guards read from the rest, and real modules
are mostly such bodies: a class whose one method imports locally would otherwise be parsed
whole. Line numbers are kept (blank lines stand for what was left out). A misjudged end of
a body (a continuation line indented less than its statement) leaves an unmatched bracket
behind, so that text does not parse and the caller parses the plain text.
"""

from __future__ import annotations

import bisect
import re
import sys
from collections.abc import Iterator

from envsense.core.imports.layout import CLAUSES, SourceLayout, first_word

# Lines that open a block: function and class bodies, or compound statements, that a parse
# can do without. (A leading newline rather than ^: the regex engine skips ahead to a
# literal first character.)
# The lookahead after the indentation is only there for speed: without it, each indented
# line that opens no block was tried again at every shorter indentation (2.7x the time).
_BLOCK = (
    r"[ \t\f]*(?=[acdfimtw])(?:async[ \t]+)?"
    r"(def|class|if|for|while|with|try|match)(?=[ \t\f:(\[])"
)
_BLOCK_LINE = re.compile("\n" + _BLOCK)
_BLOCK_AT_START = re.compile(_BLOCK)
# A compound statement directly in these blocks is never dropped: try bodies and handlers
# are read statement by statement (probes, `raise` at the end, flags).
_KEEP_CHILDREN = frozenset({"try", "except", "else", "finally"})
_MAX_PARENT_SCAN = 100
# Possessive where Python has it (3.11+): the same matches (a shorter indentation leaves a
# blank next, which the lookahead refuses), without retrying each deeper line at every
# shorter indentation (8x on lines indented twice as deep).
_POSSESSIVE = "+" if sys.version_info >= (3, 11) else ""
# Shorter runs of statements are not worth leaving out.
_MIN_RUN = 3
# A line indented at most n characters that can start a statement (not blank, not a
# comment, not a closing bracket as black puts them), per n.
_DEDENT: dict[int, re.Pattern[str]] = {}


def pruned_text(
    layout: SourceLayout, start: int, end: int, keep: re.Pattern[str] | None
) -> str | None:
    """Lines start..end with the import-free bodies and nested statements replaced by
    `pass`; None when there is nothing to leave out. `keep` matches the other text a body
    must not lose (dynamic import calls under another name)."""
    lines = layout.lines
    line_starts = layout.starts
    replaced: list[tuple[int, int, int]] = []
    # Offsets where the replaced parts start, in order: blocks are told apart by offset, so
    # the many inside a dropped part never need their line number.
    starts: list[int] = []
    for offset, word in _blocks_between(layout, start, end):
        index = bisect.bisect_right(starts, offset) - 1
        if index >= 0 and offset < line_starts[replaced[index][2]]:
            continue  # inside a part already dropped
        line = layout.line_of(offset)
        if word in ("def", "class"):
            body = _droppable_body(layout, line, end, keep)
            found = [body] if body is not None else []
            if body is None and word == "def":
                found = _droppable_runs(layout, line, end, keep)
        else:
            body = _droppable_statement(layout, line, end, keep)
            found = [body] if body is not None else []
        for part in found:
            part_start = line_starts[part[0]]
            index = bisect.bisect_right(starts, part_start)
            starts.insert(index, part_start)
            replaced.insert(index, part)
    if not replaced:
        return None
    parts: list[str] = []
    position = start
    for body_start, first_code, body_end in replaced:
        parts += lines[position:body_start]
        parts += [""] * (first_code - body_start)
        text = lines[first_code]
        parts.append(text[: len(text) - len(text.lstrip(" \t\f"))] + "pass")
        parts += [""] * (body_end - first_code - 1)
        position = body_end
    parts += lines[position:end]
    return "\n".join(parts)


def _blocks_between(layout: SourceLayout, start: int, end: int) -> Iterator[tuple[int, str]]:
    """(offset of the line, first word) of the lines opening a block, in order."""
    stop = layout.starts[end] if end < len(layout.lines) else len(layout.source)
    begin = layout.starts[start]
    if begin == 0:
        first = _BLOCK_AT_START.match(layout.source)
        if first is not None:
            yield 0, first.group(1)
    for match in _BLOCK_LINE.finditer(layout.source, max(begin - 1, 0), stop):
        yield match.start() + 1, match.group(1)


def _droppable_statement(
    layout: SourceLayout, line: int, limit: int, keep: re.Pattern[str] | None
) -> tuple[int, int, int] | None:
    """Lines (start, start, end) of the nested compound statement at `line` (with its
    elif/else/except/finally clauses), when it holds no `import` and nothing `keep`
    matches and it is not directly in a try statement; None otherwise."""
    indent = layout.indent(line)
    if indent == 0 or layout.in_string(line) or layout.continues_previous(line):
        return None
    statement_end = _block_end(layout, line, indent, limit)
    if statement_end is None:
        return None
    lines = layout.lines
    while statement_end < limit and layout.indent(statement_end) == indent:
        if first_word(lines[statement_end].lstrip(" \t\f")) not in CLAUSES:
            break
        statement_end = _block_end(layout, statement_end, indent, limit)
        if statement_end is None:
            return None
    source = layout.source
    begin, finish = layout.starts[line], layout.starts[statement_end]
    if source.find("import", begin, finish) != -1:
        return None
    if keep is not None and keep.search(source, begin, finish) is not None:
        return None
    if statement_end < limit and layout.continues_previous(statement_end):
        return None
    parent = _parent_word(layout, line, indent)
    if parent is None or parent in _KEEP_CHILDREN:
        return None
    return line, line, statement_end


def _droppable_runs(
    layout: SourceLayout, line: int, limit: int, keep: re.Pattern[str] | None
) -> list[tuple[int, int, int]]:
    """Runs of import-free statements directly in the body of the function at `line` (whose
    body holds an import somewhere), as (start, start, end) lines."""
    if layout.in_string(line) or layout.continues_previous(line):
        return []
    header_end = layout.logical_end(line)
    if header_end >= limit or not layout.ends_with_colon(header_end - 1):
        return []
    first_code = header_end
    while first_code < limit and not layout.is_code(first_code):
        first_code += 1
    if first_code >= limit or layout.indent(first_code) <= layout.indent(line):
        return []
    body_end = _dedent_after(layout, first_code, layout.indent(line), limit)
    indent = layout.indent(first_code)
    source = layout.source
    starts = layout.starts
    runs: list[tuple[int, int, int]] = []
    run_start = -1
    child = first_code
    lines = layout.lines
    while child < body_end:
        following = _dedent_after(layout, child, indent, body_end)
        # A statement goes on over its clauses (else:, except:), a decorator over its def.
        piece = child
        while following < body_end and (
            lines[piece].lstrip(" \t\f").startswith("@")
            or first_word(lines[following].lstrip(" \t\f")) in CLAUSES
        ):
            piece = following
            following = _dedent_after(layout, piece, indent, body_end)
        holds = source.find("import", starts[child], starts[following]) != -1 or (
            keep is not None and keep.search(source, starts[child], starts[following])
        )
        if holds:
            if run_start >= 0:
                runs.append((run_start, run_start, child))
            run_start = -1
        elif run_start < 0:
            run_start = child
        child = following
    if run_start >= 0:
        runs.append((run_start, run_start, body_end))
    return [
        run
        for run in runs
        if run[2] - run[0] >= _MIN_RUN
        and not layout.continues_previous(run[0])
        and not (run[2] < limit and layout.continues_previous(run[2]))
    ]


def _block_end(layout: SourceLayout, line: int, indent: int, limit: int) -> int | None:
    """One past the indented body of the block header at `line` (indented `indent`)."""
    header_end = layout.logical_end(line)
    if header_end >= limit or not layout.ends_with_colon(header_end - 1):
        return None
    first_code = header_end
    while first_code < limit and not layout.is_code(first_code):
        first_code += 1
    if first_code >= limit or layout.indent(first_code) <= indent:
        return None
    return _dedent_after(layout, first_code, indent, limit)


def _parent_word(layout: SourceLayout, line: int, indent: int) -> str | None:
    """First word of the header of the block that holds the statement at `line`; None
    when it is further up than a scan should go (a generated function of thousands of
    `if` blocks would make that quadratic)."""
    current = line - 1
    stop = max(line - _MAX_PARENT_SCAN, -1)
    while current > stop:
        if layout.indent(current) < indent and layout.is_code(current):
            start = layout.logical_start(current)
            return first_word(layout.lines[start].lstrip(" \t\f"))
        current -= 1
    return "" if current < 0 else None


def _droppable_body(
    layout: SourceLayout, line: int, limit: int, keep: re.Pattern[str] | None
) -> tuple[int, int, int] | None:
    """Lines (start, first code line, end) of the indented body of the def/class at
    `line`, when it holds no `import` and nothing `keep` matches; None when that can't
    be told cheaply."""
    if layout.in_string(line) or layout.continues_previous(line):
        return None
    header_end = layout.logical_end(line)
    if header_end >= limit or not layout.ends_with_colon(header_end - 1):
        return None
    indent = layout.indent(line)
    first_code = header_end
    while first_code < limit and not layout.is_code(first_code):
        first_code += 1
    if first_code >= limit or layout.indent(first_code) <= indent:
        return None
    body_end = _dedent_after(layout, first_code, indent, limit)
    source = layout.source
    begin, finish = layout.starts[header_end], layout.starts[body_end]
    if source.find("import", begin, finish) != -1:
        return None
    if keep is not None and keep.search(source, begin, finish) is not None:
        return None
    if body_end < limit and layout.continues_previous(body_end):
        return None
    return header_end, first_code, body_end


def _dedent_after(layout: SourceLayout, line: int, indent: int, limit: int) -> int:
    """The first code line after `line` indented `indent` or less (or `limit`)."""
    pattern = _DEDENT.get(indent)
    if pattern is None:
        pattern = _DEDENT[indent] = re.compile(
            rf"\n[ \t\f]{{0,{indent}}}{_POSSESSIVE}(?![ \t\f\n#)\]}}])"
        )
    position = layout.starts[line + 1] - 1
    stop = layout.starts[limit] if limit < len(layout.lines) else len(layout.source)
    while True:
        match = pattern.search(layout.source, position, stop)
        if match is None:
            return limit
        found = layout.line_of(match.start() + 1)
        if found >= limit:
            return limit
        if not layout.in_string(found):
            return found
        position = layout.starts[found + 1] - 1
