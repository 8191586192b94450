"""pyproject.toml `dynamic` dependencies that a build backend reads from requirements files.

`[tool.setuptools.dynamic] dependencies = {file = ["requirements.txt"]}` (and
`optional-dependencies.<extra> = {file = [...]}`), and hatch-requirements-txt's
`[tool.hatch.metadata.hooks.requirements_txt] files = [...]` or `filename = "..."` (and
`optional-dependencies = {<extra> = [...]}`). The files named are the project's runtime
lists: their requirements are declared with `via` set to the pyproject.toml.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from envsense.core.declarations.records import Declarations
from envsense.core.declarations.requirements_txt import parse_requirements
from envsense.core.safe_read import REQUIREMENTS_LIMIT, read_bytes

_MAX_READ = 1_000_000


def dynamic_files(
    pyproject: Path, tool: dict[str, Any], dynamic: list[Any]
) -> list[tuple[Path, str]]:
    """(file, group) for each requirements file the build backend reads."""
    wanted: list[tuple[Any, str]] = []
    setuptools = tool.get("setuptools")
    table = setuptools.get("dynamic") if isinstance(setuptools, dict) else None
    if isinstance(table, dict):
        if "dependencies" in dynamic and isinstance(table.get("dependencies"), dict):
            wanted.append((table["dependencies"].get("file"), "main"))
        optional = table.get("optional-dependencies")
        if "optional-dependencies" in dynamic and isinstance(optional, dict):
            for extra, entry in optional.items():
                if isinstance(entry, dict):
                    wanted.append((entry.get("file"), f"optional:{extra}"))
    hatch = tool.get("hatch")
    metadata = hatch.get("metadata") if isinstance(hatch, dict) else None
    hooks = metadata.get("hooks") if isinstance(metadata, dict) else None
    hook = hooks.get("requirements_txt") if isinstance(hooks, dict) else None
    if isinstance(hook, dict):
        if "dependencies" in dynamic:
            # `files` (current), `filename` (older releases of the plugin).
            wanted.append((hook.get("files", hook.get("filename")), "main"))
        optional = hook.get("optional-dependencies")
        if "optional-dependencies" in dynamic and isinstance(optional, dict):
            for extra, files in optional.items():
                wanted.append((files, f"optional:{extra}"))
    found: list[tuple[Path, str]] = []
    for files, group in wanted:
        names = [files] if isinstance(files, str) else files if isinstance(files, list) else []
        for name in names:
            path = _project_file(pyproject.parent, name) if isinstance(name, str) else None
            if path is not None:
                found.append((path, group))
    return found


def read_dynamic(pyproject: Path, files: list[tuple[Path, str]]) -> list[Declarations]:
    """The requirements of each file, declared in its group and read via the pyproject."""
    parts: list[Declarations] = []
    for path, group in files:
        try:
            text = read_bytes(path, REQUIREMENTS_LIMIT).decode("utf-8-sig", errors="replace")
        except OSError:
            continue
        parsed = parse_requirements(path, text, group=group, is_dev=False)
        parts.append(
            Declarations(
                requirements=tuple(replace(r, via=pyproject) for r in parsed.requirements),
                constraints=parsed.constraints,
                manifests=(path,),
            )
        )
    return parts


def _project_file(folder: Path, name: str) -> Path | None:
    try:
        root = folder.resolve()
        candidate = (folder / name).resolve()
        if root not in candidate.parents or not candidate.is_file():
            return None
        return candidate if candidate.stat().st_size <= _MAX_READ else None
    except (OSError, ValueError):
        return None
