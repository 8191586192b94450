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

import os
import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from envsense.core.install.requirement_lines import (
    MAX_OPTION_LINES,
    Unreadable,
    logical_lines,
    read_texts,
)

MAX_INCLUDE_DEPTH = 64
MAX_INCLUDED_FILES = 512
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
    # Folders whose code the user works in; local paths elsewhere are listed. () = no check.
    roots: tuple[Path, ...] = ()
    cwd: Path | None = None
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
    path: Path,
    environ: Mapping[str, str] | None = None,
    *,
    roots: tuple[Path, ...] = (),
    cwd: Path | None = None,
) -> tuple[SourceOption, ...]:
    """Every source/trust-changing line of `path` and the files it includes, in file order.

    A file that does not exist gives nothing (the installer fails on it, and so cannot be
    redirected by it); one that exists but cannot be checked gives a finding. With `roots`,
    a local path requirement (`../wheels/x.whl`, `-e /tmp/pkg`) that resolves outside all of
    them, relative to the file (uv) or to `cwd` (pip), is listed too.
    """
    resolved_roots = tuple(_resolve(root) for root in roots)
    scan = _Scan(os.environ if environ is None else environ, resolved_roots, cwd)
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
    texts = read_texts(path)
    if texts is None:
        return
    if isinstance(texts, Unreadable):
        refuse(texts.reason)
        return
    found: list[tuple[int, str]] = []
    for text in texts:
        logical = logical_lines(text)
        if logical is None:
            refuse(f"has more than {MAX_OPTION_LINES} option lines, so it was not checked")
            return
        found += logical
    # Each decoding's lines once, in line order (sorted is stable: first decoding first).
    for number, line in sorted(dict.fromkeys(found), key=lambda item: item[0]):
        for reading, include, local in _read_line(_expand(line, scan.environ)):
            for candidate in _include_paths(include, scan.environ) if include else ():
                _follow(path, number, line, candidate, scan, depth)
            if reading is not None:
                scan.add(SourceOption(path, number, line, reading))
            if local is not None and scan.roots:
                outside = _outside(local, path.parent, scan)
                if outside is not None:
                    scan.add(
                        SourceOption(
                            path, number, line, f"local code outside the workspace: {outside}"
                        )
                    )


def _outside(local: str, folder: Path, scan: _Scan) -> str | None:
    """`local` if it resolves outside every root from the file's folder or from cwd."""
    text = local
    if text.startswith("file:"):
        return local  # a file: URL without // : whatever it means, the user sees it
    if text.startswith("~"):
        home = scan.environ.get("HOME") or scan.environ.get("USERPROFILE")
        text = (home + text[1:]) if home else text
    bases = [folder, *([scan.cwd] if scan.cwd is not None else [])]
    for base in bases:
        try:
            target = _resolve(base / text)
        except ValueError:
            return local
        if not any(target == root or root in target.parents for root in scan.roots):
            return local
    return None


def _resolve(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def _follow(parent: Path, number: int, line: str, include: str, scan: _Scan, depth: int) -> None:
    if _URL.match(include) and not re.match(r"^[A-Za-z]:[\\/]", include):
        # pip downloads -r https://... itself; nothing we could check first.
        scan.add(SourceOption(parent, number, line, f"requirements read from {include}"))
        return
    _scan_file(parent.parent / include, scan, depth + 1, (parent, number, line))


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


Reading = tuple[str | None, str | None, str | None]


def _read_line(line: str) -> Iterator[Reading]:
    """(reading, include, local path) triples: a source reading to confirm, a file to
    follow, a local path the installer would install from."""
    for tokens in _token_lists(line):
        first_option = next((i for i, t in enumerate(tokens) if t.startswith("-")), len(tokens))
        requirement = " ".join(tokens[:first_option])
        if requirement and ("://" in requirement or "@" in requirement):
            yield requirement, None, None
        elif requirement and _looks_like_path(tokens[0]):
            yield None, None, tokens[0]
        yield from _read_options(tokens[first_option:])


def _looks_like_path(token: str) -> bool:
    """pip's test (a separator, or a leading dot) plus `~`, which uv expands."""
    return "/" in token or "\\" in token or token.startswith((".", "~"))


def _read_options(tokens: list[str]) -> Iterator[Reading]:
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if not token.startswith("-"):
            continue  # a stray argument: pip refuses the line, uv too
        name, value, known = _option_of(token)
        if name is None:
            yield f"{known}: {token}", None, None
            continue
        takes_value, kind = _LONG[name]
        if takes_value and value is None:
            if index >= len(tokens):
                continue  # pip: "option requires an argument"; nothing is redirected
            value = tokens[index]
            index += 1
        if kind == _SOURCE:
            yield (f"{name} {value}" if value is not None else name), None, None
        elif kind == _INCLUDE and value:
            yield None, value, None
        elif kind == _EDITABLE and value and ("://" in value or "@" in value or _vcs(value)):
            yield f"{name} {value}", None, None
        elif kind == _EDITABLE and value:
            yield None, None, value


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
