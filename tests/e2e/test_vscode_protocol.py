"""The protocol behind the VS Code parity features, over stdio against the real server:
activation variables and fallback in envsense/environments, a refused typed interpreter,
envsense/packages with uninstall through the queue, createOptions + a dry-run create, and
manifest diagnostics pushed for files nobody opened."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from tests.e2e.conftest import open_document, open_session, wait_for_diagnostics, wait_until
from tests.support.venvs import install_wheels, make_venv, uv_executable
from tests.support.wheels import simple_wheel


def project(root: Path, deps: str = '"tiny-widgets>=1"') -> Path:
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "proj"\nversion = "1"\nrequires-python = ">=3.8"\n'
        f'dependencies = [{deps}]\n[project.optional-dependencies]\nfast = ["tiny-fast"]\n'
    )
    (root / "main.py").write_text("import json\n")
    return root


async def request(client, method: str, params: dict):  # type: ignore[no-untyped-def]
    return await client.protocol.send_request_async(method, params)


async def test_environments_carry_titles_activation_and_refuse_a_bad_path(
    machine: Path, tmp_path: Path
) -> None:
    ws = project(tmp_path / "ws")
    make_venv(ws / ".venv")
    async with open_session(machine, ws) as client:
        uri = open_document(client, ws / "main.py")
        result = await request(client, "envsense/environments", {"uri": uri})
        with pytest.raises(JsonRpcInvalidParams) as refused:
            await request(
                client,
                "envsense/selectEnvironment",
                {"uri": uri, "executable": "/nonexistent/bin/python"},
            )
        after = await request(client, "envsense/environments", {"uri": uri})
    selected = result.selected
    assert selected.title.startswith(".venv (") and selected.title.endswith(", venv)")
    assert selected.activation.set.VIRTUAL_ENV == str(ws / ".venv")
    assert selected.activation.pathPrepend == [str(ws / ".venv" / "bin")]
    assert "PYTHONHOME" in selected.activation.unset
    assert result.recommended.prefix == selected.prefix
    assert result.fallback is False
    assert "/nonexistent/bin/python can't be used: /nonexistent/bin/python does not exist" in str(
        refused.value
    )
    assert after.selected.prefix == selected.prefix  # nothing was selected


async def test_packages_listing_and_uninstall_through_the_queue(
    machine: Path, tmp_path: Path
) -> None:
    wheels = tmp_path / "wheels"
    simple_wheel(wheels, "tiny-widgets", version="0.5")
    ws = project(tmp_path / "ws")
    python = make_venv(ws / ".venv")
    install_wheels(python, wheels / "tiny_widgets-0.5-py3-none-any.whl")
    (machine / "bin" / "uv").symlink_to(uv_executable())
    async with open_session(machine, ws) as client:
        uri = open_document(client, ws / "main.py")
        listed = await request(client, "envsense/packages", {"uri": uri})
        bad = await request(client, "envsense/validatePackageName", {"name": "not a name!"})
        good = await request(client, "envsense/validatePackageName", {"name": "PyYAML>=6"})
        outcome = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="envsense.uninstallPackage",
                arguments=[{"uri": uri, "packages": ["tiny-widgets"]}],
            )
        )
        again = await request(client, "envsense/packages", {"uri": uri})
    (row,) = [p for p in listed.packages if p.name == "tiny-widgets"]
    assert row.version == "0.5"
    assert row.mismatch == "0.5 does not satisfy >=1 (pyproject.toml)"
    assert [d.text for d in row.declared] == ["tiny-widgets>=1"]
    assert row.upgradeRequirement == "tiny-widgets>=1"
    assert "not a valid requirement" in bad.error and good.error is None
    assert outcome["ok"], outcome
    assert all(p.name != "tiny-widgets" for p in again.packages)


async def test_create_options_and_a_dry_run_with_only_a_uri(machine: Path, tmp_path: Path) -> None:
    ws = project(tmp_path / "ws")
    (machine / "bin" / "uv").symlink_to(uv_executable())
    async with open_session(machine, ws, options={"trusted": True}) as client:
        uri = open_document(client, ws / "main.py")
        envs = await request(client, "envsense/environments", {"uri": uri})
        options = await request(client, "envsense/createOptions", {"uri": uri})
        dry = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="envsense.createEnvironment",
                arguments=[{"uri": ws.as_uri(), "install": "project", "extras": ["fast"],
                            "dryRun": True}],
            )
        )  # fmt: skip
        try:
            await client.workspace_execute_command_async(
                types.ExecuteCommandParams(
                    command="envsense.createEnvironment",
                    arguments=[{"uri": ws.as_uri(), "install": "requirements",
                                "requirementFiles": ["/etc/passwd"], "dryRun": True}],
                )
            )  # fmt: skip
        except JsonRpcInvalidParams as error:
            outside_file_refused = "is not in" in str(error)
        else:
            outside_file_refused = False
    assert envs.fallback is True  # nothing of its own on an empty machine
    assert outside_file_refused
    assert options.extras == ["fast"] and options.requiresPython == ">=3.8"
    assert options.installable is True and options.venvExists is False
    # The fake machine's only base interpreter is the system python3 on PATH.
    assert [b.fits for b in options.bases] == [True] * len(options.bases) and options.bases
    assert dry["ok"] is True, dry
    assert dry["message"].endswith("and install the project[fast]")
    create, install = dry["summary"]
    assert create.startswith("$ ") and " venv " in create and create.endswith(str(ws / ".venv"))
    assert install.endswith("tiny-fast tiny-widgets>=1")
    assert not (ws / ".venv").exists()  # a dry run runs nothing


async def test_manifest_findings_arrive_without_opening_a_file(
    machine: Path, tmp_path: Path
) -> None:
    ws = project(tmp_path / "ws")
    make_venv(ws / ".venv")
    (ws / "requirements.txt").write_text("tiny-gadgets>=2\n")
    (ws / "lib.py").write_text("import tiny_widgets\n")
    async with open_session(machine, ws) as client:
        pyproject = await wait_for_diagnostics(client, (ws / "pyproject.toml").as_uri(), bool)
        requirements = await wait_for_diagnostics(client, (ws / "requirements.txt").as_uri(), bool)
        assert (ws / "lib.py").as_uri() not in client.diagnostics
    assert {d.code for d in pyproject} == {"requirement-not-installed"}
    assert [d.code for d in requirements] == ["requirement-not-installed"]
    async with open_session(machine, ws, options={"diagnosticScope": "workspace"}) as client:
        lib = await wait_for_diagnostics(client, (ws / "lib.py").as_uri(), bool)
    assert [d.code for d in lib] == ["missing-import"]


async def test_install_and_declare_pins_the_installed_version_as_the_file_pins(
    machine: Path, tmp_path: Path
) -> None:
    wheels = tmp_path / "wheels"
    simple_wheel(wheels, "PyYAML", module="yaml", version="6.0.1")
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "requirements.txt").write_text("idna==3.7\n")
    (ws / "app.py").write_text("import yaml\n")
    make_venv(ws / ".venv")
    (machine / "bin" / "uv").symlink_to(uv_executable())
    offline = {"UV_FIND_LINKS": str(wheels), "UV_OFFLINE": "1", "UV_NO_INDEX": "1"}
    async with open_session(machine, ws, env=offline) as client:
        uri = open_document(client, ws / "app.py")
        open_document(client, ws / "requirements.txt", language="pip-requirements")
        (missing,) = [
            d for d in await wait_for_diagnostics(client, uri, bool) if d.code == "missing-import"
        ]
        actions = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=missing.range,
                context=types.CodeActionContext(diagnostics=[missing]),
            )
        )
        (declare,) = [
            a
            for a in actions or []
            if isinstance(a, types.CodeAction)
            and a.title == "Install PyYAML and add it to requirements.txt"
        ]
        assert declare.command is not None and declare.edit is None
        outcome = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command=declare.command.command, arguments=declare.command.arguments
            )
        )
    assert outcome["ok"], outcome
    (edit,) = client.applied_edits  # type: ignore[attr-defined]
    (changes,) = (edit.changes or {}).values()
    assert [c.new_text for c in changes] == ["PyYAML==6.0.1\n"]


async def test_the_workspace_check_reports_progress_and_stops_when_cancelled(
    machine: Path, tmp_path: Path
) -> None:
    ws = project(tmp_path / "ws")
    make_venv(ws / ".venv")
    for i in range(2000):
        (ws / f"m{i:04}.py").write_text("import tiny_widgets\n")
    options = {"diagnosticScope": "workspace"}
    async with open_session(machine, ws, options=options) as client:
        reports = client.progress_reports

        def workspace_tokens() -> list[object]:
            return [t for t in reports if str(t).startswith("envsense-workspace-")]

        await wait_until(lambda: bool(workspace_tokens()), what="the workspace check's progress")
        (token,) = workspace_tokens()
        client.protocol.notify(
            types.WINDOW_WORK_DONE_PROGRESS_CANCEL,
            types.WorkDoneProgressCancelParams(token=token),  # type: ignore[arg-type]
        )
        await wait_until(
            lambda: any(isinstance(r, types.WorkDoneProgressEnd) for r in reports[token]),
            what="the end of the workspace check",
        )
        checked = sum(1 for uri in client.diagnostics if uri.endswith(".py"))
    begin = reports[token][0]
    assert isinstance(begin, types.WorkDoneProgressBegin) and begin.cancellable
    assert checked < 2000, "cancelling stopped the check before every file was done"
