"""The project's own installed metadata as a declaration source.

When a project computes its dependencies at build time (pyproject `dynamic`, a setup.py
that builds its lists in code) or its files declare no runtime dependencies at all, the
`Requires-Dist` lines of its own dist-info / egg-info in the environment (editable or not)
say what it needs. The project is found by its name, or by a `direct_url.json` pointing
at its folder. Requirements read this way name their origin in messages.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from envsense.core.declarations.records import Declarations, DeclaredRequirement
from envsense.core.findings import Span
from envsense.core.safe_read import METADATA_LIMIT, read_bytes, read_text

if TYPE_CHECKING:
    from envsense.core.environment.inventory import Distribution, Inventory

_EXTRA = re.compile(r"""\bextra\s*==\s*['"]([^'"]+)['"]""")
_NOWHERE = Span(0, 0, 0, 0)


def installed_project(
    declarations: Declarations, project_root: Path, inventory: Inventory
) -> Distribution | None:
    """The project's own distribution in the environment, if it is installed."""
    name = declarations.project_name or sdist_name(project_root)
    if name is not None:
        dist = inventory.distribution(name)
        if dist is not None:
            return dist
    try:
        root = project_root.resolve()
    except OSError:
        return None
    # Without a name, the project is the distribution installed from its folder.
    for dist in inventory.distributions:
        if _points_at(dist, root):
            return dist
    return None


def sdist_name(project_root: Path) -> str | None:
    """The Name of an unpacked sdist's PKG-INFO (requests' setup.py computes its name)."""
    try:
        head = read_bytes(project_root / "PKG-INFO", 8192, truncate=True).decode(
            "utf-8", errors="replace"
        )
    except OSError:
        return None
    for line in head.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "name" and value.strip():
            return canonicalize_name(value.strip())
        if not line.strip():
            break
    return None


def _points_at(dist: Distribution, root: Path) -> bool:
    """Whether the distribution was installed from `root` (direct_url.json or egg-info)."""
    if dist.dist_info.name.endswith(".egg-info") and dist.dist_info.parent in (root, root / "src"):
        return True  # a legacy `setup.py develop` egg-info in the project (not its .venv)
    try:
        data = json.loads(read_text(dist.dist_info / "direct_url.json", METADATA_LIMIT))
    except (OSError, ValueError, RecursionError):
        return False
    url = data.get("url") if isinstance(data, dict) else None
    if not isinstance(url, str) or not url.startswith("file:"):
        return False
    try:
        return Path(unquote(urlparse(url).path)).resolve() == root
    except (OSError, ValueError):
        return False


def with_installed_metadata(
    declarations: Declarations, project_root: Path, inventory: Inventory | None
) -> Declarations:
    """`declarations` plus the project's installed Requires-Dist, when its files don't say.

    Used when the files declare no runtime requirement or some are computed at build
    time; requirements the files already name are kept as the files state them.
    """
    if inventory is None:
        return declarations
    has_main = any(r.group == "main" for r in declarations.requirements)
    if has_main and not declarations.incomplete:
        return declarations
    dist = installed_project(declarations, project_root, inventory)
    if dist is None or not dist.requires:
        return declarations
    # A requirements file's pin (requirements/default.txt) is no runtime declaration.
    known = {
        r.canonical
        for r in declarations.requirements
        if r.group == "main" or r.group.startswith("optional:")
    }
    origin = f"the installed metadata of {dist.name} {dist.version}"
    metadata = _metadata_file(dist.dist_info)
    added: list[DeclaredRequirement] = []
    for raw in dist.requires:
        try:
            requirement = Requirement(raw)
        except InvalidRequirement:
            continue
        canonical = canonicalize_name(requirement.name)
        if canonical in known or canonical == dist.canonical_name:
            continue
        match = _EXTRA.search(str(requirement.marker)) if requirement.marker else None
        group = f"optional:{match.group(1)}" if match else "main"
        added.append(
            DeclaredRequirement(
                name=requirement.name,
                canonical=canonical,
                requirement=requirement,
                raw=raw,
                manifest=metadata,
                span=_NOWHERE,
                group=group,
                is_dev=False,
                url=requirement.url,
                origin=origin,
            )
        )
    if not added:
        return declarations
    return replace(
        declarations,
        requirements=declarations.requirements + tuple(added),
        project_name=declarations.project_name or dist.canonical_name,
    )


def _metadata_file(dist_info: Path) -> Path:
    if dist_info.name.endswith(".dist-info"):
        return dist_info / "METADATA"
    return dist_info / "PKG-INFO"
