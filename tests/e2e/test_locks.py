"""Lock files over the real protocol: the comparison is published for uv.lock with no file
open, a changed lock (a `git pull`) is compared again on workspace/didChangeWatchedFiles,
and the "Sync .venv with uv.lock" quick fix runs the real `uv sync --frozen`."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.conftest import open_document, wait_until, watched_globs
from tests.e2e.quickfix_support import (
    NO_SPEC_WARNINGS,
    by_title,
    code_actions,
    offline_env,
    put_uv_on_path,
    result_field,
    run_action,
    session,
)
from tests.support.venvs import install_wheels, make_venv
from tests.unit.locks.lockfixtures import line_of, uv_lock, wheelhouse, write_uv_project

pytestmark = pytest.mark.filterwarnings(NO_SPEC_WARNINGS)


def lock_diagnostics(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    return [d for d in client.diagnostics.get(uri, ()) if str(d.code).startswith("lock-")]


def versions(venv: Path) -> dict[str, str]:
    found = {}
    for info in venv.glob("lib/python*/site-packages/*.dist-info"):
        name, _, version = info.name[: -len(".dist-info")].partition("-")
        found[name] = version
    return found


@pytest.fixture
def drifted(tmp_path: Path) -> tuple[Path, Path]:
    """A uv project whose .venv has requests 2.31.0 while uv.lock says 2.32.3."""
    wheels = wheelhouse(tmp_path / "wheels")
    project = write_uv_project(tmp_path / "ws")
    uv_lock(project, wheels, tmp_path / "lockhome")
    python = make_venv(project / ".venv")
    pins = ["requests-2.31.0", "idna-3.7", "pytest-8.0.0"]
    install_wheels(python, *(next(wheels.glob(f"{p}-*.whl")) for p in pins), find_links=wheels)
    return project, wheels


async def test_lock_drift_is_published_rechecked_and_synced(
    machine: Path, drifted: tuple[Path, Path]
) -> None:
    project, wheels = drifted
    lock = project / "uv.lock"
    uri = lock.as_uri()
    put_uv_on_path(machine)
    env = {**offline_env(wheels), "UV_CACHE_DIR": str(machine / ".cache" / "uv")}
    async with session(machine, project, env=env) as client:
        await wait_until(lambda: "**/uv.lock" in watched_globs(client), what="lock watchers")
        # No document is open: the comparison is pushed for the lock file itself.
        await wait_until(lambda: bool(lock_diagnostics(client, uri)), what="uv.lock diagnostics")
        (mismatch,) = lock_diagnostics(client, uri)
        assert mismatch.code == "lock-mismatch"
        assert mismatch.range.start.line == line_of(lock, 'name = "requests"')
        assert "requests 2.31.0 is installed in .venv" in mismatch.message
        assert mismatch.message.endswith("uv.lock locks 2.32.3")
        manifest_uri = (project / "pyproject.toml").as_uri()
        await wait_until(lambda: bool(lock_diagnostics(client, manifest_uri)), what="summary")
        assert lock_diagnostics(client, manifest_uri)[0].message == (
            "1 package differs from uv.lock: requests 2.31.0 (locked 2.32.3)"
        )

        # A pull changes the lock: idna goes back to 3.6; only the watcher tells the server.
        text = lock.read_text()
        lock.write_text(
            text.replace(
                'name = "idna"\nversion = "3.7"', 'name = "idna"\nversion = "3.6"'
            ).replace("idna-3.7-", "idna-3.6-")
        )
        client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=uri, type=types.FileChangeType.Changed)]
            )
        )
        await wait_until(lambda: len(lock_diagnostics(client, uri)) == 2, what="re-check")
        idna = next(d for d in lock_diagnostics(client, uri) if "idna" in d.message)
        assert idna.range.start.line == line_of(lock, 'name = "idna"')
        assert idna.message.endswith("uv.lock locks 3.6")

        # The quick fix: uv sync --frozen into the selected .venv, after the user agrees
        # to the lock's local wheel folder as a source.
        actions = await code_actions(client, uri, [idna])
        action = by_title(actions, "Sync .venv with uv.lock")
        assert action.is_preferred
        client.message_answers.append("Sync")  # type: ignore[attr-defined]
        result = await run_action(client, action)
        assert result_field(result, "ok"), result_field(result, "message")
        prompt = client.message_requests[-1].message  # type: ignore[attr-defined]
        assert prompt.startswith("Sync .venv with uv.lock?\nuv.lock installs packages from:")
        await wait_until(lambda: not lock_diagnostics(client, uri), what="drift gone")
        assert versions(project / ".venv") == {
            "requests": "2.32.3",
            "idna": "3.6",
            "pytest": "8.0.0",
        }


async def test_untrusted_workspace_gets_no_sync_action(
    machine: Path, drifted: tuple[Path, Path]
) -> None:
    project, wheels = drifted
    uri = (project / "uv.lock").as_uri()
    async with session(
        machine, project, options={"trusted": False}, env=offline_env(wheels)
    ) as client:
        await wait_until(lambda: bool(lock_diagnostics(client, uri)), what="uv.lock diagnostics")
        actions = await code_actions(client, uri, lock_diagnostics(client, uri))
        assert actions == []


async def test_stale_lock_is_updated_by_its_quick_fix(
    machine: Path, drifted: tuple[Path, Path]
) -> None:
    project, wheels = drifted
    manifest = project / "pyproject.toml"
    manifest.write_text(
        manifest.read_text().replace('["requests>=2.28"]', '["requests>=2.28", "httpx"]')
    )
    put_uv_on_path(machine)
    env = {
        **offline_env(wheels),
        "UV_NO_INDEX": "1",
        "UV_CACHE_DIR": str(machine / ".cache" / "uv"),
        "UV_PYTHON": str(project / ".venv" / "bin" / "python"),
    }
    async with session(machine, project, env=env) as client:
        uri = open_document(client, manifest, "toml")

        def stale() -> list[types.Diagnostic]:
            return [d for d in client.diagnostics.get(uri, ()) if d.code == "lock-stale"]

        await wait_until(lambda: bool(stale()), what="lock-stale")
        (finding,) = stale()
        assert finding.message == (
            "uv.lock is out of date with pyproject.toml (httpx is not in it); run uv lock"
        )
        assert finding.range.start.line == 4
        action = by_title(await code_actions(client, uri, [finding]), "Update uv.lock (uv lock)")
        result = await run_action(client, action)
        assert result_field(result, "ok"), result_field(result, "message")
        await wait_until(lambda: not stale(), what="lock-stale gone")
        assert 'name = "httpx"' in (project / "uv.lock").read_text()
