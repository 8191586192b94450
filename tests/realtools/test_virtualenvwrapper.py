"""virtualenvwrapper: `mkproject` ties an env to a project folder through `.project`."""

from __future__ import annotations

from tests.realtools.conftest import Sandbox, assert_selects


def test_mkproject_env_is_the_projects(sandbox: Sandbox) -> None:
    workon_home = sandbox.root / "virtualenvs"
    project_home = sandbox.root / "projects"
    workon_home.mkdir()
    project_home.mkdir()
    env = {
        "WORKON_HOME": str(workon_home),
        "PROJECT_HOME": str(project_home),
        "VIRTUALENVWRAPPER_PYTHON": str(sandbox.tools.python),
        "VIRTUALENVWRAPPER_VIRTUALENV": str(sandbox.tools.bin / "virtualenv"),
    }
    script = sandbox.tools.bin / "virtualenvwrapper.sh"
    python = sandbox.python("3.12").executable
    sandbox.bash(f"source {script} && mkproject -p {python} webapp >/dev/null", sandbox.root, env)
    # The oracle: `workon` goes to the project and activates its env.
    out = sandbox.bash(
        f"source {script} && cd / && workon webapp && pwd && echo $VIRTUAL_ENV", sandbox.root, env
    ).splitlines()
    folder, expected = out[-2], out[-1]
    assert folder == str(project_home / "webapp")
    assert_selects(
        sandbox,
        project_home / "webapp",
        expected,
        "virtualenvwrapper",
        sandbox.python("3.12"),
        env=env,
        reason="virtualenvwrapper: workon webapp (.project)",
    )
