"""Where an environment keeps its interpreter, and what is wrong when it is missing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from envsense.core.discovery import fs
from envsense.core.environment import bin_dir_name

_POSIX_NAMES = ("python", "python3")
_WINDOWS_NAMES = ("python.exe",)


@dataclass(frozen=True, slots=True)
class Interpreter:
    """The interpreter of a prefix: its path, or why there is none that works."""

    executable: Path | None
    error: str | None


def prefix_interpreter(prefix: Path, platform: str, *, root_too: bool = False) -> Interpreter:
    """`bin/python` (or `Scripts/python.exe`); dangling links are reported, not hidden.

    `root_too` also accepts `python.exe` at the prefix itself, as Windows conda
    bases and python.org installs lay it out.
    """
    windows = platform == "win32"
    names = _WINDOWS_NAMES if windows else _POSIX_NAMES
    folders = [prefix / bin_dir_name(platform)]
    if root_too or windows:
        folders.append(prefix)
    dangling: Path | None = None
    for folder in folders:
        if not fs.is_dir(folder):
            continue  # nothing to find, dangling links included: one stat instead of five
        for name in names:
            candidate = folder / name
            if fs.is_file(candidate):
                return Interpreter(candidate, None)
            if dangling is None and fs.is_symlink(candidate):
                dangling = candidate
        if not windows:
            versioned = [
                folder / name
                for name in fs.list_names(folder)
                if name.startswith("python3.") and name[8:].isdigit()
            ]
            for candidate in versioned:
                if fs.is_file(candidate):
                    return Interpreter(candidate, None)
    if dangling is not None:
        return Interpreter(dangling, broken_symlink_error(dangling))
    return Interpreter(None, f"no python executable in {folders[0]}")


def broken_symlink_error(executable: Path) -> str:
    return f"python executable is a broken symlink: {executable} -> {fs.readlink(executable)}"


def prefix_of_executable(executable: Path, platform: str) -> Path:
    """The folder above bin/ or Scripts/, else the executable's own folder."""
    parent = executable.parent
    if parent.name in ("bin", "Scripts", bin_dir_name(platform)):
        return parent.parent
    return parent
