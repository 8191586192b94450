"""envsense.* commands end to end: real installs with uv and pip from a local wheel folder,
failures, cancellation, the per-environment queue, trust, confirmation of guessed names,
PEP 668, and creating a .venv for a project without a working environment."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from tests.e2e.conftest import open_document, wait_for_diagnostics, wait_until
from tests.e2e.quickfix_support import (
    NO_SPEC_WARNINGS,
    VENV_LABEL,
    by_title,
    code_actions,
    fake_uv,
    installed,
    offline_env,
    pid_alive,
    put_uv_on_path,
    result_field,
    run_action,
    run_command,
    session,
    shown,
    wheelhouse,
    write_project,
)
from tests.support.venvs import make_venv, uv_executable

pytestmark = pytest.mark.filterwarnings(NO_SPEC_WARNINGS)

SYSTEM_PYTHON = Path("/usr/bin/python3")


def install_args(uri: str, *packages: str, **extra: Any) -> dict[str, Any]:
    return {"uri": uri, "packages": list(packages), **extra}


def log_lines(client: Any) -> list[str]:
    return [m.message for m in client.log_messages]


async def test_pip_installs_into_a_venv_that_has_pip(machine: Path, tmp_path: Path) -> None:
    project = write_project(tmp_path / "ws", ["envsense-demo-pkg"], "import envsense_demo_pkg\n")
    virtualenv = Path(sys.executable).parent / "virtualenv"
    subprocess.run([str(virtualenv), "-q", str(project / ".venv")], check=True)
    wheels = wheelhouse(tmp_path / "wheels", "envsense-demo-pkg")
    async with session(
        machine, project, options={"installer": "pip"}, env=offline_env(wheels)
    ) as client:
        uri = open_document(client, project / "main.py")
        await wait_for_diagnostics(client, uri, lambda d: bool(d))
        result = await run_command(
            client, "envsense.installPackages", install_args(uri, "envsense-demo-pkg")
        )
        assert result_field(result, "ok") is True, result
        assert installed(project / ".venv", "envsense-demo-pkg")
        assert await wait_for_diagnostics(client, uri, lambda d: d == []) == []
    assert any(" -I -m pip install " in line for line in log_lines(client))


async def test_install_all_installs_every_missing_package_of_the_file(
    machine: Path, tmp_path: Path
) -> None:
    project = write_project(
        tmp_path / "ws", ["envsense-a", "envsense-b"], "import envsense_a\nimport envsense_b\n"
    )
    make_venv(project / ".venv")
    wheels = wheelhouse(tmp_path / "wheels", "envsense-a", "envsense-b")
    put_uv_on_path(machine)
    async with session(machine, project, env=offline_env(wheels)) as client:
        uri = open_document(client, project / "main.py")
        await wait_for_diagnostics(client, uri, lambda d: len(d) == 2)
        result = await run_command(client, "envsense.installPackages", {"uri": uri, "all": True})
        assert result_field(result, "ok") is True, result
        assert sorted(result_field(result, "added")) == ["envsense-a", "envsense-b"]
        assert await wait_for_diagnostics(client, uri, lambda d: d == []) == []


async def test_bad_arguments_are_invalid_params(machine: Path, tmp_path: Path) -> None:
    project = write_project(tmp_path / "ws", [], "import json\n")
    async with session(machine, project) as client:
        uri = (project / "main.py").as_uri()
        for command, arguments in [
            ("envsense.installPackages", [{"uri": uri}]),  # neither packages nor all
            ("envsense.installPackages", [{"uri": uri, "packages": "requests"}]),
            ("envsense.installPackages", [{"uri": uri, "packages": ["x"], "nameSource": "?"}]),
            ("envsense.createEnvironment", [{"uri": "untitled:Untitled-1"}]),
            ("envsense.selectEnvironment", [{"uri": uri}]),
            ("envsense.installProject", []),
            ("envsense.installProject", [{"uri": uri}, {"uri": uri}]),
        ]:
            with pytest.raises(JsonRpcInvalidParams):
                await client.workspace_execute_command_async(
                    types.ExecuteCommandParams(command=command, arguments=arguments)
                )


async def test_a_failed_install_says_why_and_leaves_the_environment(
    machine: Path, tmp_path: Path
) -> None:
    project = write_project(tmp_path / "ws", [], "import envsense_not_there\n")
    make_venv(project / ".venv")
    site = next((project / ".venv").glob("lib/python*/site-packages"))
    before = sorted(p.name for p in site.iterdir())
    wheels = wheelhouse(tmp_path / "wheels", "envsense-demo-pkg")
    put_uv_on_path(machine)
    async with session(machine, project, env=offline_env(wheels)) as client:
        uri = open_document(client, project / "main.py")
        # Nothing vouches for the name (not declared, only guessed from the import): asked.
        client.message_answers.append("Install")  # type: ignore[attr-defined]
        result = await run_command(
            client, "envsense.installPackages", install_args(uri, "envsense-not-there")
        )
        assert result_field(result, "ok") is False
        assert result_field(result, "cancelled") is False
        errors = [m for m in client.messages if m.type == types.MessageType.Error]
    assert len(errors) == 1
    assert "failed (exit" in errors[0].message
    assert "envsense-not-there" in errors[0].message  # uv's own words, from its last lines
    assert "the environment is unchanged" in errors[0].message
    assert sorted(p.name for p in site.iterdir()) == before


async def test_cancelling_the_progress_stops_the_installer(machine: Path, tmp_path: Path) -> None:
    project = write_project(tmp_path / "ws", ["envsense-slow"], "import envsense_slow\n")
    make_venv(project / ".venv")
    pidfile = tmp_path / "installer.pid"
    fake_uv(machine, f'echo $$ > "{pidfile}"\necho "Resolving dependencies"\nexec sleep 120\n')
    async with session(machine, project) as client:
        uri = open_document(client, project / "main.py")
        running = asyncio.ensure_future(
            run_command(client, "envsense.installPackages", install_args(uri, "envsense-slow"))
        )
        await wait_until(pidfile.exists, what="the installer to start")
        await wait_until(lambda: bool(client.progress_reports), what="a progress item")
        (token,) = client.progress_reports
        pid = int(pidfile.read_text())
        assert pid_alive(pid)
        client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
        result = await asyncio.wait_for(running, 30)
    assert result_field(result, "ok") is False
    assert result_field(result, "cancelled") is True
    assert "cancelled" in result_field(result, "message")
    assert not pid_alive(pid)
    end = client.progress_reports[token][-1]
    assert isinstance(end, types.WorkDoneProgressEnd) and "cancelled" in (end.message or "")
    assert any("cancelled" in m for m in shown(client))


async def test_a_second_install_into_the_same_environment_waits_its_turn(
    machine: Path, tmp_path: Path
) -> None:
    project = write_project(
        tmp_path / "ws", ["envsense-a", "envsense-b"], "import envsense_a\nimport envsense_b\n"
    )
    make_venv(project / ".venv")
    wheels = wheelhouse(tmp_path / "wheels", "envsense-a", "envsense-b")
    release = tmp_path / "release"
    # The test's own uv: holds every install until released, then runs the real uv.
    fake_uv(
        machine,
        f'while [ ! -e "{release}" ]; do sleep 0.05; done\nexec "{uv_executable()}" "$@"\n',
    )
    async with session(machine, project, env=offline_env(wheels)) as client:
        uri = open_document(client, project / "main.py")
        first = asyncio.ensure_future(
            run_command(client, "envsense.installPackages", install_args(uri, "envsense-a"))
        )
        await wait_until(
            lambda: any("$ " in line for line in log_lines(client)), what="the first install"
        )
        second = asyncio.ensure_future(
            run_command(client, "envsense.installPackages", install_args(uri, "envsense-b"))
        )
        await wait_until(lambda: any("queued" in m for m in shown(client)), what="queued")
        release.touch()
        results = await asyncio.wait_for(asyncio.gather(first, second), 60)
    assert [result_field(r, "ok") for r in results] == [True, True]
    assert installed(project / ".venv", "envsense-a")
    assert installed(project / ".venv", "envsense-b")
    (queued,) = [m for m in shown(client) if "queued" in m]
    assert queued.startswith("Install envsense-b into")
    lines = log_lines(client)
    # uv's "+ envsense-a==1.2": the first installer had finished before the second started.
    first_done = next(i for i, line in enumerate(lines) if "+ envsense-a==" in line)
    second_start = next(i for i, line in enumerate(lines) if "$ " in line and "envsense-b" in line)
    assert first_done < second_start


async def test_an_untrusted_workspace_runs_nothing(machine: Path, tmp_path: Path) -> None:
    project = write_project(tmp_path / "ws", ["envsense-demo-pkg"], "import envsense_demo_pkg\n")
    make_venv(project / ".venv")
    wheels = wheelhouse(tmp_path / "wheels", "envsense-demo-pkg")
    put_uv_on_path(machine)
    async with session(
        machine, project, options={"trusted": False}, env=offline_env(wheels)
    ) as client:
        uri = open_document(client, project / "main.py")
        install = await run_command(
            client, "envsense.installPackages", install_args(uri, "envsense-demo-pkg")
        )
        project_install = await run_command(client, "envsense.installProject", {"uri": uri})
        create = await run_command(client, "envsense.createEnvironment", {"uri": uri})
    for result in (install, project_install, create):
        assert result_field(result, "ok") is False
        assert "not trusted" in result_field(result, "message")
    assert not installed(project / ".venv", "envsense-demo-pkg")
    assert sorted(p.name for p in project.iterdir()) == [".venv", "main.py", "pyproject.toml"]
    assert client.progress_reports == {}


async def test_a_guessed_name_is_installed_only_once_confirmed(
    machine: Path, tmp_path: Path
) -> None:
    project = write_project(tmp_path / "ws", [], "import envsense_guessed\n")
    make_venv(project / ".venv")
    wheels = wheelhouse(tmp_path / "wheels", "envsense_guessed")
    put_uv_on_path(machine)
    async with session(machine, project, env=offline_env(wheels)) as client:
        uri = open_document(client, project / "main.py")
        diagnostics = await wait_for_diagnostics(client, uri, lambda d: bool(d))
        actions = await code_actions(client, uri, diagnostics)
        action = by_title(
            actions, f"Install 'envsense_guessed' (name guessed from the import) into {VENV_LABEL}"
        )

        declined = await run_action(client, action)  # nobody answers the question
        assert result_field(declined, "ok") is False
        assert "not confirmed" in result_field(declined, "message")
        assert not installed(project / ".venv", "envsense_guessed")
        (question,) = client.message_requests  # type: ignore[attr-defined]
        assert "only guessed from the import name 'envsense_guessed'" in question.message
        assert [a.title for a in question.actions or ()] == ["Install", "Cancel"]

        client.message_answers.append("Install")  # type: ignore[attr-defined]
        accepted = await run_action(client, action)
        assert result_field(accepted, "ok") is True
        assert installed(project / ".venv", "envsense_guessed")
        # Installed now, and pyproject.toml declares dependencies but not this one.
        (after,) = await wait_for_diagnostics(client, uri, lambda d: d != diagnostics)
        assert after.code == "undeclared-import"


async def test_a_requirements_file_with_index_options_is_confirmed_first(
    machine: Path, tmp_path: Path
) -> None:
    project = tmp_path / "ws"
    project.mkdir()
    wheels = wheelhouse(tmp_path / "wheels", "envsense-demo-pkg")
    requirements = project / "requirements.txt"
    requirements.write_text(f"--find-links {wheels}\nenvsense-demo-pkg\n")
    make_venv(project / ".venv")
    put_uv_on_path(machine)
    async with session(machine, project, env=offline_env(wheels)) as client:
        uri = open_document(client, requirements, language="pip-requirements")
        declined = await run_command(client, "envsense.installProject", {"uri": uri})
        assert result_field(declined, "ok") is False
        assert not installed(project / ".venv", "envsense-demo-pkg")
        (question,) = client.message_requests  # type: ignore[attr-defined]
        assert "requirements.txt changes where packages come from" in question.message
        assert f"requirements.txt:1: --find-links {wheels}" in question.message

        client.message_answers.append("Install")  # type: ignore[attr-defined]
        accepted = await run_command(client, "envsense.installProject", {"uri": uri})
        assert result_field(accepted, "ok") is True, accepted
        assert installed(project / ".venv", "envsense-demo-pkg")


async def test_an_externally_managed_python_offers_a_new_venv(
    machine: Path, tmp_path: Path
) -> None:
    if not any(SYSTEM_PYTHON.parent.parent.glob("lib/python3*/EXTERNALLY-MANAGED")):
        pytest.skip("needs a PEP 668 system Python at /usr/bin/python3")
    project = write_project(tmp_path / "ws", ["envsense-demo-pkg"], "import envsense_demo_pkg\n")
    wheels = wheelhouse(tmp_path / "wheels", "envsense-demo-pkg")
    put_uv_on_path(machine)
    async with session(machine, project, env=offline_env(wheels)) as client:
        uri = open_document(client, project / "main.py")
        await wait_for_diagnostics(client, uri, lambda d: bool(d))
        client.message_answers.append("Create .venv")  # type: ignore[attr-defined]
        result = await run_command(
            client, "envsense.installPackages", install_args(uri, "envsense-demo-pkg")
        )
        assert result_field(result, "ok") is True, result
        (question,) = client.message_requests  # type: ignore[attr-defined]
        assert "EXTERNALLY-MANAGED" in question.message
        assert installed(project / ".venv", "envsense-demo-pkg")
        assert (project / ".venv" / ".gitignore").is_file()
        assert await wait_for_diagnostics(client, uri, lambda d: d == []) == []


async def test_a_project_with_a_broken_venv_gets_a_new_one_and_uses_it(
    machine: Path, tmp_path: Path
) -> None:
    project = write_project(tmp_path / "ws", ["envsense-demo-pkg"], "import envsense_demo_pkg\n")
    make_venv(project / ".venv")
    for link in (project / ".venv" / "bin").glob("python*"):
        link.unlink()  # its interpreter is gone: the environment is broken
    wheels = wheelhouse(tmp_path / "wheels", "envsense-demo-pkg")
    put_uv_on_path(machine)
    async with session(machine, project, env=offline_env(wheels)) as client:
        uri = open_document(client, project / "main.py")
        (broken,) = await wait_for_diagnostics(client, uri, lambda d: bool(d))
        assert broken.code == "no-environment"
        actions = await code_actions(client, uri, [broken])
        (create,) = [a for a in actions if a.title.startswith("Recreate .venv with Python")]
        assert create.title.endswith(" and install the project")
        assert create.is_preferred

        result = await run_action(client, create)

        assert result_field(result, "ok") is True, result
        environment = result_field(result, "environment")
        assert Path(result_field(environment, "prefix")) == project / ".venv"
        assert installed(project / ".venv", "envsense-demo-pkg")
        assert (project / ".venv" / "bin" / "python").exists()
        assert await wait_for_diagnostics(client, uri, lambda d: d == []) == []
        await wait_until(
            lambda: any(
                c.environment and Path(c.environment.prefix) == project / ".venv"
                for c in client.env_changes  # type: ignore[attr-defined]
            ),
            what="environmentChanged naming the new .venv",
        )
    assert sorted(p.name for p in project.iterdir()) == [".venv", "main.py", "pyproject.toml"]
