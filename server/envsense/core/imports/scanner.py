"""Find import statements without parsing whole files.

`ast.parse` of a whole project costs ~18x a regex pass (docs: perf baselines), and one syntax
error would hide every import of the file. So: a regex finds candidate lines, the enclosing
top-level statement of each is parsed on its own (exact guards, isolated syntax errors), and
when that part does not parse, each candidate statement is parsed alone and its guards are
read from the indentation of the lines above it.
"""

from __future__ import annotations

import ast
import bisect
import itertools
import re
import sys
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
from envsense.core.imports.refs import ImportContext, ImportRef
from envsense.core.imports.walker import DynamicNames, ImportCollector

# Statements, or statements after `if x:` / `;` on the same line, that start with import/from.
_CANDIDATE = re.compile(r"[ \t]*(?:[^\n#'\"]*?[:;][ \t]*)?(?:import[ \t]|from[ \t.])")
# Comments and strings in one pass; only triple-quoted strings (group t) can hide a line.
# The repeats inside a triple-quoted string are possessive where Python has them (3.11+)
# and take runs of plain characters whole: a backtrack state kept per repeat took 1.1 GB for
# a 7 MB string.
_REPEAT = "*+" if sys.version_info >= (3, 11) else "*"
_STRINGS = re.compile(
    r"""\#[^\n]*
    | (?P<t>\"\"\"(?:[^"\\]+|\\.|"(?!""))"""
    + _REPEAT
    + r"""(?:\"\"\"|\Z)
      | '''(?:[^'\\]+|\\.|'(?!''))"""
    + _REPEAT
    + r"""(?:'''|\Z))
    | "(?:[^"\\\n]+|\\.)"""
    + _REPEAT
    + r""""?
    | '(?:[^'\\\n]+|\\.)"""
    + _REPEAT
    + r"""'?""",
    re.S | re.X,
)
_LINE_NOISE = re.compile(
    r"""#[^\n]*|"(?:[^"\\\n]+|\\.)""" + _REPEAT + r""""?|'(?:[^'\\\n]+|\\.)""" + _REPEAT + r"""'?"""
)
# A line starting in column 0 with something that can begin a statement.
_TOP_LINE = re.compile(r"\n(?=[^ \t\f\n#)\]}])")
_CLAUSES = frozenset({"else", "elif", "except", "finally"})
_WORD = re.compile(r"[A-Za-z_]+")
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


_MAX_LOGICAL_LINES = 200
_MAX_FALLBACK_CANDIDATES = 20_000


def _first_word(text: str) -> str:
    match = _WORD.match(text)
    return match.group(0) if match else ""


class SourceLayout:
    """Lines of a source plus where its triple-quoted strings are."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines = source.split("\n")
        self.starts = [0, *itertools.accumulate(len(line) + 1 for line in self.lines)]
        if '"""' in source or "'''" in source:
            spans = [m.span() for m in _STRINGS.finditer(source) if m.lastgroup == "t"]
        else:
            spans = []
        self._string_starts = [s for s, _ in spans]
        self._string_ends = [e for _, e in spans]
        self._code: dict[int, str] = {}

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) - 1

    def _string_at(self, offset: int) -> int | None:
        """Index of the triple-quoted string strictly containing offset."""
        index = bisect.bisect_right(self._string_starts, offset) - 1
        if index >= 0 and self._string_starts[index] < offset < self._string_ends[index]:
            return index
        return None

    def in_string(self, line: int) -> bool:
        return self._string_at(self.starts[line]) is not None

    def code(self, line: int) -> str:
        """The line without strings and comments, for bracket counting."""
        cached = self._code.get(line)
        if cached is None:
            cached = self._code[line] = self._strip(line)
        return cached

    def _strip(self, line: int) -> str:
        start = self.starts[line]
        text = self.source[start : start + len(self.lines[line])]
        index = bisect.bisect_right(self._string_starts, start + len(text)) - 1
        while index >= 0 and self._string_ends[index] > start:
            s = max(self._string_starts[index], start) - start
            e = min(self._string_ends[index], start + len(text)) - start
            text = text[:s] + '""' + text[e:]
            index -= 1
        return _LINE_NOISE.sub('""', text)

    def net_brackets(self, line: int) -> int:
        code = self.code(line)
        opens = code.count("(") + code.count("[") + code.count("{")
        return opens - code.count(")") - code.count("]") - code.count("}")

    def is_code(self, line: int) -> bool:
        stripped = self.lines[line].strip()
        return bool(stripped) and not stripped.startswith("#") and not self.in_string(line)

    def indent(self, line: int) -> int:
        text = self.lines[line]
        return len(text) - len(text.lstrip(" \t\f"))

    def continues_previous(self, line: int) -> bool:
        return line > 0 and self.code(line - 1).rstrip().endswith("\\")

    def logical_start(self, line: int) -> int:
        """Walk back over open brackets and `\\` continuations to the statement's first line."""
        balance = self.net_brackets(line)
        start = line
        while balance < 0 and start > 0:
            start -= 1
            balance += self.net_brackets(start)
        while self.continues_previous(start):
            start -= 1
        return start

    def logical_end(self, line: int) -> int:
        """One past the last line of the statement starting at `line`."""
        depth = 0
        end = line
        while end < len(self.lines) and end - line < _MAX_LOGICAL_LINES:
            depth += self.net_brackets(end)
            continued = self.code(end).rstrip().endswith("\\")
            end += 1
            if depth <= 0 and not continued:
                break
        return end

    # -- top-level statements ------------------------------------------------------------

    def _top_statement_start(self, line: int) -> bool:
        text = self.lines[line]
        if not text or text[0] in " \t\f#)]}" or not self.is_code(line):
            return False
        return _first_word(text) not in _CLAUSES and not self.continues_previous(line)

    def chunk_start(self, line: int) -> int:
        """First line of the top-level statement that contains `line`."""
        current = line
        while current > 0:
            if self._top_statement_start(current):
                start = self.logical_start(current)
                if start == current:
                    return current
                current = start
                continue
            current -= 1
        return 0

    def chunk_end(self, start: int) -> int:
        """One past the last line of the top-level statement starting at `start`."""
        source = self.source
        total = len(self.lines)
        depth = 0
        counted = self.starts[start]
        search = counted
        while True:
            match = _TOP_LINE.search(source, search)
            if match is None:
                return total
            line = self.line_of(match.end())
            search = match.end()
            depth += self._net_between(counted, self.starts[line])
            counted = self.starts[line]
            if depth <= 0 and self._top_statement_start(line):
                return line

    def _net_between(self, begin: int, end: int) -> int:
        """Open minus closed brackets in source[begin:end], outside strings and comments."""
        text = self.source[begin:end]
        index = bisect.bisect_right(self._string_starts, end) - 1
        while index >= 0 and self._string_ends[index] > begin:
            s = max(self._string_starts[index], begin) - begin
            e = min(self._string_ends[index], end) - begin
            text = text[:s] + '""' + text[e:]
            index -= 1
        code = _LINE_NOISE.sub('""', text)
        opens = code.count("(") + code.count("[") + code.count("{")
        return opens - code.count(")") - code.count("]") - code.count("}")

    def text(self, start: int, end: int) -> str:
        return "\n".join(self.lines[start:end])


def candidate_lines(layout: SourceLayout, dynamic_pattern: re.Pattern[str] | None) -> list[int]:
    """Lines that may hold an import statement or a dynamic import call, in order."""
    found: set[int] = set()
    source = layout.source
    starts = layout.starts
    # A literal search for the keyword first: the line regex alone is slow on long lines.
    position = source.find("import")
    while position != -1:
        line = layout.line_of(position)
        end = starts[line + 1] - 1 if line + 1 < len(starts) else len(source)
        if _CANDIDATE.match(source, starts[line], end) and not layout.in_string(line):
            found.add(line)
        position = source.find("import", end)
    if dynamic_pattern is not None:
        for match in dynamic_pattern.finditer(source):
            line = layout.line_of(match.start())
            if not layout.in_string(line):
                found.add(line)
    return sorted(found)


Chunk = tuple[int, int, list[int]]


def chunks(layout: SourceLayout, lines: list[int]) -> Iterator[list[Chunk]]:
    """Top-level statements (start, end, candidate lines) holding the candidates; adjacent
    ones come grouped so they can be parsed in one go."""
    group: list[Chunk] = []
    for line in lines:
        if group and line < group[-1][1]:
            group[-1][2].append(line)
            continue
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


class Scanner:
    """Collects the imports of one source through the chunked strategy."""

    def __init__(
        self,
        layout: SourceLayout,
        target: Target,
        dynamic: DynamicNames | None,
    ) -> None:
        self.layout = layout
        self.target = target
        self.dynamic = dynamic
        self.refs: list[ImportRef] = []
        self.syntax_error: str | None = None
        # Shared by every chunk: a flag set in one top-level try is read by a later `if`.
        self.flags = FlagTable(layout.lines, target)

    def _collector(self, offset: int) -> ImportCollector:
        return ImportCollector(self.layout.lines, self.target, offset, self.dynamic, self.flags)

    def _note_error(self, error: SyntaxError, offset: int) -> None:
        if self.syntax_error is None:
            line = (error.lineno or 1) + offset
            self.syntax_error = f"line {line}: {error.msg}"

    def scan_group(self, group: list[Chunk]) -> None:
        if len(group) == 1 or not self._parse_and_walk(group[0][0], group[-1][1]):
            for start, end, lines in group:
                if not self._parse_and_walk(start, end, note_error=True):
                    for line in lines:
                        self.scan_statement(line)

    def _parse_and_walk(self, start: int, end: int, *, note_error: bool = False) -> bool:
        try:
            tree = parse(self.layout.text(start, end))
        except (SyntaxError, ValueError) as error:
            if note_error and isinstance(error, SyntaxError):
                self._note_error(error, start)
            return False
        collector = self._collector(start)
        collector.walk(tree.body, ImportContext())
        self.refs.extend(collector.refs)
        return True

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
        word = _first_word(header)
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
            if layout.indent(current) < indent or _first_word(text) != "except":
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
