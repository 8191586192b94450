"""envsense/environments, envsense/selectEnvironment and envsense/environmentChanged over stdio."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from tests.e2e.conftest import open_document, open_session, wait_until, watched_globs
from tests.support.venvs import make_venv


def make_project(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text('[project]\nname = "proj"\nversion = "1"\n')
    (root / "main.py").write_text("import json\n")
    make_venv(root / ".venv")
    return root


async def environments(client, path: Path):  # type: ignore[no-untyped-def]
    return await client.protocol.send_request_async("envsense/environments", {"uri": path.as_uri()})


async def test_project_venv_is_selected_with_its_reason(machine: Path, tmp_path: Path) -> None:
    project = make_project(tmp_path / "ws")
    async with open_session(machine, project) as client:
        result = await environments(client, project / "main.py")
    assert result.selected.kind == "venv"
    assert Path(result.selected.prefix) == project / ".venv"
    assert "in-project" in result.reason
    prefixes = [Path(env.prefix) for env in result.environments if env.prefix]
    assert prefixes[0] == project / ".venv"  # the recommended one comes first


async def test_a_pick_is_announced_and_survives_a_restart(machine: Path, tmp_path: Path) -> None:
    project = make_project(tmp_path / "ws")
    other = make_venv(machine / ".virtualenvs" / "other")
    async with open_session(machine, project) as client:
        uri = open_document(client, project / "main.py")
        answer = await client.protocol.send_request_async(
            "envsense/selectEnvironment", {"uri": uri, "executable": str(other)}
        )
        assert Path(answer.selected.executable) == other
        await wait_until(
            lambda: any(
                c.environment and Path(c.environment.executable) == other
                for c in client.env_changes  # type: ignore[attr-defined]
            ),
            what="environmentChanged naming the picked interpreter",
        )
    # A new server process (same machine, same data dir) remembers the pick.
    async with open_session(machine, project) as client:
        result = await environments(client, project / "main.py")
    assert Path(result.selected.executable) == other
    assert "picked" in result.reason


async def test_an_environment_created_outside_the_editor_is_noticed(
    machine: Path, tmp_path: Path
) -> None:
    project = tmp_path / "ws"
    project.mkdir()
    (project / "main.py").write_text("import json\n")
    async with open_session(machine, project) as client:
        open_document(client, project / "main.py")
        before = await environments(client, project / "main.py")
        assert "**/pyvenv.cfg" in watched_globs(client)
        make_venv(project / ".venv")
        client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[
                    types.FileEvent(
                        uri=(project / ".venv" / "pyvenv.cfg").as_uri(),
                        type=types.FileChangeType.Created,
                    )
                ]
            )
        )
        await wait_until(
            lambda: any(
                c.environment and Path(c.environment.prefix) == project / ".venv"
                for c in client.env_changes  # type: ignore[attr-defined]
            ),
            what="environmentChanged naming the new .venv",
        )
        after = await environments(client, project / "main.py")
    assert all(Path(e.prefix or "/") != project / ".venv" for e in before.environments)
    assert Path(after.selected.prefix) == project / ".venv"
