"""Absolute names of relative imports, worked out once per folder.

`resolve_relative` climbs the importing file's package (a stat per level) or resolves
its folder against the project root (two `Path.resolve` per import: 8 % of a cold check
of homeassistant). Every file of a folder gets the same answers, so they are kept, and
forgotten once a second at most (core/folder_memo.py's window), so that an
`__init__.py` added or removed while the server runs still counts.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from envsense.core import folder_memo
from envsense.core.imports.extract import _package_parts


class RelativeNames:
    """`resolve_relative` (extract.py), remembered per (folder, package root, level, module);
    its package parts per (folder, package root)."""

    def __init__(self) -> None:
        self._names: dict[tuple[str, str, int, str], str | None] = {}
        # (folder, package root) -> the package names of the folder (None: outside the root)
        self._parts: dict[tuple[str, str], list[str] | None] = {}
        self._since = time.monotonic()
        self._lock = threading.Lock()

    def absolute(
        self, module: str, level: int, file: Path, package_root: Path | None
    ) -> str | None:
        """Absolute name of `from <level dots><module> import ...` written in `file`."""
        if level <= 0:
            return module or None
        now = time.monotonic()
        if now - self._since >= folder_memo.REVALIDATE_SECONDS:
            with self._lock:
                self._names.clear()
                self._parts.clear()
                self._since = now
        key = (
            os.path.dirname(str(file)),
            "" if package_root is None else str(package_root),
            level,
            module,
        )
        try:
            return self._names[key]
        except KeyError:
            pass
        # The folder's package is climbed once for all its relative imports (a stat per
        # level, or two Path.resolve): then each name is `resolve_relative`'s arithmetic.
        place = key[:2]
        parts = self._parts.get(place)
        if place not in self._parts:
            parts = self._parts[place] = _package_parts(file, package_root)
        if parts is None or level - 1 >= len(parts):
            name = None
        else:
            base = parts[: len(parts) - (level - 1)]
            name = ".".join([*base, module]) if module else ".".join(base)
        self._names[key] = name
        return name
