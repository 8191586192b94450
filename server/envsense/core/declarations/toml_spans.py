"""Positions of values in TOML text, which tomllib doesn't give.

Runs only on text tomllib already accepted, so it can be a small structural scanner:
tables, dotted keys, arrays, inline tables and the four string kinds. Every string value is
recorded with its key path (array elements share their array's path) and the span of its
contents; every key with the span from the key to the end of its value.
"""

from __future__ import annotations

import bisect
import re
from collections import deque

from envsense.core.findings import Span

_NEWLINE = re.compile("\n")
_SKIP_LINE = re.compile(r"(?:[ \t]+|#[^\n]*)*")
_SKIP_NEWLINES = re.compile(r"(?:[ \t\r\n]+|#[^\n]*)*")
_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_ESCAPES = {
    "b": "\b",
    "t": "\t",
    "n": "\n",
    "f": "\f",
    "r": "\r",
    '"': '"',
    "\\": "\\",
    "e": "\x1b",
}

KeyPath = tuple[str, ...]


class TomlLocator:
    """Spans of the strings and keys of a valid TOML document.

    `line_offset`/`column_offset` shift every span (TOML embedded in a PEP 723 comment block).
    """

    def __init__(self, text: str, *, line_offset: int = 0, column_offset: int = 0) -> None:
        self.text = text
        self._line_offset = line_offset
        self._column_offset = column_offset
        self._starts = [0, *(match.end() for match in _NEWLINE.finditer(text))]
        # (path, value, content start, content end): spans are made only for strings asked for.
        self.strings: list[tuple[KeyPath, str, int, int]] = []
        self.keys: dict[KeyPath, Span] = {}
        # (path, value) -> spans not yet taken, in file order; built on the first lookup so
        # that n lookups cost O(n), not O(n) each (8,000 dependencies took 12 s).
        self._untaken: dict[tuple[KeyPath, str], deque[tuple[int, int]]] | None = None
        try:
            self._document()
        except (IndexError, ValueError, RecursionError):
            # Spans are a convenience: a construct the scanner doesn't know ends the scan.
            pass

    # -- lookups -------------------------------------------------------------------------

    def take_string(self, path: KeyPath, value: str) -> Span | None:
        """Span of the first not yet taken string `value` under `path` (duplicates in order)."""
        if self._untaken is None:
            self._untaken = {}
            for key_path, text, start, end in self.strings:
                self._untaken.setdefault((key_path, text), deque()).append((start, end))
        offsets = self._untaken.get((path, value))
        return self._span(*offsets.popleft()) if offsets else None

    def key_span(self, path: KeyPath) -> Span | None:
        return self.keys.get(path)

    # -- scanner -------------------------------------------------------------------------

    def _span(self, start: int, end: int) -> Span:
        line = bisect.bisect_right(self._starts, start) - 1
        end_line = bisect.bisect_right(self._starts, end) - 1
        return Span(
            line + self._line_offset,
            start - self._starts[line] + self._column_offset,
            end_line + self._line_offset,
            end - self._starts[end_line] + self._column_offset,
        )

    def _skip(self, i: int, *, newlines: bool) -> int:
        # Blanks and comments in one regex match: a character loop cost seconds per MB.
        match = (_SKIP_NEWLINES if newlines else _SKIP_LINE).match(self.text, i)
        return match.end() if match else i

    def _document(self) -> None:
        text = self.text
        table: KeyPath = ()
        i = 0
        while True:
            i = self._skip(i, newlines=True)
            if i >= len(text):
                return
            if text.startswith("[[", i):
                start = i
                table, i = self._key(self._skip(i + 2, newlines=False))
                i = self._skip(i, newlines=False) + 2
                self.keys.setdefault(table, self._span(start, i))
            elif text[i] == "[":
                start = i
                table, i = self._key(self._skip(i + 1, newlines=False))
                i = self._skip(i, newlines=False) + 1
                self.keys.setdefault(table, self._span(start, i))
            else:
                i = self._pair(i, table)

    def _pair(self, i: int, table: KeyPath) -> int:
        start = i
        key, i = self._key(i)
        i = self._skip(i, newlines=False)
        if self.text[i] != "=":
            raise ValueError("expected '='")
        path = table + key
        end = self._value(self._skip(i + 1, newlines=False), path)
        self.keys.setdefault(path, self._span(start, end))
        return end

    def _key(self, i: int) -> tuple[KeyPath, int]:
        parts: list[str] = []
        text = self.text
        while True:
            i = self._skip(i, newlines=False)
            if text[i] in "\"'":
                value, _, i = self._string(i)
                parts.append(value)
            else:
                start = i
                while i < len(text) and text[i] in _BARE:
                    i += 1
                if i == start:
                    raise ValueError("expected a key")
                parts.append(text[start:i])
            i = self._skip(i, newlines=False)
            if i < len(text) and text[i] == ".":
                i += 1
                continue
            return tuple(parts), i

    def _value(self, i: int, path: KeyPath) -> int:
        text = self.text
        char = text[i]
        if char in "\"'":
            value, (start, end), i = self._string(i)
            self.strings.append((path, value, start, end))
            return i
        if char == "[":
            i += 1
            while True:
                i = self._skip(i, newlines=True)
                if text[i] == "]":
                    return i + 1
                i = self._value(i, path)
                i = self._skip(i, newlines=True)
                if text[i] == ",":
                    i += 1
        if char == "{":
            i += 1
            while True:
                i = self._skip(i, newlines=True)
                if text[i] == "}":
                    return i + 1
                i = self._pair(i, path)
                i = self._skip(i, newlines=True)
                if text[i] == ",":
                    i += 1
        while i < len(text) and text[i] not in ",]}\n#":
            i += 1
        # Back over trailing blanks without copying the text before them (that was O(n) each).
        while i > 0 and text[i - 1] in " \t\r":
            i -= 1
        return i

    def _string(self, i: int) -> tuple[str, tuple[int, int], int]:
        """(decoded value, (content start, content end), index after the closing quote)."""
        text = self.text
        quote = text[i]
        multi = text.startswith(quote * 3, i)
        delimiter = quote * 3 if multi else quote
        start = i + len(delimiter)
        if not multi:
            # Most strings have no escapes: find the closing quote, no character loop.
            end = text.find(quote, start)
            if (
                end >= 0
                and "\n" not in text[start:end]
                and (quote == "'" or "\\" not in text[start:end])
            ):
                return text[start:end], (start, end), end + 1
        j = start
        chunks: list[str] = []
        while True:
            if text.startswith(delimiter, j):
                # `""""` ends a multi-line string with a quote inside it.
                while multi and text.startswith(delimiter + quote, j):
                    chunks.append(quote)
                    j += 1
                break
            char = text[j]
            if quote == '"' and char == "\\":
                j = self._escape(j, chunks, multi)
                continue
            chunks.append(char)
            j += 1
        value = "".join(chunks)
        if multi and value.startswith(("\r\n", "\n")):
            value = value[2:] if value.startswith("\r\n") else value[1:]
        return value, (start, j), j + len(delimiter)

    def _escape(self, j: int, chunks: list[str], multi: bool) -> int:
        text = self.text
        code = text[j + 1]
        if code in _ESCAPES:
            chunks.append(_ESCAPES[code])
            return j + 2
        if code in "uU":
            size = 4 if code == "u" else 8
            chunks.append(chr(int(text[j + 2 : j + 2 + size], 16)))
            return j + 2 + size
        if multi:
            # Line-ending backslash: the newline and following whitespace vanish.
            j += 1
            while j < len(text) and text[j] in " \t\r\n":
                j += 1
            return j
        raise ValueError("bad escape")
