"""Poetry, Pipenv, PDM, Hatch and virtualenvwrapper: kind and the project each tool ties."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from envsense.core.discovery import discover, identify
from envsense.core.discovery.hatch import project_id
from envsense.core.discovery.pdm import venv_prefix
from envsense.core.discovery.pipenv import pipenv_env_name
from envsense.core.discovery.poetry import poetry_env_name
from envsense.core.environment import Environment, EnvKind
from tests.unit.discovery.trees import Machine, write


def _at(envs: list[Environment], prefix: Path) -> Environment:
    found = [env for env in envs if env.prefix == prefix]
    assert found, f"{prefix} not found among {[str(e.prefix) for e in envs]}"
    return found[0]


def _base(machine: Machine, version: str = "3.12.1") -> Path:
    return machine.base_install(machine.home / ".pyenv" / "versions" / version, version)


def test_poetry_env_name_is_poetrys_own_hash(tmp_path: Path) -> None:
    project = tmp_path / "My Project"
    project.mkdir()
    # Poetry: sha256 of the real path, urlsafe base64, first 8 characters.
    digest = hashlib.sha256(os.path.realpath(project).encode()).digest()
    expected = base64.urlsafe_b64encode(digest).decode()[:8]
    assert (
        poetry_env_name("My_Project", project, "3.12", "linux") == f"my-project-{expected}-py3.12"
    )


def test_central_poetry_env_is_tied_to_its_project_by_hash(machine: Machine) -> None:
    project = machine.home / "code" / "shop"
    write(project / "pyproject.toml", '[tool.poetry]\nname = "shop"\nversion = "0.1.0"\n')
    other = machine.home / "code" / "other"
    write(other / "pyproject.toml", '[tool.poetry]\nname = "other"\n')
    cache = machine.home / ".cache" / "pypoetry" / "virtualenvs"
    mine = cache / poetry_env_name("shop", project, "3.12", "linux")
    foreign = cache / poetry_env_name("other", other, "3.12", "linux")
    machine.venv(mine, _base(machine), "3.12.1", flavour="virtualenv")
    machine.venv(foreign, _base(machine), "3.12.1", flavour="virtualenv")
    envs = discover(machine.ctx(project))
    env = _at(envs, mine)
    assert (env.kind, env.project, str(env.version)) == (EnvKind.POETRY, project, "3.12.1")
    assert env.display_name == mine.name
    # Not in the workspace: still a Poetry env, just with no known project.
    assert _at(envs, foreign).kind is EnvKind.POETRY
    assert _at(envs, foreign).project is None


def test_poetry_virtualenvs_path_from_env_var_and_config_toml(machine: Machine) -> None:
    project = machine.home / "svc"
    write(project / "pyproject.toml", '[project]\nname = "svc"\n[tool.poetry]\n')
    by_var = machine.home / "poetry-envs"
    by_config = machine.home / "configured"
    write(
        machine.home / ".config" / "pypoetry" / "config.toml",
        f'[virtualenvs]\npath = "{by_config}"\n',
    )
    name = poetry_env_name("svc", project, "3.11", "linux")
    machine.venv(by_var / name, _base(machine, "3.11.7"), "3.11.7", flavour="virtualenv")
    machine.venv(by_config / name, _base(machine, "3.11.7"), "3.11.7", flavour="virtualenv")
    envs = discover(machine.ctx(project, POETRY_VIRTUALENVS_PATH=str(by_var)))
    assert _at(envs, by_var / name).kind is EnvKind.POETRY
    assert _at(envs, by_config / name).project == project


def test_poetry_in_project_venv_honours_poetry_toml(machine: Machine) -> None:
    project = machine.home / "inproj"
    write(project / "pyproject.toml", '[tool.poetry]\nname = "inproj"\n')
    write(project / "poetry.toml", "[virtualenvs]\nin-project = true\n")
    machine.venv(project / ".venv", _base(machine), "3.12.1", flavour="virtualenv")
    env = _at(discover(machine.ctx(project)), project / ".venv")
    assert (env.kind, env.project) == (EnvKind.POETRY, project)
    (project / "poetry.toml").write_text("[virtualenvs]\nin-project = false\n")
    assert identify(project / ".venv", machine.ctx(project)).kind is EnvKind.VIRTUALENV


def test_pipenv_env_ties_through_dot_project_and_pipfile(machine: Machine) -> None:
    project = machine.home / "web"
    write(project / "Pipfile", "[packages]\nrequests = '*'\n")
    central = machine.home / ".local" / "share" / "virtualenvs" / pipenv_env_name(project)
    machine.venv(central, _base(machine), "3.12.1", flavour="virtualenv")
    write(central / ".project", str(project))
    env = _at(discover(machine.ctx(project)), central)
    assert (env.kind, env.project) == (EnvKind.PIPENV, project)
    assert env.display_name.startswith("web-")


def test_pipenv_name_hash_alone_ties_when_dot_project_is_missing(machine: Machine) -> None:
    project = machine.home / "api"
    write(project / "Pipfile", "[packages]\n")
    central = machine.home / ".local" / "share" / "virtualenvs" / pipenv_env_name(project)
    machine.venv(central, _base(machine), "3.12.1", flavour="virtualenv")
    env = _at(discover(machine.ctx(project)), central)
    assert (env.kind, env.project) == (EnvKind.PIPENV, project)


def test_virtualenvwrapper_env_with_project_file(machine: Machine) -> None:
    project = machine.home / "blog"
    project.mkdir()
    workon = machine.home / ".virtualenvs"
    machine.venv(workon / "blog", _base(machine), "3.12.1", flavour="virtualenv")
    write(workon / "blog" / ".project", f"{project}\n")
    machine.venv(workon / "scratch", _base(machine), "3.12.1", flavour="virtualenv")
    envs = discover(machine.ctx())
    assert (_at(envs, workon / "blog").kind, _at(envs, workon / "blog").project) == (
        EnvKind.VIRTUALENVWRAPPER,
        project,
    )
    assert _at(envs, workon / "scratch").kind is EnvKind.VIRTUALENVWRAPPER
    assert _at(envs, workon / "scratch").project is None


def test_workon_home_is_read_from_the_context(machine: Machine) -> None:
    workon = machine.home / "wrapper-envs"
    machine.venv(workon / "tools", _base(machine), "3.12.1", flavour="venv")
    envs = discover(machine.ctx(WORKON_HOME=str(workon)))
    assert _at(envs, workon / "tools").kind is EnvKind.VIRTUALENVWRAPPER


def test_pdm_in_project_and_central_envs(machine: Machine) -> None:
    project = machine.home / "lib"
    write(project / "pyproject.toml", '[project]\nname = "lib"\n[tool.pdm]\ndistribution = true\n')
    write(project / "pdm.lock", "# pdm lock\n")
    machine.venv(project / ".venv", _base(machine), "3.12.1", flavour="virtualenv")
    central = machine.home / ".local" / "share" / "pdm" / "venvs" / f"{venv_prefix(project)}test"
    machine.venv(central, _base(machine), "3.12.1", flavour="virtualenv")
    envs = discover(machine.ctx(project))
    assert (_at(envs, project / ".venv").kind, _at(envs, project / ".venv").project) == (
        EnvKind.PDM,
        project,
    )
    assert (_at(envs, central).kind, _at(envs, central).project) == (EnvKind.PDM, project)


def test_pdm_central_prefix_is_md5_of_the_posix_root(tmp_path: Path) -> None:
    digest = hashlib.md5(tmp_path.as_posix().encode()).digest()
    assert (
        venv_prefix(tmp_path) == f"{tmp_path.name}-{base64.urlsafe_b64encode(digest).decode()[:8]}-"
    )


def test_hatch_central_env_tied_by_project_id(machine: Machine) -> None:
    project = machine.home / "pkg"
    write(project / "pyproject.toml", '[project]\nname = "pkg"\n[tool.hatch.envs.test]\n')
    data = machine.home / ".local" / "share" / "hatch" / "env" / "virtual"
    default = data / "pkg" / project_id(project) / "pkg"
    test_env = data / "pkg" / project_id(project) / "test"
    for prefix in (default, test_env):
        machine.venv(prefix, _base(machine), "3.12.1", flavour="virtualenv")
    envs = discover(machine.ctx(project))
    assert {(_at(envs, p).kind, _at(envs, p).project) for p in (default, test_env)} == {
        (EnvKind.HATCH, project)
    }


def test_hatch_data_dir_variable_and_user_config_virtual_dir(machine: Machine) -> None:
    """Hatch reads dirs.env from the USER config file only; a relative one is per project."""
    project = machine.home / "tool"
    write(project / "pyproject.toml", '[project]\nname = "tool"\n[tool.hatch.envs.lint]\n')
    write(machine.home / ".config" / "hatch" / "config.toml", '[dirs.env]\nvirtual = ".hatch"\n')
    machine.venv(project / ".hatch" / "lint", _base(machine), "3.12.1", flavour="virtualenv")
    machine.venv(project / ".hatch" / "stray", _base(machine), "3.12.1", flavour="virtualenv")
    hatch_data = machine.home / "hatch-data"
    central = hatch_data / "env" / "virtual" / "x" / "AbCdEf12" / "x"
    machine.venv(central, _base(machine), "3.12.1", flavour="virtualenv")
    envs = discover(machine.ctx(project, HATCH_DATA_DIR=str(hatch_data)))
    lint = _at(envs, project / ".hatch" / "lint")
    assert (lint.kind, lint.project) == (EnvKind.HATCH, project)
    assert _at(envs, central).kind is EnvKind.HATCH
    # Not a declared env name: not claimed by Hatch (and .hatch is not scanned blindly).
    assert all(env.prefix != project / ".hatch" / "stray" for env in envs)


def test_hatch_ignores_dirs_env_in_pyproject(machine: Machine) -> None:
    """`[tool.hatch.dirs.env]` in pyproject.toml is not read by Hatch (checked with hatch 1.18)."""
    project = machine.home / "tool"
    write(
        project / "pyproject.toml",
        '[project]\nname = "tool"\n[tool.hatch.dirs.env]\nvirtual = ".hatch"\n',
    )
    machine.venv(project / ".hatch" / "tool", _base(machine), "3.12.1", flavour="virtualenv")
    envs = discover(machine.ctx(project))
    assert all(env.kind is not EnvKind.HATCH for env in envs)


def test_hatch_path_option_and_absolute_user_env_dir(machine: Machine) -> None:
    project = machine.home / "app"
    write(
        project / "pyproject.toml",
        '[project]\nname = "App_X"\n[tool.hatch.envs.default]\npath = ".venv"\n'
        "[tool.hatch.envs.test]\n",
    )
    envs_dir = machine.home / "hatch-envs"
    write(
        machine.home / ".config" / "hatch" / "config.toml", f'[dirs.env]\nvirtual = "{envs_dir}"\n'
    )
    machine.venv(project / ".venv", _base(machine), "3.12.1", flavour="virtualenv")
    test_env = envs_dir / "app-x" / project_id(project) / "test"
    machine.venv(test_env, _base(machine), "3.12.1", flavour="virtualenv")
    envs = discover(machine.ctx(project))
    default = _at(envs, project / ".venv")
    assert (default.kind, default.project) == (EnvKind.HATCH, project)
    assert (_at(envs, test_env).kind, _at(envs, test_env).project) == (EnvKind.HATCH, project)
