"""Lines of a source, where its triple-quoted strings are, and where its statements begin and end.

Nothing here tokenizes the whole file up front. Triple-quoted strings (the only thing that
can hide a line from a line-based scan) are found by one regex that steps from string to
string, and only as far into the file as a question about a line needs; files whose imports
sit at the top are never lexed past them.
"""

from __future__ import annotations

import bisect
import functools
import re
import sys
from collections.abc import Iterator
from itertools import accumulate

# The repeats are possessive where Python has them (3.11+) and take runs of plain characters
# whole: a backtrack state kept per repeat took 1.1 GB for a 7 MB string.
_REPEAT = "*+" if sys.version_info >= (3, 11) else "*"
# Each match is the code, comments and one-line strings up to the next triple-quoted string
# (group t), or up to the end: one match object per triple-quoted string, not one per token.
# Comments and one-line strings are consumed so that quotes inside them open nothing.
_TO_NEXT_TRIPLE = re.compile(
    r"""(?:[^"'\#]+|\#[^\n]*|"(?!"")(?:[^"\\\n]+|\\.)"""
    + _REPEAT
    + r""""?|'(?!'')(?:[^'\\\n]+|\\.)"""
    + _REPEAT
    + r"""'?)"""
    + _REPEAT
    + r"""
    (?:(?P<t>\"\"\"(?:[^"\\]+|\\.|"(?!""))"""
    + _REPEAT
    + r"""(?:\"\"\"|\Z)
      | '''(?:[^'\\]+|\\.|'(?!''))"""
    + _REPEAT
    + r"""(?:'''|\Z))
    | \Z)""",
    re.S | re.X,
)
_LINE_NOISE = re.compile(
    r"""#[^\n]*|"(?:[^"\\\n]+|\\.)""" + _REPEAT + r""""?|'(?:[^'\\\n]+|\\.)""" + _REPEAT + r"""'?"""
)
# A line starting in column 0 with something that can begin a statement.
_TOP_LINE = re.compile(r"\n(?=[^ \t\f\n#)\]}])")
CLAUSES = frozenset({"else", "elif", "except", "finally"})
_WORD = re.compile(r"[A-Za-z_]+")
_MAX_LOGICAL_LINES = 200
_NOT_SCANNED = sys.maxsize


def first_word(text: str) -> str:
    match = _WORD.match(text)
    return match.group(0) if match else ""


class SourceLayout:
    """Lines of a source plus where its triple-quoted strings are (found lazily)."""

    def __init__(self, source: str) -> None:
        self.source = source
        # Built on first use: the files whose imports are all plain (plain.py) never need
        # them, and splitting is a fifth of the cost of reading those. Until then
        # `_known` holds the start offsets of the lines looked at.
        self._lines: list[str] | None = None
        self._starts: list[int] | None = None
        self._known: dict[int, int] = {}
        self._string_starts: list[int] = []
        self._string_ends: list[int] = []
        self._strings: Iterator[re.Match[str]] | None = None
        # Triple-quoted strings starting before this offset are all known.
        self._scanned = _NOT_SCANNED
        if '"""' in source or "'''" in source:
            self._strings = _TO_NEXT_TRIPLE.finditer(source)
            self._scanned = 0
        self._code: dict[int, str] = {}

    # Cached properties (the split stores both in the instance, which then shadows them):
    # they are read tens of thousands of times per parsed file.
    @functools.cached_property
    def lines(self) -> list[str]:
        self._split()
        assert self._lines is not None
        return self._lines

    @functools.cached_property
    def starts(self) -> list[int]:
        """Offsets of line starts (one more than there are lines)."""
        self._split()
        assert self._starts is not None
        return self._starts

    def _split(self) -> None:
        if self._lines is not None:
            return
        self._lines = self.source.split("\n")
        # Sums of (length + 1), all in C.
        self._starts = [0, *accumulate(map((1).__add__, map(len, self._lines)))]
        self.__dict__["lines"] = self._lines
        self.__dict__["starts"] = self._starts

    def note_start(self, line: int, offset: int) -> None:
        """Record where `line` starts (found by a caller that counted newlines)."""
        if self._starts is None:
            self._known[line] = offset

    def start_of(self, line: int) -> int:
        """Offset where `line` starts, without splitting the source when a neighbour is known."""
        if self._starts is not None:
            return self._starts[line]
        known = self._known.get(line)
        if known is not None:
            return known
        after = self._known.get(line + 1)
        if after is not None and after > 0:
            offset = self.source.rfind("\n", 0, after - 1) + 1
            self._known[line] = offset
            return offset
        return self.starts[line]

    def line_text(self, line: int) -> str:
        if self._lines is not None:
            return self._lines[line]
        start = self.start_of(line)
        end = self.source.find("\n", start)
        return self.source[start:] if end == -1 else self.source[start:end]

    def _lex_to(self, offset: int) -> None:
        """Find the triple-quoted strings that start before `offset`."""
        strings = self._strings
        while self._scanned < offset and strings is not None:
            match = next(strings, None)
            if match is None or match.start("t") < 0:
                self._strings = strings = None
                self._scanned = _NOT_SCANNED
                break
            self._string_starts.append(match.start("t"))
            self._string_ends.append(match.end("t"))
            self._scanned = match.end()

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) - 1

    def _string_at(self, offset: int) -> int | None:
        """Index of the triple-quoted string strictly containing offset."""
        self._lex_to(offset)
        index = bisect.bisect_right(self._string_starts, offset) - 1
        if index >= 0 and self._string_starts[index] < offset < self._string_ends[index]:
            return index
        return None

    def in_string(self, line: int) -> bool:
        return self._string_at(self.start_of(line)) is not None

    def in_string_at(self, offset: int) -> bool:
        """Whether a triple-quoted string strictly contains `offset`."""
        if self._strings is None and not self._string_starts:
            return False
        return self._string_at(offset) is not None

    def code(self, line: int) -> str:
        """The line without strings and comments, for bracket counting."""
        cached = self._code.get(line)
        if cached is None:
            cached = self._code[line] = self._strip(line)
        return cached

    def _without_strings(self, begin: int, end: int) -> str:
        """source[begin:end] with the triple-quoted parts overlapping it replaced by ""."""
        self._lex_to(end)
        string_starts = self._string_starts
        string_ends = self._string_ends
        last = bisect.bisect_right(string_starts, end) - 1
        first = last
        while first >= 0 and string_ends[first] > begin:
            first -= 1
        if first == last:
            return self.source[begin:end]
        # Joined once: replacing one string at a time copied a whole chunk per docstring.
        source = self.source
        pieces: list[str] = []
        position = begin
        for index in range(first + 1, last + 1):
            pieces.append(source[position : max(string_starts[index], begin)])
            pieces.append('""')
            position = min(string_ends[index], end)
        pieces.append(source[position:end])
        return "".join(pieces)

    def _strip(self, line: int) -> str:
        start = self.start_of(line)
        end = start + len(self.line_text(line))
        text = self._without_strings(start, end)
        if _has_noise(text):
            return _LINE_NOISE.sub('""', text)
        return text

    def net_brackets(self, line: int) -> int:
        if not _has_bracket(self.line_text(line)):
            # Code is the line with parts replaced by `""`: no bracket in it either.
            return 0
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
        # Without a backslash in the line, its code (parts replaced by `""`) has none.
        return (
            line > 0
            and "\\" in self.line_text(line - 1)
            and self.code(line - 1).rstrip().endswith("\\")
        )

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
            continued = "\\" in self.lines[end] and self.code(end).rstrip().endswith("\\")
            end += 1
            if depth <= 0 and not continued:
                break
        return end

    # -- top-level statements ------------------------------------------------------------

    def top_statement_start(self, line: int) -> bool:
        text = self.lines[line]
        if not text or text[0] in " \t\f#)]}" or not self.is_code(line):
            return False
        return first_word(text) not in CLAUSES and not self.continues_previous(line)

    def chunk_start(self, line: int) -> int:
        """First line of the top-level statement that contains `line`."""
        current = line
        while current > 0:
            if self.top_statement_start(current):
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
            if depth <= 0 and self.top_statement_start(line):
                return line

    def _net_between(self, begin: int, end: int) -> int:
        """Open minus closed brackets in source[begin:end], outside strings and comments."""
        code = _LINE_NOISE.sub('""', self._without_strings(begin, end))
        opens = code.count("(") + code.count("[") + code.count("{")
        return opens - code.count(")") - code.count("]") - code.count("}")

    def text(self, start: int, end: int) -> str:
        return "\n".join(self.lines[start:end])

    def ends_with_colon(self, line: int) -> bool:
        """Whether the code of `line` (comments and strings aside) ends with a colon."""
        start = self.starts[line]
        text = self._without_strings(start, start + len(self.lines[line]))
        if _has_noise(text):
            text = _LINE_NOISE.sub(_drop_comment, text)
        return text.rstrip().endswith(":")


def _has_noise(text: str) -> bool:
    """Whether _LINE_NOISE can match in `text` (a comment or a quote)."""
    return "#" in text or '"' in text or "'" in text


def _has_bracket(text: str) -> bool:
    return "(" in text or ")" in text or "[" in text or "]" in text or "{" in text or "}" in text


def _drop_comment(match: re.Match[str]) -> str:
    text = match.group(0)
    return "" if text.startswith("#") else '""'
