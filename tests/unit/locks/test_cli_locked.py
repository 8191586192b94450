"""`envsense check --locked` in CI: exit 1 on drift, annotations on the lock entries, and
the results cache following a changed lock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.locks.lockfixtures import line_of, make_env, uv_lock, wheelhouse, write_uv_project


def check(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")}
    return subprocess.run(
        [sys.executable, "-m", "envsense", "check", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.fixture
def project(tmp_path: Path) -> Path:
    wheels = wheelhouse(tmp_path / "wheels")
    root = write_uv_project(tmp_path / "proj")
    (root / "main.py").write_text("import requests\n")
    uv_lock(root, wheels, tmp_path / "lockhome")
    make_env(root, wheels, "requests==2.31.0", "idna==3.7", "pytest==8.0.0")
    return root


def test_locked_exits_one_on_drift_and_annotates_the_lock_entry(
    project: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    plain = check(".", cwd=project, home=home)
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert "uv.lock:" in plain.stdout
    locked = check("--locked", "--format", "github", ".", cwd=project, home=home)
    assert locked.returncode == 1, locked.stdout + locked.stderr
    line = line_of(project / "uv.lock", 'name = "requests"') + 1
    assert (
        f"::warning file=uv.lock,line={line},col=1,endLine={line + 1},endColumn=19,"
        "title=envsense lock-mismatch::requests 2.31.0 is installed in .venv"
    ) in locked.stdout
    assert "::warning file=pyproject.toml,line=1,col=1" in locked.stdout


def test_cache_sees_a_changed_lock(project: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert check("--locked", ".", cwd=project, home=home).returncode == 1
    lock = project / "uv.lock"
    lock.write_text(
        lock.read_text()
        .replace('version = "2.32.3"', 'version = "2.31.0"')
        .replace("requests-2.32.3-", "requests-2.31.0-")
    )
    again = check("--locked", ".", cwd=project, home=home)
    assert again.returncode == 0, again.stdout
    assert "lock-" not in again.stdout


def test_locked_passes_when_the_env_matches(project: Path, tmp_path: Path) -> None:
    make_env(project, tmp_path / "wheels", "requests==2.32.3", "idna==3.7", "pytest==8.0.0")
    result = check(
        "--locked",
        "--python",
        str(project / ".venv" / "bin" / "python"),
        ".",
        cwd=project,
        home=tmp_path / "home",
    )
    assert result.returncode == 0, result.stdout + result.stderr
