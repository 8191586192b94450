"""Imports of a Python source: what it imports, where, and under which guards.

Pure: the target interpreter (version, sys.platform) is passed in, never looked up.
"""

from __future__ import annotations

import codecs
import functools
import logging
import operator
import re
from collections.abc import Callable
from pathlib import Path

from envsense.core.imports.conditions import Target
from envsense.core.imports.layout import SourceLayout
from envsense.core.imports.refs import ImportContext, ImportKind, ImportRef, ImportScan
from envsense.core.imports.scanner import Scanner, candidate_lines, chunks
from envsense.core.imports.walker import DynamicNames
from envsense.core.safe_read import SOURCE_LINE_LIMIT
from envsense.core.versions import PythonVersion

__all__ = [
    "ImportContext",
    "ImportKind",
    "ImportRef",
    "ImportScan",
    "decode_source",
    "extract_imports",
    "extract_imports_from_bytes",
    "resolve_relative",
]

_log = logging.getLogger(__name__)

# Past this size only single statements are parsed (generated files, vendored bundles).
HUGE_SOURCE_CHARS = 5 * 1024 * 1024
# Lines holding imports that are scanned per file (docs/security.md, "Limits").
MAX_IMPORT_LINES = 2_000

_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
_IMPORTLIB_ALIAS = re.compile(r"\bimport[ \t]+importlib[ \t]+as[ \t]+(\w+)")
_IMPORT_MODULE_ALIAS = re.compile(
    r"\bfrom[ \t]+importlib[ \t]+import[^\n]*?\bimport_module[ \t]+as[ \t]+(\w+)"
)
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_source(data: bytes, *, name: str = "") -> str:
    """Bytes of a .py file to text: BOM, then a PEP 263 coding cookie, then UTF-8, then latin-1.

    Never raises; undecodable bytes become U+FFFD or their latin-1 characters. A cookie
    naming an unknown codec, or one that can't decode the file (`# coding: undefined`), is
    logged with `name` and the file is read as UTF-8.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    # Every cookie holds the word: most files are decoded without the cookie regexes.
    declares = any(b"coding" in line for line in _first_two_lines(data))
    cookie = _coding_cookie(data) if declares else None
    if cookie is not None:
        try:
            return data.decode(cookie)
        except (UnicodeError, LookupError, ValueError, TypeError) as error:
            # `undefined` raises UnicodeError; codecs like `rot13` are text-to-text (TypeError).
            _log.warning(
                "%s: its coding declaration %r can't decode it (%s); read as UTF-8",
                name or "a file",
                cookie,
                error,
            )
    elif declares and _declared_coding(data) is not None:
        _log.warning(
            "%s: unknown encoding %r in its coding declaration; read as UTF-8",
            name or "a file",
            _declared_coding(data),
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1", errors="replace")


def _first_two_lines(data: bytes) -> list[bytes]:
    # Not data.split(b"\n", 2): its third part is a copy of the rest of the file.
    first = data.find(b"\n")
    if first == -1:
        return [data]
    second = data.find(b"\n", first + 1)
    return [data[:first], data[first + 1 : second if second != -1 else len(data)]]


def _declared_coding(data: bytes) -> str | None:
    """The name a coding cookie gives, known to Python or not."""
    for line in _first_two_lines(data):
        match = _COOKIE.match(line)
        if match is not None:
            return match.group(1).decode("ascii", errors="replace")
    return None


def _coding_cookie(data: bytes) -> str | None:
    for number, line in enumerate(_first_two_lines(data)):
        match = _COOKIE.match(line)
        if match is not None:
            name = match.group(1).decode("ascii", errors="replace")
            try:
                return codecs.lookup(name).name
            except LookupError:
                return None
        # PEP 263: the cookie may sit on line 2 only if line 1 is a comment or blank.
        if number == 0 and line.strip() and not line.lstrip().startswith(b"#"):
            return None
    return None


def extract_imports_from_bytes(
    data: bytes, *, version: PythonVersion | None = None, platform: str | None = None
) -> ImportScan:
    """extract_imports on raw file bytes (binary files are recognised before decoding)."""
    if b"\x00" in data and not data.startswith(tuple(bom for bom, _ in _BOMS)):
        return ImportScan(skipped="binary file (contains NUL bytes)")
    return extract_imports(decode_source(data), version=version, platform=platform)


def extract_imports(
    source: str, *, version: PythonVersion | None = None, platform: str | None = None
) -> ImportScan:
    """Every import of `source`, in order, with the guards around it.

    Branches that can't run on the target (`if sys.version_info >= (3, 11):` with version
    3.10, `if sys.platform == "win32":` with platform "linux") are left out; unknown targets
    keep both branches. `__future__` is never returned. Syntax errors only hide the
    statement they are in.
    """
    if "import" not in source:
        return ImportScan()
    if "\x00" in source:
        return ImportScan(skipped="binary file (contains NUL bytes)")
    # Only a source longer than the limit can have more lines: don't count the others'.
    if len(source) > SOURCE_LINE_LIMIT and source.count("\n") > SOURCE_LINE_LIMIT:
        return ImportScan(skipped=f"more than {SOURCE_LINE_LIMIT} lines")
    if source.startswith("\ufeff"):
        source = source[1:]
    if "\r" in source:
        # Same line numbering as Python's tokenizer; columns are unchanged.
        source = source.replace("\r\n", "\n").replace("\r", "\n")
    target = Target(version, platform)
    dynamic, dynamic_pattern = _dynamic_names(source)
    layout = SourceLayout(source)
    lines = candidate_lines(layout, dynamic_pattern)
    if not lines:
        return ImportScan()
    if len(lines) > MAX_IMPORT_LINES:
        # Real modules have hundreds; 100,000 import lines cost seconds and 200 MB to scan.
        _log.warning(
            "%d lines with imports; only the first %d are checked", len(lines), MAX_IMPORT_LINES
        )
        lines = lines[:MAX_IMPORT_LINES]
    scanner = Scanner(layout, target, dynamic, dynamic_pattern)
    if len(source) > HUGE_SOURCE_CHARS:
        scanner.scan_fallback(lines)
    else:
        for group in chunks(layout, lines):
            scanner.scan_group(group)
    found = scanner.refs
    if len(set(map(_place, found))) == len(found):
        # No two in one place, so no duplicates: skip hashing whole refs.
        refs = sorted(found, key=_place)
    else:
        refs = sorted(set(found), key=_place)
    return ImportScan(tuple(refs), scanner.syntax_error)


# (line, column, module) of a ref, in C: called once per ref of every file.
_place: Callable[[ImportRef], tuple[int, int, str]] = operator.attrgetter(
    "span.line", "span.column", "module"
)


def _dynamic_names(source: str) -> tuple[DynamicNames | None, re.Pattern[str] | None]:
    if "import_module" not in source and "__import__" not in source:
        return None, None
    modules = {"importlib"}
    functions = {"import_module", "__import__"}
    if "importlib as" in source:
        modules.update(_IMPORTLIB_ALIAS.findall(source))
    if "import_module as" in source:
        functions.update(_IMPORT_MODULE_ALIAS.findall(source))
    return _dynamic_pattern(frozenset(modules), frozenset(functions))


@functools.lru_cache(maxsize=64)
def _dynamic_pattern(
    modules: frozenset[str], functions: frozenset[str]
) -> tuple[DynamicNames, re.Pattern[str]]:
    names = sorted(functions | {f"{m}.import_module" for m in modules}, key=len, reverse=True)
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(n) for n in names) + r")[ \t]*\(")
    return DynamicNames(modules, functions), pattern


def resolve_relative(module: str, level: int, file: Path, package_root: Path | None) -> str | None:
    """Absolute name of `from <dots><module> import ...` written in `file`.

    The file's package is the chain of folders with __init__.py above it, or, when
    `package_root` is given (the folder on sys.path), the folders between the two.
    None when the dots climb above the top-level package.
    """
    if level <= 0:
        return module or None
    parts = _package_parts(file, package_root)
    if parts is None or level - 1 >= len(parts):
        return None
    base = parts[: len(parts) - (level - 1)]
    return ".".join([*base, module]) if module else ".".join(base)


def _package_parts(file: Path, package_root: Path | None) -> list[str] | None:
    folder = file.parent
    if package_root is not None:
        try:
            relative = folder.resolve().relative_to(package_root.resolve())
        except (ValueError, OSError):
            return None
        return list(relative.parts)
    parts: list[str] = []
    while (folder / "__init__.py").is_file():
        parts.append(folder.name)
        if folder.parent == folder:
            break
        folder = folder.parent
    parts.reverse()
    return parts
