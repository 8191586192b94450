"""Where things are in a TOML document's text: table headers, key/value lines, array items.

tomllib gives values but no positions; editing a manifest in place needs offsets, so
this reads just enough TOML syntax (strings, comments, nesting) to find them. Values are
decoded by tomllib itself, so no TOML semantics are re-implemented here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from envsense.core.toml_compat import TOMLDecodeError, loads_toml

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR_END = re.compile(r"[,\]}\s#]")


class TomlLayoutError(ValueError):
    """The text is not TOML this reader can place (its message says where)."""


@dataclass(frozen=True, slots=True)
class Item:
    """One array element: its text span, its value if it is a string, and a comma after it."""

    start: int
    end: int
    value: str | None
    comma_end: int | None  # offset just after the comma that follows it, if any


@dataclass(frozen=True, slots=True)
class Array:
    open: int  # offset of "["
    close: int  # offset of "]"
    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class KeyValue:
    key: tuple[str, ...]
    start: int  # offset of the key's first character
    value_start: int
    value_end: int
    array: Array | None


@dataclass(slots=True)
class Table:
    """A `[header]` (or the root table, name ()) and the key/value lines under it."""

    name: tuple[str, ...]
    header_start: int
    header_end: int
    is_array_item: bool = False
    entries: list[KeyValue] = field(default_factory=list)

    def find(self, key: tuple[str, ...]) -> KeyValue | None:
        return next((kv for kv in self.entries if kv.key == key), None)


def read_layout(text: str) -> list[Table]:
    """All tables in document order; raises TomlLayoutError on text it cannot follow."""
    return _Reader(text).tables()


def line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def line_end(text: str, offset: int) -> int:
    """Offset of the line break ending the line of `offset` (before a \\r), or len(text)."""
    end = text.find("\n", offset)
    end = len(text) if end == -1 else end
    return end - 1 if end > 0 and text[end - 1] == "\r" and end - 1 >= offset else end


def format_key(key: str) -> str:
    """A bare key when TOML allows it, else a basic string."""
    return (
        key
        if _BARE_KEY.fullmatch(key)
        else '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
    )


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, what: str) -> TomlLayoutError:
        line = self.text.count("\n", 0, self.pos) + 1
        return TomlLayoutError(f"line {line}: {what}")

    def tables(self) -> list[Table]:
        tables = [Table((), 0, 0)]
        text = self.text
        while True:
            self.skip_blank(newlines=True)
            if self.pos >= len(text):
                return tables
            start = self.pos
            if text[self.pos] == "[":
                is_array = text.startswith("[[", self.pos)
                self.pos += 2 if is_array else 1
                self.skip_blank(newlines=False)
                name = self.key()
                closing = "]]" if is_array else "]"
                if not text.startswith(closing, self.pos):
                    raise self.fail("table header is not closed")
                self.pos += len(closing)
                tables.append(Table(name, start, self.pos, is_array))
            else:
                key = self.key()
                if not text.startswith("=", self.pos):
                    raise self.fail("expected '=' after a key")
                self.pos += 1
                self.skip_blank(newlines=False)
                value_start = self.pos
                array = self.value()
                tables[-1].entries.append(KeyValue(key, start, value_start, self.pos, array))
            self.skip_blank(newlines=False)
            if self.pos < len(text) and text[self.pos] not in "\r\n":
                raise self.fail("unexpected text after a value")

    def skip_blank(self, *, newlines: bool) -> None:
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char in " \t" or (newlines and char in "\r\n"):
                self.pos += 1
            elif char == "#":
                end = text.find("\n", self.pos)
                self.pos = len(text) if end == -1 else end
            else:
                return

    def key(self) -> tuple[str, ...]:
        parts: list[str] = []
        while True:
            self.skip_blank(newlines=False)
            if self.pos < len(self.text) and self.text[self.pos] in "\"'":
                start = self.pos
                self.string()
                parts.append(_decode(self.text[start : self.pos]))
            else:
                match = _BARE_KEY.match(self.text, self.pos)
                if match is None:
                    raise self.fail("expected a key")
                parts.append(match.group())
                self.pos = match.end()
            self.skip_blank(newlines=False)
            if not self.text.startswith(".", self.pos):
                return tuple(parts)
            self.pos += 1

    def string(self) -> None:
        text = self.text
        quote = text[self.pos]
        if text.startswith(quote * 3, self.pos):
            end = text.find(quote * 3, self.pos + 3)
            if end == -1:
                raise self.fail("multi-line string is not closed")
            end += 3
            while end < len(text) and text[end] == quote:  # up to two quotes end the content
                end += 1
            self.pos = end
            return
        pos = self.pos + 1
        while pos < len(text) and text[pos] != quote and text[pos] != "\n":
            pos += 2 if quote == '"' and text[pos] == "\\" else 1
        if pos >= len(text) or text[pos] != quote:
            raise self.fail("string is not closed")
        self.pos = pos + 1

    def value(self) -> Array | None:
        """Skip one value; arrays are returned with their items' positions."""
        text = self.text
        if self.pos >= len(text):
            raise self.fail("missing value")
        char = text[self.pos]
        if char in "\"'":
            self.string()
            return None
        if char == "[":
            return self.array()
        if char == "{":
            self.pos += 1
            while True:
                self.skip_blank(newlines=True)
                if text.startswith("}", self.pos):
                    self.pos += 1
                    return None
                if text.startswith(",", self.pos):
                    self.pos += 1
                    continue
                self.key()
                if not text.startswith("=", self.pos):
                    raise self.fail("expected '=' in an inline table")
                self.pos += 1
                self.skip_blank(newlines=False)
                self.value()
        match = _SCALAR_END.search(text, self.pos)
        end = len(text) if match is None else match.start()
        if end == self.pos:
            raise self.fail("missing value")
        self.pos = end
        return None

    def array(self) -> Array:
        text = self.text
        open_at = self.pos
        self.pos += 1
        items: list[Item] = []
        while True:
            self.skip_blank(newlines=True)
            if self.pos >= len(text):
                raise self.fail("array is not closed")
            if text[self.pos] == "]":
                close = self.pos
                self.pos += 1
                return Array(open_at, close, tuple(items))
            start = self.pos
            is_string = text[start] in "\"'"
            self.value()
            end = self.pos
            value = _decode(text[start:end]) if is_string else None
            self.skip_blank(newlines=True)
            comma_end = None
            if text.startswith(",", self.pos):
                self.pos += 1
                comma_end = self.pos
            elif not text.startswith("]", self.pos):
                raise self.fail("expected ',' or ']' in an array")
            items.append(Item(start, end, value, comma_end))


def _decode(raw: str) -> str:
    try:
        value = loads_toml(f"v = {raw}")["v"]
    except TOMLDecodeError as error:
        raise TomlLayoutError(f"bad string {raw!r}: {error}") from error
    return str(value)
