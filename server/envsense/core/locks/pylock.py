"""pylock.toml / pylock.<name>.toml (PEP 751): a flat list of packages, each with its marker."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from envsense.core.locks.common import (
    LockReadError,
    as_list,
    as_table,
    entry_spans,
    load_toml_lock,
    optional_text,
    problem,
    span_at,
    text_of,
)
from envsense.core.locks.records import LockedPackage, LockedSource, LockFile, parse_marker

_NAME = re.compile(r"^pylock\.([^.]+\.)?toml$")


def is_pylock_name(name: str) -> bool:
    """`pylock.toml` or `pylock.<identifier>.toml`, as PEP 751 names them."""
    return _NAME.match(name) is not None


def parse_pylock(path: Path, text: str) -> LockFile:
    """The packages of a PEP 751 lock; a malformed one gives a LockFile with `problem` set."""
    data = load_toml_lock(path, text)
    if not isinstance(data, dict):
        return LockFile(path, "pylock", "pylock", problem=data)
    created_by = optional_text(data.get("created-by")) or "pylock"
    try:
        if not isinstance(data.get("lock-version"), str):
            raise LockReadError("lock-version is missing")
        spans = entry_spans(text, "[[packages]]")
        entries = as_list(data.get("packages"), "packages")
        packages = tuple(_package(entry, span_at(spans, i), i) for i, entry in enumerate(entries))
        groups = tuple(
            canonicalize_name(g)
            for g in as_list(data.get("default-groups"), "default-groups")
            if isinstance(g, str)
        )
    except LockReadError as error:
        message = f"not a valid PEP 751 lock: {error}"
        return LockFile(path, "pylock", created_by, problem=problem(path, message))
    indexes = tuple(dict.fromkeys(p.source.location for p in packages
                                  if p.source and p.source.kind == "registry" and p.source.location))  # fmt: skip
    return LockFile(
        path, "pylock", created_by, packages=packages, default_groups=groups, indexes=indexes
    )


def _package(entry: Any, span: Any, index: int) -> LockedPackage:
    where = f"packages #{index + 1}"
    table = as_table(entry, where)
    name = text_of(table.get("name"), f"{where}.name")
    return LockedPackage(
        name=name,
        version=optional_text(table.get("version")),
        span=span,
        marker=parse_marker(table.get("marker")),
        source=_source(table),
    )


def _source(table: dict[str, Any]) -> LockedSource | None:
    vcs = table.get("vcs")
    if isinstance(vcs, dict):
        return LockedSource("git", optional_text(vcs.get("url")) or optional_text(vcs.get("path")))
    directory = table.get("directory")
    if isinstance(directory, dict):
        kind = "editable" if directory.get("editable") is True else "directory"
        return LockedSource(kind, optional_text(directory.get("path")))  # type: ignore[arg-type]
    archive = table.get("archive")
    if isinstance(archive, dict):
        url = optional_text(archive.get("url"))
        return LockedSource("url" if url else "path", url or optional_text(archive.get("path")))
    if isinstance(table.get("index"), str):
        return LockedSource("registry", table["index"])
    for key in ("sdist",):
        item = table.get(key)
        if isinstance(item, dict) and isinstance(item.get("url"), str):
            return LockedSource("url", item["url"])
    wheels = table.get("wheels")
    if isinstance(wheels, list) and wheels and isinstance(wheels[0], dict):
        url = optional_text(wheels[0].get("url")) or optional_text(wheels[0].get("path"))
        return LockedSource("url", url)
    return None
