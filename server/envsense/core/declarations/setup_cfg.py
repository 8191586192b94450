"""setup.cfg: [options] install_requires / python_requires and [options.extras_require]."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

from packaging.utils import canonicalize_name

from envsense.core.declarations.common import (
    MAX_ENTRIES,
    declare,
    is_dev_name,
    parse_requires_python,
    too_many,
)
from envsense.core.declarations.records import (
    Declarations,
    DeclaredRequirement,
    ManifestProblem,
    ManifestSource,
    RequiresPython,
)
from envsense.core.findings import Span

_NOWHERE = Span(0, 0, 0, 0)
_REFERENCE = re.compile(r"%\(([^)]+)\)s")


class _Locator:
    """Finds value lines in the file, in order, inside a given section."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.sections: dict[str, int] = {}
        # (section, normalised key) -> its line, found in one pass (a lookup per key that
        # scanned the file made thousands of extras quadratic).
        self._keys: dict[tuple[str, str], int] = {}
        section = ""
        for number, line in enumerate(self.lines):
            stripped = line.strip()
            if stripped.startswith("[") and stripped.endswith("]"):
                section = stripped[1:-1].strip()
                self.sections.setdefault(section, number)
            elif "=" in line and not line[:1].isspace():
                name = line.partition("=")[0].strip().lower().replace("-", "_")
                self._keys.setdefault((section, name), number)

    def find(self, section: str, key: str, value: str, after: int) -> Span:
        start = max(self.sections.get(section, 0), after)
        for number in range(start, len(self.lines)):
            line = self.lines[number]
            column = line.find(value)
            if column >= 0 and (number > self.sections.get(section, 0)):
                return Span(number, column, number, column + len(value))
        return _NOWHERE

    def key_line(self, section: str, key: str) -> int:
        start = self.sections.get(section, 0)
        return self._keys.get((section, key.lower().replace("-", "_")), start)


def _error_position(error: configparser.Error) -> tuple[int, str]:
    """(1-based line, reason) of a configparser error; ParsingError keeps its lines in
    `errors`, and its own message names only the file."""
    errors = getattr(error, "errors", None)  # MissingSectionHeaderError subclasses ParsingError
    if isinstance(error, configparser.ParsingError) and errors:
        line, raw = errors[0][0], str(errors[0][1])
        shown = raw if len(raw) <= 60 else raw[:57] + "..."
        more = f" (and {len(errors) - 1} more lines)" if len(errors) > 1 else ""
        return int(line), f"not a section, key or continuation: {shown}{more}"
    line = getattr(error, "lineno", None) or 1
    message = str(error).splitlines()[0] if str(error) else type(error).__name__
    return int(line), message


def parse_setup_cfg(path: Path, text: str) -> Declarations:
    """Declarations of a setup.cfg text."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as error:
        line, message = _error_position(error)
        problem = ManifestProblem(
            path, f"{path.name}: invalid at line {line}: {message}", Span(line - 1, 0, line - 1, 0)
        )
        return Declarations(problems=(problem,), manifests=(path,))
    locator = _Locator(text)
    requirements: list[DeclaredRequirement] = []
    problems: list[ManifestProblem] = []
    requires: RequiresPython | None = None
    declares = False

    def entries(section: str, key: str, depth: int = 0) -> list[tuple[str, str | None]]:
        """(requirement text, the `%(name)s` line it came from) of one option, with
        setuptools' interpolation of other options of the section expanded."""
        raw = parser.get(section, key, fallback="", raw=True)
        found: list[tuple[str, str | None]] = []
        for entry in raw.splitlines():
            entry = entry.strip()
            if not entry or entry.startswith("#"):
                continue
            reference = _REFERENCE.fullmatch(entry)
            if reference is None:
                found.append((entry, None))
            elif depth < 5 and parser.has_option(section, reference.group(1)):
                found.extend(
                    (text, entry) for text, _ in entries(section, reference.group(1), depth + 1)
                )
        return found

    def read_list(section: str, key: str, group: str, is_dev: bool) -> None:
        position = locator.key_line(section, key)
        for entry, written in entries(section, key):
            if len(requirements) + len(problems) >= MAX_ENTRIES:
                problems.append(too_many(path, Span.whole_line(position, 0)))
                return
            # An interpolated requirement points at the `%(name)s` line that brought it.
            span = locator.find(section, key, written or entry, position)
            if written is None or span is not _NOWHERE:
                position = span.line if span is not _NOWHERE else position
            item = declare(entry, path, span, group, is_dev)
            (requirements if isinstance(item, DeclaredRequirement) else problems).append(item)  # type: ignore[arg-type]
            if written is None:
                position += 1

    if parser.has_section("options"):
        for key in parser.options("options"):
            normalized = key.replace("-", "_")
            if normalized == "install_requires":
                declares = True
                read_list("options", key, "main", False)
            elif normalized == "python_requires":
                raw = parser.get("options", key).strip()
                span = locator.find("options", key, raw, locator.key_line("options", normalized))
                parsed = parse_requires_python(raw, raw, path, span, "python_requires")
                if isinstance(parsed, ManifestProblem):
                    problems.append(parsed)
                else:
                    requires = parsed
    if parser.has_section("options.extras_require"):
        for extra in parser.options("options.extras_require"):
            declares = True
            read_list("options.extras_require", extra, f"optional:{extra}", is_dev_name(extra))
    name = parser.get("metadata", "name", fallback=None) if parser.has_section("metadata") else None
    return Declarations(
        requirements=tuple(requirements),
        requires_python=requires,
        problems=tuple(problems),
        manifests=(path,),
        sources=(ManifestSource(path, "setup.cfg", declares),),
        project_name=canonicalize_name(name) if name else None,
    )
