"""Findings about the project's environment itself: none found, broken, or wrong Python."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from envsense.core.findings import DEFAULT_SEVERITY, Code, Finding, FixData, Span

if TYPE_CHECKING:
    from envsense.core.checks.source import ProjectContext


def environment_findings(path: Path, context: ProjectContext, *, source_text: str) -> list[Finding]:
    """no-environment on any file of a project without a usable environment, and
    python-version-mismatch on the requires-python line."""
    selection = context.selection
    environment = selection.environment
    declarations = context.declarations
    requires = declarations.requires_python
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
