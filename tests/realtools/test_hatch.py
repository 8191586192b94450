"""Hatch: the env `hatch env find` names (the default one unless HATCH_ENV says otherwise)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.realtools.conftest import Sandbox, assert_selects, same_path


def _project(sb: Sandbox, name: str, default_py: str, test_py: str, extra: str = "") -> Path:
    text = (
        f'[project]\nname = "{name}"\nversion = "0.1.0"\n'
        f'[tool.hatch.envs.default]\nskip-install = true\npython = "{default_py}"\n{extra}'
        f'[tool.hatch.envs.test]\nskip-install = true\npython = "{test_py}"\n'
    )
    return sb.project(name, text)


def _create(sb: Sandbox, project: Path, env: dict[str, str] | None = None) -> None:
    sb.run("hatch", "env", "create", cwd=project, env=env)
    sb.run("hatch", "env", "create", "test", cwd=project, env=env)


def _config(sb: Sandbox, project: Path, key: str, value: str | Path) -> None:
    sb.run("hatch", "config", "set", key, str(value), cwd=project)


def test_default_env_wins_over_a_newer_test_env(sandbox: Sandbox) -> None:
    py311, py312 = sandbox.python("3.11"), sandbox.python("3.12")
    project = _project(sandbox, "My_App", str(py311.executable), str(py312.executable))
    _create(sandbox, project)
    expected = sandbox.run("hatch", "env", "find", cwd=project)
    test_env = sandbox.run("hatch", "env", "find", "test", cwd=project)
    result = assert_selects(
        sandbox, project, expected, "hatch", py311, reason="hatch default environment"
    )
    assert test_env in result.prefixes
    # HATCH_ENV makes `hatch shell` use the test env.
    assert_selects(sandbox, project, test_env, "hatch", py312, env={"HATCH_ENV": "test"})


@pytest.mark.parametrize("where", ["absolute", "relative"])
def test_user_config_dirs_env(sandbox: Sandbox, where: str) -> None:
    py311, py312 = sandbox.python("3.11"), sandbox.python("3.12")
    project = _project(sandbox, "cfg", str(py311.executable), str(py312.executable))
    target: str | Path = sandbox.root / "hatch-envs" if where == "absolute" else ".hatch-envs"
    _config(sandbox, project, "dirs.env.virtual", target)
    _create(sandbox, project)
    expected = sandbox.run("hatch", "env", "find", cwd=project)
    anchor = target if where == "absolute" else project / str(target)
    assert str(Path(expected)).startswith(str(anchor))
    assert_selects(sandbox, project, expected, "hatch", py311)


def test_data_dir_by_env_var_and_by_config(sandbox: Sandbox) -> None:
    py311, py312 = sandbox.python("3.11"), sandbox.python("3.12")
    project = _project(sandbox, "data", str(py311.executable), str(py312.executable))
    env = {"HATCH_DATA_DIR": str(sandbox.root / "hatch-data")}
    _create(sandbox, project, env)
    expected = sandbox.run("hatch", "env", "find", cwd=project, env=env)
    assert expected.startswith(env["HATCH_DATA_DIR"])
    assert_selects(sandbox, project, expected, "hatch", py311, env=env)

    other = _project(sandbox, "data2", str(py312.executable), str(py311.executable))
    _config(sandbox, other, "dirs.data", sandbox.root / "hatch-data-2")
    _create(sandbox, other)
    expected = sandbox.run("hatch", "env", "find", cwd=other)
    assert expected.startswith(str(sandbox.root / "hatch-data-2"))
    assert_selects(sandbox, other, expected, "hatch", py312)


def test_path_option_is_reported_as_hatch(sandbox: Sandbox) -> None:
    py311, py312 = sandbox.python("3.11"), sandbox.python("3.12")
    project = _project(
        sandbox, "pathopt", str(py312.executable), str(py311.executable), extra='path = ".venv"\n'
    )
    _create(sandbox, project)
    expected = sandbox.run("hatch", "env", "find", cwd=project)
    assert same_path(expected, project / ".venv")
    assert_selects(sandbox, project, expected, "hatch", py312)


def test_dirs_env_in_pyproject_is_ignored_like_hatch_does(sandbox: Sandbox) -> None:
    py311, py312 = sandbox.python("3.11"), sandbox.python("3.12")
    project = _project(
        sandbox,
        "ignored",
        str(py311.executable),
        str(py312.executable),
    )
    with (project / "pyproject.toml").open("a") as out:
        out.write('[tool.hatch.dirs.env]\nvirtual = ".hatch"\n')
    _create(sandbox, project)
    expected = sandbox.run("hatch", "env", "find", cwd=project)
    assert not (project / ".hatch").exists()
    assert_selects(sandbox, project, expected, "hatch", py311)
