"""Whole lines added to or removed from an open document, read without a full scan.

Blank and comment lines anywhere outside strings, and module-level import lines between
two module-level statements, change nothing but where the other imports are: those move,
and the added import lines are read alone. Anything else is the caller's full scan.
"""

from __future__ import annotations

import ast
from dataclasses import replace

from envsense.core.findings import Span
from envsense.core.imports.edit_layout import (
    EditLayout,
    indent_of,
    line_text,
    only_blank_or_comments,
    word_end,
)
from envsense.core.imports.extract import extract_imports
from envsense.core.imports.refs import ImportGuard, ImportRef, ImportScan

_DYNAMIC_WORDS = ("importlib", "import_module", "__import__")


def whole_lines(
    old: str, new: str, start: int, old_end: int, new_end: int
) -> tuple[int, str, str] | None:
    """The change as whole lines: (first line, removed lines, added lines), each text a run
    of complete lines ending in newlines; None when it is not one."""
    # Slide the change to start at a line start where the texts allow it.
    removed, added = old[start:old_end], new[start:new_end]
    if removed and added:
        return None
    moved = removed or added
    while start > 0 and old[start - 1] != "\n":
        # Rotate: "x\n" inserted after "...a" equals "a\n" + ... only when equal chars.
        if moved[-1] != old[start - 1]:
            return None
        moved = old[start - 1] + moved[:-1]
        start -= 1
    if not moved.endswith("\n"):
        return None
    line = old.count("\n", 0, start)
    return (line, moved, "") if removed else (line, "", moved)


def line_change(
    old: str, scan: ImportScan, layout: EditLayout, line: int, removed: str, added: str
) -> ImportScan | None:
    """Whole lines removed or added between two module-level statements (or blank and
    comment lines anywhere outside strings): the old refs moved, plus the new lines'."""
    changed = removed or added
    count = changed.count("\n")
    if line >= len(layout.starts) or layout.inside[line]:
        return None
    if layout.continued[line]:
        return None
    if changed[0] in " \t\f" and not only_blank_or_comments(changed):
        return _block_imports(old, scan, layout, line, removed, added)
    try:
        tree = ast.parse(changed)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    blank = only_blank_or_comments(changed)
    if not blank:
        if not tree.body or not all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in tree.body):
            return None
        if any(word in changed for word in _DYNAMIC_WORDS) or changed[0] in " \t\f":
            return None
        if not _module_boundary(old, layout, line, line + (count if removed else 0)):
            return None
    if blank and removed and any(layout.inside[i] for i in range(line, line + count)):
        return None
    if blank and removed and "\\\n" in changed:
        return None
    if removed:
        gone = [r for r in scan.imports if line <= r.span.line < line + count]
        if not blank:
            expected = _read_lines(changed, line)
            if expected is None or sorted(gone, key=_order) != sorted(expected, key=_order):
                return None
        elif gone:
            return None
        kept = [_moved(r, line + count, -count) for r in scan.imports if r not in gone]
        return ImportScan(tuple(sorted(kept, key=_order)), scan.syntax_error)
    refs = [_moved(r, line, count) for r in scan.imports]
    if not blank:
        new_refs = _read_lines(changed, line)
        if new_refs is None:
            return None
        refs += new_refs
    return ImportScan(tuple(sorted(set(refs), key=_order)), scan.syntax_error)


def _block_imports(
    old: str, scan: ImportScan, layout: EditLayout, line: int, removed: str, added: str
) -> ImportScan | None:
    """Import lines added or removed inside a block (a function's lazy imports), right next
    to an import statement of the same block: they get its context (guards, function,
    TYPE_CHECKING); never in try blocks, whose imports are other imports' probes."""
    changed = removed or added
    rows = changed.split("\n")[:-1]
    width_text = indent_of(rows[0])
    if not width_text or any(indent_of(row) != width_text for row in rows):
        return None
    if any(word in changed for word in _DYNAMIC_WORDS) or layout.depth[line] > 0:
        return None
    width, count = len(width_text), len(rows)
    neighbour: ImportRef | None = None
    for near in (line - 1, line + count) if removed else (line - 1, line):
        if not 0 <= near < len(layout.starts) or layout.statement(near) != (near, near + 1):
            continue
        text = line_text(old, layout.starts, near)
        refs = [r for r in scan.imports if r.span.line == near]
        if indent_of(text) != width_text or not refs:
            continue
        if parent_word(old, layout, near, width) in TRY_WORDS:
            return None
        again = _read_statement(text, near, width, refs[0])
        if again is not None and sorted(again, key=_order) == sorted(refs, key=_order):
            neighbour = refs[0]
            break
    if neighbour is None or any(g.line >= line for g in neighbour.guards):
        return None
    read: list[ImportRef] = []
    for index, row in enumerate(rows):
        found = _read_statement(row, line + index, width, neighbour)
        if found is None:
            return None
        read += found
    if removed:
        gone = [r for r in scan.imports if line <= r.span.line < line + count]
        if sorted(gone, key=_order) != sorted(read, key=_order):
            return None
        kept = [_moved(r, line + count, -count) for r in scan.imports if r not in gone]
        return ImportScan(tuple(sorted(kept, key=_order)), scan.syntax_error)
    moved = [_moved(r, line, count) for r in scan.imports]
    return ImportScan(tuple(sorted(set(moved + read), key=_order)), scan.syntax_error)


def _module_boundary(old: str, layout: EditLayout, first: int, after: int) -> bool:
    """Whether the point before line `first` (and, for removals, the one before `after`) lies
    between two module-level statements: outside brackets and strings, not after a
    decorator, and followed by a column-0 statement that is not a clause."""
    count = len(layout.starts)
    for line in (first, after):
        if line < count and (layout.depth[line] > 0 or layout.inside[line]):
            return False
        if line < count and layout.continued[line]:
            return False
    previous = first - 1
    while previous >= 0:
        text = line_text(old, layout.starts, previous).strip(" \t\f")
        if text and not text.startswith("#") and not layout.inside[previous]:
            break
        previous -= 1
    if previous >= 0:
        start = layout.statement(previous)
        if start is None:
            return False
        header = line_text(old, layout.starts, start[0])
        if header.startswith("@") or header.rstrip().endswith(":"):
            return False
    following = after
    while following < count:
        text = line_text(old, layout.starts, following)
        stripped = text.strip(" \t\f")
        if stripped and not stripped.startswith("#"):
            break
        following += 1
    if following < count:
        text = line_text(old, layout.starts, following)
        if text[:1] in " \t\f)]}" or layout.inside[following] or layout.depth[following]:
            return False
        word = text[: word_end(text, 0)]
        if word in ("else", "elif", "except", "finally", "case"):
            return False
    return True


def _read_lines(changed: str, line: int) -> list[ImportRef] | None:
    """The refs of module-level import lines read alone, placed at `line`."""
    scan = extract_imports(changed)
    if scan.syntax_error is not None or scan.skipped is not None:
        return None
    return [_moved(r, 0, line) for r in scan.imports]


def _order(ref: ImportRef) -> tuple[int, int, str]:
    return (ref.span.line, ref.span.column, ref.module)


def _moved(ref: ImportRef, at: int, delta: int) -> ImportRef:
    """`ref` with every line at or after `at` moved by `delta`."""
    span = ref.span
    moved_span = span
    if span.line >= at or span.end_line >= at:
        moved_span = Span(
            span.line + delta if span.line >= at else span.line,
            span.column,
            span.end_line + delta if span.end_line >= at else span.end_line,
            span.end_column,
        )
    guards = ref.guards
    if any(g.line >= at for g in guards):
        guards = tuple(
            ImportGuard(g.probes, g.when_ok, g.line + delta) if g.line >= at else g for g in guards
        )
    if moved_span is span and guards is ref.guards:
        return ref
    return replace(ref, span=moved_span, guards=guards)


def edited_import(
    old: str, new: str, scan: ImportScan, layout: EditLayout, start: int, delta: int
) -> ImportScan | None:
    """An import statement on one line edited in place (a module name being typed): its
    refs read again from the line alone, in the context the old ones had.

    Only outside try blocks (a try body's imports are the probes of other imports' guards),
    and only when reading the old line alone gives back exactly the refs the full scan had.
    """
    line = layout.line_of(start)
    if layout.statement(line) != (line, line + 1):
        return None
    old_line = line_text(old, layout.starts, line)
    begin = layout.starts[line]
    new_line = new[begin : begin + len(old_line) + delta]
    if new.count("\n", begin, begin + len(new_line)):
        return None
    indent = indent_of(old_line)
    if indent is None or indent != indent_of(new_line) or start - begin < len(indent):
        return None
    if any(word in text for text in (old_line, new_line) for word in _DYNAMIC_WORDS):
        return None
    if indent and parent_word(old, layout, line, len(indent)) in TRY_WORDS:
        return None
    before = [r for r in scan.imports if r.span.line == line]
    if not before:
        return None
    was = _read_statement(old_line, line, len(indent), before[0])
    if was is None or sorted(was, key=_order) != sorted(before, key=_order):
        return None
    now = _read_statement(new_line, line, len(indent), before[0])
    if now is None:
        return None
    kept = [r for r in scan.imports if r.span.line != line]
    return ImportScan(tuple(sorted(set(kept + now), key=_order)), scan.syntax_error)


def _read_statement(text: str, line: int, width: int, context: ImportRef) -> list[ImportRef] | None:
    """The refs of one import statement read alone, placed at `line` after `width`
    columns of indentation, with `context`'s guards."""
    body = text[width:]
    try:
        tree = ast.parse(body)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], (ast.Import, ast.ImportFrom)):
        return None
    scan = extract_imports(body)
    if scan.syntax_error is not None or scan.skipped is not None:
        return None
    refs: list[ImportRef] = []
    for ref in scan.imports:
        span = ref.span
        if span.line != 0 or span.end_line != 0:
            return None
        refs.append(
            replace(
                ref,
                span=Span(line, span.column + width, line, span.end_column + width),
                guarded=context.guarded,
                type_checking=context.type_checking,
                in_function=context.in_function,
                conditional=context.conditional,
                guards=context.guards,
                main_block=context.main_block,
            )
        )
    return refs


TRY_WORDS = frozenset({"try", "except", "else", "finally"})


def parent_word(text: str, layout: EditLayout, line: int, width: int) -> str:
    """First word of the block header right above `line` (indented `width` columns)."""
    current = line - 1
    while current >= 0:
        if not layout.joined(current):
            candidate = line_text(text, layout.starts, current)
            stripped = candidate.lstrip(" \t\f")
            if stripped and not stripped.startswith("#") and len(candidate) - len(stripped) < width:
                return stripped[: word_end(stripped, 0)]
        current -= 1
    return ""
