"""PEP 723 inline script metadata: a `# /// script` block makes a script its own project."""

from __future__ import annotations

import re
from pathlib import Path

from envsense.core.declarations.common import (
    MAX_ENTRIES,
    declare,
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
from envsense.core.declarations.toml_spans import TomlLocator
from envsense.core.findings import Span
from envsense.core.safe_read import MANIFEST_LIMIT, too_large
from envsense.core.toml_compat import TOMLDecodeError, loads_toml

# PEP 723's reference regex, `(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$`,
# backtracks over every following comment line for every opener: 8,000 lines took 13 s.
# _blocks finds the same blocks line by line, in linear time.
_OPENER = re.compile(r"# /// ([a-zA-Z0-9-]+)")
_CLOSER = "# ///"
_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def read_script_metadata(source: str, path: Path) -> Declarations | None:
    """The declarations of a script's `# /// script` block; None when it has none."""
    if "# /// script" not in source:
        return None
    if "\r" in source:
        source = source.replace("\r\n", "\n")
    scripts = [b for b in _blocks(source.split("\n")) if b[0] == "script"]
    if not scripts:
        return None
    first_line = scripts[0][1]
    if len(scripts) > 1:
        span = Span.whole_line(first_line, len("# /// script"))
        problem = ManifestProblem(path, f"{path.name}: more than one '# /// script' block", span)
        return Declarations(problems=(problem,), manifests=(path,))
    content_lines = scripts[0][2]
    if sum(len(line) + 1 for line in content_lines) > MANIFEST_LIMIT:
        span = Span.whole_line(first_line, len("# /// script"))
        reason = too_large(MANIFEST_LIMIT)
        problem = ManifestProblem(path, f"{path.name}: the script block is {reason}", span)
        return Declarations(problems=(problem,), manifests=(path,))
    # Every line is "#" or "# text": the TOML starts at column 2.
    toml = "\n".join(line[2:] if line.startswith("# ") else line[1:] for line in content_lines)
    content_line = first_line + 1
    try:
        data = loads_toml(toml)
    except TOMLDecodeError as error:
        found = _POSITION.search(str(error))
        line = content_line + (int(found.group(1)) - 1 if found else 0)
        column = (int(found.group(2)) - 1 + 2) if found else 0
        reason = _POSITION.sub("", str(error)).strip()
        where = f"at line {line + 1}, column {column + 1}" if found else "in the script block"
        problem = ManifestProblem(
            path,
            f"{path.name}: invalid TOML {where}: {reason}",
            Span(line, column, line, column + 1),
        )
        return Declarations(problems=(problem,), manifests=(path,))
    locator = TomlLocator(toml, line_offset=content_line, column_offset=2)
    requirements: list[DeclaredRequirement] = []
    problems: list[ManifestProblem] = []
    block_span = Span.whole_line(first_line, len("# /// script"))
    dependencies = data.get("dependencies", [])
    if not isinstance(dependencies, list):
        problems.append(
            ManifestProblem(path, f"{path.name}: script dependencies must be an array", block_span)
        )
        dependencies = []
    for entry in dependencies:
        if len(requirements) + len(problems) >= MAX_ENTRIES:
            problems.append(too_many(path, block_span))
            break
        if not isinstance(entry, str):
            problems.append(
                ManifestProblem(
                    path, f"{path.name}: script dependency {entry!r} is not a string", block_span
                )
            )
            continue
        span = locator.take_string(("dependencies",), entry) or block_span
        item = declare(entry, path, span, "main", False)
        if isinstance(item, DeclaredRequirement):
            requirements.append(item)
        else:
            problems.append(item)
    requires: RequiresPython | None = None
    raw = data.get("requires-python")
    if isinstance(raw, str):
        span = locator.take_string(("requires-python",), raw) or block_span
        parsed = parse_requires_python(raw, raw, path, span, "requires-python")
        if isinstance(parsed, ManifestProblem):
            problems.append(parsed)
        else:
            requires = parsed
    return Declarations(
        requirements=tuple(requirements),
        requires_python=requires,
        problems=tuple(problems),
        manifests=(path,),
        sources=(ManifestSource(path, "script", True),),
    )


def _blocks(lines: list[str]) -> list[tuple[str, int, list[str]]]:
    """(type, opener line, content lines) of each `# /// type` block, as the reference regex
    finds them: the block runs to the LAST `# ///` of the comment lines that follow it."""
    count = len(lines)
    # last_closer[j]: the last `# ///` line in the run of comment lines starting at j.
    last_closer: list[int | None] = [None] * (count + 1)
    for j in range(count - 1, -1, -1):
        line = lines[j]
        if line == "#" or line.startswith("# "):
            last_closer[j] = (
                last_closer[j + 1]
                if last_closer[j + 1] is not None
                else (j if line == _CLOSER else None)
            )
    found: list[tuple[str, int, list[str]]] = []
    i = 0
    while i < count - 1:
        opener = _OPENER.fullmatch(lines[i])
        closer = last_closer[i + 1] if opener else None
        if opener is None or closer is None or closer < i + 2:
            i += 1
            continue
        found.append((opener.group(1), i, lines[i + 1 : closer]))
        i = closer + 1
    return found
