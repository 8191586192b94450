"""PDM: the interpreter `pdm info --python` names decides (.pdm-python), wherever its env is."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.realtools.conftest import Sandbox, assert_selects, same_path

PYPROJECT = (
    '[project]\nname = "{name}"\nversion = "0.1.0"\nrequires-python = ">=3.10"\n'
    "dependencies = []\n[tool.pdm]\ndistribution = false\n"
)


def _project(sb: Sandbox, name: str) -> Path:
    return sb.project(name, PYPROJECT.format(name=name))


def _pdm_env(sb: Sandbox, project: Path, **env: str) -> Path:
    """The env of the interpreter PDM uses (its bin/python's folder above bin)."""
    return Path(sb.run("pdm", "info", "--python", cwd=project, env=env)).parent.parent


def test_default_in_project_venv(sandbox: Sandbox) -> None:
    project = _project(sandbox, "plain")
    sandbox.run("pdm", "venv", "create", sandbox.python("3.12").executable, cwd=project)
    sandbox.run("pdm", "use", "-f", project / ".venv" / "bin" / "python", cwd=project)
    expected = _pdm_env(sandbox, project)
    assert same_path(expected, project / ".venv")
    assert_selects(
        sandbox, project, expected, "pdm", sandbox.python("3.12"), reason="pdm: .pdm-python"
    )


def test_pdm_use_picks_the_older_central_env(sandbox: Sandbox) -> None:
    """Two envs: the newer in-project .venv and an older named central one, which is in use."""
    project = _project(sandbox, "two")
    sandbox.run("pdm", "venv", "create", sandbox.python("3.12").executable, cwd=project)
    sandbox.run(
        "pdm", "venv", "create", "--name", "old", sandbox.python("3.11").executable, cwd=project
    )
    sandbox.run("pdm", "use", "--venv", "old", cwd=project)
    expected = _pdm_env(sandbox, project)
    assert not same_path(expected, project / ".venv")
    result = assert_selects(sandbox, project, expected, "pdm", sandbox.python("3.11"))
    assert str(project / ".venv") in result.prefixes


@pytest.mark.parametrize("where", ["user-config", "per-project", "env-var"])
def test_central_location_moved(sandbox: Sandbox, where: str) -> None:
    project = _project(sandbox, "moved")
    target = sandbox.root / "pdm-venvs"
    env: dict[str, str] = {}
    sandbox.run("pdm", "config", "venv.location", target, cwd=project)
    if where == "user-config":
        sandbox.run("pdm", "config", "venv.in_project", "false", cwd=project)
    elif where == "per-project":
        sandbox.run("pdm", "config", "--local", "venv.in_project", "false", cwd=project)
        assert (project / "pdm.toml").is_file()
    else:
        env = {"PDM_VENV_IN_PROJECT": "false"}
    sandbox.run("pdm", "venv", "create", sandbox.python("3.11").executable, cwd=project, env=env)
    created = next(target.iterdir())
    sandbox.run("pdm", "use", "-f", created / "bin" / "python", cwd=project, env=env)
    expected = _pdm_env(sandbox, project, **env)
    assert same_path(expected.parent, target)
    assert_selects(sandbox, project, expected, "pdm", sandbox.python("3.11"), env=env)


def test_without_pdm_python_the_central_env_is_found_and_tied(sandbox: Sandbox) -> None:
    project = _project(sandbox, "nofile")
    sandbox.run("pdm", "config", "venv.in_project", "false", cwd=project)
    sandbox.run("pdm", "venv", "create", sandbox.python("3.12").executable, cwd=project)
    expected = _pdm_env(sandbox, project)
    (project / ".pdm-python").unlink(missing_ok=True)
    assert_selects(sandbox, project, expected, "pdm", sandbox.python("3.12"))
