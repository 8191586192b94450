"""Real virtual environments for tests, made the fast way (`venv --without-pip`, ~70 ms)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

PYENV_VERSIONS = Path.home() / ".pyenv" / "versions"


def make_venv(path: Path, python: str | Path = sys.executable) -> Path:
    """Create a venv at `path` with `python` (no pip) and return its interpreter."""
    subprocess.run(
        [str(python), "-m", "venv", "--without-pip", str(path)], check=True, capture_output=True
    )
    return path / "bin" / "python"


def uv_executable() -> str:
    """uv from the dev environment (a test dependency), else PATH."""
    candidate = Path(sys.executable).parent / "uv"
    found = str(candidate) if candidate.exists() else shutil.which("uv")
    if not found:
        raise RuntimeError("uv is a test dependency but was not found; run tests/setup.sh")
    return found


def install_wheels(python: Path, *wheels: Path, find_links: Path | None = None) -> None:
    """Install local wheels into the venv of `python` with uv, offline."""
    args = [uv_executable(), "pip", "install", "--offline", "--no-index", "--python", str(python)]
    if find_links is not None:
        args += ["--find-links", str(find_links)]
    subprocess.run([*args, *map(str, wheels)], check=True, capture_output=True)


def pyenv_python(minor: str) -> Path | None:
    """The real binary of pyenv's CPython X.Y (never the shim), or None when not installed."""
    if not PYENV_VERSIONS.is_dir():
        return None
    for folder in sorted(PYENV_VERSIONS.glob(f"{minor}.*"), reverse=True):
        exe = folder / "bin" / f"python{minor}"
        if exe.exists() and (folder / "bin" / "python3").exists():
            return exe
    return None
