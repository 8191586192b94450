"""A project's declarations: what its manifests say it needs.

Reads pyproject.toml ([project], [dependency-groups], [tool.poetry], [tool.uv], [tool.pdm]),
setup.cfg, setup.py (statically), Pipfile, requirements*.txt and requirements/*.txt, and PEP 723 script blocks.
Malformed manifests give one ManifestProblem each; nothing here raises on bad input.
"""

from __future__ import annotations

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
        if not path.is_file():
            continue
        try:
            data = path.read_bytes()
        except OSError as error:
            logger.info("can't read %s: %s", path, error)
            parts.append(Declarations(problems=(read_problem(path, error),), manifests=(path,)))
            continue
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            if path.suffix == ".txt":
                text = data.decode("latin-1")
            else:
                problem = read_problem(
                    path, ValueError(f"not UTF-8 ({error.reason} at byte {error.start})")
                )
                parts.append(Declarations(problems=(problem,), manifests=(path,)))
                continue
        parts.append(parse_manifest(path, text))
    merged = merge(parts)
    if merged.project_name is None:
        # An unpacked sdist whose setup.py computes its name: PKG-INFO says it.
        name = sdist_name(project_root)
        if name is not None:
            merged = replace(merged, project_name=name)
    return merged
