"""poetry.lock: packages with their groups and markers (lock-version 2.1), or categories (1.x)."""

from __future__ import annotations

import hashlib
import json
import re
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

_HEADER_VERSION = re.compile(r"Poetry ([0-9][^ ]*)")
_SOURCE_KINDS = {"legacy": "registry", "git": "git", "url": "url", "file": "path",
                 "directory": "directory"}  # fmt: skip


def parse_poetry_lock(path: Path, text: str) -> LockFile:
    """The packages of a poetry.lock; a malformed one gives a LockFile with `problem` set."""
    data = load_toml_lock(path, text)
    if not isinstance(data, dict):
        return LockFile(path, "poetry", "poetry", problem=data)
    header = _HEADER_VERSION.search(text.split("\n", 1)[0])
    try:
        spans = entry_spans(text, "[[package]]")
        entries = as_list(data.get("package"), "package")
        packages = tuple(_package(entry, span_at(spans, i), i) for i, entry in enumerate(entries))
        metadata = as_table(data.get("metadata"), "metadata")
    except LockReadError as error:
        return LockFile(
            path, "poetry", "poetry", problem=problem(path, f"not a valid poetry.lock: {error}")
        )
    return LockFile(
        path,
        "poetry",
        "poetry",
        packages=packages,
        content_hash=optional_text(metadata.get("content-hash")),
        tool_version=header.group(1) if header else None,
    )


def _package(entry: Any, span: Any, index: int) -> LockedPackage:
    where = f"package #{index + 1}"
    table = as_table(entry, where)
    name = text_of(table.get("name"), f"{where}.name")
    groups = table.get("groups")
    member_of: tuple[str, ...] | None = None
    if isinstance(groups, list):
        member_of = tuple(canonicalize_name(g) for g in groups if isinstance(g, str))
    elif isinstance(table.get("category"), str):
        member_of = (canonicalize_name(table["category"]),)
    markers = table.get("markers")
    marker = parse_marker(markers) if isinstance(markers, str) else None
    group_markers: tuple[tuple[str, Any], ...] = ()
    if isinstance(markers, dict):
        group_markers = tuple(
            (canonicalize_name(g), parse_marker(m))
            for g, m in markers.items()
            if isinstance(g, str)
        )
    extras = tuple(
        (extra, tuple(_extra_edge(text) for text in as_list(items, f"{name} extras")
                      if isinstance(text, str)))
        for extra, items in as_table(table.get("extras"), f"{name} extras").items()
    )  # fmt: skip
    return LockedPackage(
        name=name,
        version=optional_text(table.get("version")),
        span=span,
        dependencies=_dependencies(as_table(table.get("dependencies"), f"{name} dependencies")),
        extras=extras,
        marker=marker,
        group_markers=group_markers,
        member_of=member_of,
        optional=table.get("optional") is True,
        source=_source(table.get("source")),
    )


def _dependencies(table: dict[str, Any]) -> tuple[LockedEdge, ...]:
    edges: list[LockedEdge] = []
    for name, spec in table.items():
        canonical = canonicalize_name(name)
        for item in spec if isinstance(spec, list) else [spec]:
            if isinstance(item, dict):
                extras = item.get("extras")
                edges.append(
                    LockedEdge(
                        canonical,
                        marker=parse_marker(item.get("markers")),
                        extras=tuple(e for e in extras if isinstance(e, str))
                        if isinstance(extras, list)
                        else (),
                        optional=item.get("optional") is True,
                    )
                )
            else:
                edges.append(LockedEdge(canonical))
    return tuple(edges)


def _extra_edge(text: str) -> LockedEdge:
    """`PySocks (>=1.5.6,!=1.5.7)` or `idna ; python_version < "3.8"` as an edge."""
    head = re.sub(r"\s*\(.*?\)", "", text)
    try:
        requirement = Requirement(head)
        return LockedEdge(canonicalize_name(requirement.name), marker=requirement.marker)
    except InvalidRequirement:
        return LockedEdge(
            canonicalize_name(re.split(r"[\s;(\[<>=!~]", text.strip(), maxsplit=1)[0])
        )


def _source(value: Any) -> LockedSource | None:
    if not isinstance(value, dict):
        return None
    kind = _SOURCE_KINDS.get(str(value.get("type")), "unknown")
    return LockedSource(kind, optional_text(value.get("url")))  # type: ignore[arg-type]


# -- freshness (poetry's own rule: a sha256 of the relevant pyproject content) ------------

_LEGACY_KEYS = ("dependencies", "source", "extras", "dev-dependencies")
_RELEVANT_KEYS = (*_LEGACY_KEYS, "group")
_RELEVANT_PROJECT_KEYS = ("requires-python", "dependencies", "optional-dependencies")


def poetry_content_hashes(pyproject: dict[str, Any]) -> tuple[str, str]:
    """The content-hash poetry writes for this pyproject, with and without dependency groups
    (poetry before 2.3 left [dependency-groups] out; both count as fresh)."""
    return _content_hash(pyproject, True), _content_hash(pyproject, False)


def _content_hash(pyproject: dict[str, Any], with_groups: bool) -> str:
    project = pyproject.get("project") if isinstance(pyproject.get("project"), dict) else {}
    assert isinstance(project, dict)
    groups = pyproject.get("dependency-groups", {}) if with_groups else {}
    tool = pyproject.get("tool") if isinstance(pyproject.get("tool"), dict) else {}
    assert isinstance(tool, dict)
    poetry = tool.get("poetry") if isinstance(tool.get("poetry"), dict) else {}
    assert isinstance(poetry, dict)
    relevant_project = {k: project[k] for k in _RELEVANT_PROJECT_KEYS if project.get(k) is not None}
    relevant_poetry: dict[str, Any] = {}
    for key in _RELEVANT_KEYS:
        value = poetry.get(key)
        if value is None and (key not in _LEGACY_KEYS or relevant_project or groups):
            continue
        relevant_poetry[key] = value
    content: dict[str, Any] = {}
    if relevant_project:
        content["project"] = relevant_project
    if groups:
        content["dependency-groups"] = groups
    if content:
        content["tool"] = {"poetry": relevant_poetry}
    else:
        content = relevant_poetry
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
