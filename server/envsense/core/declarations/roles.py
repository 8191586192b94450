"""What a requirement is for: the project's runtime, or developing, testing, documenting it.

A requirements file gets its role from its name (`requirements-test.txt`,
`requirements/docs.txt`, `test-requirements.txt`, `requirements/lint.in`) or from where it
sits (`docs/requirements.txt`, `examples/<name>/requirements.txt`, `tests/...`) when that
folder is part of an enclosing project. Dependency groups and extras are named by their
own group (see `RequirementGroup`), not by a role.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from envsense.core.safe_read import read_bytes

if TYPE_CHECKING:
    from envsense.core.declarations.records import Declarations

Role = Literal[
    "runtime", "dev", "test", "docs", "lint", "typing", "build", "example", "bench", "pins"
]

_WORDS: dict[str, Role] = {
    "test": "test", "tests": "test", "testing": "test", "pytest": "test", "tox": "test",
    "nox": "test", "coverage": "test", "cov": "test", "ci": "dev",
    "doc": "docs", "docs": "docs", "documentation": "docs", "sphinx": "docs", "mkdocs": "docs",
    "dev": "dev", "develop": "dev", "development": "dev", "local": "dev", "tools": "dev",
    "lint": "lint", "linting": "lint", "style": "lint", "format": "lint", "fmt": "lint",
    "flake8": "lint", "ruff": "lint", "precommit": "lint", "pre-commit": "lint", "qa": "lint",
    "check": "lint", "checks": "lint",
    "typing": "typing", "types": "typing", "mypy": "typing", "typecheck": "typing",
    "build": "build", "release": "build", "publish": "build", "dist": "build",
    "packaging": "build", "wheel": "build", "wheels": "build",
    "bench": "bench", "benchmark": "bench", "benchmarks": "bench", "perf": "bench",
    "example": "example", "examples": "example", "demo": "example", "demos": "example",
    "sample": "example", "samples": "example", "tutorial": "example", "tutorials": "example",
    "constraints": "pins", "constraint": "pins", "lock": "pins", "pins": "pins",
}  # fmt: skip
# Folders that give their files a role when they sit inside a bigger project.
_FOLDER_ROLES: dict[str, Role] = {
    "docs": "docs", "doc": "docs", "documentation": "docs",
    "tests": "test", "test": "test", "testing": "test",
    "examples": "example", "example": "example", "demo": "example", "demos": "example",
    "samples": "example", "sample": "example", "tutorial": "example", "tutorials": "example",
    "benchmarks": "bench", "bench": "bench",
    ".github": "dev", ".ci": "dev", "ci": "dev", "tools": "dev", "scripts": "dev",
}  # fmt: skip
_PACKAGING = frozenset({"pyproject.toml", "setup.cfg", "setup.py"})
_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")
_SPLIT = re.compile(r"[-_.\s]+")
_MAIN = frozenset({"", "main", "base", "prod", "production", "runtime", "install", "common"})


@dataclass(frozen=True, slots=True)
class ManifestRole:
    """A manifest's role, and the folder that gave it (None: its file name did)."""

    role: Role
    folder: Path | None = None

    @property
    def is_runtime(self) -> bool:
        return self.role == "runtime"


def role_of_words(words: Iterable[str]) -> Role | None:
    """The role named by any of `words` (test, docs, dev, ...), else None."""
    for word in words:
        role = _WORDS.get(word.lower())
        if role is not None:
            return role
    return None


def manifest_role(manifest: Path) -> ManifestRole:
    """The role of a manifest file from its name, then from the folders it sits in."""
    name = manifest.name.lower()
    if name.endswith((".txt", ".in")):
        stem = name.rsplit(".", 1)[0]
        if manifest.parent.name.lower() == "requirements":
            words = _SPLIT.split(stem)
        else:
            words = [w for w in _SPLIT.split(stem) if w not in ("requirements", "reqs", "req")]
        if not set(words) <= _MAIN:
            role = role_of_words(words)
            if role is not None:
                return ManifestRole(role)
    folder = manifest.parent
    if folder.name.lower() == "requirements" and _is_package(folder.parent):
        # arrow's requirements/requirements.txt: the folder is a project of its own to
        # envsense, but it holds the pins of the package above it.
        return ManifestRole("pins", folder)
    # Fixtures sit deep (ansible's test/integration/targets/<t>/.../requirements.txt).
    for _ in range(12):
        role = _FOLDER_ROLES.get(folder.name.lower())
        if role is not None and _inside_project(folder.parent):
            return ManifestRole(role, folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    return ManifestRole("runtime")


def is_runtime_list(manifest: Path, names: Iterable[str], declarations: Declarations) -> bool:
    """Whether a requirements file is the project's runtime list whatever its name or
    folder: setup.py reads it into install_requires, or every name in it is a runtime
    requirement of the project's installed metadata (celery's requirements/default.txt,
    read by code its setup.py runs). `names` are the canonical names the file declares."""
    if not manifest.name.endswith((".txt", ".in")):
        return False
    from_metadata: set[str] = set()
    for requirement in declarations.requirements:
        if requirement.group != "main":
            continue
        if requirement.via is not None and requirement.manifest == manifest:
            return True
        if requirement.origin is not None:
            from_metadata.add(requirement.canonical)
    own = {n for n in names if n}
    return bool(from_metadata and own and own <= from_metadata)


def pins_role(
    manifest: Path, names: Iterable[str], declarations: Declarations
) -> ManifestRole | None:
    """A requirements file of a project whose packaging metadata declares its runtime.

    Such a file pins versions for CI or deployment (aiohttp's requirements/base.txt next to
    its setup.cfg), unless it is the runtime list itself (see is_runtime_list).
    """
    if not manifest.name.endswith((".txt", ".in")):
        return None
    if is_runtime_list(manifest, names, declarations):
        return None
    for requirement in declarations.requirements:
        if requirement.group == "main" and (
            requirement.via is not None
            or requirement.origin is not None
            or requirement.manifest.name in _PACKAGING
        ):
            return ManifestRole("pins")
    return None


# Tools nobody's runtime needs two of: a file listing several is a development file,
# whatever its name (tornado's pip-compiled requirements.txt of black, flake8, mypy, tox).
_DEV_TOOLS = frozenset(
    {
        "pytest", "tox", "nox", "mypy", "flake8", "black", "ruff", "pylint", "isort",
        "coverage", "pre-commit", "pip-tools", "twine", "pyright", "sphinx", "build",
        "bump2version", "bumpversion", "towncrier", "codespell", "pydocstyle", "autopep8",
    }
)  # fmt: skip


def content_role(manifest: Path, names: Iterable[str]) -> ManifestRole | None:
    """`dev` for a requirements file that lists two or more development tools."""
    if not manifest.name.endswith((".txt", ".in")):
        return None
    tools = {n for n in names if n in _DEV_TOOLS}
    return ManifestRole("dev") if len(tools) >= 2 else None


def requirement_role(
    manifest: Path, names: Iterable[str], declarations: Declarations
) -> ManifestRole:
    """The role of a manifest in its project: the runtime list when it is one (see
    is_runtime_list), else its name/location role, else pins or a dev file by content."""
    names = list(names)
    if is_runtime_list(manifest, names, declarations):
        return ManifestRole("runtime")
    role = manifest_role(manifest)
    if role.is_runtime:
        role = pins_role(manifest, names, declarations) or content_role(manifest, names) or role
    return role


def with_pins_marked(declarations: Declarations) -> Declarations:
    """Requirements of files that only pin (see pins_role) marked as development ones, so
    a CI pin never speaks for what the project's code needs (fastapi's requirements.txt
    includes its test pins, `anyio[trio] >=3.2.1,<4.0.0`)."""
    names: dict[Path, list[str]] = {}
    for requirement in declarations.requirements:
        names.setdefault(requirement.manifest, []).append(requirement.canonical)
    pinned = {
        m
        for m, n in names.items()
        if m.name.endswith((".txt", ".in")) and not requirement_role(m, n, declarations).is_runtime
    }
    if not pinned:
        return declarations
    requirements = tuple(
        replace(r, is_dev=True)
        if r.manifest in pinned and r.via is None and r.origin is None and not r.is_dev
        else r
        for r in declarations.requirements
    )
    return replace(declarations, requirements=requirements)


def _is_package(folder: Path) -> bool:
    """Whether `folder` has packaging metadata (setup.py, setup.cfg, a [project] or
    [tool.poetry] table), so its runtime is declared there."""
    if os.path.exists(folder / "setup.py") or os.path.exists(folder / "setup.cfg"):
        return True
    try:
        head = read_bytes(folder / "pyproject.toml", 200_000, truncate=True)
    except OSError:
        return False
    return b"[project]" in head or b"[tool.poetry" in head


def _inside_project(folder: Path) -> bool:
    # `~/tests/myproject/pyproject.toml` is a runtime manifest: `tests` here is just where
    # the user keeps projects, not a folder of an enclosing project.
    return any(os.path.exists(folder / marker) for marker in _MARKERS)


def environment_serves(role: ManifestRole, env_name: str | None, env_prefix: Path | None) -> bool:
    """Whether an environment was made for this role: its name says so (`docs`, `.tox/py311-test`,
    hatch's `test`), or it lives inside the folder that gives the role."""
    if role.is_runtime:
        return True
    names = [n for n in (env_name, env_prefix.name if env_prefix else None) if n]
    if env_prefix is not None and env_prefix.parent.name in (".tox", ".nox"):
        names.append(env_prefix.name)
    for name in names:
        if role_of_words(_SPLIT.split(name)) == role.role:
            return True
    if role.folder is not None and env_prefix is not None:
        return role.folder == env_prefix or role.folder in env_prefix.parents
    return False
