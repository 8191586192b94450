"""virtualenv (the tool): an env it makes in the project is the project's."""

from __future__ import annotations

from tests.realtools.conftest import Sandbox, assert_selects


def test_virtualenv_in_project_beats_an_older_sibling(sandbox: Sandbox) -> None:
    project = sandbox.project("scripts")
    (project / "requirements.txt").write_text("requests\n")
    sandbox.run("virtualenv", "-p", sandbox.python("3.11").executable, "venv", cwd=project)
    sandbox.run("virtualenv", "-p", sandbox.python("3.12").executable, ".venv", cwd=project)
    # `.venv` is the conventional name VS Code and uv look for first.
    assert_selects(
        sandbox,
        project,
        project / ".venv",
        "virtualenv",
        sandbox.python("3.12"),
        reason="in-project environment .venv",
    )
