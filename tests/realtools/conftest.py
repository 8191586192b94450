"""Real managers in a sandbox: a cached tools venv, a fake HOME, and envsense run as users run it.

The tools (tools.txt) are installed from the package index into
tests/.cache/realtools/<hash>/ once; a failed install fails the tests loudly. Every
tool and every `envsense` run gets the same sandbox environment (HOME, XDG_*, each
tool's config/cache variables under tmp_path), so nothing touches the real HOME.
The interpreters are the pyenv installs in the real ~/.pyenv/versions (read only).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
_HERE = Path(__file__).resolve().parent
_CACHE = REPO / "tests" / ".cache" / "realtools"
_TOOLS = ("poetry", "pipenv", "hatch", "pdm", "uv", "virtualenv")
_REAL_PYENV = Path.home() / ".pyenv"


@dataclass(frozen=True)
class Tools:
    """The cached venv holding the real managers."""

    venv: Path

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    @property
    def python(self) -> Path:
        return self.bin / "python"


@dataclass(frozen=True)
class Python:
    """A real interpreter of this machine's pyenv: `3.11` -> .../3.11.7/bin/python3.11."""

    minor: str
    version: str
    executable: Path


def _install_tools() -> Tools:
    requirements = (_HERE / "tools.txt").read_bytes()
    venv = _CACHE / hashlib.sha256(requirements).hexdigest()[:12]
    done = venv / ".installed"
    if done.exists():
        return Tools(venv)
    _CACHE.mkdir(parents=True, exist_ok=True)
    with open(_CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.exists():
            return Tools(venv)
        shutil.rmtree(venv, ignore_errors=True)
        steps = [
            [sys.executable, "-m", "venv", str(venv)],
            [
                str(venv / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "-r",
                str(_HERE / "tools.txt"),
            ],
        ]
        for step in steps:
            result = subprocess.run(step, capture_output=True, text=True, timeout=900)
            if result.returncode != 0:
                pytest.fail(
                    f"installing the real managers failed ({' '.join(step)}):\n"
                    f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}",
                    pytrace=False,
                )
        done.write_text("ok\n")
    return Tools(venv)


@pytest.fixture(scope="session")
def tools() -> Tools:
    return _install_tools()


@pytest.fixture(scope="session")
def pythons() -> dict[str, Python]:
    """3.10-3.13 from the real pyenv (the tools are given these paths explicitly)."""
    found: dict[str, Python] = {}
    for folder in sorted((_REAL_PYENV / "versions").glob("3.1[0-3].*")):
        minor = ".".join(folder.name.split(".")[:2])
        executable = folder / "bin" / f"python{minor}"
        if executable.is_file() and "envs" not in folder.parts:
            found[minor] = Python(minor, folder.name, executable)
    missing = {"3.11", "3.12"} - set(found)
    if missing:
        pytest.fail(f"the pyenv interpreters {sorted(missing)} are missing in {_REAL_PYENV}")
    return found


@dataclass(frozen=True)
class EnvsResult:
    payload: dict[str, Any]
    spawns: list[str]

    @property
    def selected(self) -> dict[str, Any]:
        selected = self.payload["selected"]
        assert selected is not None, self.payload["reason"]
        return dict(selected)

    @property
    def prefixes(self) -> set[str]:
        return {
            os.path.realpath(env["prefix"]) for env in self.payload["environments"] if env["prefix"]
        }


@dataclass
class Sandbox:
    """A fake HOME with the tools on PATH; `run` a tool, `envsense` a folder."""

    root: Path
    tools: Tools
    pythons: dict[str, Python]
    env: dict[str, str] = field(default_factory=dict)

    @property
    def home(self) -> Path:
        return self.root / "home"

    def python(self, minor: str) -> Python:
        return self.pythons[minor]

    def run(
        self,
        *args: str | Path,
        cwd: Path,
        env: Mapping[str, str] | None = None,
        check: bool = True,
        timeout: float = 180,
    ) -> str:
        """Run a tool; its stdout, stripped. A failure shows the tool's own output."""
        result = subprocess.run(
            [str(arg) for arg in args],
            cwd=cwd,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(map(str, args))} failed ({result.returncode}):\n"
                f"{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
            )
        return result.stdout.strip()

    def bash(self, script: str, cwd: Path, env: Mapping[str, str] | None = None) -> str:
        return self.run("bash", "-c", script, cwd=cwd, env=env)

    def envsense(self, path: Path, env: Mapping[str, str] | None = None) -> EnvsResult:
        """`envsense envs --json PATH` in a fresh process counting every process it starts."""
        result = subprocess.run(
            [sys.executable, "-m", "tests.realtools.spawncount", "envs", "--json", str(path)],
            cwd=REPO,
            env={**self.env, **(env or {}), "PYTHONPATH": f"{REPO / 'server'}:{REPO}"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        spawn_line = [line for line in result.stderr.splitlines() if line.startswith("SPAWNS=")]
        assert spawn_line, result.stderr
        return EnvsResult(json.loads(result.stdout), json.loads(spawn_line[-1][len("SPAWNS=") :]))

    def project(self, relative: str, pyproject: str | None = None, **files: str) -> Path:
        """A project folder (under the sandbox's `code/`) with the given files."""
        folder = self.root / "code" / relative
        folder.mkdir(parents=True, exist_ok=True)
        if pyproject is not None:
            (folder / "pyproject.toml").write_text(pyproject)
        for name, text in files.items():
            (folder / name.replace("__", ".")).write_text(text)
        return folder


@pytest.fixture
def sandbox(tmp_path: Path, tools: Tools, pythons: dict[str, Python]) -> Iterator[Sandbox]:
    root = tmp_path / "sb"
    home = root / "home"
    bin_dir = root / "bin"
    for folder in (home, bin_dir, root / "code"):
        folder.mkdir(parents=True)
    for name in _TOOLS:
        (bin_dir / name).symlink_to(tools.bin / name)
    env = {
        "HOME": str(home),
        "USER": os.environ.get("USER", "user"),
        "LANG": "C.UTF-8",
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "TMPDIR": str(root / "tmp"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "PYENV_ROOT": str(root / "pyenv"),
        # Offline: nothing these projects need comes from an index.
        "PIP_NO_INDEX": "1",
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "UV_OFFLINE": "1",
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_CACHE_DIR": str(home / ".cache" / "uv"),
        "PDM_CHECK_UPDATE": "false",
        "PIPENV_YES": "1",
        "PIPENV_NOSPIN": "1",
        "PIPENV_IGNORE_VIRTUALENVS": "1",
        "VIRTUALENV_OVERRIDE_APP_DATA": str(home / ".local" / "share" / "virtualenv"),
    }
    (root / "tmp").mkdir()
    yield Sandbox(root, tools, pythons, env)


def same_path(left: str | Path | None, right: str | Path) -> bool:
    return left is not None and os.path.realpath(left) == os.path.realpath(right)


def assert_selects(
    sb: Sandbox,
    path: Path,
    prefix: str | Path,
    kind: str,
    python: Python,
    *,
    project: Path | None = None,
    env: Mapping[str, str] | None = None,
    reason: str | None = None,
) -> EnvsResult:
    """envsense selects exactly the tool's env, with kind, version and project, spawning nothing."""
    result = sb.envsense(path, env)
    selected = result.selected
    assert same_path(selected["prefix"], prefix), (
        f"selected {selected['prefix']} ({result.payload['reason']}), the tool uses {prefix}"
    )
    assert selected["kind"] == kind, selected
    assert selected["version"] == python.version, selected
    assert selected["error"] is None, selected
    assert result.payload["project"] == str(project or path)
    assert result.payload["fallback"] is False
    if reason is not None:
        assert result.payload["reason"] == reason
    assert result.spawns == [], result.spawns
    return result
