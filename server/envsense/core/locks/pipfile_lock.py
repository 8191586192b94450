"""Pipfile.lock: JSON with flat `default` and `develop` sections (pipenv locks for one platform)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from envsense.core.findings import Span
from envsense.core.locks.common import problem
from envsense.core.locks.records import LockedPackage, LockedSource, LockFile, parse_marker

SECTIONS = ("default", "develop")
_SECTION = re.compile(r'^\s{0,8}"(default|develop)"\s*:\s*\{')
_ENTRY = re.compile(r'^(\s*)"([^"]+)"\s*:\s*\{')


def parse_pipfile_lock(path: Path, text: str) -> LockFile:
    """The packages of a Pipfile.lock; a malformed one gives a LockFile with `problem` set."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        span = Span(error.lineno - 1, max(error.colno - 1, 0), error.lineno - 1, error.colno)
        message = f"invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        return LockFile(path, "pipfile", "pipenv", problem=problem(path, message, span))
    if not isinstance(data, dict):
        return LockFile(path, "pipfile", "pipenv", problem=problem(path, "not a JSON object"))
    spans = _entry_spans(text)
    packages: list[LockedPackage] = []
    for section in SECTIONS:
        entries = data.get(section, {})
        if not isinstance(entries, dict):
            message = f"'{section}' must be an object"
            return LockFile(path, "pipfile", "pipenv", problem=problem(path, message))
        for name, entry in entries.items():
            if not isinstance(entry, dict):
                continue
            packages.append(_package(name, entry, section, spans.get((section, name))))
    meta = data.get("_meta") if isinstance(data.get("_meta"), dict) else {}
    assert isinstance(meta, dict)
    sources = meta.get("sources") if isinstance(meta.get("sources"), list) else []
    assert isinstance(sources, list)
    indexes = tuple(
        s["url"] for s in sources if isinstance(s, dict) and isinstance(s.get("url"), str)
    )
    digest = meta.get("hash", {}).get("sha256") if isinstance(meta.get("hash"), dict) else None
    return LockFile(
        path,
        "pipfile",
        "pipenv",
        packages=tuple(packages),
        content_hash=digest if isinstance(digest, str) else None,
        indexes=indexes,
    )


def _package(name: str, entry: dict[str, Any], section: str, span: Span | None) -> LockedPackage:
    version = entry.get("version")
    pinned = version[2:] if isinstance(version, str) and version.startswith("==") else None
    source: LockedSource | None = None
    if isinstance(entry.get("git"), str):
        source = LockedSource("git", entry["git"])
    elif isinstance(entry.get("file"), str):
        source = LockedSource("url", entry["file"])
    elif isinstance(entry.get("path"), str):
        kind = "editable" if entry.get("editable") is True else "path"
        source = LockedSource(kind, entry["path"])  # type: ignore[arg-type]
    elif isinstance(entry.get("index"), str):
        source = LockedSource("registry", entry["index"])
    return LockedPackage(
        name=name,
        version=pinned,
        span=span or Span(0, 0, 0, 0),
        marker=parse_marker(entry.get("markers")),
        member_of=(section,),
        source=source,
    )


def _entry_spans(text: str) -> dict[tuple[str, str], Span]:
    """(section, name) -> span of the entry's key line (pipenv writes one key per line)."""
    spans: dict[tuple[str, str], Span] = {}
    section: str | None = None
    depth_indent: int | None = None
    for number, line in enumerate(text.split("\n")):
        head = _SECTION.match(line)
        if head is not None:
            section = head.group(1)
            depth_indent = None
            continue
        if section is None:
            continue
        entry = _ENTRY.match(line)
        if entry is None:
            continue
        indent = len(entry.group(1))
        if depth_indent is None:
            depth_indent = indent
        if indent == depth_indent:
            stripped = line.rstrip("\r")
            spans.setdefault((section, entry.group(2)), Span(number, indent, number, len(stripped)))
    return spans
