"""pyproject.toml: [project], [dependency-groups] (PEP 735), [tool.poetry], [tool.uv], [tool.pdm]."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from envsense.core.declarations import poetry
from envsense.core.declarations.common import (
    MAX_ENTRIES,
    declare,
    has_huge_number,
    is_dev_name,
    shorten,
    toml_problem,
    too_many,
    unnamed,
)
from envsense.core.declarations.dynamic import dynamic_files, read_dynamic
from envsense.core.declarations.records import (
    Declarations,
    DeclaredRequirement,
    ManifestKind,
    ManifestProblem,
    ManifestSource,
    RequiresPython,
    merge,
)
from envsense.core.declarations.toml_spans import KeyPath, TomlLocator
from envsense.core.findings import Span
from envsense.core.toml_compat import TOMLDecodeError, loads_toml

_NOWHERE = Span(0, 0, 0, 0)


class _Reader:
    def __init__(self, path: Path, locator: TomlLocator) -> None:
        self.path = path
        self.locator = locator
        self.requirements: list[DeclaredRequirement] = []
        self.problems: list[ManifestProblem] = []
        self.requires_python: RequiresPython | None = None
        self.capped = False
        self.cut_at: KeyPath | None = None

    def span(self, path: KeyPath) -> Span:
        while path:
            span = self.locator.key_span(path)
            if span is not None:
                return span
            path = path[:-1]
        return _NOWHERE

    def problem(self, path: KeyPath, message: str) -> None:
        self.problems.append(
            ManifestProblem(self.path, f"{self.path.name}: {message}", self.span(path))
        )

    def full(self, path: KeyPath) -> bool:
        """Past MAX_ENTRIES: says so once (at `path`); the caller reads no more."""
        if not self.capped and len(self.requirements) + len(self.problems) < MAX_ENTRIES:
            return False
        if not self.capped:
            self.capped = True
            self.problems.append(too_many(self.path, self.span(path)))
        return True

    def add(self, item: DeclaredRequirement | ManifestProblem) -> None:
        if self.full(()):
            return
        if isinstance(item, DeclaredRequirement):
            self.requirements.append(item)
        else:
            self.problems.append(item)

    def strings(self, value: Any, path: KeyPath) -> list[tuple[str, Span]]:
        """The strings of an array at `path`, each with its span (in file order)."""
        if not isinstance(value, list):
            self.problem(path, f"{'.'.join(path)} must be an array of strings")
            return []
        found: list[tuple[str, Span]] = []
        for item in value:
            if self.full(path):
                break
            if len(found) + len(self.requirements) + len(self.problems) >= MAX_ENTRIES:
                self.cut_at = path  # said once the strings found are declared
                break
            if isinstance(item, str):
                found.append((item, self.locator.take_string(path, item) or self.span(path)))
            elif not (isinstance(item, dict) and path[0] == "dependency-groups"):
                self.problem(path, f"{'.'.join(path)}: {shorten(repr(item))} is not a string")
        return found

    def declare_all(self, items: list[tuple[str, Span]], group: str, is_dev: bool) -> None:
        for text, span in items:
            if self.full(()):
                return
            editable = text.startswith("-e ")
            if editable:
                # PDM writes local editables as "-e file:///${PROJECT_ROOT}/sub#egg=sub".
                url, _, name = text[3:].strip().partition("#egg=")
                if not name:
                    self.add(unnamed(text, self.path, span, group, is_dev, url=url, editable=True))
                    continue
                text = f"{name} @ {url}"
            self.add(declare(text, self.path, span, group, is_dev, editable=editable))
        if self.cut_at is not None and not self.capped:
            self.capped = True
            self.problems.append(too_many(self.path, self.span(self.cut_at)))

    def set_requires_python(self, raw: Any, path: KeyPath, *, poetry_style: bool = False) -> None:
        if self.requires_python is not None:
            return
        if not isinstance(raw, str):
            self.problem(path, f"{'.'.join(path)} must be a string")
            return
        text = poetry.poetry_constraint(raw) if poetry_style else raw
        try:
            if has_huge_number(raw):
                raise InvalidSpecifier(raw)
            specifier = SpecifierSet(text or "")
        except InvalidSpecifier:
            self.problem(
                path, f"{'.'.join(path)}: {shorten(raw)!r} is not a valid version specifier"
            )
            return
        span = self.locator.take_string(path, raw) or self.span(path)
        self.requires_python = RequiresPython(specifier, raw, self.path, span)


def parse_pyproject(path: Path, text: str) -> Declarations:
    """Declarations of one pyproject.toml text."""
    try:
        data = loads_toml(text)
    except TOMLDecodeError as error:
        return Declarations(
            problems=(toml_problem(path, error),),
            manifests=(path,),
            sources=(ManifestSource(path, "pyproject", False),),
        )
    reader = _Reader(path, TomlLocator(text))
    project = data.get("project")
    has_project = isinstance(project, dict)
    project_deps = False
    name: str | None = None
    incomplete = False
    dynamic_lists: list[Any] = []
    if isinstance(project, dict):
        if isinstance(project.get("name"), str):
            name = canonicalize_name(project["name"])
        dynamic = project.get("dynamic")
        if isinstance(dynamic, list) and (
            "dependencies" in dynamic or "optional-dependencies" in dynamic
        ):
            incomplete = True
            dynamic_lists = dynamic
        if "requires-python" in project:
            reader.set_requires_python(project["requires-python"], ("project", "requires-python"))
        if "dependencies" in project:
            project_deps = True
            key = ("project", "dependencies")
            reader.declare_all(reader.strings(project["dependencies"], key), "main", False)
        _optional(reader, project.get("optional-dependencies"))
    groups = data.get("dependency-groups")
    if groups is not None:
        _dependency_groups(reader, groups)
    tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
    assert isinstance(tool, dict)
    poetry_table = tool.get("poetry")
    uses_poetry = isinstance(poetry_table, dict) and _poetry(
        reader, poetry_table, skip_main=project_deps
    )
    if (
        name is None
        and isinstance(poetry_table, dict)
        and isinstance(poetry_table.get("name"), str)
    ):
        name = canonicalize_name(poetry_table["name"])
    _uv_and_pdm(reader, tool)
    declares = project_deps or groups is not None or uses_poetry or bool(reader.requirements)
    kind: ManifestKind = "poetry" if uses_poetry and not project_deps else "pyproject"
    files = dynamic_files(path, tool, dynamic_lists) if dynamic_lists else []
    own = Declarations(
        requirements=tuple(reader.requirements),
        requires_python=reader.requires_python,
        problems=tuple(reader.problems),
        manifests=(path,),
        sources=(ManifestSource(path, kind, declares, has_project_table=has_project),),
        project_name=name,
        incomplete=incomplete and not files,
        default_groups=_uv_default_groups(tool),
    )
    # Dependencies the build backend reads from requirements files (mkdocs-material).
    return merge([own, *read_dynamic(path, files)]) if files else own


def _optional(reader: _Reader, table: Any) -> None:
    if table is None:
        return
    if not isinstance(table, dict):
        reader.problem(
            ("project", "optional-dependencies"), "project.optional-dependencies must be a table"
        )
        return
    for extra, values in table.items():
        key = ("project", "optional-dependencies", extra)
        reader.declare_all(reader.strings(values, key), f"optional:{extra}", is_dev_name(extra))


def _dependency_groups(reader: _Reader, groups: Any) -> None:
    if not isinstance(groups, dict):
        reader.problem(("dependency-groups",), "[dependency-groups] must be a table")
        return
    # Each requirement is declared once, at its own line, in the group that writes it: a
    # group that includes another adds no declarations of its own (expanding includes
    # re-declared them at every includer, exponentially for a diamond, and gave one finding
    # per includer for the same line).
    includes: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for group, values in groups.items():
        key = ("dependency-groups", group)
        names[canonicalize_name(group)] = group
        reader.declare_all(reader.strings(values, key), f"group:{group}", True)
        includes[group] = []
        for item in values if isinstance(values, list) else []:
            if isinstance(item, dict):
                target = item.get("include-group")
                if isinstance(target, str) and len(item) == 1:
                    includes[group].append(target)
                else:
                    shown = repr(item) if len(repr(item)) <= 80 else repr(item)[:77] + "..."
                    reader.problem(
                        key,
                        f'dependency-groups.{group}: {shown} is not a requirement or {{include-group = "..."}}',
                    )
    edges: dict[str, list[str]] = {}
    for group, targets in includes.items():
        edges[group] = []
        for target in targets:
            real = names.get(canonicalize_name(target))
            if real is None:
                reader.problem(
                    ("dependency-groups", group),
                    f"dependency-groups.{group} includes unknown group {target!r}",
                )
            else:
                edges[group].append(real)
    for cycle in _cycles(edges):
        steps = cycle if len(cycle) <= 12 else [*cycle[:5], "...", *cycle[-5:]]
        reader.problem(
            ("dependency-groups", cycle[0]),
            f"dependency-groups: include cycle {' -> '.join(steps)}",
        )


def _cycles(edges: dict[str, list[str]]) -> list[list[str]]:
    """One path per back edge of a depth-first walk (each cycle reported once), found
    without recursion so a chain of thousands of groups can't overflow the stack."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    found: list[list[str]] = []
    for root in edges:
        if root in state:
            continue
        path = [root]
        state[root] = 1
        stack = [iter(edges.get(root, ()))]
        while stack:
            target = next(stack[-1], None)
            if target is None:
                stack.pop()
                state[path.pop()] = 2
                continue
            if state.get(target) == 1:
                found.append([*path[path.index(target) :], target])
            elif target not in state:
                state[target] = 1
                path.append(target)
                stack.append(iter(edges.get(target, ())))
    return found


def _poetry(reader: _Reader, table: dict[str, Any], *, skip_main: bool) -> bool:
    """Reads [tool.poetry] dependency tables; True if it had any."""
    found = False
    main = table.get("dependencies")
    extras_of: dict[str, list[str]] = {}
    extras = table.get("extras")
    if isinstance(extras, dict):
        for extra, members in extras.items():
            for member in members if isinstance(members, list) else []:
                if isinstance(member, str):
                    extras_of.setdefault(canonicalize_name(member), []).append(extra)
    if isinstance(main, dict):
        found = True
        path: KeyPath = ("tool", "poetry", "dependencies")
        if "python" in main:
            reader.set_requires_python(main["python"], (*path, "python"), poetry_style=True)
        if not skip_main:
            _poetry_table(reader, main, path, "main", False, extras_of)
    legacy = table.get("dev-dependencies")
    if isinstance(legacy, dict):
        found = True
        _poetry_table(
            reader, legacy, ("tool", "poetry", "dev-dependencies"), "poetry:dev", True, {}
        )
    groups = table.get("group")
    if isinstance(groups, dict):
        for group, body in groups.items():
            deps = body.get("dependencies") if isinstance(body, dict) else None
            if isinstance(deps, dict):
                found = True
                group_path: KeyPath = ("tool", "poetry", "group", group, "dependencies")
                # `optional = true` groups are installed only with `poetry install --with`.
                optional = isinstance(body, dict) and body.get("optional") is True
                label = f"poetry-optional:{group}" if optional else f"poetry:{group}"
                _poetry_table(reader, deps, group_path, label, group != "main", {})
    return found


def _poetry_table(
    reader: _Reader,
    deps: dict[str, Any],
    path: KeyPath,
    group: str,
    is_dev: bool,
    extras_of: dict[str, list[str]],
) -> None:
    for name, spec in deps.items():
        if reader.full(path):
            return
        if name.lower() == "python":
            continue
        span = reader.span((*path, name))
        for text, entry in poetry.requirement_texts(name, spec):
            groups = [group]
            if entry.get("optional") is True and group == "main":
                groups = [f"optional:{e}" for e in extras_of.get(canonicalize_name(name), [""])]
            for label in groups:
                item = declare(
                    text, reader.path, span, label, is_dev, editable=poetry.is_editable(entry)
                )
                reader.add(item)


def _uv_and_pdm(reader: _Reader, tool: dict[str, Any]) -> None:
    uv = tool.get("uv")
    if isinstance(uv, dict) and "dev-dependencies" in uv:
        key: KeyPath = ("tool", "uv", "dev-dependencies")
        reader.declare_all(reader.strings(uv["dev-dependencies"], key), "dev", True)
    pdm = tool.get("pdm")
    if isinstance(pdm, dict) and isinstance(pdm.get("dev-dependencies"), dict):
        for group, values in pdm["dev-dependencies"].items():
            key = ("tool", "pdm", "dev-dependencies", group)
            reader.declare_all(reader.strings(values, key), f"pdm:{group}", True)


def _uv_default_groups(tool: dict[str, Any]) -> tuple[str, ...] | None:
    """[tool.uv] default-groups: the groups `uv sync` installs (None: just `dev`)."""
    uv = tool.get("uv")
    groups = uv.get("default-groups") if isinstance(uv, dict) else None
    if groups == "all":
        return ("*",)
    if isinstance(groups, list):
        return tuple(canonicalize_name(g) for g in groups if isinstance(g, str))
    return None
