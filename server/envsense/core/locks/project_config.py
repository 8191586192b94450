"""What a project's pyproject.toml says about which locked groups a plain sync installs."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from envsense.core.declarations import Declarations
from envsense.core.locks.records import LockedEdge
from envsense.core.safe_read import read_bytes
from envsense.core.toml_compat import TOMLDecodeError, loads_toml

MAX_PYPROJECT_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ProjectConfig:
    """The project's name, its group settings, and the requirements a walk starts from."""

    name: str | None = None
    # The project's folder (a uv workspace member's, not the workspace root's).
    root: Path | None = None
    # uv's default-groups ("all" means every group); uv syncs `dev` unless told otherwise.
    uv_default_groups: tuple[str, ...] | None = ("dev",)
    poetry_optional_groups: frozenset[str] = frozenset()
    # Groups pdm installs besides `default`: its dev-dependencies and PEP 735 groups.
    dev_groups: frozenset[str] = frozenset()
    # Declared requirements a plain sync installs (no extras, no optional groups).
    roots: tuple[LockedEdge, ...] = ()
    pyproject: Mapping[str, Any] = field(default_factory=dict)


def project_config(root: Path, declarations: Declarations) -> ProjectConfig:
    """Read `root`/pyproject.toml (cached by stat) and combine it with the declarations."""
    data = _pyproject(root / "pyproject.toml")
    tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
    assert isinstance(tool, dict)
    uv = tool.get("uv") if isinstance(tool.get("uv"), dict) else {}
    assert isinstance(uv, dict)
    defaults = uv.get("default-groups", ["dev"])
    uv_groups: tuple[str, ...] | None
    if defaults == "all":
        uv_groups = None
    elif isinstance(defaults, list):
        uv_groups = tuple(canonicalize_name(g) for g in defaults if isinstance(g, str))
    else:
        uv_groups = ("dev",)
    poetry = tool.get("poetry") if isinstance(tool.get("poetry"), dict) else {}
    assert isinstance(poetry, dict)
    optional: set[str] = set()
    groups = poetry.get("group")
    if isinstance(groups, dict):
        for name, body in groups.items():
            if isinstance(body, dict) and body.get("optional") is True:
                optional.add(canonicalize_name(name))
    dev: set[str] = set()
    pdm = tool.get("pdm") if isinstance(tool.get("pdm"), dict) else {}
    assert isinstance(pdm, dict)
    for table in (pdm.get("dev-dependencies"), data.get("dependency-groups")):
        if isinstance(table, dict):
            dev.update(canonicalize_name(g) for g in table if isinstance(g, str))
    return ProjectConfig(
        name=declarations.project_name,
        root=root,
        uv_default_groups=uv_groups,
        poetry_optional_groups=frozenset(optional),
        dev_groups=frozenset(dev),
        roots=_roots(declarations, root, frozenset(optional)),
        pyproject=data,
    )


def _roots(
    declarations: Declarations, root: Path, optional_groups: frozenset[str]
) -> tuple[LockedEdge, ...]:
    edges: list[LockedEdge] = []
    for declared in declarations.requirements:
        requirement = declared.requirement
        if requirement is None or not declared.canonical or declared.manifest.parent != root:
            continue
        group = declared.group
        if group.startswith("optional:"):
            continue
        if group.startswith("poetry:") and canonicalize_name(group[7:]) in optional_groups:
            continue
        edges.append(
            LockedEdge(
                declared.canonical,
                marker=requirement.marker,
                extras=tuple(sorted(requirement.extras)),
            )
        )
    return tuple(edges)


def pdm_sources(root: Path) -> tuple[str, ...]:
    """The index URLs of [[tool.pdm.source]]: pdm.lock doesn't record where it installs from."""
    tool = _pyproject(root / "pyproject.toml").get("tool")
    pdm = tool.get("pdm") if isinstance(tool, dict) else None
    sources = pdm.get("source") if isinstance(pdm, dict) else None
    if not isinstance(sources, list):
        return ()
    return tuple(s["url"] for s in sources if isinstance(s, dict) and isinstance(s.get("url"), str))


_cache: dict[Path, tuple[tuple[int, int], dict[str, Any]]] = {}
_lock = threading.Lock()


def _pyproject(path: Path) -> dict[str, Any]:
    try:
        stat = os.stat(path)
    except OSError:
        return {}
    key = (stat.st_mtime_ns, stat.st_size)
    with _lock:
        cached = _cache.get(path)
    if cached is not None and cached[0] == key:
        return cached[1]
    data: dict[str, Any] = {}
    if stat.st_size <= MAX_PYPROJECT_BYTES:
        try:
            text = read_bytes(path, MAX_PYPROJECT_BYTES).decode("utf-8-sig")
            data = loads_toml(text)
        except (OSError, UnicodeDecodeError, TOMLDecodeError):
            data = {}  # the manifest reader reports a malformed pyproject.toml
    with _lock:
        _cache[path] = (key, data)
    return data
