"""A project's declarations: what its manifests say it needs.

Reads pyproject.toml ([project], [dependency-groups], [tool.poetry], [tool.uv], [tool.pdm]),
setup.cfg, setup.py (statically), Pipfile, requirements*.txt and requirements/*.txt, and PEP 723 script blocks.
Malformed manifests give one ManifestProblem each; nothing here raises on bad input.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import replace
from pathlib import Path

from envsense.core.declarations.common import read_problem
from envsense.core.declarations.installed import sdist_name
from envsense.core.declarations.pipfile import parse_pipfile
from envsense.core.declarations.poetry import poetry_constraint
from envsense.core.declarations.pyproject import parse_pyproject
from envsense.core.declarations.records import (
    Declarations,
    DeclaredRequirement,
    ManifestProblem,
    ManifestSource,
    RequiresPython,
    merge,
)
from envsense.core.declarations.requirements_txt import parse_requirements
from envsense.core.declarations.script_metadata import read_script_metadata
from envsense.core.declarations.setup_cfg import parse_setup_cfg
from envsense.core.declarations.setup_py import parse_setup_py
from envsense.core.findings import Span
from envsense.core.safe_read import decode_manifest, manifest_limit, read_bytes, too_large

__all__ = [
    "Declarations",
    "DeclaredRequirement",
    "ManifestProblem",
    "ManifestSource",
    "RequiresPython",
    "parse_manifest",
    "poetry_constraint",
    "read_declarations",
    "read_script_metadata",
]

logger = logging.getLogger(__name__)
_TOP = Span(0, 0, 0, 0)


def is_manifest(path: Path) -> bool:
    """Whether parse_manifest understands this file name."""
    name = path.name
    if name in ("pyproject.toml", "setup.cfg", "Pipfile"):
        return True
    return _is_requirements(path)


def _is_requirements(path: Path) -> bool:
    name = path.name.lower()
    if not name.endswith((".txt", ".in")):
        return False
    return "requirements" in name or path.parent.name.lower() == "requirements"


def parse_manifest(path: Path, text: str) -> Declarations:
    """Declarations of one manifest from its current text (e.g. an unsaved editor buffer).

    A .py file gives its PEP 723 block (empty Declarations when it has none).
    """
    if path.suffix != ".py" and len(text) > manifest_limit(path):
        # An unsaved editor buffer gets the same cap as the file on disk.
        reason = too_large(manifest_limit(path))
        problem = ManifestProblem(path, f"{path.name}: can't be read: {reason}", _TOP)
        return Declarations(problems=(problem,), manifests=(path,))
    try:
        if path.name in _PURE:
            return _parse_text_manifest(path, text)
        return _parse_manifest(path, text)
    except (RecursionError, MemoryError, ValueError, TypeError, LookupError) as error:
        # The parsers turn every problem they know into a ManifestProblem; this is the net
        # for one they don't, so a hostile manifest is a finding, never a crash.
        logger.warning("parsing %s failed: %s: %s", path, type(error).__name__, error)
        reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        problem = ManifestProblem(path, f"{path.name}: could not be parsed ({reason})", _TOP)
        return Declarations(problems=(problem,), manifests=(path,))


# Manifests whose declarations depend on their text alone (requirements files read their
# includes from disk). A check parses the same text for the project's declarations and
# for the file's own findings: the second parse of a big file is free.
_PURE = frozenset({"pyproject.toml", "setup.cfg", "Pipfile"})


@functools.lru_cache(maxsize=8)
def _parse_text_manifest(path: Path, text: str) -> Declarations:
    return _parse_manifest(path, text)


def _parse_manifest(path: Path, text: str) -> Declarations:
    name = path.name
    if name == "pyproject.toml":
        return parse_pyproject(path, text)
    if name == "setup.cfg":
        return parse_setup_cfg(path, text)
    if name == "Pipfile":
        return parse_pipfile(path, text)
    if name == "setup.py":
        return parse_setup_py(path, text)
    if path.suffix == ".py":
        return read_script_metadata(text, path) or Declarations()
    return parse_requirements(path, text)


def _requirements_files(root: Path) -> list[Path]:
    found: list[Path] = []
    try:
        top = sorted(
            p for p in root.iterdir() if p.is_file() and _is_requirements(p) and p.suffix == ".txt"
        )
    except OSError:
        top = []
    # requirements.txt first: its group wins for files that others include.
    found.extend(sorted(top, key=lambda p: (p.name != "requirements.txt", p.name)))
    folder = root / "requirements"
    try:
        if folder.is_dir():
            found.extend(sorted(p for p in folder.iterdir() if p.is_file() and p.suffix == ".txt"))
    except OSError:
        pass
    return found


def read_declarations(project_root: Path) -> Declarations:
    """Everything the manifests in `project_root` (not below it) declare."""
    parts: list[Declarations] = []
    candidates = [
        project_root / "pyproject.toml",
        project_root / "setup.cfg",
        project_root / "setup.py",
        project_root / "Pipfile",
    ]
    for path in [*candidates, *_requirements_files(project_root)]:
        if not path.exists() or path.is_dir():
            continue
        try:
            text = decode_manifest(read_bytes(path, manifest_limit(path)), path)
        except OSError as error:
            logger.info("can't read %s: %s", path, error)
            parts.append(Declarations(problems=(read_problem(path, error),), manifests=(path,)))
            continue
        parts.append(parse_manifest(path, text))
    merged = merge(parts)
    if merged.project_name is None:
        # An unpacked sdist whose setup.py computes its name: PKG-INFO says it.
        name = sdist_name(project_root)
        if name is not None:
            merged = replace(merged, project_name=name)
    return merged
