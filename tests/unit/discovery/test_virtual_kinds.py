"""venv, virtualenv, uv and uv workspaces: real ones made by the tools, and fake trees."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from envsense.core.discovery import discover, identify
from envsense.core.environment import Environment, EnvKind
from tests.support.venvs import make_venv, pyenv_python, uv_executable
from tests.unit.discovery.trees import Machine, write

PY311 = Path("/root/.pyenv/versions/3.11.7/bin/python3.11")


def _by_prefix(envs: list[Environment], prefix: Path) -> Environment:
    matches = [env for env in envs if env.prefix == prefix]
    assert matches, f"{prefix} not discovered; found {[str(e.prefix) for e in envs]}"
    return matches[0]


def _real_version() -> str:
    return ".".join(map(str, sys.version_info[:3]))


def test_real_python_m_venv_in_a_project(machine: Machine, tmp_path: Path) -> None:
    project = tmp_path / "proj"
    write(project / "pyproject.toml", '[project]\nname = "proj"\n')
    make_venv(project / ".venv")
    env = _by_prefix(discover(machine.ctx(project)), project / ".venv")
    assert env.kind is EnvKind.VENV
    assert str(env.version) == _real_version()
    assert env.executable == project / ".venv" / "bin" / "python"
    assert env.project == project
    assert env.error is None


def test_real_virtualenv(machine: Machine, tmp_path: Path) -> None:
    virtualenv = Path(sys.executable).parent / "virtualenv"
    project = tmp_path / "app"
    project.mkdir()
    subprocess.run(
        [str(virtualenv), "--no-seed", "--no-periodic-update", "-q", str(project / "venv")],
        check=True,
        capture_output=True,
    )
    env = _by_prefix(discover(machine.ctx(project)), project / "venv")
    assert env.kind is EnvKind.VIRTUALENV
    assert str(env.version) == _real_version()
    assert env.project == project


@pytest.mark.skipif(not PY311.exists(), reason="pyenv's CPython 3.11.7 is not installed")
def test_real_uv_venv(machine: Machine, tmp_path: Path) -> None:
    project = tmp_path / "uvproj"
    project.mkdir()
    subprocess.run(
        [uv_executable(), "venv", "--offline", "--python", str(PY311), str(project / ".venv")],
        check=True,
        capture_output=True,
    )
    env = _by_prefix(discover(machine.ctx(project)), project / ".venv")
    assert env.kind is EnvKind.UV
    assert str(env.version) == "3.11.7"
    assert env.prefix == project / ".venv"
    assert env.project == project


def test_real_venv_of_another_python_reads_its_version_from_pyvenv_cfg(
    machine: Machine, tmp_path: Path
) -> None:
    python = pyenv_python("3.12")
    if python is None:
        pytest.skip("pyenv's CPython 3.12 is not installed")
    make_venv(tmp_path / "ws" / ".venv", python)
    env = identify(tmp_path / "ws" / ".venv" / "bin" / "python", machine.ctx())
    assert env.kind is EnvKind.VENV
    assert env.version is not None and env.version.short == "3.12"
    assert env.prefix == tmp_path / "ws" / ".venv"


def test_fake_venv_and_virtualenv_differ_by_the_virtualenv_line(machine: Machine) -> None:
    base = machine.base_install(machine.home / ".pyenv" / "versions" / "3.12.1", "3.12.1")
    ws = machine.home / "code" / "ws"
    machine.venv(ws / ".venv", base, "3.12.1", flavour="venv")
    machine.venv(ws / "venv", base, "3.12.1", flavour="virtualenv", prompt="'my env'")
    envs = discover(machine.ctx(ws))
    plain, virtualenv = _by_prefix(envs, ws / ".venv"), _by_prefix(envs, ws / "venv")
    assert (plain.kind, str(plain.version), plain.display_name) == (EnvKind.VENV, "3.12.1", ".venv")
    assert (virtualenv.kind, virtualenv.display_name) == (EnvKind.VIRTUALENV, "my env")


def test_old_virtualenv_without_pyvenv_cfg_is_known_by_its_activate_script(
    machine: Machine,
) -> None:
    prefix = machine.home / ".virtualenvs-old" / "legacy"
    machine.base_install(prefix, "2.7.18")
    write(prefix / "bin" / "activate", "# virtualenv 16\n")
    env = identify(prefix, machine.ctx())
    assert env.kind is EnvKind.VIRTUALENV
    assert str(env.version) == "2.7.18"  # from include/python2.7/patchlevel.h


def test_uv_venv_in_a_workspace_member_belongs_to_the_workspace_root(machine: Machine) -> None:
    base = machine.base_install(machine.home / "uvpy", "3.13.0")
    root = machine.home / "mono"
    write(
        root / "pyproject.toml",
        '[project]\nname = "mono"\n[tool.uv.workspace]\nmembers = ["packages/*"]\n',
    )
    write(root / "packages" / "a" / "pyproject.toml", '[project]\nname = "a"\n')
    machine.venv(root / ".venv", base, "3.13.0", flavour="uv", prompt="mono")
    env = _by_prefix(discover(machine.ctx(root)), root / ".venv")
    assert env.kind is EnvKind.UV_WORKSPACE
    assert env.project == root
    assert env.name == "mono"
    assert str(env.version) == "3.13.0"


def test_uv_line_without_version_info_is_not_uv(machine: Machine) -> None:
    base = machine.base_install(machine.home / "py", "3.12.1")
    prefix = machine.home / "p" / ".venv"
    machine.venv(prefix, base, "3.12.1", flavour="venv")
    cfg = prefix / "pyvenv.cfg"
    cfg.write_text(cfg.read_text() + "uv = 0.1.0\n")
    assert identify(prefix, machine.ctx()).kind is EnvKind.VENV


def test_windows_venv_layout_uses_scripts_python_exe(machine: Machine) -> None:
    machine.platform = "win32"
    base = machine.windows_install(machine.home / "Python312", "3.12.4")
    prefix = machine.home / "proj" / ".venv"
    machine.venv(prefix, base, "3.12.4", windows=True)
    env = identify(prefix, machine.ctx())
    assert env.kind is EnvKind.VENV
    assert env.executable == prefix / "Scripts" / "python.exe"
    assert str(env.version) == "3.12.4"
    assert env.error is None


def test_old_virtualenv_without_version_reads_it_from_lib(machine: Machine) -> None:
    """No pyvenv.cfg version and no headers: lib/python3.X still tells X.Y; nothing is run."""
    from envsense.core.discovery import discover

    prefix = machine.home / ".virtualenvs" / "legacy"
    machine.fake_python(prefix / "bin" / "python")
    (prefix / "bin" / "activate").write_text("")
    (prefix / "lib" / "python3.8" / "site-packages").mkdir(parents=True)
    envs = discover(machine.ctx(), allow_spawn=True)
    (legacy,) = [env for env in envs if env.prefix == prefix]
    assert legacy.version is not None and legacy.version.short == "3.8"
    assert not machine.sentinel.exists()
