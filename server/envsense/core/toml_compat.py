"""tomllib from 3.11 on, the tomli backport before: one place so callers need not care."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib as _toml
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as _toml

TOMLDecodeError = _toml.TOMLDecodeError


# Arrays and inline tables nested deeper than this are refused before parsing: tomllib
# recurses per level (900 levels raised RecursionError), and so does everything that walks
# the result. Real files nest a handful of levels.
MAX_TOML_DEPTH = 64
# Strings and comments (whose brackets don't nest), and the brackets that do.
_TOKENS = re.compile(
    r'''"""(?:[^\\]|\\.)*?"""|\'\'\'.*?\'\'\'|"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|#[^\n]*|[\[\]{}]''',
    re.DOTALL,
)


def too_deep_at(text: str, limit: int = MAX_TOML_DEPTH) -> int | None:
    """Offset of the first bracket nested deeper than `limit`, or None."""
    if text.count("[") + text.count("{") <= limit:
        return None  # can't be deeper than the number of openers: skip the scan
    depth = 0
    for match in _TOKENS.finditer(text):
        char = match.group()
        if char in "[{":
            depth += 1
            if depth > limit:
                return match.start()
        elif char in "]}":
            depth = max(depth - 1, 0)
    return None


def loads_toml(text: str) -> dict[str, Any]:
    """Parse TOML text; raises TOMLDecodeError with line/column in its message.

    Nesting past MAX_TOML_DEPTH is a TOMLDecodeError too, never a RecursionError.
    """
    offset = too_deep_at(text)
    if offset is not None:
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        raise TOMLDecodeError(
            f"arrays or tables nested more than {MAX_TOML_DEPTH} levels deep "
            f"(at line {line}, column {column})"
        )
    try:
        data: dict[str, Any] = _toml.loads(text)
    except RecursionError:
        raise TOMLDecodeError("nested too deeply to parse") from None
    return data


def load_toml(path: Path) -> dict[str, Any]:
    """Read and parse a TOML file; raises OSError, UnicodeDecodeError or TOMLDecodeError."""
    from envsense.core.safe_read import MANIFEST_LIMIT, read_bytes

    return loads_toml(read_bytes(path, MANIFEST_LIMIT).decode("utf-8"))
