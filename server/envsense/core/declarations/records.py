"""What a project declares: requirements, requires-python, and what was wrong with its manifests."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from envsense.core.findings import Span

ManifestKind = Literal[
    "pyproject", "poetry", "setup.cfg", "setup.py", "requirements", "pipfile", "script"
]


@dataclass(frozen=True, slots=True)
class DeclaredRequirement:
    """One requirement as a manifest states it.

    `requirement` is None for things that name no project (`-e ./path`, a bare URL).
    `options` holds the index/trust options in effect for a requirements file
    (`--index-url X`, `--extra-index-url X`, `--trusted-host H`, `--find-links X`) followed
    by the line's own options (`--hash=...`).
    """

    name: str
    canonical: str
    requirement: Requirement | None
    raw: str
    manifest: Path
    span: Span
    group: str = "main"
    is_dev: bool = False
    options: tuple[str, ...] = ()
    editable: bool = False
    url: str | None = None
    # Set when the requirement comes from somewhere other than `manifest`'s text, e.g.
    # "the installed metadata of requests 2.32.3"; messages name it instead of the file.
    origin: str | None = None
    # The packaging manifest that reads this requirements file (setup.py's
    # `open("requirements.txt")`): the file is then the project's runtime list.
    via: Path | None = None

    @property
    def where(self) -> str:
        """Where the requirement is declared, for messages: a file name or `origin`."""
        if self.origin:
            return self.origin
        if self.via is not None:
            return f"{self.manifest.name} (read by {self.via.name})"
        return self.manifest.name

    @property
    def extra(self) -> str | None:
        """The optional extra this requirement belongs to (None: not an extra's)."""
        return self.group[len("optional:") :] if self.group.startswith("optional:") else None

    def marker_applies(self, env: dict[str, str]) -> bool:
        """Whether the marker holds on the target described by `env` (no marker: True).

        A marker that can't be evaluated counts as applying, so it is still checked.
        """
        marker = self.requirement.marker if self.requirement is not None else None
        if marker is None:
            return True
        environment = {"extra": "", **env}
        try:
            return marker.evaluate(environment)
        except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName, ValueError):
            return True


@dataclass(frozen=True, slots=True)
class RequiresPython:
    specifier: SpecifierSet
    raw: str
    manifest: Path
    span: Span


@dataclass(frozen=True, slots=True)
class ManifestProblem:
    """Something wrong in a manifest; message starts with the file name."""

    manifest: Path
    message: str
    span: Span


@dataclass(frozen=True, slots=True)
class ManifestSource:
    """A manifest that was read, and whether it has a place for dependencies."""

    path: Path
    kind: ManifestKind
    declares_dependencies: bool
    # pyproject.toml with a [project] table: the standard place to add a requirement.
    has_project_table: bool = False


@dataclass(frozen=True, slots=True)
class Declarations:
    """Everything a project's manifests declare."""

    requirements: tuple[DeclaredRequirement, ...] = ()
    requires_python: RequiresPython | None = None
    problems: tuple[ManifestProblem, ...] = ()
    manifests: tuple[Path, ...] = ()
    # `-c constraints.txt` entries: they pin versions but declare nothing.
    constraints: tuple[DeclaredRequirement, ...] = ()
    sources: tuple[ManifestSource, ...] = field(default=())
    # Canonical name of the project itself ([project].name, poetry, setup.cfg metadata).
    project_name: str | None = None
    # Some dependencies are computed at build time (pyproject `dynamic`, a setup.py that
    # builds its lists in code): the project's installed metadata may know more.
    incomplete: bool = False
    # [tool.uv] default-groups (None: uv's default, `dev`; ("*",): "all").
    default_groups: tuple[str, ...] | None = None

    def by_canonical(self) -> dict[str, list[DeclaredRequirement]]:
        """Named requirements grouped by canonical project name, in file order (runtime
        declarations before development ones)."""
        grouped: dict[str, list[DeclaredRequirement]] = {}
        # Runtime declarations first: a dev file's pin must not speak for the project.
        for requirement in sorted(self.requirements, key=lambda r: r.is_dev):
            if requirement.canonical:
                grouped.setdefault(requirement.canonical, []).append(requirement)
        return grouped

    @property
    def declares_dependencies(self) -> bool:
        """Whether any manifest has a dependency list (even an empty one)."""
        return bool(self.requirements) or any(s.declares_dependencies for s in self.sources)

    def preferred_manifest(self) -> Path | None:
        """Where a new requirement should be added.

        pyproject.toml with [project] > requirements.txt > poetry > other requirements
        files > Pipfile > setup.cfg > a script's own block.
        """
        ranked = sorted(
            (s for s in self.sources if s.declares_dependencies or s.has_project_table),
            key=_preference,
        )
        return ranked[0].path if ranked else None

    def with_manifest(self, manifest: Path, replacement: Declarations) -> Declarations:
        """These declarations with one manifest's part replaced (an unsaved editor buffer)."""
        replaced = {manifest, *replacement.manifests}

        def keep(items: Iterable[DeclaredRequirement]) -> tuple[DeclaredRequirement, ...]:
            return tuple(r for r in items if r.manifest not in replaced)

        requires = replacement.requires_python
        if requires is None and self.requires_python is not None:
            if self.requires_python.manifest != manifest:
                requires = self.requires_python
        project_name = replacement.project_name
        if project_name is None and manifest.name != "pyproject.toml":
            project_name = self.project_name
        merged = replace(
            self,
            requirements=keep(self.requirements) + replacement.requirements,
            constraints=keep(self.constraints) + replacement.constraints,
            problems=tuple(p for p in self.problems if p.manifest not in replaced)
            + replacement.problems,
            manifests=tuple(dict.fromkeys(self.manifests + replacement.manifests)),
            sources=tuple(s for s in self.sources if s.path not in replaced) + replacement.sources,
            requires_python=requires,
            project_name=project_name,
        )
        return merged


def _preference(source: ManifestSource) -> tuple[int, str]:
    name = source.path.name
    if source.kind == "pyproject" and source.has_project_table:
        rank = 0
    elif name == "requirements.txt":
        rank = 1
    elif source.kind == "poetry":
        rank = 2
    elif source.kind == "requirements":
        rank = 3
    elif source.kind == "pipfile":
        rank = 4
    elif source.kind == "setup.cfg":
        rank = 5
    elif source.kind == "setup.py":
        rank = 6
    else:
        rank = 7
    return rank, str(source.path)


def merge(parts: Iterable[Declarations]) -> Declarations:
    """Several manifests' declarations as one; the first requires-python and name found win."""
    requirements: list[DeclaredRequirement] = []
    constraints: list[DeclaredRequirement] = []
    seen: set[tuple[Path, Span, str]] = set()
    problems: list[ManifestProblem] = []
    manifests: list[Path] = []
    sources: list[ManifestSource] = []
    requires: RequiresPython | None = None
    name: str | None = None
    incomplete = False
    default_groups: tuple[str, ...] | None = None
    for part in parts:
        for requirement in part.requirements:
            # A requirements file included by several others is reported once per group.
            key = (requirement.manifest, requirement.span, requirement.group)
            if key not in seen:
                seen.add(key)
                requirements.append(requirement)
        for constraint in part.constraints:
            key = (constraint.manifest, constraint.span, constraint.group)
            if key not in seen:
                seen.add(key)
                constraints.append(constraint)
        problems.extend(p for p in part.problems if p not in problems)
        manifests.extend(m for m in part.manifests if m not in manifests)
        sources.extend(part.sources)
        requires = requires or part.requires_python
        name = name or part.project_name
        incomplete = incomplete or part.incomplete
        default_groups = default_groups if default_groups is not None else part.default_groups
    return Declarations(
        tuple(requirements),
        requires,
        tuple(problems),
        tuple(manifests),
        tuple(constraints),
        tuple(sources),
        name,
        incomplete,
        default_groups,
    )
