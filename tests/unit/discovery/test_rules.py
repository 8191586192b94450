"""Each tool's own choice, on fake trees for what cannot run here (conda, pixi, macOS, Windows)
and for odd inputs; tests/realtools checks the same rules against the real managers."""

from __future__ import annotations

from pathlib import Path

from envsense.core.discovery import discover
from envsense.core.discovery.hatch import project_id
from envsense.core.discovery.pipenv import pipenv_env_name
from envsense.core.discovery.rules import project_rules
from envsense.core.environment import EnvKind
from envsense.core.projects import find_project
from envsense.core.selection import Selection, select_environment
from tests.unit.discovery.trees import Machine, write


def _select(machine: Machine, root: Path, **env: str) -> Selection:
    ctx = machine.ctx(root, **env)
    return select_environment(
        find_project(root, root), discover(ctx), rules=project_rules(root, ctx)
    )


def _pyenv(machine: Machine, version: str) -> Path:
    return machine.base_install(machine.home / ".pyenv" / "versions" / version, version)


def test_conda_environment_yml_name_and_prefix(machine: Machine) -> None:
    install = machine.conda_env(machine.home / "miniconda3", "3.12.4", install=True)
    machine.conda_env(install / "envs" / "ds", "3.10.14")
    machine.conda_env(install / "envs" / "newer", "3.12.4")
    root = machine.home / "analysis"
    write(
        root / "environment.yml",
        "name: ds\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.10\n",
    )
    chosen = _select(machine, root)
    assert chosen.environment is not None and chosen.environment.prefix == install / "envs" / "ds"
    assert (chosen.reason, chosen.fallback) == ("conda: environment.yml name: ds", False)

    elsewhere = machine.conda_env(machine.home / "envs-by-path" / "p", "3.11.9")
    write(root / "environment.yml", f"name: ds\nprefix: '{elsewhere}'\n")
    write(machine.home / ".conda" / "environments.txt", f"{elsewhere}\n")
    by_prefix = _select(machine, root)
    assert by_prefix.environment is not None and by_prefix.environment.prefix == elsewhere
    assert by_prefix.reason == f"conda: environment.yml prefix: {elsewhere}"


def test_pixi_default_env_first(machine: Machine) -> None:
    root = machine.home / "px"
    write(root / "pixi.toml", '[workspace]\nname = "px"\n')
    machine.conda_env(root / ".pixi" / "envs" / "a-test", "3.13.1", pixi=True)
    machine.conda_env(root / ".pixi" / "envs" / "default", "3.12.4", pixi=True)
    chosen = _select(machine, root)
    assert chosen.environment is not None
    assert chosen.environment.prefix == root / ".pixi" / "envs" / "default"
    assert (chosen.environment.kind, chosen.reason) == (EnvKind.PIXI, "pixi default environment")


def test_pipenv_dot_venv_file_names_the_env(machine: Machine) -> None:
    root = machine.home / "svc"
    write(root / "Pipfile", "[packages]\n")
    workon = machine.home / ".local" / "share" / "virtualenvs"
    hashed = workon / pipenv_env_name(root)
    named = workon / "shared-env"
    for prefix in (hashed, named):
        machine.venv(prefix, _pyenv(machine, "3.12.1"), "3.12.1", flavour="virtualenv")
    write(root / ".venv", "shared-env\n")
    chosen = _select(machine, root)
    assert chosen.environment is not None and chosen.environment.prefix == named
    assert chosen.reason == "pipenv: shared-env named in .venv"


def test_python_version_request_without_env(machine: Machine) -> None:
    """uv and pyenv read `3.12` as "the newest 3.12": not the newest Python overall."""
    _pyenv(machine, "3.12.1")
    _pyenv(machine, "3.12.3")
    _pyenv(machine, "3.13.0")
    root = machine.home / "app"
    write(root / "pyproject.toml", '[project]\nname = "app"\n')
    write(root / ".python-version", "3.12\n")
    chosen = _select(machine, root)
    assert chosen.environment is not None and str(chosen.environment.version) == "3.12.3"
    assert chosen.fallback
    assert chosen.reason == (
        "no environment for this project; using pyenv 3.12.3 for now (pyenv local 3.12 (.python-version))"
    )
    # A name pyenv has no install for (uv-managed only) is still a version request.
    write(root / ".python-version", "cpython@3.13\n")
    uv_style = _select(machine, root)
    assert uv_style.environment is not None and str(uv_style.environment.version) == "3.13.0"
    assert uv_style.reason.endswith("(.python-version asks for cpython@3.13)")


def test_pyenv_global_version_must_satisfy_requires_python(machine: Machine) -> None:
    _pyenv(machine, "3.10.13")
    _pyenv(machine, "3.12.1")
    write(machine.home / ".pyenv" / "version", "3.10.13\n")
    root = machine.home / "app"
    write(root / "pyproject.toml", '[project]\nname = "app"\nrequires-python = ">=3.11"\n')
    from packaging.specifiers import SpecifierSet

    ctx = machine.ctx(root)
    project = find_project(root, root)
    rules = project_rules(root, ctx)
    envs = discover(ctx)
    loose = select_environment(project, envs, rules=rules)
    assert loose.environment is not None and str(loose.environment.version) == "3.10.13"
    assert "(pyenv global 3.10.13 (" in loose.reason
    strict = select_environment(project, envs, rules=rules, requires_python=SpecifierSet(">=3.11"))
    assert strict.environment is not None and str(strict.environment.version) == "3.12.1"


def test_hatch_default_env_on_macos(machine: Machine) -> None:
    machine.platform = "darwin"
    root = machine.home / "lib"
    write(root / "pyproject.toml", '[project]\nname = "lib"\n[tool.hatch.envs.test]\n')
    virtual = machine.home / "Library" / "Application Support" / "hatch" / "env" / "virtual"
    base = virtual / "lib" / project_id(root)
    machine.venv(base / "lib", _pyenv(machine, "3.11.7"), "3.11.7", flavour="virtualenv")
    machine.venv(base / "test", _pyenv(machine, "3.13.0"), "3.13.0", flavour="virtualenv")
    chosen = _select(machine, root)
    assert chosen.environment is not None and chosen.environment.prefix == base / "lib"
    assert (chosen.environment.kind, chosen.reason) == (EnvKind.HATCH, "hatch default environment")


def test_poetry_envs_toml_on_windows(machine: Machine) -> None:
    from envsense.core.discovery.poetry import poetry_env_base

    machine.platform = "win32"
    local = machine.home / "AppData" / "Local"
    root = machine.home / "proj"
    write(root / "pyproject.toml", '[tool.poetry]\nname = "proj"\n')
    folder = local / "pypoetry" / "Cache" / "virtualenvs"
    base = poetry_env_base("proj", root, "win32")
    base_exe = machine.windows_install(local / "Programs" / "Python" / "Python311", "3.11.9")
    machine.windows_install(local / "Programs" / "Python" / "Python312", "3.12.4")
    for minor in ("3.11", "3.12"):
        machine.venv(folder / f"{base}-py{minor}", base_exe, f"{minor}.9", windows=True)
    write(folder / "envs.toml", f'[{base}]\nminor = "3.11"\npatch = "3.11.9"\n')
    chosen = _select(machine, root, LOCALAPPDATA=str(local))
    assert chosen.environment is not None
    assert chosen.environment.prefix == folder / f"{base}-py3.11"
    assert chosen.reason == "poetry env use: py3.11 (envs.toml)"


def test_malformed_tool_files_never_break_selection(machine: Machine) -> None:
    root = machine.home / "odd"
    write(root / "pyproject.toml", "[project\nname = ")
    write(root / "poetry.toml", "[virtualenvs\n")
    write(root / ".pdm-python", "")
    write(root / "environment.yml", "\x00\x01 not yaml")
    (root / ".python-version").write_bytes(b"\xff\xfe garbage\n")
    machine.venv(root / ".venv", _pyenv(machine, "3.12.1"), "3.12.1")
    chosen = _select(machine, root)
    assert chosen.environment is not None and chosen.environment.prefix == root / ".venv"
