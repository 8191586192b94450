"""[tool.poetry]: dependency tables with caret/tilde constraints, turned into PEP 440/508."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from packaging.version import InvalidVersion, Version

from envsense.core.declarations.records import DeclaredRequirement, ManifestProblem

_OPERATOR = re.compile(r"^(===|==|!=|<=|>=|~=|<|>|=)\s*(.+)$")


def poetry_constraint(text: str) -> str | None:
    """A Poetry version constraint as a PEP 440 specifier ("" = any); None if it can't be one.

    `^1.2.3` -> `>=1.2.3,<2.0.0`, `~1.2` -> `>=1.2,<1.3`, `1.2.*` -> `==1.2.*`,
    `>=1.2 <2` -> `>=1.2,<2`. Unions (`||`) have no PEP 440 form.
    """
    text = text.strip()
    if "|" in text:
        return None
    specs: list[str] = []
    for part in text.split(","):
        # Poetry allows spaces between an operator and its version; glue them first.
        tokens = re.sub(r"(===|==|!=|<=|>=|~=|[<>=^~])\s+", r"\1", part).split()
        for token in tokens:
            converted = _convert(token)
            if converted is None:
                return None
            specs.extend(converted)
    return ",".join(specs)


def _release(version: str) -> list[int] | None:
    try:
        parsed = Version(version)
    except (InvalidVersion, ValueError):  # ValueError: a number past Python's int digits limit
        return None
    written = len(version.split("+")[0].split("."))
    release = list(parsed.release)
    return release[: max(written, 1)] if len(release) >= written else release


def _convert(token: str) -> list[str] | None:
    if token in ("*", ""):
        return []
    if token.startswith("^"):
        release = _release(token[1:])
        if release is None:
            return None
        index = next((i for i, n in enumerate(release) if n), len(release) - 1)
        upper = release[: index + 1]
        upper[index] += 1
        upper += [0] * (len(release) - index - 1)
        return [f">={token[1:]}", "<" + ".".join(map(str, upper))]
    if token.startswith("~") and not token.startswith("~="):
        release = _release(token[1:])
        if release is None:
            return None
        upper = [release[0] + 1] if len(release) == 1 else [release[0], release[1] + 1]
        return [f">={token[1:]}", "<" + ".".join(map(str, upper))]
    match = _OPERATOR.match(token)
    if match is not None:
        operator, version = match.groups()
        return [("==" if operator == "=" else operator) + version]
    return [f"=={token}"]


def python_marker(constraint: str) -> str | None:
    """A poetry `python = "..."` field as a PEP 508 marker."""
    specifier = poetry_constraint(constraint)
    if not specifier:
        return None
    clauses = []
    for spec in specifier.split(","):
        match = _OPERATOR.match(spec)
        if match is None:
            return None
        operator, version = match.groups()
        variable = "python_full_version" if version.count(".") >= 2 else "python_version"
        clauses.append(f'{variable} {operator} "{version}"')
    return " and ".join(clauses)


def requirement_texts(name: str, spec: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """PEP 508 texts for one poetry dependency entry (a list gives one per constraint),
    each with its table (empty for a plain version string)."""
    tables: list[Any] = spec if isinstance(spec, list) else [spec]
    for table in tables:
        if isinstance(table, str):
            specifier = poetry_constraint(table)
            yield name + (specifier or ""), {}
            continue
        if not isinstance(table, dict):
            continue
        extras = table.get("extras")
        text = name
        if isinstance(extras, list) and extras:
            text += "[" + ",".join(str(e) for e in extras) + "]"
        url = _url(table)
        if url is not None:
            text += f" @ {url}"
        else:
            version = table.get("version")
            if isinstance(version, str):
                text += poetry_constraint(version) or ""
        markers: list[str] = []
        if isinstance(table.get("markers"), str):
            markers.append(table["markers"])
        if isinstance(table.get("python"), str):
            marker = python_marker(table["python"])
            if marker:
                markers.append(marker)
        if isinstance(table.get("platform"), str):
            markers.append(f'sys_platform == "{table["platform"]}"')
        if markers:
            separator = " " if url is not None else ""
            joined = " and ".join(f"({m})" if len(markers) > 1 else m for m in markers)
            text += f"{separator}; {joined}"
        yield text, table


def _url(table: dict[str, Any]) -> str | None:
    if isinstance(table.get("git"), str):
        ref = next(
            (table[k] for k in ("rev", "tag", "branch") if isinstance(table.get(k), str)), None
        )
        base = table["git"]
        base = base if base.startswith("git+") else f"git+{base}"
        return f"{base}@{ref}" if ref else base
    if isinstance(table.get("url"), str):
        return str(table["url"])
    for key in ("path", "file"):
        if isinstance(table.get(key), str):
            return f"file:{table[key]}"
    return None


def is_editable(table: dict[str, Any]) -> bool:
    return table.get("develop") is True


def split(
    items: list[DeclaredRequirement | ManifestProblem],
) -> tuple[list[DeclaredRequirement], list[ManifestProblem]]:
    requirements = [i for i in items if isinstance(i, DeclaredRequirement)]
    problems = [i for i in items if isinstance(i, ManifestProblem)]
    return requirements, problems
