"""A requirements file as text and as logical lines, the way pip and uv read it.

Used by requirement_options.py. Only regular files are read (`stat` first, opened
non-blocking), at most MAX_FILE_BYTES; decoded as pip decodes them and as UTF-8; and
split into logical lines under both continuation/comment orders, building only the lines
that can matter (see `logical_lines`).
"""

from __future__ import annotations

import bisect
import codecs
import itertools
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MAX_FILE_BYTES = 5 * 1024 * 1024
_COMMENT = re.compile(r"(^|\s+)#.*$")


@dataclass(frozen=True, slots=True)
class Unreadable:
    reason: str


def read_texts(path: Path) -> list[str] | Unreadable | None:
    """The file's text (each way it may be decoded); None if it does not exist; why not,
    for anything but a regular file."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as error:
        return Unreadable(f"can't be read ({error.strerror or error})")
    except ValueError:  # a NUL byte in the name: pip can't open it either
        return Unreadable("is not a valid file name, so it was not checked")
    if not stat.S_ISREG(info.st_mode):
        return Unreadable("is not a regular file, so it was not checked")
    if info.st_size > MAX_FILE_BYTES:
        return Unreadable(
            f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB, so it was not checked"
        )
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        return Unreadable(f"can't be read ({error.strerror or error})")
    if len(data) > MAX_FILE_BYTES:
        return Unreadable("grew while being read, so it was not checked")
    return _decodings(data)


_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
_CODING = re.compile(rb"coding[:=]\s*([-\w.]+)")


def _decodings(data: bytes) -> list[str]:
    """The text as pip decodes it (BOM, then a `coding:` line) and as UTF-8; both are read.

    The UTF-32 BOMs are tried before UTF-16's, whose BOM is a prefix of UTF-32-LE's. Where
    the two readings differ, both are scanned: line numbers may then repeat, options don't hide.
    """
    texts = [data.decode("utf-8", errors="replace")]
    declared: str | None = None
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            declared = encoding
            data = data[len(bom) :]
            break
    if declared is None:
        for line in data.split(b"\n")[:2]:
            match = _CODING.search(line) if line.lstrip().startswith(b"#") else None
            if match:
                declared = match.group(1).decode("ascii", errors="replace")
                break
    if declared is not None:
        try:
            other = data.decode(declared, errors="replace")
        except LookupError:
            other = None
        if other is not None and other != texts[0]:
            texts.append(other)
    return texts


def logical_lines(text: str) -> list[tuple[int, str]] | None:
    """The union of pip's reading (join, then strip comments) and a strip-then-join one.

    Only the logical lines that can matter are built: those with a physical line where a
    token starts with `-`, `.` or `~`, or with `@`, `://`, `${`, `/` or an inner `\\`,
    together with the lines a trailing backslash joins to them. Everything else is a plain
    requirement line and cannot change a source, and skipping it keeps a 5 MB file of
    short lines well under a second.
    None: more than MAX_OPTION_LINES such lines (the caller refuses to vouch for the file).
    """
    hits = _attention(text)
    if hits is None:
        return None
    if not hits:
        return []
    physical = text.splitlines()
    seen: set[tuple[int, str]] = set()
    result: list[tuple[int, str]] = []
    for start, end in _windows(physical, hits):
        window = physical[start : end + 1]
        for number, line in [*_pip_lines(window), *_simple_lines(window)]:
            line = line.strip()
            key = (number + start, line)
            if line and key not in seen:
                seen.add(key)
                result.append(key)
    result.sort(key=lambda item: item[0])
    return result


MAX_OPTION_LINES = 50_000
# A token starting with `-` (but not a --hash, which hashed lock files have by the
# thousand), `@`, `://`, `${`; and what a local path needs: a slash, a backslash inside a
# line (not the continuation at its end), a token starting with `.` or `~`.
_ATTENTION = re.compile(
    r"(?:^|[\s'\"])-(?!-hash[=\s])|@|://|\$\{|/|\\(?=\S)|(?:^|[\s'\"])[.~]", re.MULTILINE
)


def _attention(text: str) -> list[int] | None:
    """0-based indices (as splitlines counts) of the physical lines worth reading."""
    matches = _ATTENTION.finditer(text)
    first = next(matches, None)
    if first is None:
        return []
    starts = list(itertools.accumulate(map(len, text.splitlines(keepends=True)), initial=0))
    hits: list[int] = []
    for match in itertools.chain((first,), matches):
        # The match's last character is on the line that matters (the separator before a
        # `-` may be the previous line's line break).
        index = bisect.bisect_right(starts, match.end() - 1) - 1
        if not hits or hits[-1] != index:
            hits.append(index)
            if len(hits) > MAX_OPTION_LINES:
                return None
    return hits


def _windows(physical: list[str], hits: list[int]) -> list[tuple[int, int]]:
    """Line ranges around each hit, widened over backslash continuations, merged."""
    windows: list[tuple[int, int]] = []
    last_end = -1
    for index in hits:
        if index <= last_end:
            continue
        start = index
        while start - 1 > last_end and physical[start - 1].endswith("\\"):
            start -= 1
        end = index
        while end + 1 < len(physical) and physical[end].endswith("\\"):
            end += 1
        if windows and start <= last_end + 1 and physical[last_end].endswith("\\"):
            start = windows.pop()[0]
        windows.append((start, end))
        last_end = end
    return windows


def _uncomment(line: str) -> str:
    return _COMMENT.sub("", line) if "#" in line else line


def _is_comment(line: str) -> bool:
    return "#" in line and _COMMENT.match(line) is not None


def _pip_lines(physical: list[str]) -> Iterator[tuple[int, str]]:
    """pip's join_lines + ignore_comments, line for line."""
    pending: list[str] = []
    first = 0
    for number, line in enumerate(physical, start=1):
        if not line.endswith("\\") or _is_comment(line):
            if _is_comment(line):
                line = " " + line
            if pending:
                pending.append(line)
                yield first, _uncomment("".join(pending))
                pending = []
            else:
                yield number, _uncomment(line)
        else:
            if not pending:
                first = number
            pending.append(line.strip("\\"))
    if pending:
        yield first, _uncomment("".join(pending))


def _simple_lines(physical: list[str]) -> Iterator[tuple[int, str]]:
    """Comments first, then continuations (how uv's reader and most humans read it)."""
    pending = ""
    first = 0
    for number, raw in enumerate(physical, start=1):
        line = _uncomment(raw)
        if not pending:
            first = number
        if line.endswith("\\"):
            pending += line[:-1]
            continue
        yield first, pending + line
        pending = ""
    if pending:
        yield first, pending
