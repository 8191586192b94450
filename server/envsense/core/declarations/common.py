"""Shared by the manifest readers: turning requirement text into records, and problems."""

from __future__ import annotations

import re
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from envsense.core.declarations.records import (
    DeclaredRequirement,
    ManifestProblem,
    RequiresPython,
)
from envsense.core.findings import Span

# Requirements (and problems) read from one manifest, includes counted in: real projects
# declare hundreds; 5 MB of one-letter lines would otherwise be millions of records.
MAX_ENTRIES = 5_000
# Python refuses to turn more than 4,300 digits into an int, and packaging compares versions
# as ints: a longer number would fail every later comparison. No real version has 100.
_HUGE_NUMBER = re.compile(r"\d{101}")
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")
# Extra / group / file names that mean "only for developing the project".
DEV_NAMES = frozenset(
    {
        "dev", "develop", "development", "test", "tests", "testing", "lint", "linting",
        "docs", "doc", "typing", "types", "mypy", "style", "check", "checks", "ci", "local",
        "coverage", "format", "fmt", "qa", "build", "release", "publish", "tox", "nox",
        "bench", "benchmark", "benchmarks", "pre-commit", "precommit", "pytest", "sphinx",
        "mkdocs", "tests-min", "test-min",
    }
)  # fmt: skip


def is_dev_name(name: str) -> bool:
    """`dev`, `tests`, `docs`, `lint-ci`, `tests-min`, `dev-tools`: names of a development
    list (a word of the name is enough)."""
    canonical = canonicalize_name(name)
    return canonical in DEV_NAMES or any(part in DEV_NAMES for part in canonical.split("-"))


def declare(
    text: str,
    manifest: Path,
    span: Span,
    group: str,
    is_dev: bool,
    *,
    options: tuple[str, ...] = (),
    editable: bool = False,
) -> DeclaredRequirement | ManifestProblem:
    """A requirement from its PEP 508 text, or a problem pointing at it."""
    if has_huge_number(text):
        return ManifestProblem(
            manifest,
            f"{manifest.name}: invalid requirement at line {span.line + 1}: "
            "a number longer than 100 digits",
            span,
        )
    try:
        requirement = Requirement(text)
    except InvalidRequirement as error:
        reason = str(error).splitlines()[0] if str(error) else "not a valid requirement"
        return ManifestProblem(
            manifest,
            f"{manifest.name}: invalid requirement {shorten(text)!r} at line {span.line + 1}: "
            f"{shorten(reason)}",
            span,
        )
    return DeclaredRequirement(
        name=requirement.name,
        canonical=canonicalize_name(requirement.name),
        requirement=requirement,
        raw=text,
        manifest=manifest,
        span=span,
        group=group,
        is_dev=is_dev,
        options=options,
        editable=editable,
        url=requirement.url,
    )


def shorten(text: str, limit: int = 200) -> str:
    """Text for a message: a 1 MB requirement line would otherwise be quoted whole."""
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def too_many(manifest: Path, span: Span) -> ManifestProblem:
    """The one problem of a manifest past MAX_ENTRIES requirements."""
    return ManifestProblem(
        manifest,
        f"{manifest.name}: more than {MAX_ENTRIES} requirements; the rest are not read",
        span,
    )


def has_huge_number(text: str) -> bool:
    """Whether `text` holds a run of more than 100 digits (no version number can be used)."""
    return _HUGE_NUMBER.search(text) is not None


def toml_problem(manifest: Path, error: Exception) -> ManifestProblem:
    """One problem for a TOML file that doesn't parse, at the position tomllib names."""
    message = str(error)
    match = _TOML_POSITION.search(message)
    reason = _TOML_POSITION.sub("", message).strip()
    if match is None:
        return ManifestProblem(
            manifest, f"{manifest.name}: invalid TOML: {reason}", Span(0, 0, 0, 0)
        )
    line, column = int(match.group(1)), int(match.group(2))
    return ManifestProblem(
        manifest,
        f"{manifest.name}: invalid TOML at line {line}, column {column}: {reason}",
        Span(line - 1, max(column - 1, 0), line - 1, column),
    )


def read_problem(manifest: Path, error: Exception) -> ManifestProblem:
    return ManifestProblem(manifest, f"{manifest.name}: can't be read: {error}", Span(0, 0, 0, 0))


def line_span(text: str, line: int) -> Span:
    lines = text.split("\n")
    length = len(lines[line].rstrip("\r")) if 0 <= line < len(lines) else 0
    return Span.whole_line(line, length)


def unnamed(
    raw: str,
    manifest: Path,
    span: Span,
    group: str,
    is_dev: bool,
    *,
    url: str | None,
    options: tuple[str, ...] = (),
    editable: bool = False,
) -> DeclaredRequirement:
    """A requirement that names no project (a local path, a bare URL)."""
    return DeclaredRequirement(
        name=raw,
        canonical="",
        requirement=None,
        raw=raw,
        manifest=manifest,
        span=span,
        group=group,
        is_dev=is_dev,
        options=options,
        editable=editable,
        url=url,
    )


def parse_requires_python(
    specifier: str, raw: str, manifest: Path, span: Span, what: str
) -> RequiresPython | ManifestProblem:
    """The project's Python range, or a problem on its span when `specifier` is invalid.

    `raw` is the text as written (kept for messages), `specifier` its PEP 440 form, and
    `what` names the key in the manifest's own terms (`python_requires`, ...).
    """
    try:
        if has_huge_number(specifier):
            raise InvalidSpecifier(specifier)
        return RequiresPython(SpecifierSet(specifier), raw, manifest, span)
    except InvalidSpecifier:
        return ManifestProblem(
            manifest,
            f"{manifest.name}: {what} {shorten(raw)!r} is not a valid version specifier",
            span,
        )
