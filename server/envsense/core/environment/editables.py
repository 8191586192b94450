"""Editable installs that work through an import hook instead of a path in a .pth file.

setuptools (>= 64) writes `__editable__.<name>-<ver>.pth` with an `import` line and a
`__editable___<name>_<ver>_finder.py` whose module-level `MAPPING` literal maps top-level
names to folders. We read that literal with `ast.literal_eval`: the finder is code from
the user's machine and is never imported or run.
"""

from __future__ import annotations

import ast
import logging
import os
from pathlib import Path

from envsense.core.safe_read import SOURCE_LIMIT, read_text

log = logging.getLogger(__name__)

FINDER_PREFIX = "__editable___"
FINDER_SUFFIX = "_finder.py"


def is_finder_file(name: str) -> bool:
    return name.startswith(FINDER_PREFIX) and name.endswith(FINDER_SUFFIX)


def read_finder_mapping(path: Path) -> dict[str, Path]:
    """MAPPING of one finder file as module -> path; empty when absent or not a literal."""
    try:
        source = read_text(path, SOURCE_LIMIT)
        tree = ast.parse(source, filename=str(path))
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        log.warning("cannot read editable finder %s: %s", path, exc)
        return {}
    for node in tree.body:
        target: ast.expr | None = None
        value: ast.expr | None = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        if not (isinstance(target, ast.Name) and target.id == "MAPPING") or value is None:
            continue
        try:
            literal = ast.literal_eval(value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as exc:
            log.warning("MAPPING in %s is not a literal: %s", path, exc)
            return {}
        if not isinstance(literal, dict):
            return {}
        return {
            str(key): Path(str(val))
            for key, val in literal.items()
            if isinstance(key, str) and isinstance(val, str)
        }
    return {}


def finder_mappings(site_dir: Path) -> dict[str, Path]:
    """All editable MAPPING entries of one site dir (first finder wins on a clash)."""
    mapping: dict[str, Path] = {}
    try:
        with os.scandir(site_dir) as entries:
            names = sorted(e.name for e in entries if is_finder_file(e.name))
    except OSError:
        return mapping
    for name in names:
        for module, path in read_finder_mapping(site_dir / name).items():
            mapping.setdefault(module, path)
    return mapping
