"""Quick fixes over the real protocol: which actions each diagnostic gets, their titles,
the edits they carry, and what running them does to the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from tests.e2e.conftest import open_document, wait_for_diagnostics
from tests.e2e.quickfix_support import (
    NO_SPEC_WARNINGS,
    PY,
    VENV_LABEL,
    apply_text_edits,
    by_title,
    code_actions,
    installed,
    offline_env,
    put_uv_on_path,
    result_field,
    run_action,
    session,
    shown,
    titles,
    wheelhouse,
    write_project,
)
from tests.support.venvs import install_wheels, make_venv, pyenv_python
from tests.support.wheels import simple_wheel

pytestmark = pytest.mark.filterwarnings(NO_SPEC_WARNINGS)


def by_code(diagnostics: list[types.Diagnostic], code: str) -> list[types.Diagnostic]:
    return [d for d in diagnostics if d.code == code]


async def test_missing_imports_get_install_declare_all_and_switch_fixes(
    machine: Path, tmp_path: Path
) -> None:
    project = write_project(
        tmp_path / "ws",
        ["envsense-demo-pkg>=1"],
        "import envsense_demo_pkg\nimport yaml\nimport envsense_unheard_of\n",
    )
    make_venv(project / ".venv")
    wheels = wheelhouse(tmp_path / "wheels", "envsense-demo-pkg")
    # Another environment on the machine already has the declared package.
    other = make_venv(machine / ".virtualenvs" / "other")
    install_wheels(other, next(wheels.glob("*.whl")))
    async with session(machine, project, env=offline_env(wheels)) as client:
        uri = open_document(client, project / "main.py")
        diagnostics = await wait_for_diagnostics(client, uri, lambda d: len(d) == 3)
        declared, curated, guessed = diagnostics
        assert [d.code for d in diagnostics] == ["missing-import"] * 3

        actions = await code_actions(client, uri, [declared])
        assert titles(actions) == [
            f"Install envsense-demo-pkg into {VENV_LABEL}",
            f"Install all missing packages of this file into {VENV_LABEL}",
            f"Switch to other ({PY}, virtualenvwrapper), which has envsense_demo_pkg",
        ]
        assert [a.kind for a in actions] == [types.CodeActionKind.QuickFix] * 3
        assert [a.is_preferred for a in actions] == [True, None, None]
        install = actions[0]
        assert install.command is not None
        assert install.command.command == "envsense.installPackages"
        (arguments,) = install.command.arguments or ()
        assert arguments["packages"] == ["envsense-demo-pkg>=1"]  # the declared requirement
        assert arguments["environment"] == str(project / ".venv" / "bin" / "python")
        switch = actions[2]
        assert switch.command is not None
        assert switch.command.command == "envsense.selectEnvironment"
        assert switch.command.arguments == ({"uri": uri, "executable": str(other)},)

        actions = await code_actions(client, uri, [curated])
        assert f"Install PyYAML into {VENV_LABEL}" in titles(actions)
        declare = by_title(actions, "Install PyYAML and add it to pyproject.toml")
        # The declaration is made after the install, pinned to what was installed.
        assert declare.edit is None
        assert declare.command is not None
        assert declare.command.command == "envsense.installAndDeclare"
        (arguments,) = declare.command.arguments or ()
        assert arguments["packages"] == ["PyYAML"]
        assert arguments["manifest"] == str(project / "pyproject.toml")

        actions = await code_actions(client, uri, [guessed])
        guess = by_title(
            actions,
            f"Install 'envsense_unheard_of' (name guessed from the import) into {VENV_LABEL}",
        )
        assert not guess.is_preferred
        assert not any("add it to" in t for t in titles(actions))  # never declare a guess

        result = await run_action(client, switch)
        assert result_field(result, "ok") is True
        # `other` has envsense_demo_pkg: only the two imports it lacks are left.
        after = await wait_for_diagnostics(client, uri, lambda d: len(d) == 2)
        assert [d.range.start.line for d in after] == [1, 2]
        assert all(f"is not installed in other (Python {PY})" in d.message for d in after)


async def test_running_the_preferred_fix_installs_and_clears_the_diagnostic(
    machine: Path, tmp_path: Path
) -> None:
    project = write_project(tmp_path / "ws", ["envsense-demo-pkg>=1"], "import envsense_demo_pkg\n")
    make_venv(project / ".venv")
    wheels = wheelhouse(tmp_path / "wheels", "envsense-demo-pkg")
    put_uv_on_path(machine)
    async with session(machine, project, env=offline_env(wheels)) as client:
        uri = open_document(client, project / "main.py")
        diagnostics = await wait_for_diagnostics(client, uri, lambda d: bool(d))
        actions = await code_actions(client, uri, diagnostics)
        preferred = [a for a in actions if a.is_preferred]
        assert titles(preferred) == [f"Install envsense-demo-pkg into {VENV_LABEL}"]

        result = await run_action(client, preferred[0])

        assert result_field(result, "ok") is True
        assert installed(project / ".venv", "envsense-demo-pkg")
        assert await wait_for_diagnostics(client, uri, lambda d: d == []) == []
        assert any("installed envsense-demo-pkg" in m for m in shown(client))
        # Work-done progress: begun cancellable, ended with the outcome.
        ((token, reports),) = [
            (t, r) for t, r in client.progress_reports.items() if str(t).startswith("envsense")
        ]
        assert isinstance(reports[0], types.WorkDoneProgressBegin)
        assert reports[0].cancellable is True
        assert isinstance(reports[-1], types.WorkDoneProgressEnd)
        assert "installed envsense-demo-pkg" in (reports[-1].message or "")


async def test_an_undeclared_import_is_declared_with_its_installed_version(
    machine: Path, tmp_path: Path
) -> None:
    project = write_project(
        tmp_path / "ws",
        ["envsense-demo-pkg>=1"],
        "import envsense_demo_pkg\nimport envsense_extra\n",
    )
    python = make_venv(project / ".venv")
    demo = simple_wheel(tmp_path / "wheels", "envsense-demo-pkg", version="1.2")
    extra = simple_wheel(tmp_path / "wheels", "envsense-extra", version="2.3.1")
    install_wheels(python, demo, extra)
    async with session(machine, project) as client:
        uri = open_document(client, project / "main.py")
        (undeclared,) = await wait_for_diagnostics(client, uri, lambda d: bool(d))
        assert undeclared.code == "undeclared-import"
        actions = await code_actions(client, uri, [undeclared])
    assert titles(actions) == ["Add envsense-extra to pyproject.toml"]
    (action,) = actions
    assert action.is_preferred and action.command is None
    assert action.edit is not None and action.edit.changes is not None
    (edits,) = action.edit.changes.values()
    assert apply_text_edits((project / "pyproject.toml").read_text(), list(edits)) == (
        '[project]\nname = "proj"\nversion = "1"\n'
        'dependencies = ["envsense-demo-pkg>=1", "envsense-extra>=2.3.1"]\n'
    )


async def test_manifest_lines_offer_this_requirement_or_the_whole_project(
    machine: Path, tmp_path: Path
) -> None:
    project = write_project(tmp_path / "ws", ["envsense-demo-pkg>=1"])
    make_venv(project / ".venv")
    async with session(machine, project) as client:
        uri = open_document(client, project / "pyproject.toml", language="toml")
        (missing,) = await wait_for_diagnostics(client, uri, lambda d: bool(d))
        assert missing.code == "requirement-not-installed"
        actions = await code_actions(client, uri, [missing])
    assert titles(actions) == [
        f"Install envsense-demo-pkg into {VENV_LABEL}",
        f"Install all requirements of ws into {VENV_LABEL}",
    ]
    this, everything = actions
    assert this.command is not None and everything.command is not None
    assert this.command.arguments == (
        {
            "uri": uri,
            "packages": ["envsense-demo-pkg>=1"],
            "nameSource": "declared",
            "environment": str(project / ".venv" / "bin" / "python"),
        },
    )
    assert everything.command.command == "envsense.installProject"
    assert everything.command.arguments == ({"uri": uri},)


async def test_wrong_python_offers_switches_and_a_recreate(machine: Path, tmp_path: Path) -> None:
    python312 = pyenv_python("3.12")
    if python312 is None:
        pytest.skip("needs pyenv's CPython 3.12")
    project = write_project(tmp_path / "ws", ["envsense-demo-pkg>=1"])
    text = (
        (project / "pyproject.toml")
        .read_text()
        .replace('version = "1"\n', 'version = "1"\nrequires-python = ">=3.12"\n')
    )
    (project / "pyproject.toml").write_text(text)
    make_venv(project / ".venv")  # the test runner's Python, which is older
    make_venv(machine / ".virtualenvs" / "py312", python312)
    # A base interpreter the fake machine's pyenv knows: what a new .venv can be made from.
    versions = machine / ".pyenv" / "versions"
    versions.mkdir(parents=True)
    (versions / python312.parent.parent.name).symlink_to(python312.parent.parent)
    version = python312.parent.parent.name
    async with session(machine, project) as client:
        uri = open_document(client, project / "pyproject.toml", language="toml")
        diagnostics = await wait_for_diagnostics(
            client, uri, lambda d: bool(by_code(d, "python-version-mismatch"))
        )
        actions = await code_actions(client, uri, by_code(diagnostics, "python-version-mismatch"))
    assert titles(actions) == [
        f"Switch to py312 ({version}, virtualenvwrapper)",
        f"Switch to pyenv {version}",
        "Recreate .venv with Python 3.12 and install the project",
    ]
    assert [a.is_preferred for a in actions] == [True, None, None]
    recreate = actions[-1].command
    assert recreate is not None and recreate.command == "envsense.createEnvironment"
    assert recreate.arguments == (
        {"uri": uri, "python": str(versions / version / "bin" / "python"), "recreate": True},
    )


async def test_stdlib_modules_get_a_backport_or_an_explanation(
    machine: Path, tmp_path: Path
) -> None:
    python312 = pyenv_python("3.12")
    if python312 is None:
        pytest.skip("needs pyenv's CPython 3.12")
    project = write_project(tmp_path / "ws", [], "import imp\nimport distutils\n")
    make_venv(project / ".venv", python312)
    async with session(machine, project) as client:
        uri = open_document(client, project / "main.py")
        removed_imp, removed_distutils = await wait_for_diagnostics(
            client, uri, lambda d: len(d) == 2
        )
        backport = await code_actions(client, uri, [removed_distutils])
        explain = await code_actions(client, uri, [removed_imp])
        assert titles(backport) == ["Install setuptools (backport of distutils)"]
        assert titles(explain) == ["What to use instead of 'imp'"]
        result = await run_action(client, explain[0])
        assert result_field(result, "ok") is True
        assert removed_imp.message in shown(client)


async def test_untrusted_workspaces_get_no_install_actions(machine: Path, tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "ws", ["envsense-demo-pkg>=1"], "import envsense_demo_pkg\nimport envsense_x\n"
    )
    python = make_venv(project / ".venv")
    install_wheels(python, simple_wheel(tmp_path / "wheels", "envsense-x"))
    async with session(machine, project, options={"trusted": False}) as client:
        uri = open_document(client, project / "main.py")
        missing, undeclared = await wait_for_diagnostics(client, uri, lambda d: len(d) == 2)
        assert await code_actions(client, uri, [missing]) == []
        # Declaring runs nothing, so it stays available.
        assert titles(await code_actions(client, uri, [undeclared])) == [
            "Add envsense-x to pyproject.toml"
        ]
