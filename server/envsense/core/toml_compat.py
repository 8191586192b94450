"""tomllib from 3.11 on, the tomli backport before: one place so callers need not care."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib as _toml
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as _toml

TOMLDecodeError = _toml.TOMLDecodeError


def loads_toml(text: str) -> dict[str, Any]:
    """Parse TOML text; raises TOMLDecodeError with line/column in its message."""
    data: dict[str, Any] = _toml.loads(text)
    return data


def load_toml(path: Path) -> dict[str, Any]:
    """Read and parse a TOML file; raises OSError, UnicodeDecodeError or TOMLDecodeError."""
    return loads_toml(path.read_text(encoding="utf-8"))
