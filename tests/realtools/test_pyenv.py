"""pyenv: `pyenv prefix` (shell, local, global; installs and pyenv-virtualenv envs) decides.

A sandbox PYENV_ROOT holds the real 3.11/3.12/3.13 installs (linked, read only) and
pyenv-virtualenv envs laid out as the plugin makes them: `versions/<v>/envs/<name>`
plus the `versions/<name>` link. The real `pyenv` command is the oracle.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.realtools.conftest import Python, Sandbox, assert_selects, same_path

_PYENV = Path.home() / ".pyenv" / "bin" / "pyenv"


@pytest.fixture
def pyenv_root(sandbox: Sandbox) -> Path:
    if not _PYENV.is_file():
        pytest.fail(f"pyenv is missing at {_PYENV}")
    root = Path(sandbox.env["PYENV_ROOT"])
    for python in sandbox.pythons.values():
        version = root / "versions" / python.version
        version.mkdir(parents=True)
        real = python.executable.parent.parent
        for part in ("bin", "lib", "include"):
            (version / part).symlink_to(real / part)
    return root


def _virtualenv(sb: Sandbox, root: Path, python: Python, name: str) -> Path:
    """What `pyenv virtualenv <version> <name>` lays out."""
    env = root / "versions" / python.version / "envs" / name
    base = root / "versions" / python.version / "bin" / f"python{python.minor}"
    sb.run(base, "-m", "venv", "--without-pip", env, cwd=sb.root)
    (root / "versions" / name).symlink_to(env)
    return env


def _pyenv(sb: Sandbox, *args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    return sb.run(_PYENV, *args, cwd=cwd, env=env)


def _project(sb: Sandbox, name: str, requires: str = ">=3.10") -> Path:
    return sb.project(name, f'[project]\nname = "{name}"\nrequires-python = "{requires}"\n')


def test_local_pyenv_virtualenv(sandbox: Sandbox, pyenv_root: Path) -> None:
    env = _virtualenv(sandbox, pyenv_root, sandbox.python("3.11"), "p4-venv")
    project = _project(sandbox, "p4")
    _pyenv(sandbox, "local", "p4-venv", cwd=project)
    expected = _pyenv(sandbox, "prefix", cwd=project)
    assert same_path(expected, env)
    assert_selects(
        sandbox,
        project,
        expected,
        "pyenv-virtualenv",
        sandbox.python("3.11"),
        reason="pyenv local p4-venv (.python-version)",
    )


def test_local_version_up_the_tree_and_pyenv_version_variable(
    sandbox: Sandbox, pyenv_root: Path
) -> None:
    py311, py312 = sandbox.python("3.11"), sandbox.python("3.12")
    _virtualenv(sandbox, pyenv_root, py312, "tools-env")
    project = _project(sandbox, "outer/inner")
    _pyenv(sandbox, "local", "tools-env", cwd=project.parent)
    expected = _pyenv(sandbox, "prefix", cwd=project)
    assert_selects(sandbox, project, expected, "pyenv-virtualenv", py312)

    shell = {"PYENV_VERSION": py311.version}
    expected = _pyenv(sandbox, "prefix", cwd=project, env=shell)
    result = sandbox.envsense(project, shell)
    assert same_path(result.selected["prefix"], expected)
    assert result.selected["kind"] == "pyenv"
    # A pyenv install is shared by every project: selected, but as a stand-in.
    assert result.payload["fallback"] is True
    assert result.payload["reason"] == (
        f"no environment for this project; using pyenv {py311.version} for now"
        f" (pyenv shell {py311.version} (PYENV_VERSION))"
    )
    assert result.spawns == []


def test_global_version_for_a_project_without_env(sandbox: Sandbox, pyenv_root: Path) -> None:
    py311 = sandbox.python("3.11")
    project = _project(sandbox, "noenv")
    _pyenv(sandbox, "global", py311.version, cwd=project)
    expected = _pyenv(sandbox, "prefix", cwd=project)
    result = sandbox.envsense(project)
    assert same_path(result.selected["prefix"], expected)
    assert result.selected["version"] == py311.version
    assert result.payload["fallback"] is True
    assert f"(pyenv global {py311.version} (" in result.payload["reason"]
    assert result.spawns == []


def test_no_env_and_no_pyenv_choice_falls_back_to_requires_python(
    sandbox: Sandbox, pyenv_root: Path
) -> None:
    """A poetry project with no env yet: poetry has none to name, envsense says so."""
    py312 = sandbox.python("3.12")
    project = sandbox.project(
        "fresh",
        '[project]\nname = "fresh"\nversion = "0.1.0"\nrequires-python = ">=3.10,<3.13"\n'
        "[tool.poetry]\npackage-mode = false\n",
    )
    info = sandbox.run("poetry", "env", "info", "-p", cwd=project, check=False)
    assert info == ""
    result = sandbox.envsense(project)
    assert result.selected["kind"] == "pyenv"
    assert result.selected["version"] == py312.version
    assert result.payload["fallback"] is True
    assert result.payload["reason"].startswith(
        f"no environment for this project; using pyenv {py312.version} for now"
    )
    assert result.spawns == []


def test_in_project_venv_beats_a_pyenv_local_version(sandbox: Sandbox, pyenv_root: Path) -> None:
    py311, py312 = sandbox.python("3.11"), sandbox.python("3.12")
    project = _project(sandbox, "both")
    _pyenv(sandbox, "local", py312.version, cwd=project)
    sandbox.run(py311.executable, "-m", "venv", "--without-pip", ".venv", cwd=project)
    assert os.path.isdir(project / ".venv")
    assert_selects(sandbox, project, project / ".venv", "venv", py311)
