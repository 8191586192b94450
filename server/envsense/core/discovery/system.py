"""Interpreters on PATH and in the usual global folders, canonicalised and deduplicated."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from envsense.core.discovery import fs, ondisk
from envsense.core.discovery.layout import broken_symlink_error, prefix_of_executable
from envsense.core.discovery.pyenv import is_shim_dir
from envsense.core.discovery.scan import Scan
from envsense.core.environment import Environment, EnvKind

_POSIX_NAME_RE = re.compile(r"^python(?:3(?:\.\d+)?)?$")
_WINDOWS_NAME_RE = re.compile(r"^python(?:3(?:\.\d+)?)?\.exe$", re.IGNORECASE)
_GLOBAL_DIRS = ("/usr/local/bin", "/usr/bin", "/bin", "/snap/bin")


def search_dirs(scan: Scan) -> list[Path]:
    """PATH then the global folders, each canonicalised once (merged-/usr systems link /bin).

    Shim folders and Windows' app-alias folder are left out: their `python` is a
    launcher choosing another interpreter, never one to list on its own.
    """
    ctx = scan.ctx
    folders = list(ctx.path_dirs)
    if not ctx.is_windows:
        folders += [ctx.system(path) for path in _GLOBAL_DIRS]
    seen: dict[Path, None] = {}
    for folder in folders:
        if is_shim_dir(folder) or "WindowsApps" in folder.parts:
            continue
        canonical = fs.realpath(folder)
        if is_shim_dir(canonical) or not fs.is_dir(canonical):
            continue
        seen.setdefault(canonical, None)
    return list(seen)


def python_executables(folder: Path, platform: str) -> Iterator[Path]:
    """python, python3, python3.X in a folder (python3.X-config and friends excluded)."""
    pattern = _WINDOWS_NAME_RE if platform == "win32" else _POSIX_NAME_RE
    for name in fs.list_names(folder):
        if pattern.match(name):
            entry = folder / name
            if fs.is_file(entry) or fs.is_symlink(entry):
                yield entry


def system_environment(executable: Path, scan: Scan) -> Environment:
    """A global interpreter: version from its install's headers, else from its file name."""
    if not fs.exists(executable):
        return Environment(
            kind=EnvKind.SYSTEM,
            prefix=None,
            executable=executable,
            version=ondisk.from_executable_name(executable),
            error=broken_symlink_error(executable)
            if fs.is_symlink(executable)
            else f"python executable not found: {executable}",
        )
    resolved = fs.realpath(executable)
    prefix = prefix_of_executable(resolved, scan.ctx.platform)
    named = ondisk.from_executable_name(resolved) or ondisk.from_executable_name(executable)
    version = ondisk.from_install_for(prefix, named.short if named else None) or named
    return Environment(
        kind=EnvKind.SYSTEM,
        prefix=prefix,
        executable=executable,
        version=version,
        name=executable.name,  # "usr" (the prefix's name) would mean nothing to anyone
    )
