"""Real lock files for the lock tests: a wheelhouse, a project, and the real tools locking it.

uv runs offline against a find-links folder; poetry and pdm resolve against the same
wheels served as a local simple index (tests/support/simple_index.py).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from envsense.core.session import Session, SessionSettings
from tests.support.lock_tools import sandbox_env, tool
from tests.support.simple_index import serve_simple_index
from tests.support.venvs import install_wheels, make_venv, uv_executable
from tests.support.wheels import simple_wheel

# name, version, Requires-Dist
WHEELS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("requests", "2.31.0", ("idna>=3",)),
    ("requests", "2.32.3", ("idna>=3", 'tomli; python_version < "3.11"')),
    ("idna", "3.6", ()),
    ("idna", "3.7", ()),
    ("tomli", "2.0.1", ()),
    ("pytest", "8.0.0", ()),
    ("rich", "13.0.0", ()),
    ("httpx", "0.27.0", ()),
)

PYPROJECT = """\
[project]
name = "proj"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["requests>=2.28"]

[project.optional-dependencies]
fancy = ["rich"]

[dependency-groups]
dev = ["pytest"]
"""


def wheelhouse(folder: Path) -> Path:
    for name, version, requires in WHEELS:
        simple_wheel(folder, name, version=version, requires=list(requires))
    return folder


def write_uv_project(root: Path, pyproject: str = PYPROJECT) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(pyproject)
    return root


def run(args: Sequence[str | Path], cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    if result.returncode != 0:
        raise AssertionError(
            f"{' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout


def uv_lock(project: Path, wheels: Path, home: Path) -> Path:
    """`uv lock` offline against the wheel folder; returns uv.lock."""
    env = sandbox_env(home, UV_PYTHON=sys.executable)
    run([uv_executable(), "lock", "--offline", "--no-index", "--find-links", wheels], project, env)
    return project / "uv.lock"


def uv_export_pylock(project: Path, wheels: Path, home: Path) -> Path:
    env = sandbox_env(home, UV_PYTHON=sys.executable)
    run(
        [uv_executable(), "export", "--format", "pylock.toml", "--offline", "--no-index",
         "--find-links", wheels, "-o", "pylock.toml", "--quiet"],
        project, env,
    )  # fmt: skip
    return project / "pylock.toml"


def uv_pip_compile(project: Path, wheels: Path, home: Path, *extra: str) -> Path:
    env = sandbox_env(home, UV_PYTHON=sys.executable)
    run(
        [uv_executable(), "pip", "compile", "pyproject.toml", "--offline", "--no-index",
         "--find-links", wheels, "-o", "requirements.txt", "--quiet", *extra],
        project, env,
    )  # fmt: skip
    return project / "requirements.txt"


def poetry_lock(project: Path, wheels: Path, home: Path, pyproject_body: str) -> Path:
    """The real `poetry lock` against the wheels served as a local index."""
    with serve_simple_index(wheels, home / "index") as url:
        source = f'\n[[tool.poetry.source]]\nname = "local"\nurl = "{url}"\npriority = "primary"\n'
        (project / "pyproject.toml").write_text(pyproject_body + source)
        run([tool("poetry"), "lock", "--no-interaction"], project, sandbox_env(home))
    return project / "poetry.lock"


def pdm_lock(project: Path, wheels: Path, home: Path, pyproject_body: str) -> Path:
    with serve_simple_index(wheels, home / "index") as url:
        source = f'\n[[tool.pdm.source]]\nname = "pypi"\nurl = "{url}"\n'
        (project / "pyproject.toml").write_text(pyproject_body + source)
        env = sandbox_env(home, PDM_PYTHON=sys.executable, PDM_USE_VENV="false")
        run([tool("pdm"), "lock"], project, env)
    return project / "pdm.lock"


def make_env(
    project: Path, wheels: Path, *packages: str, python: str | Path = sys.executable
) -> Path:
    """project/.venv with `packages` (name==version) installed from the wheel folder."""
    exe = make_venv(project / ".venv", python)
    if packages:
        files = [_wheel(wheels, p) for p in packages]
        install_wheels(exe, *files, find_links=wheels)
    return exe


def _wheel(wheels: Path, pin: str) -> Path:
    name, _, version = pin.partition("==")
    found = sorted(wheels.glob(f"{name.replace('-', '_')}-{version}-*.whl"))
    if not found:
        raise AssertionError(f"no wheel for {pin} in {wheels}")
    return found[-1]


def session_for(project: Path, python: Path) -> Session:
    return Session([project], settings=SessionSettings(interpreter=python, trusted=False))


def line_of(path: Path, text: str) -> int:
    """0-based number of the first line of `path` equal to `text`."""
    lines = path.read_text().split("\n")
    return lines.index(text)
