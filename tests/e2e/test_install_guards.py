"""Commands over the real protocol that must not be talked into more than the user asked:
a client's nameSource claim, URIs outside the workspace, interpreters that are no Python,
a global interpreter; and a real downgrade cancelled from the progress item is undone."""

from __future__ import annotations

import asyncio
import os
import signal
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
    code_actions,
    fake_uv,
    installed,
    offline_env,
    put_uv_on_path,
    result_field,
    run_action,
    run_command,
    session,
    shown,
    wheelhouse,
    write_project,
)
from tests.support.venvs import install_wheels, make_venv, pyenv_python, uv_executable
from tests.support.wheels import WheelSpec, build_wheel, simple_wheel

pytestmark = pytest.mark.filterwarnings(NO_SPEC_WARNINGS)


def errors(client: Any) -> list[str]:
    return [m.message for m in client.messages if m.type == types.MessageType.Error]


async def test_a_client_claiming_a_name_is_declared_still_gets_the_guessed_name_question(
    machine: Path, tmp_path: Path
) -> None:
    project = write_project(tmp_path / "ws", [], "import envsense_guessed\n")
    make_venv(project / ".venv")
    wheels = wheelhouse(tmp_path / "wheels", "envsense_guessed")
    put_uv_on_path(machine)
    async with session(machine, project, env=offline_env(wheels)) as client:
        uri = open_document(client, project / "main.py")
        await wait_for_diagnostics(client, uri, lambda d: bool(d))
        for claim in ("declared", "installed", "curated"):
            result = await run_command(
                client,
                "envsense.installPackages",
                {"uri": uri, "packages": ["envsense_guessed"], "nameSource": claim},
            )
            assert result_field(result, "ok") is False
            assert "not confirmed" in result_field(result, "message")
        questions = client.message_requests  # type: ignore[attr-defined]
        assert len(questions) == 3
        assert all(
            "only guessed from the import name 'envsense_guessed'" in q.message for q in questions
        )
    assert not installed(project / ".venv", "envsense_guessed")


async def test_uris_outside_the_workspace_are_refused(machine: Path, tmp_path: Path) -> None:
    project = write_project(tmp_path / "ws", [], "import json\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.py").write_text("import json\n")
    put_uv_on_path(machine)
    async with session(machine, project) as client:
        for uri in ((outside / "x.py").as_uri(), "file:///etc/passwd"):
            for command, extra in [
                ("envsense.createEnvironment", {}),
                ("envsense.installProject", {}),
                ("envsense.installPackages", {"packages": ["attrs"]}),
                ("envsense.selectEnvironment", {"executable": "/usr/bin/python3"}),
            ]:
                result = await run_command(client, command, {"uri": uri, **extra})
                assert result_field(result, "ok") is False, (command, uri)
                assert "outside every workspace folder" in result_field(result, "message")
        assert client.message_requests == []  # type: ignore[attr-defined]
    assert sorted(p.name for p in outside.iterdir()) == ["x.py"]
    assert not Path("/etc/.venv").exists()


@pytest.mark.parametrize(
    ("executable", "why"),
    [
        ("/bin/sh", "is not a Python interpreter"),
        ("/nonexistent/bin/python", "can't be used"),
    ],
)
async def test_select_environment_accepts_only_a_python_it_can_identify(
    machine: Path, tmp_path: Path, executable: str, why: str
) -> None:
    project = write_project(tmp_path / "ws", [], "import json\n")
    make_venv(project / ".venv")
    async with session(machine, project) as client:
        uri = open_document(client, project / "main.py")
        result = await run_command(
            client, "envsense.selectEnvironment", {"uri": uri, "executable": executable}
        )
        assert result_field(result, "ok") is False
        assert why in result_field(result, "message")
        assert "nothing was selected" in result_field(result, "message")
        environments = await client.protocol.send_request_async(
            "envsense/environments", {"uri": uri}
        )
    assert executable not in str(environments)
    assert any(why in m for m in errors(client))


async def test_the_picker_request_refuses_what_is_no_python_too(
    machine: Path, tmp_path: Path
) -> None:
    project = write_project(tmp_path / "ws", [], "import json\n")
    make_venv(project / ".venv")
    async with session(machine, project) as client:
        uri = open_document(client, project / "main.py")
        for executable in ("/bin/sh", str(tmp_path / "nowhere" / "bin" / "python")):
            with pytest.raises(JsonRpcInvalidParams, match="nothing was selected"):
                await client.protocol.send_request_async(
                    "envsense/selectEnvironment", {"uri": uri, "executable": executable}
                )
        answer = await client.protocol.send_request_async("envsense/environments", {"uri": uri})
    assert Path(answer.selected.prefix) == project / ".venv"


async def test_installing_into_a_global_interpreter_names_it_and_offers_a_venv(
    machine: Path, tmp_path: Path
) -> None:
    python = pyenv_python("3.11")
    if python is None:
        pytest.skip("needs a pyenv CPython 3.11 on this machine")
    project = write_project(tmp_path / "ws", ["envsense-demo-pkg"], "import envsense_demo_pkg\n")
    wheels = wheelhouse(tmp_path / "wheels", "envsense-demo-pkg")
    put_uv_on_path(machine)
    before = sorted(p.name for p in python.parent.parent.glob("lib/python3.11/site-packages/*"))
    # The machine's real pyenv, read (never written: the question is declined).
    env = {**offline_env(wheels), "PYENV_ROOT": str(python.parents[3])}
    async with session(machine, project, env=env) as client:
        uri = open_document(client, project / "main.py")
        client.message_answers.append("Cancel")  # type: ignore[attr-defined]
        result = await run_command(
            client,
            "envsense.installPackages",
            {"uri": uri, "packages": ["envsense-demo-pkg"], "environment": str(python)},
        )
        assert result_field(result, "ok") is False
        (question,) = client.message_requests  # type: ignore[attr-defined]
    version = python.parent.parent.name
    assert (
        f"This installs into your global pyenv {version}, shared by every project. "
        "Create a .venv instead?"
    ) in question.message
    assert [a.title for a in question.actions or ()] == ["Install", "Create .venv", "Cancel"]
    after = sorted(p.name for p in python.parent.parent.glob("lib/python3.11/site-packages/*"))
    assert after == before


async def test_a_cancelled_downgrade_leaves_the_original_version(
    machine: Path, tmp_path: Path
) -> None:
    project = write_project(tmp_path / "ws", ["envsense-marker"], "import envsense_marker\n")
    python = make_venv(project / ".venv")
    wheels = tmp_path / "wheels"
    simple_wheel(wheels, "envsense-marker", version="3.0")
    simple_wheel(wheels, "envsense-marker", version="2.1")
    install_wheels(python, wheels / "envsense_marker-3.0-py3-none-any.whl")
    held = tmp_path / "held"
    # The first uv run really installs 2.1, then "builds" until cancelled; later runs
    # (the rollback's reinstall) are the plain real uv.
    fake_uv(
        machine,
        f'if [ ! -e "{held}" ]; then touch "{held}"; "{uv_executable()}" "$@"; '
        'echo "Building wheels"; exec sleep 120; fi\n'
        f'exec "{uv_executable()}" "$@"\n',
    )
    async with session(machine, project, env=offline_env(wheels)) as client:
        uri = open_document(client, project / "main.py")
        running = asyncio.ensure_future(
            run_command(
                client,
                "envsense.installPackages",
                {"uri": uri, "packages": ["envsense-marker==2.1"]},
            )
        )
        await wait_until(
            lambda: any("Building wheels" in m.message for m in client.log_messages),
            what="the downgrade to be installed",
        )
        assert installed(project / ".venv", "envsense-marker")
        site = next((project / ".venv").glob("lib/python*/site-packages"))
        assert (site / "envsense_marker-2.1.dist-info").is_dir()
        (token,) = client.progress_reports
        started = asyncio.get_running_loop().time()
        client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
        result = await asyncio.wait_for(running, 30)
        elapsed = asyncio.get_running_loop().time() - started
    assert result_field(result, "cancelled") is True
    assert "restored: envsense-marker 3.0" in result_field(result, "message")
    assert (site / "envsense_marker-3.0.dist-info").is_dir()
    assert not (site / "envsense_marker-2.1.dist-info").exists()
    assert elapsed < 2, f"cancel and restore took {elapsed:.2f} s"
    assert any("restored: envsense-marker 3.0" in m for m in shown(client))


def processes_mentioning(*words: str) -> list[int]:
    """Processes whose command line holds every word (the test's own unique paths)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if all(word in text for word in words):
            found.append(int(cmdline.parent.name))
    return found


async def test_pip_killed_mid_install_is_reported_and_cleaned_up(
    machine: Path, tmp_path: Path
) -> None:
    project = write_project(tmp_path / "ws", ["bulky"], "import bulky\n")
    venv = project / ".venv"
    subprocess.run(
        [uv_executable(), "venv", "--seed", "--offline", "--python", sys.executable, str(venv)],
        check=True,
        capture_output=True,
    )
    site = next(venv.glob("lib/python*/site-packages"))
    before = sorted(p.name for p in site.iterdir())
    wheels = tmp_path / "wheels"
    files: dict[str, str | bytes] = {"bulky/__init__.py": "__version__ = '1.0'\n"}
    files.update({f"bulky/part{i:04d}.py": "x = 1\n" * 200 for i in range(4000)})
    build_wheel(WheelSpec(name="bulky", version="1.0", files=files), wheels)
    killed: list[int] = []
    async with session(
        machine, project, options={"installer": "pip"}, env=offline_env(wheels)
    ) as client:
        uri = open_document(client, project / "main.py")
        running = asyncio.ensure_future(
            run_command(client, "envsense.installPackages", {"uri": uri, "packages": ["bulky"]})
        )
        deadline = asyncio.get_running_loop().time() + 60
        while not killed and asyncio.get_running_loop().time() < deadline:
            if (site / "bulky").is_dir():
                for pid in processes_mentioning(str(venv / "bin" / "python"), "pip install"):
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
            await asyncio.sleep(0.005)
        result = await asyncio.wait_for(running, 60)
    assert killed, "pip finished before it could be killed"
    message = result_field(result, "message")
    assert result_field(result, "ok") is False
    assert "was killed (SIGKILL)" in message
    assert "unchanged" not in message
    assert "the environment is as it was before" in message
    assert sorted(p.name for p in site.iterdir()) == before
    assert any("was killed (SIGKILL)" in m for m in errors(client))


async def test_a_venv_deleted_during_the_install_is_reported_gone(
    machine: Path, tmp_path: Path
) -> None:
    project = write_project(tmp_path / "ws", ["envsense-demo-pkg"], "import envsense_demo_pkg\n")
    make_venv(project / ".venv")
    # An installer that "succeeds" after the environment vanished under it.
    fake_uv(machine, f'rm -rf "{project / ".venv"}"\necho "Installed 1 package"\nexit 0\n')
    async with session(machine, project) as client:
        uri = open_document(client, project / "main.py")
        result = await run_command(
            client, "envsense.installPackages", {"uri": uri, "packages": ["envsense-demo-pkg"]}
        )
        questions = client.message_requests  # type: ignore[attr-defined]
    assert result_field(result, "ok") is False
    assert result_field(result, "environmentGone") is True
    assert "was deleted during the install" in result_field(result, "message")
    (question,) = questions
    assert [a.title for a in question.actions or ()] == ["Recreate .venv"]


async def test_a_checked_in_uv_toml_redirects_nothing_without_a_question(
    machine: Path, tmp_path: Path
) -> None:
    project = write_project(tmp_path / "ws", ["envsense-demo-pkg"], "import envsense_demo_pkg\n")
    make_venv(project / ".venv")
    elsewhere = wheelhouse(tmp_path / "attacker-wheels", "envsense-demo-pkg")
    (project / "uv.toml").write_text(f'find-links = ["{elsewhere}"]\nno-index = true\n')
    put_uv_on_path(machine)
    async with session(machine, project, env={"UV_OFFLINE": "1", "UV_NO_CACHE": "1"}) as client:
        uri = open_document(client, project / "main.py")
        declined = await run_command(
            client, "envsense.installPackages", {"uri": uri, "packages": ["envsense-demo-pkg"]}
        )
        assert result_field(declined, "ok") is False
        assert not installed(project / ".venv", "envsense-demo-pkg")
        (question,) = client.message_requests  # type: ignore[attr-defined]
        assert "uv settings in the project change where packages come from:" in question.message
        assert f"uv.toml: find-links = {elsewhere}" in question.message
        assert "uv.toml: no-index = true" in question.message

        client.message_answers.append("Install")  # type: ignore[attr-defined]
        accepted = await run_command(
            client, "envsense.installPackages", {"uri": uri, "packages": ["envsense-demo-pkg"]}
        )
        assert result_field(accepted, "ok") is True, accepted
    assert installed(project / ".venv", "envsense-demo-pkg")
    assert any(
        "--no-config" in m.message and "--find-links" in m.message for m in client.log_messages
    )


async def test_a_deep_include_chain_with_odd_spellings_is_confirmed_first(
    machine: Path, tmp_path: Path
) -> None:
    project = tmp_path / "ws"
    (project / "reqs").mkdir(parents=True)
    elsewhere = wheelhouse(tmp_path / "attacker-wheels", "envsense-demo-pkg")
    for i in range(12):
        (project / "reqs" / f"r{i}.txt").write_text(f"-r\tr{i + 1}.txt\n")
    (project / "reqs" / "r12.txt").write_text(f"--find-link\t{elsewhere}\n-f{elsewhere}\n")
    requirements = project / "requirements.txt"
    requirements.write_text("-rreqs/r0.txt\nenvsense-demo-pkg\n")
    make_venv(project / ".venv")
    put_uv_on_path(machine)
    env = {"UV_OFFLINE": "1", "UV_NO_CACHE": "1", "UV_NO_INDEX": "1"}
    async with session(machine, project, env=env) as client:
        uri = open_document(client, requirements, language="pip-requirements")
        declined = await run_command(client, "envsense.installProject", {"uri": uri})
        assert result_field(declined, "ok") is False
        (question,) = client.message_requests  # type: ignore[attr-defined]
    assert not installed(project / ".venv", "envsense-demo-pkg")
    assert f"r12.txt:1: --find-link\t{elsewhere}  (read as --find-links {elsewhere})" in (
        question.message
    )
    assert f"r12.txt:2: -f{elsewhere}  (read as --find-links {elsewhere})" in question.message


async def test_commands_naming_an_interpreter_refuse_what_is_no_python(
    machine: Path, tmp_path: Path
) -> None:
    project = write_project(tmp_path / "ws", ["attrs"], "import attrs\n")
    make_venv(project / ".venv")
    put_uv_on_path(machine)
    async with session(machine, project) as client:
        uri = open_document(client, project / "main.py")
        install = await run_command(
            client,
            "envsense.installPackages",
            {"uri": uri, "packages": ["attrs"], "environment": "/bin/sh"},
        )
        create = await run_command(
            client, "envsense.createEnvironment", {"uri": uri, "python": "/bin/sh"}
        )
        assert client.message_requests == []  # type: ignore[attr-defined]
    for result in (install, create):
        assert result_field(result, "ok") is False
        assert "/bin/sh is not a Python interpreter" in result_field(result, "message")
    assert sorted(p.name for p in project.iterdir()) == [".venv", "main.py", "pyproject.toml"]


async def test_a_backport_from_envsenses_own_table_needs_no_question(
    machine: Path, tmp_path: Path
) -> None:
    python312 = pyenv_python("3.12")
    if python312 is None:
        pytest.skip("needs pyenv's CPython 3.12")
    project = write_project(tmp_path / "ws", [], "import distutils\n")
    make_venv(project / ".venv", python312)
    wheels = wheelhouse(tmp_path / "wheels", "setuptools")
    put_uv_on_path(machine)
    async with session(machine, project, env=offline_env(wheels)) as client:
        uri = open_document(client, project / "main.py")
        (removed,) = await wait_for_diagnostics(client, uri, lambda d: len(d) == 1)
        (action,) = await code_actions(client, uri, [removed])
        result = await run_action(client, action)
        assert client.message_requests == []  # type: ignore[attr-defined]
    assert result_field(result, "ok") is True, result
    assert installed(project / ".venv", "setuptools")


async def test_create_venv_instead_of_the_global_interpreter(machine: Path, tmp_path: Path) -> None:
    python = pyenv_python("3.11")
    if python is None:
        pytest.skip("needs a pyenv CPython 3.11 on this machine")
    project = write_project(tmp_path / "ws", ["envsense-demo-pkg"], "import envsense_demo_pkg\n")
    wheels = wheelhouse(tmp_path / "wheels", "envsense-demo-pkg")
    put_uv_on_path(machine)
    before = sorted(p.name for p in python.parent.parent.glob("lib/python3.11/site-packages/*"))
    env = {**offline_env(wheels), "PYENV_ROOT": str(python.parents[3])}
    async with session(machine, project, env=env) as client:
        uri = open_document(client, project / "main.py")
        client.message_answers.append("Create .venv")  # type: ignore[attr-defined]
        result = await run_command(
            client,
            "envsense.installPackages",
            {"uri": uri, "packages": ["envsense-demo-pkg"], "environment": str(python)},
        )
    assert result_field(result, "ok") is True, result
    assert installed(project / ".venv", "envsense-demo-pkg")
    after = sorted(p.name for p in python.parent.parent.glob("lib/python3.11/site-packages/*"))
    assert after == before
