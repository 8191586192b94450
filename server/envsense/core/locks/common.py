"""Shared by the lock readers: bounded reads, entry positions, and problems."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from envsense.core.declarations.common import toml_problem
from envsense.core.declarations.records import ManifestProblem
from envsense.core.findings import Span
from envsense.core.safe_read import read_bytes
from envsense.core.toml_compat import TOMLDecodeError, loads_toml

# A lock of a few thousand packages with every wheel's hash is a few megabytes; anything
# far past that is not a lock someone keeps in a repository, and reading it would stall.
MAX_LOCK_BYTES = 32 * 1024 * 1024


class LockReadError(Exception):
    """The lock's structure is not what its format says; the message names what."""


def read_lock_text(path: Path) -> str:
    """The file's text, at most MAX_LOCK_BYTES; raises OSError or ValueError (too big, not UTF-8)."""
    data = read_bytes(path, MAX_LOCK_BYTES + 1, truncate=True)
    if len(data) > MAX_LOCK_BYTES:
        raise ValueError(f"larger than {MAX_LOCK_BYTES // (1024 * 1024)} MB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"not UTF-8 ({error.reason} at byte {error.start})") from error


def problem(path: Path, message: str, span: Span | None = None) -> ManifestProblem:
    return ManifestProblem(path, f"{path.name}: {message}", span or Span(0, 0, 0, 0))


# The artifact lists of uv.lock (`wheels = [`), poetry.lock and pdm.lock (`files = [`), one
# table per line: nine tenths of a real lock, and nothing the comparison reads.
_ARTIFACTS = re.compile(r"^(wheels|files) = \[\n(?:[ \t]+\{[^\n]*\n)*\]$", re.MULTILINE)
# uv.lock's one-line `sdist = { url = ..., hash = ..., size = ... }`.
_SDIST = re.compile(r"^sdist = \{[^\n]*\}$", re.MULTILINE)


def _without_artifacts(text: str, sdist: bool) -> str:
    """`text` with every machine-written artifact list emptied. Lines go away with them:
    entry spans come from the original text, and a parse error is located by parsing it."""
    text = _ARTIFACTS.sub(r"\1 = []", text)
    return _SDIST.sub("sdist = {}", text) if sdist else text


def load_toml_lock(
    path: Path, text: str, *, drop_sdist: bool = False
) -> dict[str, Any] | ManifestProblem:
    """The lock's TOML, parsed without its artifact lists (a 1.4 MB uv.lock parses in a
    fraction of the time); when that fails the whole text is parsed for the exact error."""
    try:
        return loads_toml(_without_artifacts(text, drop_sdist))
    except TOMLDecodeError:
        pass
    try:
        return loads_toml(text)
    except TOMLDecodeError as error:
        return toml_problem(path, error)


_NAME_LINE = re.compile(r"""^name\s*=\s*["']""")
_VERSION_LINE = re.compile(r"""^version\s*=""")


def entry_spans(text: str, header: str) -> list[Span]:
    """For each `header` table (`[[package]]`) in order, the span of its name/version lines.

    Lock files are machine-written with one key per line, so a line scan is enough and
    keeps a 300-package lock in a few milliseconds; an entry written some other way falls
    back to its header line.
    """
    spans: list[Span] = []
    lines = text.split("\n")
    count = len(lines)
    index = 0
    while index < count:
        if lines[index].strip() != header:
            index += 1
            continue
        start = index
        found: Span | None = None
        index += 1
        while index < count:
            line = lines[index]
            stripped = line.strip()
            if stripped.startswith("["):
                break
            if _NAME_LINE.match(stripped):
                end_line = index
                if index + 1 < count and _VERSION_LINE.match(lines[index + 1].strip()):
                    end_line = index + 1
                end_text = lines[end_line].rstrip("\r")
                found = Span(index, 0, end_line, len(end_text))
                index += 1
                break
            index += 1
        if found is None:
            found = Span.whole_line(start, len(lines[start].rstrip("\r")))
        spans.append(found)
    return spans


def span_at(spans: list[Span], index: int) -> Span:
    return spans[index] if index < len(spans) else Span(0, 0, 0, 0)


def as_list(value: object, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise LockReadError(f"{what} must be a list")
    return value


def as_table(value: object, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise LockReadError(f"{what} must be a table")
    return value


def text_of(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise LockReadError(f"{what} must be a non-empty string")
    return value


def optional_text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
