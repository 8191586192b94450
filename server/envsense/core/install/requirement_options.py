"""The one reader of pip's and uv's requirement-file option syntax, for the install gate.

An install from a requirements file must not change where packages come from without
the user seeing it. This module finds every line that could do that, however it is
spelled, in the file and everything it includes, and says how it was read:

- `--opt=value`, `--opt value`, tabs or any whitespace between, `-fVALUE` (short option
  with its value attached), and unambiguous prefixes of long options as pip's optparse
  accepts them (`--find-link`, `--extra-index`, `--index`);
- lines joined by a trailing backslash, comments removed, both the way pip does it (join
  first, then strip comments) and the way a simpler reader does it (strip, then join):
  the union is scanned, so neither reading hides a line from us;
- `${VAR}` references expanded as pip and uv expand them, from the installer's environment;
- `-r`/`-c`/`--requirement`/`--constraint` at any depth, each file read once (a diamond of
  includes is linear), with a cap on depth and on the number of files; past the cap, or
  for a file that cannot be checked, the answer is a finding that forces confirmation.

The reader is deliberately a superset: anything it cannot classify as harmless (an unknown
or ambiguous option, an include it cannot read) is reported too. docs/security.md lists
the grammar.
"""

from __future__ import annotations

import bisect
import codecs
import itertools
import os
import re
import shlex
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

MAX_INCLUDE_DEPTH = 64
MAX_INCLUDED_FILES = 512
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FINDINGS = 200

# Long options of pip's requirement-file parser (pip/_internal/req/req_file.py) plus the
# ones uv's reader knows; abbreviations are matched against all of them, as optparse does.
# name -> (takes a value, kind)
_SOURCE = "source"  # changes where code comes from or whom to trust
_INCLUDE = "include"  # another requirements/constraints file
_EDITABLE = "editable"  # a local path (fine) or a VCS/URL (a source)
_HARMLESS = "harmless"
_LONG: dict[str, tuple[bool, str]] = {
    "--index-url": (True, _SOURCE),
    "--extra-index-url": (True, _SOURCE),
    "--no-index": (False, _SOURCE),
    "--find-links": (True, _SOURCE),
    "--trusted-host": (True, _SOURCE),
    "--requirement": (True, _INCLUDE),
    "--constraint": (True, _INCLUDE),
    "--editable": (True, _EDITABLE),
    "--no-binary": (True, _HARMLESS),
    "--only-binary": (True, _HARMLESS),
    "--prefer-binary": (False, _HARMLESS),
    "--require-hashes": (False, _HARMLESS),
    "--pre": (False, _HARMLESS),
    "--use-feature": (True, _HARMLESS),
    "--global-option": (True, _HARMLESS),
    "--config-settings": (True, _HARMLESS),
    "--hash": (True, _HARMLESS),
}
_SHORT: dict[str, str] = {
    "-i": "--index-url",
    "-f": "--find-links",
    "-r": "--requirement",
    "-c": "--constraint",
    "-e": "--editable",
    "-C": "--config-settings",
}
# pip's expand_env_variables: only ${NAME} with upper-case letters, digits and underscores.
_ENV_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")
_COMMENT = re.compile(r"(^|\s+)#.*$")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


@dataclass(frozen=True, slots=True)
class SourceOption:
    """One line that needs the user's consent before installing, and how it was read."""

    path: Path
    line: int  # 1-based, as editors and pip's own messages show it
    text: str  # the logical line as written (continuations joined, comment removed)
    reading: str  # what the installer will do with it, e.g. "--find-links /srv/wheels"

    def describe(self) -> str:
        """`file:line: text`, plus how it is read when the text spells it differently."""
        shown = f"{self.path.name}:{self.line}: {self.text}" if self.line else str(self.path)
        if _squash(self.reading) != _squash(self.text):
            how = "read as " if self.reading.startswith("-") else ""
            shown += f"  ({how}{self.reading})"
        return shown


def _squash(text: str) -> str:
    return " ".join(text.replace("=", " ").split())


@dataclass
class _Scan:
    environ: Mapping[str, str]
    found: list[SourceOption] = field(default_factory=list)
    seen: set[Path] = field(default_factory=set)
    keys: set[tuple[Path, int, str]] = field(default_factory=set)
    files: int = 0

    def add(self, option: SourceOption) -> None:
        key = (option.path, option.line, option.reading)
        if key in self.keys or len(self.found) > MAX_FINDINGS:
            return
        self.keys.add(key)
        if len(self.found) == MAX_FINDINGS:
            # Enough to make the point; the rest would only bury it (and the message).
            option = SourceOption(
                option.path, option.line, option.text, f"more than {MAX_FINDINGS} such lines"
            )
        self.found.append(option)


def source_options(
    path: Path, environ: Mapping[str, str] | None = None
) -> tuple[SourceOption, ...]:
    """Every source/trust-changing line of `path` and the files it includes, in file order.

    A file that does not exist gives nothing (the installer fails on it, and so cannot be
    redirected by it); one that exists but cannot be checked gives a finding.
    """
    scan = _Scan(os.environ if environ is None else environ)
    _scan_file(path, scan, depth=0, origin=None)
    return tuple(scan.found)


def _scan_file(path: Path, scan: _Scan, depth: int, origin: tuple[Path, int, str] | None) -> None:
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError, ValueError):
        resolved = path.absolute()
    if resolved in scan.seen:
        return
    where = origin or (path, 0, str(path))

    def refuse(reason: str) -> None:
        scan.add(SourceOption(where[0], where[1], where[2], f"{path}: {reason}"))

    if depth > MAX_INCLUDE_DEPTH:
        refuse(f"includes nest deeper than {MAX_INCLUDE_DEPTH} files, so it was not checked")
        return
    if scan.files >= MAX_INCLUDED_FILES:
        refuse(f"more than {MAX_INCLUDED_FILES} files are included, so it was not checked")
        return
    scan.seen.add(resolved)
    scan.files += 1
    texts = _read(path)
    if texts is None:
        return
    if isinstance(texts, _Unreadable):
        refuse(texts.reason)
        return
    found: list[tuple[int, str]] = []
    for text in texts:
        logical = _logical_lines(text)
        if logical is None:
            refuse(f"has more than {MAX_OPTION_LINES} option lines, so it was not checked")
            return
        found += logical
    # Each decoding's lines once, in line order (sorted is stable: first decoding first).
    for number, line in sorted(dict.fromkeys(found), key=lambda item: item[0]):
        for reading, include in _read_line(_expand(line, scan.environ)):
            for candidate in _include_paths(include, scan.environ) if include else ():
                _follow(path, number, line, candidate, scan, depth)
            if reading is not None:
                scan.add(SourceOption(path, number, line, reading))


def _follow(parent: Path, number: int, line: str, include: str, scan: _Scan, depth: int) -> None:
    if _URL.match(include) and not re.match(r"^[A-Za-z]:[\\/]", include):
        # pip downloads -r https://... itself; nothing we could check first.
        scan.add(SourceOption(parent, number, line, f"requirements read from {include}"))
        return
    _scan_file(parent.parent / include, scan, depth + 1, (parent, number, line))


@dataclass(frozen=True, slots=True)
class _Unreadable:
    reason: str


def _read(path: Path) -> list[str] | _Unreadable | None:
    """The file's text (each way it may be decoded); None if it does not exist; why not,
    for anything but a regular file."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as error:
        return _Unreadable(f"can't be read ({error.strerror or error})")
    if not stat.S_ISREG(info.st_mode):
        return _Unreadable("is not a regular file, so it was not checked")
    if info.st_size > MAX_FILE_BYTES:
        return _Unreadable(
            f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB, so it was not checked"
        )
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        return _Unreadable(f"can't be read ({error.strerror or error})")
    if len(data) > MAX_FILE_BYTES:
        return _Unreadable("grew while being read, so it was not checked")
    return _decodings(data)


_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
_CODING = re.compile(rb"coding[:=]\s*([-\w.]+)")


def _decodings(data: bytes) -> list[str]:
    """The text as pip decodes it (BOM, then a `coding:` line) and as UTF-8; both are read.

    The UTF-32 BOMs are tried before UTF-16's, whose BOM is a prefix of UTF-32-LE's. Where
    the two readings differ, both are scanned: line numbers may then repeat, options don't hide.
    """
    texts = [data.decode("utf-8", errors="replace")]
    declared: str | None = None
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            declared = encoding
            data = data[len(bom) :]
            break
    if declared is None:
        for line in data.split(b"\n")[:2]:
            match = _CODING.search(line) if line.lstrip().startswith(b"#") else None
            if match:
                declared = match.group(1).decode("ascii", errors="replace")
                break
    if declared is not None:
        try:
            other = data.decode(declared, errors="replace")
        except LookupError:
            other = None
        if other is not None and other != texts[0]:
            texts.append(other)
    return texts


def _logical_lines(text: str) -> list[tuple[int, str]] | None:
    """The union of pip's reading (join, then strip comments) and a strip-then-join one.

    Only the logical lines that can matter are built: those with a physical line where a
    token starts with `-`, or with `@`, `://` or `${`, together with the lines a trailing
    backslash joins to them. Everything else is a plain requirement line and cannot change
    a source, and skipping it keeps a 5 MB file of short lines well under a second.
    None: more than MAX_OPTION_LINES such lines (the caller refuses to vouch for the file).
    """
    hits = _attention(text)
    if hits is None:
        return None
    if not hits:
        return []
    physical = text.splitlines()
    seen: set[tuple[int, str]] = set()
    result: list[tuple[int, str]] = []
    for start, end in _windows(physical, hits):
        window = physical[start : end + 1]
        for number, line in [*_pip_lines(window), *_simple_lines(window)]:
            line = line.strip()
            key = (number + start, line)
            if line and key not in seen:
                seen.add(key)
                result.append(key)
    result.sort(key=lambda item: item[0])
    return result


MAX_OPTION_LINES = 50_000
# A token starting with `-` (but not a --hash, which hashed lock files have by the
# thousand), `@`, `://`, `${`.
_ATTENTION = re.compile(r"(?:^|[\s'\"])-(?!-hash[=\s])|@|://|\$\{", re.MULTILINE)


def _attention(text: str) -> list[int] | None:
    """0-based indices (as splitlines counts) of the physical lines worth reading."""
    matches = _ATTENTION.finditer(text)
    first = next(matches, None)
    if first is None:
        return []
    starts = list(itertools.accumulate(map(len, text.splitlines(keepends=True)), initial=0))
    hits: list[int] = []
    for match in itertools.chain((first,), matches):
        # The match's last character is on the line that matters (the separator before a
        # `-` may be the previous line's line break).
        index = bisect.bisect_right(starts, match.end() - 1) - 1
        if not hits or hits[-1] != index:
            hits.append(index)
            if len(hits) > MAX_OPTION_LINES:
                return None
    return hits


def _windows(physical: list[str], hits: list[int]) -> list[tuple[int, int]]:
    """Line ranges around each hit, widened over backslash continuations, merged."""
    windows: list[tuple[int, int]] = []
    last_end = -1
    for index in hits:
        if index <= last_end:
            continue
        start = index
        while start - 1 > last_end and physical[start - 1].endswith("\\"):
            start -= 1
        end = index
        while end + 1 < len(physical) and physical[end].endswith("\\"):
            end += 1
        if windows and start <= last_end + 1 and physical[last_end].endswith("\\"):
            start = windows.pop()[0]
        windows.append((start, end))
        last_end = end
    return windows


def _uncomment(line: str) -> str:
    return _COMMENT.sub("", line) if "#" in line else line


def _is_comment(line: str) -> bool:
    return "#" in line and _COMMENT.match(line) is not None


def _pip_lines(physical: list[str]) -> Iterator[tuple[int, str]]:
    """pip's join_lines + ignore_comments, line for line."""
    pending: list[str] = []
    first = 0
    for number, line in enumerate(physical, start=1):
        if not line.endswith("\\") or _is_comment(line):
            if _is_comment(line):
                line = " " + line
            if pending:
                pending.append(line)
                yield first, _uncomment("".join(pending))
                pending = []
            else:
                yield number, _uncomment(line)
        else:
            if not pending:
                first = number
            pending.append(line.strip("\\"))
    if pending:
        yield first, _uncomment("".join(pending))


def _simple_lines(physical: list[str]) -> Iterator[tuple[int, str]]:
    """Comments first, then continuations (how uv's reader and most humans read it)."""
    pending = ""
    first = 0
    for number, raw in enumerate(physical, start=1):
        line = _uncomment(raw)
        if not pending:
            first = number
        if line.endswith("\\"):
            pending += line[:-1]
            continue
        yield first, pending + line
        pending = ""
    if pending:
        yield first, pending


def _expand(line: str, environ: Mapping[str, str]) -> str:
    if "${" not in line:
        return line
    return _ENV_VAR.sub(lambda m: environ.get(m.group(1), m.group(0)), line)


# uv expands include paths the way a shell would: $VAR, ${VAR}, ${VAR:-default}, ~.
_SHELL_VAR = re.compile(
    r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))"
)


def _include_paths(value: str, environ: Mapping[str, str]) -> list[str]:
    """The include as written and as uv's shell-style expansion reads it (both followed)."""

    def shell(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        found = environ.get(name)
        return found if found else (match.group(2) or "")

    paths = [value]
    expanded = _SHELL_VAR.sub(shell, value)
    if expanded.startswith("~"):
        home = environ.get("HOME") or environ.get("USERPROFILE")
        if home:
            expanded = home + expanded[1:]
    if expanded != value:
        paths.append(expanded)
    return paths


def _token_lists(line: str) -> list[list[str]]:
    """shlex's tokens (pip parses options that way) and plain whitespace tokens."""
    lists = [line.split()]
    if not any(char in line for char in "'\"\\"):
        return lists  # without quotes or escapes shlex splits no differently
    try:
        quoted = shlex.split(line, comments=False, posix=True)
    except ValueError:
        quoted = None
    if quoted is not None and quoted != lists[0]:
        lists.append(quoted)
    return lists


def _read_line(line: str) -> Iterator[tuple[str | None, str | None]]:
    """(reading, include) pairs: a source reading to confirm, and/or a file to follow."""
    for tokens in _token_lists(line):
        first_option = next((i for i, t in enumerate(tokens) if t.startswith("-")), len(tokens))
        requirement = " ".join(tokens[:first_option])
        if requirement and ("://" in requirement or "@" in requirement):
            yield requirement, None
        yield from _read_options(tokens[first_option:])


def _read_options(tokens: list[str]) -> Iterator[tuple[str | None, str | None]]:
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if not token.startswith("-"):
            continue  # a stray argument: pip refuses the line, uv too
        name, value, known = _option_of(token)
        if name is None:
            yield f"{known}: {token}", None
            continue
        takes_value, kind = _LONG[name]
        if takes_value and value is None:
            if index >= len(tokens):
                continue  # pip: "option requires an argument"; nothing is redirected
            value = tokens[index]
            index += 1
        if kind == _SOURCE:
            yield (f"{name} {value}" if value is not None else name), None
        elif kind == _INCLUDE and value:
            yield None, value
        elif kind == _EDITABLE and value and ("://" in value or "@" in value or _vcs(value)):
            yield f"{name} {value}", None


def _vcs(value: str) -> bool:
    return bool(re.match(r"^(git|hg|svn|bzr)\+", value))


def _option_of(token: str) -> tuple[str | None, str | None, str]:
    """(canonical long name, attached value, why-not) for one option token."""
    if token.startswith("--"):
        name, equals, value = token.partition("=")
        if name in _LONG:
            return name, value if equals else None, ""
        candidates = [option for option in _LONG if option.startswith(name)] if name != "--" else []
        if len(candidates) == 1:
            return candidates[0], value if equals else None, ""
        if any(_LONG[option][1] != _HARMLESS for option in candidates):
            return None, None, "ambiguous abbreviation of " + ", ".join(sorted(candidates))
        if candidates:
            return candidates[0], value if equals else None, ""
        return None, None, "not an option envsense knows"
    short = token[:2]
    if short in _SHORT:
        rest = token[2:]
        if rest.startswith("="):
            rest = rest[1:]  # uv accepts -i=URL
        return _SHORT[short], rest or None, ""
    return None, None, "not an option envsense knows"
