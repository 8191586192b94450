"""pdm.lock: packages with groups and (lock_version 4.4+) their own markers; deps as PEP 508."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
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
from envsense.core.locks.records import (
    LockedEdge,
    LockedPackage,
    LockedSource,
    LockFile,
    parse_marker,
)


def parse_pdm_lock(path: Path, text: str) -> LockFile:
    """The packages of a pdm.lock; a malformed one gives a LockFile with `problem` set."""
    data = load_toml_lock(path, text)
    if not isinstance(data, dict):
        return LockFile(path, "pdm", "pdm", problem=data)
    try:
        spans = entry_spans(text, "[[package]]")
        entries = as_list(data.get("package"), "package")
        packages = tuple(_package(entry, span_at(spans, i), i) for i, entry in enumerate(entries))
        metadata = as_table(data.get("metadata"), "metadata")
        groups = tuple(
            canonicalize_name(g)
            for g in as_list(metadata.get("groups"), "metadata.groups")
            if isinstance(g, str)
        )
    except LockReadError as error:
        return LockFile(path, "pdm", "pdm", problem=problem(path, f"not a valid pdm.lock: {error}"))
    return LockFile(
        path,
        "pdm",
        "pdm",
        packages=packages,
        content_hash=optional_text(metadata.get("content_hash")),
        default_groups=groups,
    )


def _package(entry: Any, span: Any, index: int) -> LockedPackage:
    where = f"package #{index + 1}"
    table = as_table(entry, where)
    name = text_of(table.get("name"), f"{where}.name")
    groups = table.get("groups")
    extras = table.get("extras")
    source: LockedSource | None = None
    for kind, key in (("git", "git"), ("url", "url"), ("path", "path")):
        if isinstance(table.get(key), str):
            source = LockedSource(kind, table[key])  # type: ignore[arg-type]
            break
    if source is not None and table.get("editable") is True:
        source = LockedSource("editable", source.location)
    return LockedPackage(
        name=name,
        version=optional_text(table.get("version")),
        span=span,
        dependencies=tuple(
            _edge(text)
            for text in as_list(table.get("dependencies"), f"{name} dependencies")
            if isinstance(text, str)
        ),
        marker=parse_marker(table.get("marker")),
        member_of=tuple(canonicalize_name(g) for g in groups if isinstance(g, str))
        if isinstance(groups, list)
        else None,
        source=source,
        entry_extras=tuple(canonicalize_name(e) for e in extras if isinstance(e, str))
        if isinstance(extras, list)
        else (),
    )


def _edge(text: str) -> LockedEdge:
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        head = text.strip().split(";", 1)[0]
        for stop in "[<>=!~ @":
            head = head.split(stop, 1)[0]
        return LockedEdge(canonicalize_name(head))
    return LockedEdge(
        canonicalize_name(requirement.name),
        marker=requirement.marker,
        extras=tuple(sorted(requirement.extras)),
    )
