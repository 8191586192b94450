"""The record every layer passes around: one Python environment found on the machine."""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path

from envsense.core.versions import PythonVersion


class EnvKind(str, Enum):
    """Kind names, spelled the same in the CLI, the LSP messages and the VS Code client."""

    VENV = "venv"
    VIRTUALENV = "virtualenv"
    UV = "uv"
    UV_WORKSPACE = "uv-workspace"
    UV_PYTHON = "uv-python"
    POETRY = "poetry"
    PIPENV = "pipenv"
    PDM = "pdm"
    HATCH = "hatch"
    VIRTUALENVWRAPPER = "virtualenvwrapper"
    CONDA = "conda"
    PIXI = "pixi"
    PYENV = "pyenv"
    PYENV_VIRTUALENV = "pyenv-virtualenv"
    HOMEBREW = "homebrew"
    SYSTEM = "system"
    WINDOWS_REGISTRY = "windows-registry"
    WINDOWS_STORE = "windows-store"

    def __str__(self) -> str:
        return self.value

    @property
    def is_virtual(self) -> bool:
        """True for environments layered on a base interpreter (they have a pyvenv.cfg)."""
        return self not in _BASE_KINDS


_BASE_KINDS = frozenset(
    {
        EnvKind.UV_PYTHON,
        EnvKind.CONDA,
        EnvKind.PIXI,
        EnvKind.PYENV,
        EnvKind.HOMEBREW,
        EnvKind.SYSTEM,
        EnvKind.WINDOWS_REGISTRY,
        EnvKind.WINDOWS_STORE,
    }
)


@dataclass(frozen=True, slots=True)
class Environment:
    """One environment. Unknown facts are None; `error` says why it can't be used.

    `prefix` is sys.prefix of the environment (None for interpreters whose prefix we
    deliberately don't guess, such as Homebrew's). `project` is the folder a tool ties
    the environment to (poetry/pipenv/hatch/pdm/virtualenvwrapper/uv workspace, or the
    folder holding an in-project `.venv`).
    """

    kind: EnvKind
    prefix: Path | None
    executable: Path | None
    version: PythonVersion | None
    name: str | None = None
    project: Path | None = None
    error: str | None = None

    @property
    def key(self) -> str:
        """A stable identity: the prefix when known, else the executable."""
        return str(self.prefix or self.executable or "")

    @property
    def display_name(self) -> str:
        """What people call it: `.venv`, `myproj-Ab3dE9xQ-py3.12`, `base`, `3.12.1`."""
        if self.name:
            return self.name
        if self.prefix is not None:
            return self.prefix.name
        return str(self.version) if self.version else str(self.kind)

    @property
    def label(self) -> str:
        """`.venv (Python 3.12.1)`: the form used in messages and action titles."""
        version = f"Python {self.version}" if self.version else "Python version unknown"
        return f"{self.display_name} ({version})"

    @property
    def is_usable(self) -> bool:
        return self.error is None and self.executable is not None

    def with_error(self, error: str) -> Environment:
        return replace(self, error=error)

    def to_json(self) -> dict[str, str | None]:
        """The ENV object of `envsense envs --json` and of the LSP messages."""
        return {
            "kind": self.kind.value,
            "name": self.display_name,
            "prefix": _path_or_none(self.prefix),
            "executable": _path_or_none(self.executable),
            "version": str(self.version) if self.version else None,
            "project": _path_or_none(self.project),
            "error": self.error,
        }


def _path_or_none(path: Path | None) -> str | None:
    return None if path is None else str(path)


def bin_dir_name(platform: str = sys.platform) -> str:
    """Executables live in bin/ on POSIX and in Scripts/ in Windows environments."""
    return "Scripts" if platform == "win32" else "bin"
