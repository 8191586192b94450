"""Where an open document's strings, comments and brackets are, line by line, kept across edits.

What an edit of an open document is judged by (core/imports/incremental.py): whether a
line starts inside a triple-quoted string, inside brackets or after a `\\` break, and
which string or comment an offset is in. Read once per text (one regex pass), then moved
along with edits that can't change it.
"""

from __future__ import annotations

import bisect
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass

# A logical statement longer than this is not looked for (the caller scans in full).
MAX_STATEMENT_LINES = 400

# Possessive repeats where Python has them (3.11+): no backtracking state per character.
_REPEAT = "*+" if sys.version_info >= (3, 11) else "*"
# Strings, comments, brackets and `\` line breaks; the lookahead lets the engine skip
# every other character fast (10x on real files).
_TOKENS = re.compile(
    r"""(?=[#"'()\[\]{}\\])(?:(?P<c>\#[^\n]*)
    | (?P<t>\"\"\"(?:[^"\\]+|\\.|"(?!""))"""
    + _REPEAT
    + r"""(?:\"\"\"|\Z)
      | '''(?:[^'\\]+|\\.|'(?!''))"""
    + _REPEAT
    + r"""(?:'''|\Z))
    | (?P<s>"(?:[^"\\\n]+|\\.)"""
    + _REPEAT
    + r""""?
      | '(?:[^'\\\n]+|\\.)"""
    + _REPEAT
    + r"""'?)
    | (?P<b>[()\[\]{}])
    | (?P<k>\\\n))""",
    re.S | re.X,
)
_OPEN = frozenset("([{")
_IDENT = re.compile(r"\w*")


@dataclass(frozen=True, slots=True)
class Token:
    start: int
    end: int
    # "c" comment, "t" triple-quoted string, "s" one-line string
    kind: str


class EditLayout:
    """Where a source's strings and comments are, and per line whether it starts inside
    a triple-quoted string, inside brackets, or after a `\\` continuation."""

    def __init__(self, text: str) -> None:
        self.starts = [0]
        index = text.find("\n")
        while index != -1:
            self.starts.append(index + 1)
            index = text.find("\n", index + 1)
        self.tokens: list[Token] = []
        # per line: bracket depth at its start, starts inside a triple string, continued
        count = len(self.starts)
        self.depth = [0] * count
        self.inside = [False] * count
        self.continued = [False] * count
        depth = 0
        line = 0
        for match in _TOKENS.finditer(text):
            kind = match.lastgroup
            start = match.start()
            # Lines wholly passed since the last token start at the current depth.
            while line + 1 < count and self.starts[line + 1] <= start:
                line += 1
                self.depth[line] = depth
            if kind == "b":
                depth += 1 if match.group() in _OPEN else -1
                continue
            if kind == "k":
                if line + 1 < count:
                    line += 1
                    self.depth[line] = depth
                    self.continued[line] = True
                continue
            end = match.end()
            assert kind is not None
            self.tokens.append(Token(start, end, kind))
            if kind == "t" and (end - start < 6 or text[end - 3 : end] != text[start : start + 3]):
                end += 1  # unterminated: it swallows the end of the file, and what is added there
            # Lines starting inside a string (triple-quoted, or a `\` line break in one).
            while line + 1 < count and self.starts[line + 1] < end:
                line += 1
                self.depth[line] = depth
                self.inside[line] = kind != "c"
        while line + 1 < count:
            line += 1
            self.depth[line] = depth
        self._token_starts = [t.start for t in self.tokens]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) - 1

    def token_at(self, offset: int) -> Token | None:
        """The string or comment around `offset` (an insertion point): strictly inside, or
        at the end of a comment."""
        index = bisect.bisect_right(self._token_starts, offset) - 1
        if index < 0:
            return None
        token = self.tokens[index]
        if token.start < offset < token.end:
            return token
        # A comment runs to the end of its line: text added there is comment too.
        return token if token.kind == "c" and offset == token.end else None

    def statement(self, line: int) -> tuple[int, int] | None:
        """Lines [start, end) of the logical line holding `line`."""
        count = len(self.starts)
        start = line
        while start > 0 and self.joined(start):
            start -= 1
            if line - start > MAX_STATEMENT_LINES:
                return None
        end = line + 1
        while end < count and self.joined(end):
            end += 1
            if end - line > MAX_STATEMENT_LINES:
                return None
        return start, end

    def joined(self, line: int) -> bool:
        """Whether `line` continues the logical line above it."""
        return self.depth[line] > 0 or self.inside[line] or self.continued[line]

    def shifted(self, at: int, delta: int) -> EditLayout:
        """This layout after `delta` characters were inserted (or removed) at `at`,
        inside one line and without changing any token boundary."""
        moved = EditLayout.__new__(EditLayout)
        moved.starts = [s if s <= at else s + delta for s in self.starts]
        moved.tokens = [
            t
            if t.end < at or (t.end == at and t.kind != "c")
            else Token(t.start + delta, t.end + delta, t.kind)
            if t.start >= at
            else Token(t.start, t.end + delta, t.kind)
            for t in self.tokens
        ]
        moved.depth = self.depth
        moved.inside = self.inside
        moved.continued = self.continued
        moved._token_starts = [t.start for t in moved.tokens]
        return moved

    def spliced(self, line: int, removed: str, added: str) -> EditLayout:
        """This layout after whole lines were removed or added before line `line`, where
        no string, comment or `\\` break crosses the edges (as `_line_change` checks)."""
        at = self.starts[line]
        changed = removed or added
        count = changed.count("\n")
        delta = len(added) - len(removed)
        moved = EditLayout.__new__(EditLayout)
        tokens = [t for t in self.tokens if t.end <= at]
        later = [
            Token(t.start + delta, t.end + delta, t.kind)
            for t in self.tokens
            if t.start >= at + len(removed)
        ]
        if removed:
            moved.starts = self.starts[:line] + [s + delta for s in self.starts[line + count :]]
            moved.depth = self.depth[:line] + self.depth[line + count :]
            moved.inside = self.inside[:line] + self.inside[line + count :]
            moved.continued = self.continued[:line] + self.continued[line + count :]
        else:
            piece = EditLayout(added)
            base = self.depth[line]
            moved.starts = (
                self.starts[:line]
                + [s + at for s in piece.starts[:count]]
                + [s + delta for s in self.starts[line:]]
            )
            moved.depth = (
                self.depth[:line] + [d + base for d in piece.depth[:count]] + self.depth[line:]
            )
            moved.inside = self.inside[:line] + piece.inside[:count] + self.inside[line:]
            moved.continued = (
                self.continued[:line] + piece.continued[:count] + self.continued[line:]
            )
            tokens += [Token(t.start + at, t.end + at, t.kind) for t in piece.tokens]
        moved.tokens = tokens + later
        moved._token_starts = [t.start for t in moved.tokens]
        return moved


def text_change(old: str, new: str) -> tuple[int, int, int]:
    """(start, old_end, new_end): old[start:old_end] became new[start:new_end], the rest equal."""
    limit = min(len(old), len(new))
    low, high = 0, limit
    # Longest common prefix by halving (slice comparisons run in C).
    while low < high:
        mid = (low + high + 1) // 2
        if old[low:mid] == new[low:mid]:
            low = mid
        else:
            high = mid - 1
    prefix = low
    low, high = 0, limit - prefix
    while low < high:
        mid = (low + high + 1) // 2
        if old[len(old) - mid : len(old) - low] == new[len(new) - mid : len(new) - low]:
            low = mid
        else:
            high = mid - 1
    return prefix, len(old) - low, len(new) - low


def word_end(text: str, start: int) -> int:
    match = _IDENT.match(text, start)
    return match.end() if match is not None else start


def indent_of(line: str) -> str | None:
    stripped = line.lstrip(" \t\f")
    if not stripped:
        return None  # a blank line: typing on it makes a statement appear
    return line[: len(line) - len(stripped)]


def line_text(text: str, starts: Sequence[int], line: int) -> str:
    end = starts[line + 1] - 1 if line + 1 < len(starts) else len(text)
    return text[starts[line] : end]


def end_offset(starts: Sequence[int], end_line: int, length: int) -> int:
    return starts[end_line] - 1 if end_line < len(starts) else length


def lines_text(text: str, starts: Sequence[int], first: int, last: int) -> str:
    return text[starts[first] : end_offset(starts, last, len(text))]


def only_blank_or_comments(text: str) -> bool:
    return all(not s or s.startswith("#") for s in (x.strip(" \t\f") for x in text.split("\n")))
