"""Poetry 2: the env `poetry env info -p` names is the one envsense selects."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.realtools.conftest import Sandbox, assert_selects, same_path

PYPROJECT = (
    '[project]\nname = "{name}"\nversion = "0.1.0"\nrequires-python = ">=3.10"\n'
    "dependencies = []\n[tool.poetry]\npackage-mode = false\n"
)


def _project(sb: Sandbox, name: str) -> Path:
    return sb.project(name, PYPROJECT.format(name=name))


def _env_use(sb: Sandbox, project: Path, minor: str, **env: str) -> None:
    sb.run("poetry", "env", "use", sb.python(minor).executable, cwd=project, env=env)


def _poetry_env(sb: Sandbox, project: Path, **env: str) -> str:
    return sb.run("poetry", "env", "info", "-p", cwd=project, env=env)


def test_default_central_env(sandbox: Sandbox) -> None:
    project = _project(sandbox, "plain")
    _env_use(sandbox, project, "3.12")
    expected = _poetry_env(sandbox, project)
    assert ".cache/pypoetry/virtualenvs/plain-" in expected
    assert_selects(sandbox, project, expected, "poetry", sandbox.python("3.12"))


def test_env_use_picks_the_older_of_two_envs(sandbox: Sandbox) -> None:
    project = _project(sandbox, "two")
    _env_use(sandbox, project, "3.12")
    _env_use(sandbox, project, "3.11")
    expected = _poetry_env(sandbox, project)
    assert expected.endswith("-py3.11")
    result = assert_selects(
        sandbox,
        project,
        expected,
        "poetry",
        sandbox.python("3.11"),
        reason="poetry env use: py3.11 (envs.toml)",
    )
    # Both envs are found, the newer one too.
    assert len([p for p in result.prefixes if "/two-" in p]) == 2


@pytest.mark.parametrize("where", ["per-project", "user-config", "env-var"])
def test_virtualenvs_path_moved(sandbox: Sandbox, where: str) -> None:
    project = _project(sandbox, "moved")
    target = sandbox.root / "poetry-envs"
    env: dict[str, str] = {}
    if where == "per-project":
        sandbox.run("poetry", "config", "--local", "virtualenvs.path", target, cwd=project)
    elif where == "user-config":
        sandbox.run("poetry", "config", "virtualenvs.path", target, cwd=project)
    else:
        env = {"POETRY_VIRTUALENVS_PATH": str(target)}
    _env_use(sandbox, project, "3.11", **env)
    _env_use(sandbox, project, "3.12", **env)
    _env_use(sandbox, project, "3.11", **env)
    expected = _poetry_env(sandbox, project, **env)
    assert same_path(Path(expected).parent, target)
    assert_selects(sandbox, project, expected, "poetry", sandbox.python("3.11"), env=env)


@pytest.mark.parametrize("how", ["poetry.toml", "env-var"])
def test_in_project_venv(sandbox: Sandbox, how: str) -> None:
    project = _project(sandbox, "inproj")
    env: dict[str, str] = {}
    if how == "poetry.toml":
        sandbox.run("poetry", "config", "--local", "virtualenvs.in-project", "true", cwd=project)
    else:
        env = {"POETRY_VIRTUALENVS_IN_PROJECT": "true"}
    _env_use(sandbox, project, "3.12", **env)
    expected = _poetry_env(sandbox, project, **env)
    assert same_path(expected, project / ".venv")
    assert_selects(sandbox, project, expected, "poetry", sandbox.python("3.12"), env=env)


def test_broken_env_is_selected_with_its_error(sandbox: Sandbox) -> None:
    """The base install of the env Poetry uses was removed (`pyenv uninstall`, say):
    the env is still the project's, selected and said to be broken."""
    project = _project(sandbox, "broken")
    _env_use(sandbox, project, "3.12")
    _env_use(sandbox, project, "3.11")
    expected = Path(_poetry_env(sandbox, project))
    gone = sandbox.root / "uninstalled" / "bin"
    for link in (expected / "bin").glob("python*"):
        if link.is_symlink():
            link.unlink()
            link.symlink_to(gone / "python3.11")
    cfg = expected / "pyvenv.cfg"
    lines = cfg.read_text().splitlines()
    cfg.write_text("\n".join(f"home = {gone}" if x.startswith("home") else x for x in lines))
    assert same_path(_poetry_env(sandbox, project), expected)
    result = sandbox.envsense(project)
    selected = result.selected
    assert same_path(selected["prefix"], expected)
    assert selected["error"], selected
    assert "broken" in result.payload["reason"]
    assert result.spawns == []


def test_in_project_off_with_a_stray_venv_and_no_env_use_record(sandbox: Sandbox) -> None:
    """virtualenvs.in-project = false: Poetry ignores `.venv`; with envs.toml gone it takes
    the env of the Python on PATH (/usr/bin/python3 here)."""
    project = _project(sandbox, "stray")
    env = {"POETRY_VIRTUALENVS_IN_PROJECT": "false"}
    sandbox.run(
        sandbox.python("3.12").executable, "-m", "venv", "--without-pip", ".venv", cwd=project
    )
    system_minor = sandbox.run(
        "python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])", cwd=project
    )
    _env_use(sandbox, project, system_minor if system_minor in sandbox.pythons else "3.11", **env)
    envs_toml = sandbox.home / ".cache" / "pypoetry" / "virtualenvs" / "envs.toml"
    envs_toml.unlink()
    expected = _poetry_env(sandbox, project, **env)
    assert expected and not same_path(expected, project / ".venv")
    minor = expected.rsplit("-py", 1)[1]
    assert_selects(sandbox, project, expected, "poetry", sandbox.python(minor), env=env)
