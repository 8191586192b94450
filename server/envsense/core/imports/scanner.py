"""Find import statements without parsing whole files.

`ast.parse` of a whole project costs ~18x a regex pass (docs: perf baselines), and one syntax
error would hide every import of the file. So: a regex finds candidate lines, the enclosing
top-level statement of each is parsed on its own (exact guards, isolated syntax errors), and
when that part does not parse, each candidate statement is parsed alone and its guards are
read from the indentation of the lines above it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from envsense.core.imports.conditions import (
    Target,
    evaluate_condition,
    handlers_catch_import_errors,
    is_main_test,
    type_checking_test,
    with_suppresses_import_errors,
)
from envsense.core.imports.flags import FlagTable
from envsense.core.imports.layout import SourceLayout, first_word
from envsense.core.imports.plain import plain_import
from envsense.core.imports.prune import pruned_text
from envsense.core.imports.refs import ImportContext, ImportRef
from envsense.core.imports.walker import DynamicNames, ImportCollector

# Statements, or statements after `if x:` / `;` on the same line, that start with import/from.
_CANDIDATE = re.compile(r"[ \t]*(?:[^\n#'\"]*?[:;][ \t]*)?(?:import[ \t]|from[ \t.])")
# The same after one-line strings before the `:`/`;` (`x = 'a'; import y`), stepped over
# whole; a `#` outside them ends the code. Slower (2.5x): tried only on lines with a quote
# that the first one rejects. The alternatives start with distinct characters: no
# backtracking blow-up.
_CANDIDATE_AFTER_STRING = re.compile(
    r"[ \t]*(?:(?:[^\n#'\"\\]|\\.|'[^'\n\\]*(?:\\.[^'\n\\]*)*'|\"[^\"\n\\]*(?:\\.[^\"\n\\]*)*\")*?"
    r"[:;][ \t]*)(?:import[ \t]|from[ \t.])"
)
# The two regexes above, split for speed (the lazy part made every line cost a scan of it,
# 1-2 us): a statement that starts with the keyword...
_DIRECT = re.compile(r"[ \t]*(?:import[ \t]|from[ \t.])")
# ... and what the other forms need somewhere on the line: a cheap search that rules out
# most lines (docstrings and comments that mention "import") before the slower matches.
_KEYWORD_AFTER_SEPARATOR = re.compile(r"[:;][ \t]*(?:import[ \t]|from[ \t.])")
# CPython's parser builds an import's dotted name by repeated concatenation: 20,000 parts
# took 450 MB (100,000: 10 GB). No real name has 200.
_LONG_DOTTED = re.compile(r"(?:\.[ \t]*\w+){200}")


# ast.parse needs about 170 bytes per byte of source: text longer than this is not parsed
# in one piece (the scanner falls back to the import statements alone).
MAX_PARSE_CHARS = 256 * 1024


def parse(text: str) -> ast.Module:
    """ast.parse that fails with SyntaxError, never RecursionError or MemoryError (deeply
    nested expressions), and refuses dotted names the parser would need gigabytes for."""
    if len(text) > MAX_PARSE_CHARS:
        raise SyntaxError(f"a statement longer than {MAX_PARSE_CHARS} characters")
    if _LONG_DOTTED.search(text):
        raise SyntaxError("a dotted name of more than 200 parts")
    try:
        return ast.parse(text)
    except (RecursionError, MemoryError) as error:
        raise SyntaxError(f"nested too deeply to parse ({type(error).__name__})") from None


_MAX_FALLBACK_CANDIDATES = 20_000


def candidate_lines(layout: SourceLayout, dynamic_pattern: re.Pattern[str] | None) -> list[int]:
    """Lines that may hold an import statement or a dynamic import call, in order."""
    found: list[int] = []
    source = layout.source
    # Bound once: this loop runs per occurrence of the keyword, docstrings and comments too.
    find = source.find
    rfind = source.rfind
    count = source.count
    direct = _DIRECT.match
    separated = _KEYWORD_AFTER_SEPARATOR.search
    in_string_at = layout.in_string_at
    # A literal search for the keyword first: the line regex alone is slow on long lines.
    # Lines are counted as the search goes (the layout is not split for this). Each search
    # resumes past the line found, so the lines come in order, each once.
    position = find("import")
    line = 0
    counted = 0
    while position != -1:
        line += count("\n", counted, position)
        counted = position
        start = rfind("\n", 0, position) + 1
        end = find("\n", position)
        if end == -1:
            end = len(source)
        if (
            direct(source, start, end)
            or (
                separated(source, start, end)
                and (
                    _CANDIDATE.match(source, start, end)
                    or (
                        _has_quote(source, start, position)
                        and _CANDIDATE_AFTER_STRING.match(source, start, end)
                    )
                )
            )
        ) and not in_string_at(start):
            layout.note_start(line, start)
            found.append(line)
        position = find("import", end)
    if dynamic_pattern is not None:
        more = set(found)
        for match in dynamic_pattern.finditer(source):
            line = layout.line_of(match.start())
            if not layout.in_string(line):
                more.add(line)
        return sorted(more)
    return found


def _has_quote(source: str, start: int, end: int) -> bool:
    return source.find("'", start, end) != -1 or source.find('"', start, end) != -1


Chunk = tuple[int, int, list[int]]


def chunks(layout: SourceLayout, lines: list[int]) -> Iterator[list[Chunk] | tuple[ImportRef, ...]]:
    """Top-level statements (start, end, candidate lines) holding the candidates; adjacent
    ones come grouped so they can be parsed in one go. A plain import line standing alone
    comes as its refs instead (plain.py): it needs no parse."""
    group: list[Chunk] = []
    plain_end = -1
    # The group's last chunk is one that needs its parse (not a plain import).
    ends_parsed = False
    plain_refs: list[ImportRef] = []
    for line in lines:
        if group and line < group[-1][1]:
            group[-1][2].append(line)
            continue
        plain = plain_import(layout, line, after_plain=line == plain_end)
        if plain is not None:
            end, refs = plain
            plain_end = end
            if ends_parsed and group[-1][1] == line:
                # Right after a parsed chunk a plain one still joins the group: a chunk may
                # parse only together with the next (`\\` then a blank line).
                group.append((line, end, [line]))
                ends_parsed = False
                continue
            if group:
                yield group
                group = []
            ends_parsed = False
            # Plain refs come all together at the end: they set no flags, and the refs are
            # sorted by place afterwards.
            plain_refs += refs
            continue
        ends_parsed = True
        start = layout.chunk_start(line)
        end = max(layout.chunk_end(start), line + 1)
        if group and start < group[-1][1]:
            # Odd layouts can make a later chunk start inside the previous one: merge.
            last = group.pop()
            start = min(start, last[0])
            group.append((start, max(end, last[1]), [*last[2], line]))
            continue
        if group and start != group[-1][1]:
            yield group
            group = []
        group.append((start, end, [line]))
    if group:
        yield group
    if plain_refs:
        yield tuple(plain_refs)


class Scanner:
    """Collects the imports of one source through the chunked strategy."""

    def __init__(
        self,
        layout: SourceLayout,
        target: Target,
        dynamic: DynamicNames | None,
        keep: re.Pattern[str] | None = None,
    ) -> None:
        self.layout = layout
        # Text a dropped function body must not hold (dynamic import calls).
        self.keep = keep
        self.target = target
        self.dynamic = dynamic
        self.refs: list[ImportRef] = []
        self.syntax_error: str | None = None
        # Shared by every chunk: a flag set in one top-level try is read by a later `if`.
        self.flags = FlagTable((), target, source=layout.source)

    def _collector(self, offset: int) -> ImportCollector:
        return ImportCollector(self.layout.lines, self.target, offset, self.dynamic, self.flags)

    def _note_error(self, error: SyntaxError, offset: int) -> None:
        if self.syntax_error is None:
            line = (error.lineno or 1) + offset
            self.syntax_error = f"line {line}: {error.msg}"

    def scan_group(self, group: list[Chunk] | tuple[ImportRef, ...]) -> None:
        if isinstance(group, tuple):
            self.refs.extend(group)
            return
        if len(group) == 1 or not self._parse_and_walk(group[0][0], group[-1][1]):
            for start, end, lines in group:
                if not self._parse_and_walk(start, end, note_error=True):
                    for line in lines:
                        self.scan_statement(line)

    def _parse_and_walk(self, start: int, end: int, *, note_error: bool = False) -> bool:
        try:
            tree = self._parse_range(start, end)
        except (SyntaxError, ValueError) as error:
            if note_error and isinstance(error, SyntaxError):
                self._note_error(error, start)
            return False
        collector = self._collector(start)
        collector.walk(tree.body, ImportContext())
        self.refs.extend(collector.refs)
        return True

    def _parse_range(self, start: int, end: int) -> ast.Module:
        """Lines start..end parsed with the import-free function bodies left out; when that
        text does not parse, the lines as they are (whose error is the one to report)."""
        layout = self.layout
        if layout.starts[end] - layout.starts[start] <= MAX_PARSE_CHARS:
            pruned = pruned_text(layout, start, end, self.keep)
            if pruned is not None:
                try:
                    return parse(pruned)
                except (SyntaxError, ValueError):
                    pass
        return parse(layout.text(start, end))

    def scan_fallback(self, lines: list[int]) -> None:
        for line in lines[:_MAX_FALLBACK_CANDIDATES]:
            self.scan_statement(line)

    def scan_statement(self, line: int) -> None:
        """Parse the one statement at `line` and read its guards from the lines above."""
        layout = self.layout
        end = layout.logical_end(line)
        text = layout.text(line, end)
        indent = layout.indent(line)
        ctx = self.context_above(line)
        if ctx is None:
            return
        tree = self._parse_indented(text, indent)
        if tree is not None:
            collector = self._collector(line - (1 if indent else 0))
            collector.walk(tree.body, ctx)
            self.refs.extend(collector.refs)
            return
        # `try: import x` / `else: import y`: split the header from the inline body.
        stripped = text.lstrip()
        for colon in _colons(stripped):
            body = stripped[colon + 1 :]
            if not body.strip():
                break
            try:
                body_tree = parse("if 1:\n" + " " * (indent + colon + 1) + body)
            except (SyntaxError, ValueError):
                continue
            inner = self.classify_header(stripped[: colon + 1], line, ctx)
            if inner is not None:
                collector = self._collector(line - 1)
                collector.walk(body_tree.body, inner)
                self.refs.extend(collector.refs)
            return

    @staticmethod
    def _parse_indented(text: str, indent: int) -> ast.Module | None:
        source = "if 1:\n" + text if indent else text
        try:
            return parse(source)
        except (SyntaxError, ValueError):
            return None

    def context_above(self, line: int) -> ImportContext | None:
        """Guards from enclosing block headers; None if the line can't run on the target."""
        layout = self.layout
        ctx = ImportContext()
        indent = layout.indent(line)
        current = line - 1
        while indent > 0 and current >= 0:
            if layout.is_code(current) and layout.indent(current) < indent:
                start = layout.logical_start(current)
                header = layout.text(start, current + 1).strip()
                result = self.classify_header(header, start, ctx)
                if result is None:
                    return None
                ctx = result
                indent = layout.indent(start)
                current = start - 1
                continue
            current -= 1
        return ctx

    def classify_header(self, header: str, line: int, ctx: ImportContext) -> ImportContext | None:
        word = first_word(header)
        if word in ("def", "async") and ("def " in header or word == "def"):
            return ctx.but(in_function=True)
        if word == "if":
            test = _parse_header(header)
            if not isinstance(test, ast.If):
                return ctx.but(conditional=True)
            checking = type_checking_test(test.test)
            if checking is not None:
                return ctx.but(type_checking=True) if checking else ctx
            if is_main_test(test.test):
                return ctx.in_main_block()
            outcome = evaluate_condition(test.test, self.target)
            if outcome is False:
                return None
            return ctx if outcome else ctx.but(conditional=True)
        if word in ("elif", "else", "except", "match", "case"):
            return ctx.but(conditional=True)
        if word == "try":
            return ctx.but(guarded=True) if self._try_catches(line) else ctx
        if word in ("with", "async"):
            node = _parse_header(header)
            if isinstance(node, (ast.With, ast.AsyncWith)):
                if with_suppresses_import_errors(node.items):
                    return ctx.but(guarded=True)
        return ctx

    def _try_catches(self, line: int) -> bool:
        """Whether the `except` clauses of the `try:` at `line` catch a failed import."""
        layout = self.layout
        indent = layout.indent(line)
        for current in range(line + 1, len(layout.lines)):
            if not layout.is_code(current) or layout.indent(current) > indent:
                continue
            text = layout.lines[current].strip()
            if layout.indent(current) < indent or first_word(text) != "except":
                return False
            node = _parse_header("try:\n pass\n" + text)
            if node is None:
                node = _parse_header("try:\n pass\n" + text.partition(":")[0] + ":")
            if isinstance(node, ast.Try) and handlers_catch_import_errors(node.handlers):
                return True
        return False


def _colons(text: str) -> Iterator[int]:
    """Offsets of the colons of `text` (str.find: a character loop was seconds per MB)."""
    colon = text.find(":")
    while colon >= 0:
        yield colon
        colon = text.find(":", colon + 1)


def _parse_header(header: str) -> ast.stmt | None:
    try:
        tree = parse(header + "\n pass")
    except (SyntaxError, ValueError):
        return None
    return tree.body[0] if tree.body else None
