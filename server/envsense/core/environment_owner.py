"""Whose environment a project uses: its own, its uv workspace root's (uv puts one `.venv`
at the root whose `[tool.uv.workspace]` members hold the project), or the enclosing
project's for a docs/tests/CI folder that only holds requirements files."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from envsense.core.discovery import fs
from envsense.core.projects import MARKER_FILES, Project, enclosing_projects
from envsense.core.toml_compat import TOMLDecodeError, loads_toml


def uv_workspace_root(project: Project, *, home: Path | None = None) -> Project | None:
    """The uv workspace whose `[tool.uv.workspace] members` (minus `exclude`) hold the
    project, or the project itself when it is a workspace root; None otherwise."""
    if project.markers and _workspace_table(project.root) is not None:
        return project
    for above in enclosing_projects(project, home=home):
        table = _workspace_table(above.root)
        if table is None:
            continue
        relative = PurePosixPath(project.root.relative_to(above.root).as_posix())
        members = _globs(table.get("members"))
        excluded = _globs(table.get("exclude"))
        if any(_glob_match(relative, g) for g in members) and not any(
            _glob_match(relative, g) for g in excluded
        ):
            return above
    return None


def _workspace_table(folder: Path) -> dict[str, object] | None:
    text = fs.read_text(folder / "pyproject.toml")
    if text is None or "workspace" not in text:
        return None
    try:
        data = loads_toml(text)
    except TOMLDecodeError:
        return None
    tool = data.get("tool")
    uv = tool.get("uv") if isinstance(tool, dict) else None
    workspace = uv.get("workspace") if isinstance(uv, dict) else None
    # An empty `[tool.uv.workspace]` table still makes a workspace.
    return workspace if isinstance(workspace, dict) else None


def _globs(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return [item.strip("/") for item in value if isinstance(item, str)]


def _glob_match(path: PurePosixPath, pattern: str) -> bool:
    """uv's member globs: `*` within one folder name, `**` across folders."""
    return _match_parts(path.parts, PurePosixPath(pattern).parts)


def _match_parts(parts: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    from fnmatch import fnmatchcase

    if not pattern:
        return not parts
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_match_parts(parts[i:], rest) for i in range(len(parts) + 1))
    if not parts or not fnmatchcase(parts[0], head):
        return False
    return _match_parts(parts[1:], rest)


_SERVING_FOLDERS = frozenset(
    {"docs", "doc", "documentation", "tests", "test", "testing", ".github", ".ci", "ci"}
    | {"bench", "benchmarks", "requirements"}
)


def environment_owner(project: Project, *, home: Path | None = None) -> Project:
    """The project whose environment `project` uses: the uv workspace root for a member
    (uv only ever uses the root's), the enclosing project for a folder that only holds
    requirements files for its docs/tests/CI, else the project itself."""
    if not project.markers:
        return project
    workspace = uv_workspace_root(project, home=home)
    if workspace is not None:
        return workspace
    only_requirements = all(name not in MARKER_FILES for name in project.markers)
    if only_requirements and project.root.name.lower() in _SERVING_FOLDERS:
        enclosing = enclosing_projects(project, home=home)
        if enclosing:
            return enclosing[0]
    return project
