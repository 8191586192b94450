"""Pipenv: the env `pipenv --venv` names."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.realtools.conftest import Sandbox, assert_selects, same_path


def _create(sb: Sandbox, project: Path, minor: str, env: dict[str, str]) -> Path:
    sb.run("pipenv", "--python", sb.python(minor).executable, cwd=project, env=env)
    return Path(sb.run("pipenv", "--venv", cwd=project, env=env))


@pytest.mark.parametrize(
    "setting",
    ["default", "Pipfile", "PIPENV_VENV_IN_PROJECT", "WORKON_HOME", "PIPENV_CUSTOM_VENV_NAME"],
)
def test_pipenv_env(sandbox: Sandbox, setting: str) -> None:
    project = sandbox.project(f"pp-{setting.lower()}")
    if setting == "Pipfile":
        (project / "Pipfile").write_text("[packages]\n\n[pipenv]\nvenv_in_project = true\n")
    env = {
        "default": {},
        "Pipfile": {},
        "PIPENV_VENV_IN_PROJECT": {"PIPENV_VENV_IN_PROJECT": "1"},
        "WORKON_HOME": {"WORKON_HOME": str(sandbox.root / "workon")},
        "PIPENV_CUSTOM_VENV_NAME": {"PIPENV_CUSTOM_VENV_NAME": "my-custom-env"},
    }[setting]
    expected = _create(sandbox, project, "3.11", env)
    if setting in ("PIPENV_VENV_IN_PROJECT", "Pipfile"):
        assert same_path(expected, project / ".venv")
    if setting == "PIPENV_CUSTOM_VENV_NAME":
        assert expected.name == "my-custom-env"
    assert_selects(sandbox, project, expected, "pipenv", sandbox.python("3.11"), env=env)


def test_central_env_created_first_beats_a_later_dot_venv(sandbox: Sandbox) -> None:
    """Pipenv keeps the env it made in WORKON_HOME when a user later adds a `.venv`."""
    project = sandbox.project("later-venv")
    expected = _create(sandbox, project, "3.12", {})
    sandbox.run(
        sandbox.python("3.11").executable, "-m", "venv", "--without-pip", ".venv", cwd=project
    )
    assert same_path(sandbox.run("pipenv", "--venv", cwd=project), expected)
    assert_selects(sandbox, project, expected, "pipenv", sandbox.python("3.12"))
