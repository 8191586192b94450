"""uv: the project's `.venv`, the workspace root's for every member, or UV_PROJECT_ENVIRONMENT."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.realtools.conftest import Sandbox, assert_selects, same_path


def _pyproject(name: str, extra: str = "") -> str:
    return (
        f'[project]\nname = "{name}"\nversion = "0.1.0"\nrequires-python = ">=3.10"\n'
        f"dependencies = []\n{extra}"
    )


def _uv_env(sb: Sandbox, folder: Path, env: dict[str, str] | None = None) -> str:
    """The oracle: the prefix of the Python `uv run` starts in this folder."""
    return sb.run(
        "uv",
        "run",
        "--no-sync",
        "python",
        "-c",
        "import sys; print(sys.prefix)",
        cwd=folder,
        env=env,
    ).splitlines()[-1]


def _workspace(sb: Sandbox) -> Path:
    root = sb.project("mono", _pyproject("mono", '[tool.uv.workspace]\nmembers = ["packages/*"]\n'))
    for member in ("lib-a", "lib-b"):
        sb.project(f"mono/packages/{member}", _pyproject(member))
    sb.run("uv", "sync", "--python", sb.python("3.11").executable, cwd=root)
    return root


def test_project_venv(sandbox: Sandbox) -> None:
    project = sandbox.project("app", _pyproject("app"))
    sandbox.run("uv", "sync", "--python", sandbox.python("3.12").executable, cwd=project)
    expected = _uv_env(sandbox, project)
    assert same_path(expected, project / ".venv")
    assert_selects(sandbox, project, expected, "uv", sandbox.python("3.12"))


@pytest.mark.parametrize("form", ["absolute", "relative"])
def test_uv_project_environment(sandbox: Sandbox, form: str) -> None:
    project = sandbox.project("custom", _pyproject("custom"))
    value = str(sandbox.root / "elsewhere" / "env") if form == "absolute" else "build/env"
    env = {"UV_PROJECT_ENVIRONMENT": value}
    sandbox.run("uv", "sync", "--python", sandbox.python("3.11").executable, cwd=project, env=env)
    # A leftover .venv (newer) must not win over the env uv really uses.
    sandbox.run("uv", "venv", "--python", sandbox.python("3.12").executable, cwd=project)
    expected = _uv_env(sandbox, project, env)
    anchor = Path(value) if form == "absolute" else project / value
    assert same_path(expected, anchor)
    assert_selects(sandbox, project, expected, "uv", sandbox.python("3.11"), env=env)


@pytest.mark.parametrize("stray", [False, True])
def test_workspace_members_use_the_root_env(sandbox: Sandbox, stray: bool) -> None:
    root = _workspace(sandbox)
    member = root / "packages" / "lib-a"
    if stray:
        # `uv venv` inside a member leaves a newer .venv there that uv never uses.
        sandbox.run("uv", "venv", "--python", sandbox.python("3.12").executable, cwd=member)
    for folder in (root, member, root / "packages" / "lib-b"):
        expected = _uv_env(sandbox, folder)
        assert same_path(expected, root / ".venv")
        assert_selects(sandbox, folder, expected, "uv-workspace", sandbox.python("3.11"))


def test_member_given_alone_without_vcs_finds_the_root_env(sandbox: Sandbox) -> None:
    """`envsense envs packages/lib-a`: discovery looks above the folder it was given."""
    root = _workspace(sandbox)
    member = root / "packages" / "lib-a"
    result = assert_selects(sandbox, member, root / ".venv", "uv-workspace", sandbox.python("3.11"))
    assert result.payload["reason"] == f"uv: .venv of the workspace root {root}"
