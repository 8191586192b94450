"""Findings about the project's environment itself: none found, broken, global stand-in,
or wrong Python."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from envsense.core.environment_owner import environment_owner
from envsense.core.findings import DEFAULT_SEVERITY, Code, Finding, FixData, Span
from envsense.core.safe_read import MANIFEST_LIMIT, read_bytes

if TYPE_CHECKING:
    from envsense.core.checks.source import ProjectContext
    from envsense.core.environment import Environment


def environment_findings(path: Path, context: ProjectContext, *, source_text: str) -> list[Finding]:
    """no-environment on any file of a project without a usable environment, and
    python-version-mismatch on the requires-python line."""
    selection = context.selection
    environment = selection.environment
    declarations = context.declarations
    requires = declarations.requires_python
    manifest = context.project.manifest
    if manifest is not None and path.name == manifest.name and path.resolve() == manifest:
        findings = [f for f in project_findings(context) if f.path == manifest]
        if findings:
            # The project's one no-environment finding lives on its manifest; the
            # requires-python line is checked against the stand-in too.
            return findings + _version_mismatch(path, context)
    if environment is None or not environment.is_usable:
        if not (declarations.declares_dependencies or _has_imports(source_text)):
            return []
        if environment is None:
            message = f"No Python environment found for {context.project.root.name}"
        else:
            message = (
                f"The environment of {context.project.root.name}, {environment.display_name}, "
                f"is broken: {environment.error}"
            )
        wanted = f" (requires-python {requires.raw})" if requires else ""
        message += f"; create one to check its imports{wanted}"
        fix = FixData(
            project=str(context.project.root),
            requires_python=requires.raw if requires else None,
            environment=environment.key if environment else None,
        )
        return [_finding(path, _first_line(source_text), Code.NO_ENVIRONMENT, message, fix)]
    return _version_mismatch(path, context)


def project_findings(context: ProjectContext) -> list[Finding]:
    """The one no-environment finding of a project that has no environment of its own
    while a global interpreter stands in (`Selection.fallback`), on its manifest's first
    line. A folder of scripts that is no project gets none: it quietly uses the global
    interpreter, as `python script.py` would."""
    selection = context.selection
    environment = selection.environment
    if not selection.fallback or environment is None or not context.project.markers:
        return []
    # A uv member or a docs/tests folder would use its owner's environment: the owner
    # gets the one finding, on its own manifest.
    project = environment_owner(context.project)
    manifest = project.manifest
    if manifest is None:
        return []
    requires = context.declarations.requires_python if project == context.project else None
    command = create_command(project.root)
    what = _stand_in(environment)
    message = (
        f"No environment for {project.root.name}: using your global {what} for now, "
        "shared by every project; "
    )
    message += f"create one with `{command}`" if command else "create a .venv for it"
    fix = FixData(
        project=str(project.root),
        requires_python=requires.raw if requires else None,
        environment=environment.key,
    )
    first = _first_line(_read_head(manifest))
    return [_finding(manifest, first, Code.NO_ENVIRONMENT, message, fix)]


def create_command(root: Path) -> str | None:
    """The command the project's own manager creates its environment with (`uv sync`,
    `poetry install`, `pdm install`, `hatch env create`, `pipenv install`), else None."""
    from envsense.core.project_manager import read_project_layout

    manager = read_project_layout(root).manager
    if manager is not None:
        return _MANAGER_COMMANDS.get(manager.value)
    if (root / "hatch.toml").is_file() or _has_tool_table(root, "hatch"):
        return _MANAGER_COMMANDS["hatch"]
    return None


_MANAGER_COMMANDS = {
    "uv": "uv sync",
    "poetry": "poetry install",
    "pdm": "pdm install",
    "hatch": "hatch env create",
    "pipenv": "pipenv install",
}


def _has_tool_table(root: Path, tool: str) -> bool:
    try:
        data = read_bytes(root / "pyproject.toml", MANIFEST_LIMIT, truncate=True)
        text = data.decode("utf-8", errors="replace")
    except OSError:
        return False
    return f"[tool.{tool}" in text


def _stand_in(environment: Environment) -> str:
    """`pyenv 3.13.0`: the words the selection reason uses for a global interpreter."""
    if environment.version is not None:
        return f"{environment.kind} {environment.version}"
    return f"{environment.kind} {environment.display_name}"


def _read_head(path: Path) -> str:
    try:
        return read_bytes(path, 4096, truncate=True).decode("utf-8", errors="replace")
    except OSError:
        return ""


def _version_mismatch(path: Path, context: ProjectContext) -> list[Finding]:
    environment = context.selection.environment
    requires = context.declarations.requires_python
    if environment is None or not environment.is_usable:
        return []
    if requires is None or requires.manifest != path or environment.version is None:
        return []
    if requires.specifier.contains(str(environment.version), prereleases=True):
        return []
    message = f"{environment.label} doesn't satisfy requires-python {requires.raw}"
    fix = FixData(
        project=str(context.project.root),
        requires_python=requires.raw,
        environment=environment.key,
    )
    return [_finding(path, requires.span, Code.PYTHON_VERSION_MISMATCH, message, fix)]


def _finding(path: Path, span: Span, code: Code, message: str, fix: FixData) -> Finding:
    return Finding(path, span, code, DEFAULT_SEVERITY[code], message, fix)


def _has_imports(text: str) -> bool:
    return "import " in text


def _first_line(text: str) -> Span:
    first = text.split("\n", 1)[0]
    return Span.whole_line(0, len(first.rstrip("\r")))
