"""The managers' own sync, run for real: poetry and pdm against the test's wheels served as
a local index, and `uv lock` bringing a stale lock up to date."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
from pathlib import Path

import pytest

from envsense.core.discovery import identify
from envsense.core.discovery.context import DiscoveryContext
from envsense.core.environment.inventory import read_inventory
from envsense.core.findings import Code
from envsense.core.install.plan import IndexOptions, InstallPlan
from envsense.core.install.runner import run_plan
from envsense.core.install.sync_plan import SyncRequest, plan_sync
from envsense.core.locks import read_lock
from tests.support.lock_tools import sandbox_env, tool
from tests.support.simple_index import serve_simple_index
from tests.support.venvs import uv_executable
from tests.unit.locks.lockfixtures import (
    make_env,
    run,
    session_for,
    uv_lock,
    wheelhouse,
    write_uv_project,
)
from tests.unit.locks.test_readers import PDM_PYPROJECT, POETRY_PYPROJECT


def installed(python: Path) -> dict[str, str]:
    env = identify(python, DiscoveryContext.from_os())
    return {d.canonical_name: d.version for d in read_inventory(env).distributions}


def sandbox(monkeypatch: pytest.MonkeyPatch, home: Path, **extra: str) -> None:
    """The runner passes os.environ on: point every tool's state into `home`."""
    for key in list(os.environ):
        if key.startswith(("UV_", "PIP_", "POETRY_", "PDM_")) or key == "VIRTUAL_ENV":
            monkeypatch.delenv(key)
    for key, value in sandbox_env(home, **extra).items():
        if key.startswith(("UV_", "POETRY_", "PDM_", "XDG_")) or key == "HOME":
            monkeypatch.setenv(key, value)


def sync(python: Path, lock_path: Path, project: Path, which: object) -> InstallPlan:
    lock = read_lock(lock_path)
    assert lock is not None and lock.problem is None
    env = identify(python, DiscoveryContext.from_os())
    plan = plan_sync(SyncRequest(env, lock, project, trusted=True), which=which)  # type: ignore[arg-type]
    assert isinstance(plan, InstallPlan), plan
    lines: list[str] = []
    result = asyncio.run(run_plan(plan, lines.append))
    assert result.ok, "\n".join(lines)
    return plan


@pytest.mark.parametrize("manager", ["poetry", "pdm"])
def test_manager_sync_makes_the_env_match_its_lock(
    manager: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheels = wheelhouse(tmp_path / "wheels")
    home = tmp_path / "home"
    project = tmp_path / "shop"
    project.mkdir()
    exe = tool(manager)
    with serve_simple_index(wheels, home / "index") as url:
        if manager == "poetry":
            body = (
                POETRY_PYPROJECT
                + f'\n[[tool.poetry.source]]\nname = "local"\nurl = "{url}"\npriority = "primary"\n'
            )
            lock_env = sandbox_env(home)
        else:
            body = PDM_PYPROJECT + f'\n[[tool.pdm.source]]\nname = "pypi"\nurl = "{url}"\n'
            lock_env = sandbox_env(home, PDM_PYTHON=sys.executable, PDM_USE_VENV="false")
        (project / "pyproject.toml").write_text(body)
        run(
            [exe, "lock"] + (["--no-interaction"] if manager == "poetry" else []), project, lock_env
        )
        (project / ".pdm-python").unlink(missing_ok=True)
        lock_path = project / f"{manager}.lock"
        python = make_env(project, wheels, "requests==2.31.0", "idna==3.6")
        assert {f.code for f in session_for(project, python).check_lock(lock_path)} == {
            Code.LOCK_MISMATCH,
            Code.LOCK_MISSING,
        }
        sandbox(monkeypatch, home)
        plan = sync(python, lock_path, project, lambda name: str(exe) if name == manager else None)
        # The lock's index is a local HTTP server, not an HTTPS index: consent is asked.
        assert plan.needs_confirmation and url.rstrip("/") in (plan.confirmation_text or "")
    versions = installed(python)
    assert {k: versions.get(k) for k in ("requests", "idna", "pytest")} == {
        "requests": "2.32.3",
        "idna": "3.7",
        "pytest": "8.0.0",
    }
    assert "rich" not in versions  # poetry's optional docs group stays out
    assert session_for(project, python).check_lock(lock_path) == []


def test_update_the_lock_with_uv_lock_clears_lock_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheels = wheelhouse(tmp_path / "wheels")
    project = write_uv_project(tmp_path / "proj")
    uv_lock(project, wheels, tmp_path / "home")
    manifest = project / "pyproject.toml"
    manifest.write_text(
        manifest.read_text().replace('["requests>=2.28"]', '["requests>=2.28", "httpx"]')
    )
    python = make_env(project, wheels, "requests==2.32.3", "idna==3.7", "pytest==8.0.0")
    stale = [
        f
        for f in session_for(project, python).check_manifest(manifest, manifest.read_text())
        if f.code is Code.LOCK_STALE
    ]
    assert len(stale) == 1
    sandbox(monkeypatch, tmp_path / "home", UV_PYTHON=sys.executable)
    monkeypatch.setenv("UV_FIND_LINKS", str(wheels))
    monkeypatch.setenv("UV_NO_INDEX", "1")
    lock = read_lock(project / "uv.lock")
    assert lock is not None
    env = identify(python, DiscoveryContext.from_os())
    request = SyncRequest(
        env,
        lock,
        project,
        action="lock",
        trusted=True,
        uv_path=Path(uv_executable()),
        index=IndexOptions(offline=True),
    )
    plan = plan_sync(request)
    assert isinstance(plan, InstallPlan) and plan.title == "Update uv.lock (uv lock)"
    assert plan.steps[0].argv[1:] == ("lock", "--offline")
    lines: list[str] = []
    assert asyncio.run(run_plan(plan, lines.append)).ok, "\n".join(lines)
    after = session_for(project, python).check_manifest(manifest, manifest.read_text())
    assert not [f for f in after if f.code is Code.LOCK_STALE]
    # The lock now has httpx, which the environment lacks: that is drift, not staleness.
    assert [
        f.fix.distribution for f in session_for(project, python).check_lock(project / "uv.lock")
    ] == ["httpx"]


def test_pipenv_sync_makes_the_env_match_pipfile_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pipenv can't lock offline here, so the Pipfile.lock is written in its documented
    layout with the real hashes of the test's wheels; `pipenv sync` itself runs for real."""
    wheels = wheelhouse(tmp_path / "wheels")
    home = tmp_path / "home"
    project = tmp_path / "pipenvproj"
    project.mkdir()
    exe = tool("pipenv")

    def digest(name: str, version: str) -> str:
        wheel = next(wheels.glob(f"{name}-{version}-*.whl"))
        return "sha256:" + hashlib.sha256(wheel.read_bytes()).hexdigest()

    with serve_simple_index(wheels, home / "index") as url:
        (project / "Pipfile").write_text(
            f'[[source]]\nurl = "{url}"\nverify_ssl = false\nname = "local"\n\n'
            '[packages]\nrequests = "*"\n\n[dev-packages]\npytest = "*"\n'
        )
        entry = {"index": "local"}
        lock = {
            "_meta": {"hash": {"sha256": "0" * 64}, "pipfile-spec": 6, "requires": {},
                      "sources": [{"name": "local", "url": url, "verify_ssl": False}]},
            "default": {
                "idna": {**entry, "hashes": [digest("idna", "3.7")], "version": "==3.7"},
                "requests": {**entry, "hashes": [digest("requests", "2.32.3")], "version": "==2.32.3"},
                "tomli": {**entry, "hashes": [digest("tomli", "2.0.1")], "version": "==2.0.1",
                          "markers": "python_version < '3.11'"},
            },
            "develop": {"pytest": {**entry, "hashes": [digest("pytest", "8.0.0")], "version": "==8.0.0"}},
        }  # fmt: skip
        lock_path = project / "Pipfile.lock"
        lock_path.write_text(json.dumps(lock, indent=4) + "\n")
        python = make_env(project, wheels, "requests==2.31.0", "idna==3.6")
        findings = session_for(project, python).check_lock(lock_path)
        assert sorted(f.fix.distribution or "" for f in findings) == ["idna", "requests"]
        sandbox(monkeypatch, home)
        plan = sync(python, lock_path, project, lambda name: str(exe) if name == "pipenv" else None)
        assert plan.steps[0].argv == (str(exe), "sync")
        assert plan.needs_confirmation and url in (plan.confirmation_text or "")
    versions = installed(python)
    assert {k: versions.get(k) for k in ("requests", "idna")} == {
        "requests": "2.32.3",
        "idna": "3.7",
    }
    assert "pytest" not in versions  # develop is not part of a plain sync
    assert session_for(project, python).check_lock(lock_path) == []
