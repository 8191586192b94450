"""Pipfile: [packages], [dev-packages] and [requires] python_version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from envsense.core.declarations.common import (
    MAX_ENTRIES,
    declare,
    parse_requires_python,
    toml_problem,
    too_many,
    unnamed,
)
from envsense.core.declarations.records import (
    Declarations,
    DeclaredRequirement,
    ManifestProblem,
    ManifestSource,
    RequiresPython,
)
from envsense.core.declarations.toml_spans import TomlLocator
from envsense.core.findings import Span
from envsense.core.toml_compat import TOMLDecodeError, loads_toml

_NOWHERE = Span(0, 0, 0, 0)
_MARKER_KEYS = ("sys_platform", "platform_machine", "os_name", "python_version", "platform_system")


def _text(name: str, spec: Any) -> tuple[str | None, bool, str | None]:
    """(PEP 508 text or None when it names a location only, editable, url)."""
    if isinstance(spec, str):
        return (name if spec.strip() in ("*", "") else f"{name}{spec.strip()}"), False, None
    if not isinstance(spec, dict):
        return name, False, None
    text = name
    extras = spec.get("extras")
    if isinstance(extras, list) and extras:
        text += "[" + ",".join(str(e) for e in extras) + "]"
    url: str | None = None
    if isinstance(spec.get("git"), str):
        url = spec["git"] if spec["git"].startswith("git+") else f"git+{spec['git']}"
        if isinstance(spec.get("ref"), str):
            url += f"@{spec['ref']}"
    elif isinstance(spec.get("file"), str):
        url = spec["file"]
    elif isinstance(spec.get("path"), str):
        url = spec["path"]
    version = spec.get("version")
    if url is not None and "://" in url:
        text += f" @ {url}"
    elif isinstance(version, str) and version.strip() not in ("*", ""):
        text += version.strip()
    markers = [spec["markers"]] if isinstance(spec.get("markers"), str) else []
    markers += [f"{key} {spec[key]}" for key in _MARKER_KEYS if isinstance(spec.get(key), str)]
    if markers:
        text += (" " if " @ " in text else "") + "; " + " and ".join(f"({m})" for m in markers)
    return text, spec.get("editable") is True, url


def parse_pipfile(path: Path, text: str) -> Declarations:
    """Declarations of a Pipfile text."""
    try:
        data = loads_toml(text)
    except TOMLDecodeError as error:
        return Declarations(problems=(toml_problem(path, error),), manifests=(path,))
    locator = TomlLocator(text)
    requirements: list[DeclaredRequirement] = []
    problems: list[ManifestProblem] = []
    for section, group, is_dev in (
        ("packages", "main", False),
        ("dev-packages", "pipenv:dev", True),
    ):
        table = data.get(section)
        if not isinstance(table, dict):
            continue
        for name, spec in table.items():
            if len(requirements) + len(problems) >= MAX_ENTRIES:
                problems.append(too_many(path, locator.key_span((section,)) or _NOWHERE))
                break
            span = locator.key_span((section, name)) or _NOWHERE
            requirement_text, editable, url = _text(name, spec)
            if requirement_text is None:
                requirements.append(
                    unnamed(str(url), path, span, group, is_dev, url=url, editable=editable)
                )
                continue
            item = declare(requirement_text, path, span, group, is_dev, editable=editable)
            if isinstance(item, DeclaredRequirement) and url is not None and item.url is None:
                item = DeclaredRequirement(
                    item.name, item.canonical, item.requirement, item.raw, path, span, group,
                    is_dev, (), editable, url,
                )  # fmt: skip
            (requirements if isinstance(item, DeclaredRequirement) else problems).append(item)  # type: ignore[arg-type]
    requires: RequiresPython | None = None
    table = data.get("requires")
    if isinstance(table, dict):
        for key, operator in (("python_full_version", "=="), ("python_version", "==")):
            raw = table.get(key)
            if not isinstance(raw, str):
                continue
            spec = f"{operator}{raw}" if key == "python_full_version" else f"=={raw}.*"
            span = locator.take_string(("requires", key), raw) or _NOWHERE
            parsed = parse_requires_python(spec, raw, path, span, f"requires.{key}")
            if isinstance(parsed, ManifestProblem):
                problems.append(parsed)
            else:
                requires = parsed
            break
    declares = isinstance(data.get("packages"), dict) or isinstance(data.get("dev-packages"), dict)
    return Declarations(
        requirements=tuple(requirements),
        requires_python=requires,
        problems=tuple(problems),
        manifests=(path,),
        sources=(ManifestSource(path, "pipfile", declares),),
    )
