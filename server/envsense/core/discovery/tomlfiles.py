"""Tolerant TOML reads: a malformed pyproject.toml is logged and treated as empty."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from envsense.core.discovery import fs
from envsense.core.toml_compat import TOMLDecodeError, loads_toml

_log = logging.getLogger(__name__)


def read_toml(path: Path) -> dict[str, Any]:
    """The parsed file, or {} when missing, unreadable or malformed (with a log line)."""
    text = fs.read_text(path)
    if text is None:
        return {}
    try:
        return loads_toml(text)
    except TOMLDecodeError as exc:
        _log.info("ignoring malformed %s: %s", path, exc)
        return {}


def table(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    """`data[k1][k2]...` when every step is a table, else {}."""
    current: Any = data
    for key in keys:
        current = current.get(key) if isinstance(current, dict) else None
    return current if isinstance(current, dict) else {}


def project_name(pyproject: dict[str, Any]) -> str | None:
    """[project].name, else [tool.poetry].name."""
    for section in (table(pyproject, "project"), table(pyproject, "tool", "poetry")):
        name = section.get("name")
        if isinstance(name, str) and name.strip():
            return name.strip()
    return None
