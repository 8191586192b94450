"""Real interpreters on this machine that the fake environments' `python` links point at.

Peers (uv, findpython, python-discovery, basedpyright) spawn the interpreters they find, so
every fake environment must end in a binary that really runs.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

_VERSION_DIR = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


@dataclass(frozen=True, slots=True)
class RealPython:
    """One installed CPython: its real binary (never a shim) and X.Y.Z."""

    executable: Path
    version: tuple[int, int, int]

    @property
    def short(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"

    @property
    def full(self) -> str:
        return ".".join(map(str, self.version))

    @property
    def bin_dir(self) -> Path:
        return self.executable.parent


def real_pythons(
    versions_root: Path | None = None, minimum: tuple[int, int] = (3, 10)
) -> list[RealPython]:
    """pyenv's installed CPythons >= `minimum`, oldest first; the running one if there are none.

    `BENCH_PYENV_VERSIONS` overrides where pyenv's versions live.
    """
    root = versions_root or Path(
        os.environ.get("BENCH_PYENV_VERSIONS", Path.home() / ".pyenv" / "versions")
    )
    found: list[RealPython] = []
    if root.is_dir():
        for folder in root.iterdir():
            match = _VERSION_DIR.match(folder.name)
            if not match:
                continue
            version = (int(match[1]), int(match[2]), int(match[3]))
            exe = folder / "bin" / f"python{version[0]}.{version[1]}"
            if version[:2] >= minimum and exe.is_file() and not exe.is_symlink():
                found.append(RealPython(exe, version))
    if not found:
        exe = Path(os.path.realpath(sys.executable))
        found.append(RealPython(exe, tuple(sys.version_info[:3])))  # type: ignore[arg-type]
    return sorted(found, key=lambda python: python.version)


def pick(pythons: list[RealPython], minor: str) -> RealPython:
    """The interpreter for "3.11", else the newest one (so a machine without it still works)."""
    for python in pythons:
        if python.short == minor:
            return python
    return pythons[-1]
