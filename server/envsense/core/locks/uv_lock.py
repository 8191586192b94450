"""uv.lock: a universal lock with the whole dependency graph and the project's own metadata."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
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
    DeclaredInLock,
    LockedEdge,
    LockedPackage,
    LockedSource,
    LockFile,
    SourceKind,
    parse_marker,
)

_SOURCE_KINDS: tuple[SourceKind, ...] = (
    "registry", "git", "url", "path", "directory", "editable", "virtual",
)  # fmt: skip


def parse_uv_lock(path: Path, text: str) -> LockFile:
    """The packages of a uv.lock; a malformed one gives a LockFile with `problem` set."""
    data = load_toml_lock(path, text, drop_sdist=True)
    if not isinstance(data, dict):
        return LockFile(path, "uv", "uv", problem=data)
    try:
        # uv before 0.3 wrote `[[distribution]]` tables where it now writes `[[package]]`.
        key = "distribution" if "package" not in data and "distribution" in data else "package"
        spans = entry_spans(text, f"[[{key}]]")
        entries = as_list(data.get(key), key)
        packages = tuple(_package(entry, span_at(spans, i), i) for i, entry in enumerate(entries))
        manifest = as_table(data.get("manifest"), "manifest")
        members = tuple(
            canonicalize_name(m)
            for m in as_list(manifest.get("members"), "manifest.members")
            if isinstance(m, str)
        )
    except LockReadError as error:
        return LockFile(path, "uv", "uv", problem=problem(path, f"not a valid uv.lock: {error}"))
    return LockFile(path, "uv", "uv", packages=packages, members=members)


def _package(entry: Any, span: Any, index: int) -> LockedPackage:
    where = f"package #{index + 1}"
    table = as_table(entry, where)
    name = text_of(table.get("name"), f"{where}.name")
    extras = tuple(
        (extra, _edges(edges, f"{name} optional-dependencies"))
        for extra, edges in as_table(table.get("optional-dependencies"), name).items()
    )
    groups = tuple(
        (group, _edges(edges, f"{name} dev-dependencies"))
        for group, edges in as_table(table.get("dev-dependencies"), name).items()
    )
    return LockedPackage(
        name=name,
        version=optional_text(table.get("version")),
        span=span,
        dependencies=_edges(table.get("dependencies"), f"{name} dependencies"),
        extras=extras,
        groups=groups,
        source=_source(table.get("source")),
        requires=_requires(table.get("metadata")),
    )


def _edges(value: Any, what: str) -> tuple[LockedEdge, ...]:
    edges: list[LockedEdge] = []
    for item in as_list(value, what):
        table = as_table(item, what)
        extra = table.get("extra", ())
        edges.append(
            LockedEdge(
                name=canonicalize_name(text_of(table.get("name"), f"{what} name")),
                marker=parse_marker(table.get("marker")),
                extras=tuple(e for e in extra if isinstance(e, str))
                if isinstance(extra, list)
                else (),
                version=optional_text(table.get("version")),
            )
        )
    return tuple(edges)


def _source(value: Any) -> LockedSource | None:
    if not isinstance(value, dict):
        return None
    for kind in _SOURCE_KINDS:
        if kind in value:
            location = value[kind]
            return LockedSource(kind, location if isinstance(location, str) else None)
    return LockedSource("unknown")


def _requires(value: Any) -> tuple[DeclaredInLock, ...] | None:
    """[package.metadata] requires-dist and requires-dev: what the project declared."""
    if not isinstance(value, dict):
        return None
    found: list[DeclaredInLock] = []
    for item in (
        value.get("requires-dist", []) if isinstance(value.get("requires-dist"), list) else []
    ):
        declared = _declared(item, "main")
        if declared is not None:
            found.append(declared)
    dev = value.get("requires-dev")
    if isinstance(dev, dict):
        for group, items in dev.items():
            for item in items if isinstance(items, list) else []:
                declared = _declared(item, canonicalize_name(group))
                if declared is not None:
                    found.append(declared)
    return tuple(found)


def _declared(item: Any, group: str) -> DeclaredInLock | None:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        return None
    try:
        specifier = SpecifierSet(item.get("specifier") or "")
    except InvalidSpecifier:
        specifier = SpecifierSet()
    marker = item.get("marker")
    if group == "main" and isinstance(marker, str) and "extra ==" in marker:
        extra = marker.split("extra ==", 1)[1].strip().strip("'\"").split("'")[0].split('"')[0]
        group = f"optional:{canonicalize_name(extra)}"
    return DeclaredInLock(canonicalize_name(item["name"]), specifier, group)
