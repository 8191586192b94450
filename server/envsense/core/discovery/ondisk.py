"""Python versions read from files, so no interpreter has to be started.

Sources, most trusted first: pyvenv.cfg, conda-meta/python-*.json, PEP 739
build-details.json (3.14+), include/pythonX.Y/patchlevel.h, then folder names
such as `cpython-3.12.1-linux-x86_64-gnu` or pyenv's `3.12.1`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from envsense.core.discovery import fs
from envsense.core.discovery.pyvenv import PyvenvCfg
from envsense.core.versions import PythonVersion

_PATCHLEVEL_RE = re.compile(r'^#define\s+PY_VERSION\s+"([^"]+)"', re.MULTILINE)
_CONDA_PYTHON_RE = re.compile(r"^python-(\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?)-")
_FOLDER_RES = (
    # uv and python-build-standalone: cpython-3.12.1-linux-x86_64-gnu, pypy-3.10.14-...
    re.compile(r"^(?:cpython|pypy|graalpy)-(\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?)(?:[+-]|$)"),
    # pyenv: 3.12.1, 3.13.0rc2, 3.12.1t, 3.13-dev; Windows pyenv-win: 3.12.1-win32
    re.compile(r"^(\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?)(?:t|-win32|-amd64|-arm64)?$"),
    re.compile(r"^(\d+\.\d+)-dev$"),
    # pyenv's PyPy and GraalPy: pypy3.10-7.3.17, pypy3.9-c-jit-latest (X.Y only)
    re.compile(r"^(?:pypy|graalpy)(\d+\.\d+)(?:-|$)"),
    # Homebrew Cellar (python@3.12/3.12.1_1) and python.org-style python-3.12.1.amd64
    re.compile(r"^(?:python-)?(\d+\.\d+\.\d+)(?:_\d+|\.amd64|\.win32)?$"),
)
_NAME_MINOR_RE = re.compile(r"^python(\d+\.\d+)t?(?:\.exe)?$")


def from_pyvenv_cfg(cfg: PyvenvCfg) -> PythonVersion | None:
    """`version_info` (virtualenv, uv) or `version` (python -m venv)."""
    for text in (cfg.version_info, cfg.version):
        if text:
            version = PythonVersion.parse(text)
            if version is not None:
                return version
    return None


def from_conda_meta(prefix: Path) -> PythonVersion | None:
    """conda-meta/python-3.12.1-h1234_0.json names the exact Python of a conda/pixi env."""
    best: PythonVersion | None = None
    for name in fs.list_names(prefix / "conda-meta"):
        match = _CONDA_PYTHON_RE.match(name)
        if match and name.endswith(".json"):
            version = PythonVersion.parse(match.group(1))
            if version is not None and (best is None or version > best):
                best = version
    return best


def from_build_details(prefix: Path) -> PythonVersion | None:
    """PEP 739 build-details.json, shipped from 3.14 on."""
    candidates = [prefix / "Lib" / "build-details.json"]
    candidates += [lib / "build-details.json" for lib in _lib_python_dirs(prefix)]
    for path in candidates:
        version = from_build_details_file(path)
        if version is not None:
            return version
    return None


def from_patchlevel(prefix: Path) -> PythonVersion | None:
    """`#define PY_VERSION "3.12.1"` in include/pythonX.Y/patchlevel.h (or one level up)."""
    include_dirs = [prefix / "include", prefix / "Include", prefix / "Headers"]
    candidates = [folder / "patchlevel.h" for folder in include_dirs]
    for folder in include_dirs:
        candidates += [
            sub / "patchlevel.h"
            for sub in fs.subdirs(folder)
            if "python" in sub.name or sub.name.startswith("pypy")
        ]
    for path in candidates:
        text = fs.read_text(path)
        match = _PATCHLEVEL_RE.search(text) if text else None
        if match:
            parsed = PythonVersion.parse(match.group(1))
            if parsed is not None:
                return parsed
    return None


def from_folder_name(name: str) -> PythonVersion | None:
    """A version spelled in a folder name (uv, pyenv, Homebrew Cellar)."""
    for pattern in _FOLDER_RES:
        match = pattern.match(name)
        if match:
            return PythonVersion.parse(match.group(1))
    return None


def from_executable_name(executable: Path) -> PythonVersion | None:
    """`python3.12` says 3.12 (inexact: the micro version is unknown)."""
    match = _NAME_MINOR_RE.match(executable.name)
    return PythonVersion.parse(match.group(1)) if match else None


def from_install(prefix: Path) -> PythonVersion | None:
    """The version of a base (non-virtual) install, from its own files."""
    return from_conda_meta(prefix) or from_build_details(prefix) or from_patchlevel(prefix)


def from_lib_dir(prefix: Path) -> PythonVersion | None:
    """X.Y from the stdlib folder name, `lib/python3.12` or PyPy's `lib/pypy3.10` (inexact)."""
    for name in fs.list_names(prefix / "lib"):
        for stem in ("python", "pypy"):
            rest = name[len(stem) :] if name.startswith(stem) else ""
            major, dot, minor = rest.partition(".")
            if dot and major.isdigit() and minor.isdigit():
                return PythonVersion.parse(rest)
    return None


def from_home(home: Path, short: str | None) -> PythonVersion | None:
    """A venv's base install is the parent of pyvenv.cfg's `home`; read its headers.

    Only trusted when X.Y agrees with what the venv itself says, because `home`
    may now hold a different (upgraded) Python than the one the venv was made with.
    """
    version = from_install(home.parent)
    if version is None or (short is not None and version.short != short):
        return None
    return version


def _lib_python_dirs(prefix: Path) -> list[Path]:
    return [sub for sub in fs.subdirs(prefix / "lib") if sub.name.startswith("python3")]


def from_install_for(prefix: Path, short: str | None) -> PythonVersion | None:
    """Like `from_install`, but only the X.Y of `short` when a prefix holds several (/usr)."""
    if short is None:
        return from_install(prefix)
    candidates = [
        prefix / "lib" / f"python{short}" / "build-details.json",
        prefix / "include" / f"python{short}" / "patchlevel.h",
    ]
    for path in candidates:
        if path.name.endswith(".json"):
            version = from_build_details_file(path)
        else:
            text = fs.read_text(path)
            match = _PATCHLEVEL_RE.search(text) if text else None
            version = PythonVersion.parse(match.group(1)) if match else None
        if version is not None and version.short == short:
            return version
    return None


def from_build_details_file(path: Path) -> PythonVersion | None:
    text = fs.read_text(path)
    if text is None:
        return None
    try:
        info = json.loads(text)["language"]["version_info"]
        level = {"alpha": "a", "beta": "b", "candidate": "rc"}.get(info.get("releaselevel"))
        version = f"{info['major']}.{info['minor']}.{info['micro']}"
        if level:
            version += f"{level}{info.get('serial', 0)}"
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None
    return PythonVersion.parse(version)
