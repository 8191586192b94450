"""requirements*.txt in pip's format: includes, constraints, editables, options, continuations."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)

from envsense.core.declarations.common import (
    MAX_ENTRIES,
    declare,
    is_dev_name,
    read_problem,
    too_many,
    unnamed,
)
from envsense.core.declarations.records import (
    Declarations,
    DeclaredRequirement,
    ManifestProblem,
    ManifestSource,
)
from envsense.core.findings import Span
from envsense.core.safe_read import REQUIREMENTS_LIMIT, read_bytes

# Where a requirement's own options (`--hash=...`) begin. The look-behind makes a long run
# of blanks one match attempt, not one per blank (which was quadratic).
_LINE_OPTION = re.compile(r"(?<!\s)\s+--?[A-Za-z]")
_INDEX_OPTIONS = {
    "-i": "--index-url",
    "--index-url": "--index-url",
    "--extra-index-url": "--extra-index-url",
    "--trusted-host": "--trusted-host",
    "-f": "--find-links",
    "--find-links": "--find-links",
    "--no-index": "--no-index",
}
_INCLUDES = {"-r": "r", "--requirement": "r", "-c": "c", "--constraint": "c"}
_EDITABLE = ("-e", "--editable")
_MAIN_NAMES = frozenset({"", "base", "main", "prod", "production", "runtime", "common", "install"})

ReadText = Callable[[Path], str]

# pip has no limits; these keep a hostile tree bounded (docs/security.md, "Limits").
MAX_INCLUDE_DEPTH = 32
MAX_INCLUDED_FILES = 256
MAX_LINES = 50_000  # logical lines per file: comments and blanks cost time too


@dataclass
class _Expansion:
    """One top-level file's include expansion: what was read, so a file included along
    several paths (a diamond) is expanded once, and how much, so nothing grows unbounded."""

    reader: ReadText
    expanded: set[tuple[Path, bool, tuple[str, ...]]]
    files: int = 0
    entries: int = 0
    capped: bool = False


def _strip_comment(text: str) -> str:
    """The line without its comment: a `#` at the start or after a blank starts one."""
    index = text.find("#")
    while index >= 0:
        if index == 0 or text[index - 1].isspace():
            return text[:index].rstrip()
        index = text.find("#", index + 1)
    return text


@dataclass(frozen=True, slots=True)
class _Line:
    text: str
    # (physical line, column in it, offset in `text` where that line's part begins)
    parts: tuple[tuple[int, int, int], ...]

    def span(self, start: int, end: int) -> Span:
        line, column = self._position(start)
        end_line, end_column = self._position(max(end, start))
        return Span(line, column, end_line, end_column)

    def _position(self, offset: int) -> tuple[int, int]:
        chosen = self.parts[0]
        for part in self.parts:
            if part[2] <= offset:
                chosen = part
        return chosen[0], chosen[1] + offset - chosen[2]


def requirements_group(path: Path) -> tuple[str, bool]:
    """("main" | "requirements:<name>", is_dev) from a file name like requirements-dev.txt."""
    stem = path.stem.lower()
    if path.parent.name.lower() == "requirements":
        name = stem
    else:
        name = stem.replace("requirements", "").strip("-_.")
    if name in _MAIN_NAMES:
        return "main", False
    return f"requirements:{name}", is_dev_name(name)


def _logical_lines(text: str) -> Iterator[_Line]:
    pending = ""
    parts: list[tuple[int, int, int]] = []
    for number, physical in enumerate(text.split("\n")):
        physical = physical.rstrip("\r")
        if not parts:
            indent = len(physical) - len(physical.lstrip())
            parts.append((number, indent, 0))
            chunk = physical.lstrip()
        else:
            parts.append((number, 0, len(pending)))
            chunk = physical
        if chunk.endswith("\\") and _strip_comment(chunk) == chunk:
            pending += chunk[:-1]
            continue
        yield _Line(pending + chunk, tuple(parts))
        pending, parts = "", []
    if parts:
        yield _Line(pending, tuple(parts))


def parse_requirements(
    path: Path,
    text: str,
    *,
    group: str | None = None,
    is_dev: bool | None = None,
    inherited_options: tuple[str, ...] = (),
    stack: tuple[Path, ...] = (),
    read_text: ReadText | None = None,
    expansion: _Expansion | None = None,
) -> Declarations:
    """Declarations of one requirements file; `-r`/`-c` files are read from disk.

    Each included file is expanded once per top-level file (its requirements are declared
    once, at their own lines), at most MAX_INCLUDE_DEPTH deep and MAX_INCLUDED_FILES in all;
    a file gives at most MAX_ENTRIES requirements and problems (includes counted in).
    """
    if group is None or is_dev is None:
        group, is_dev = requirements_group(path)
    if expansion is None:
        expansion = _Expansion(read_text or _read, set())
    stack = (*stack, _key(path))
    # pip applies index options wherever in the file they are written.
    file_options = list(inherited_options)
    for read, line in enumerate(_logical_lines(text)):
        if read >= MAX_LINES:
            break  # lines past the cap are not read (below) and set nothing
        body = _strip_comment(line.text).strip()
        tokens = body.split()
        if not tokens:
            continue
        flag = tokens[0].partition("=")[0]
        if flag in _INDEX_OPTIONS:
            value = (
                body[len(tokens[0]) :].strip()
                if "=" not in tokens[0]
                else tokens[0].partition("=")[2]
            )
            file_options.append(f"{_INDEX_OPTIONS[flag]} {value}".strip())
    options = tuple(dict.fromkeys(file_options))
    requirements: list[DeclaredRequirement] = []
    constraints: list[DeclaredRequirement] = []
    problems: list[ManifestProblem] = []
    manifests: list[Path] = [path]
    for read, line in enumerate(_logical_lines(text)):
        if read >= MAX_LINES:
            problems.append(
                ManifestProblem(
                    path,
                    f"{path.name}: more than {MAX_LINES} lines; the rest are not read",
                    line.span(0, 0),
                )
            )
            break
        body = _strip_comment(line.text).rstrip()
        stripped = body.strip()
        if not stripped:
            continue
        if expansion.entries >= MAX_ENTRIES:
            if not expansion.capped:
                expansion.capped = True
                problems.append(too_many(path, line.span(0, len(body))))
            break
        expansion.entries += 1
        start = len(body) - len(body.lstrip())
        tokens = stripped.split()
        flag = tokens[0].partition("=")[0]
        if (
            flag.startswith("-r")
            and flag not in ("-r", "--requirement")
            and not flag.startswith("--")
        ):
            flag, tokens = "-r", ["-r", tokens[0][2:], *tokens[1:]]
        if flag.startswith("-c") and flag != "-c" and not flag.startswith("--"):
            flag, tokens = "-c", ["-c", tokens[0][2:], *tokens[1:]]
        if flag in _INCLUDES:
            target_text = tokens[0].partition("=")[2] if "=" in tokens[0] else " ".join(tokens[1:])
            span = line.span(start, len(body))
            included = _include(
                path,
                target_text.strip(),
                span,
                _INCLUDES[flag] == "c",
                group,
                is_dev,
                options,
                stack,
                expansion,
            )
            if isinstance(included, ManifestProblem):
                problems.append(included)
                continue
            requirements.extend(included.requirements)
            constraints.extend(included.constraints)
            problems.extend(included.problems)
            manifests.extend(m for m in included.manifests if m not in manifests)
            continue
        if flag in _INDEX_OPTIONS or (flag.startswith("-") and flag not in _EDITABLE):
            continue
        editable = flag in _EDITABLE
        if editable:
            after_flag = start + len(tokens[0])
            if "=" in tokens[0]:
                value = tokens[0].partition("=")[2]
                offset = after_flag - len(value)
            else:
                value = body[after_flag:].strip()
                offset = len(body) - len(body[after_flag:].lstrip()) if value else len(body)
        else:
            value, offset = stripped, start
        cut = _LINE_OPTION.search(value)
        requirement_text = value[: cut.start()] if cut else value
        own_options = tuple(value[cut.start() :].split()) if cut else ()
        span = line.span(offset, offset + len(requirement_text))
        item = _requirement(
            requirement_text.strip(), path, span, group, is_dev, options + own_options, editable
        )
        if isinstance(item, ManifestProblem):
            problems.append(item)
        else:
            requirements.append(item)
    return Declarations(
        requirements=tuple(requirements),
        problems=tuple(problems),
        manifests=tuple(manifests),
        constraints=tuple(constraints),
        sources=(ManifestSource(path, "requirements", True),),
    )


def _requirement(
    text: str,
    path: Path,
    span: Span,
    group: str,
    is_dev: bool,
    options: tuple[str, ...],
    editable: bool,
) -> DeclaredRequirement | ManifestProblem:
    url, _, egg = text.partition("#egg=")
    egg = egg.split("&")[0]
    if egg:
        return declare(
            f"{egg} @ {url}", path, span, group, is_dev, options=options, editable=editable
        )
    looks_like_location = "/" in text or "\\" in text or text.startswith(".") or editable
    if looks_like_location and " @ " not in text and "@" not in text.split("/")[0]:
        try:
            Requirement(text)
        except InvalidRequirement:
            name = _name_from_filename(text)
            if name is not None:
                return declare(
                    f"{name} @ {text}",
                    path,
                    span,
                    group,
                    is_dev,
                    options=options,
                    editable=editable,
                )
            return unnamed(
                text, path, span, group, is_dev, url=text, options=options, editable=editable
            )
    return declare(text, path, span, group, is_dev, options=options, editable=editable)


def _name_from_filename(location: str) -> str | None:
    filename = location.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[0])
        if filename.endswith((".tar.gz", ".zip")):
            return str(parse_sdist_filename(filename)[0])
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return None


def _include(
    path: Path,
    target: str,
    span: Span,
    constraint: bool,
    group: str,
    is_dev: bool,
    options: tuple[str, ...],
    stack: tuple[Path, ...],
    expansion: _Expansion,
) -> Declarations | ManifestProblem:
    option = "-c" if constraint else "-r"
    if not target:
        return ManifestProblem(path, f"{path.name}: {option} needs a file name", span)
    if "://" in target:
        return ManifestProblem(
            path, f"{path.name}: {option} {target}: remote files are not read", span
        )
    if "\x00" in target:
        return ManifestProblem(
            path, f"{path.name}: {option} {target!r}: the file name contains a NUL byte", span
        )
    included = (path.parent / target).absolute()
    key = _key(included)
    if key in stack:
        return ManifestProblem(
            path, f"{path.name}: {option} {target} includes itself (cycle)", span
        )
    memo = (key, constraint, options)
    if memo in expansion.expanded:
        return Declarations()  # already expanded along another path: declared once
    if len(stack) >= MAX_INCLUDE_DEPTH:
        return ManifestProblem(
            path,
            f"{path.name}: {option} {target} not read: includes nest deeper than "
            f"{MAX_INCLUDE_DEPTH} files",
            span,
        )
    if expansion.files >= MAX_INCLUDED_FILES:
        return ManifestProblem(
            path,
            f"{path.name}: {option} {target} not read: more than {MAX_INCLUDED_FILES} "
            "included files",
            span,
        )
    expansion.expanded.add(memo)
    expansion.files += 1
    try:
        text = expansion.reader(included)
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        return ManifestProblem(path, f"{path.name}: can't read {option} {target}: {reason}", span)
    result = parse_requirements(
        included,
        text,
        group=group,
        is_dev=is_dev,
        inherited_options=options,
        stack=stack,
        expansion=expansion,
    )
    if constraint:
        # Constraints pin versions for whatever gets installed; they declare nothing.
        return Declarations(
            problems=result.problems,
            manifests=result.manifests,
            constraints=result.constraints + result.requirements,
        )
    return result


def _key(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):
        return path.absolute()


def _read(path: Path) -> str:
    # Regular files only, capped; pip falls back to the locale, latin-1 at least never fails.
    data = read_bytes(path, REQUIREMENTS_LIMIT)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def read_requirements_file(path: Path) -> Declarations:
    """parse_requirements on a file from disk; unreadable -> one problem."""
    try:
        text = _read(path)
    except OSError as error:
        return Declarations(problems=(read_problem(path, error),), manifests=(path,))
    return parse_requirements(path, text)
