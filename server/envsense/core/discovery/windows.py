"""Windows-only places: PEP 514 registry entries, the Microsoft Store, python.org default folders.

Verified with fake trees and a fake registry reader only (see docs/environments.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from envsense.core.discovery import fs, ondisk
from envsense.core.discovery.conda import conda_environment, is_conda_env
from envsense.core.discovery.layout import prefix_interpreter
from envsense.core.discovery.scan import Scan
from envsense.core.environment import Environment, EnvKind
from envsense.core.versions import PythonVersion

_STORE_RE = re.compile(r"^PythonSoftwareFoundation\.Python\.(\d+\.\d+)_[a-z0-9]+$")
_PYTHON_ORG_RE = re.compile(r"^Python3\d+(?:-32|-arm64)?$")


def store_root(scan: Scan) -> Path:
    local = scan.ctx.env_path("LOCALAPPDATA") or scan.ctx.home / "AppData" / "Local"
    return local / "Microsoft" / "WindowsApps"


def find_store_pythons(scan: Scan) -> Iterator[Environment]:
    """`WindowsApps\\PythonSoftwareFoundation.Python.3.12_<id>\\python.exe` packages.

    The real files live in a protected Program Files folder, so the prefix stays
    unknown and the version is the package's X.Y.
    """
    for package in fs.subdirs(store_root(scan)):
        match = _STORE_RE.match(package.name)
        if match is None:
            continue
        executable = package / "python.exe"
        yield Environment(
            kind=EnvKind.WINDOWS_STORE,
            prefix=None,
            executable=executable,
            version=PythonVersion.parse(match.group(1)),
            name=f"Python {match.group(1)} (Microsoft Store)",
            error=None if fs.lexists(executable) else f"python executable not found: {executable}",
        )


def find_registered_pythons(scan: Scan) -> Iterator[Environment]:
    """PEP 514 registrations, read through the context's (injectable) registry reader."""
    try:
        installs = list(scan.ctx.registry())
    except OSError:
        return
    for install in installs:
        prefix = install.install_path
        if prefix is None and install.executable is not None:
            prefix = install.executable.parent
        if prefix is None:
            continue
        if is_conda_env(prefix):
            yield conda_environment(prefix, scan)
            continue
        env = registered_install(prefix, scan, install.version)
        if install.executable is not None and fs.is_file(install.executable):
            env = Environment(
                kind=env.kind,
                prefix=env.prefix,
                executable=install.executable,
                version=env.version,
                name=env.name,
                error=None,
            )
        yield env


def find_default_installs(scan: Scan) -> Iterator[Environment]:
    """python.org's default folders, where the py launcher's registrations point."""
    ctx = scan.ctx
    local = ctx.env_path("LOCALAPPDATA") or ctx.home / "AppData" / "Local"
    program_files = ctx.env_path("PROGRAMFILES") or ctx.system("/Program Files")
    for parent in (local / "Programs" / "Python", program_files):
        for folder in fs.subdirs(parent):
            if _PYTHON_ORG_RE.match(folder.name):
                yield registered_install(folder, scan, None)


def registered_install(prefix: Path, scan: Scan, version_text: str | None) -> Environment:
    interpreter = prefix_interpreter(prefix, "win32", root_too=True)
    version = ondisk.from_install(prefix)
    if version is None and version_text:
        version = PythonVersion.parse(version_text)
    return Environment(
        kind=EnvKind.WINDOWS_REGISTRY,
        prefix=prefix,
        executable=interpreter.executable,
        version=version,
        error=interpreter.error,
    )


def is_store_executable(executable: Path, scan: Scan) -> bool:
    return scan.ctx.is_windows and store_root(scan) in executable.parents
