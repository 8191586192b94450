"""Sync plans: the project's own tool with the right arguments, environment and consent,
and for uv run for real: afterwards the environment is exactly what the lock says."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from envsense.core.discovery import identify
from envsense.core.discovery.context import DiscoveryContext
from envsense.core.environment import Environment
from envsense.core.environment.inventory import read_inventory
from envsense.core.findings import Span
from envsense.core.install.plan import IndexOptions, InstallPlan, Refusal
from envsense.core.install.runner import run_plan
from envsense.core.install.sync_plan import SyncRequest, lock_sources, plan_sync, poetry_major
from envsense.core.locks import read_lock
from envsense.core.locks.records import LockedPackage, LockedSource, LockFile
from tests.support.venvs import make_venv, uv_executable
from tests.unit.locks.lockfixtures import (
    make_env,
    session_for,
    uv_export_pylock,
    uv_lock,
    wheelhouse,
    write_uv_project,
)

OFFLINE = IndexOptions(offline=True)


def environment(python: Path) -> Environment:
    return identify(python, DiscoveryContext.from_os())


def lock_with(*sources: LockedSource, indexes: tuple[str, ...] = ()) -> LockFile:
    packages = tuple(
        LockedPackage(f"p{i}", "1", Span(i, 0, i, 1), source=s) for i, s in enumerate(sources)
    )
    return LockFile(Path("/p/uv.lock"), "uv", "uv", packages=packages, indexes=indexes)


@pytest.fixture
def uv_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A uv project locked against tmp_path/wheels, with uv's caches in the sandbox."""
    wheels = wheelhouse(tmp_path / "wheels")
    project = write_uv_project(tmp_path / "proj")
    uv_lock(project, wheels, tmp_path / "home")
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "home" / "uv-cache"))
    monkeypatch.setenv("UV_NO_CONFIG", "1")
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "never")
    return project


def installed(python: Path) -> dict[str, str]:
    inventory = read_inventory(environment(python))
    return {d.canonical_name: d.version for d in inventory.distributions}


def test_uv_sync_plan_targets_the_selected_env_and_confirms_a_local_index(uv_project: Path) -> None:
    python = make_env(uv_project, uv_project.parent / "wheels", "requests==2.31.0")
    lock = read_lock(uv_project / "uv.lock")
    assert lock is not None
    uv = Path(uv_executable())
    plan = plan_sync(
        SyncRequest(environment(python), lock, uv_project, trusted=True, uv_path=uv, index=OFFLINE)
    )
    assert isinstance(plan, InstallPlan)
    assert plan.title == "Sync .venv with uv.lock"
    (step,) = plan.steps
    assert step.argv == (str(uv), "sync", "--frozen", "--offline")
    assert step.cwd == uv_project
    assert ("UV_PROJECT_ENVIRONMENT", str(uv_project / ".venv")) in step.env
    # The lock sends uv to a folder of wheels, not a package index: the user must agree.
    assert plan.needs_confirmation
    wheels = uv_project.parent / "wheels"
    assert plan.confirmation_text in (
        "uv.lock installs packages from:\n  index ../wheels",
        f"uv.lock installs packages from:\n  index {wheels}",
    )
    assert plan.rollback is not None


def test_running_the_uv_sync_makes_the_env_match_the_lock_exactly(uv_project: Path) -> None:
    wheels = uv_project.parent / "wheels"
    python = make_env(uv_project, wheels, "requests==2.31.0", "idna==3.6", "httpx==0.27.0")
    session = session_for(uv_project, python)
    assert session.check_lock(uv_project / "uv.lock")
    lock = read_lock(uv_project / "uv.lock")
    assert lock is not None
    request = SyncRequest(
        environment(python),
        lock,
        uv_project,
        trusted=True,
        uv_path=Path(uv_executable()),
        index=OFFLINE,
    )
    plan = plan_sync(request)
    assert isinstance(plan, InstallPlan)
    lines: list[str] = []
    result = asyncio.run(run_plan(plan, lines.append))
    assert result.ok, "\n".join(lines)
    assert installed(python) == {"requests": "2.32.3", "idna": "3.7", "pytest": "8.0.0"}
    assert session_for(uv_project, python).check_lock(uv_project / "uv.lock") == []


def test_uv_pip_sync_of_a_pylock_makes_the_env_match(uv_project: Path) -> None:
    wheels = uv_project.parent / "wheels"
    (uv_project / "uv.lock").rename(uv_project.parent / "uv.lock.saved")
    pylock = uv_export_pylock(uv_project, wheels, uv_project.parent / "home")
    shutil.copy(uv_project.parent / "uv.lock.saved", uv_project / "uv.lock")
    (uv_project / "uv.lock").unlink()
    python = make_env(uv_project, wheels, "requests==2.31.0")
    lock = read_lock(pylock)
    assert lock is not None
    uv = Path(uv_executable())
    request = SyncRequest(
        environment(python), lock, uv_project, trusted=True, uv_path=uv, index=OFFLINE
    )
    plan = plan_sync(request)
    assert isinstance(plan, InstallPlan)
    assert plan.steps[0].argv == (
        str(uv),
        "pip",
        "sync",
        "--python",
        str(python),
        "--offline",
        str(pylock),
    )
    assert plan.needs_confirmation and "file://" in (plan.confirmation_text or "")
    lines: list[str] = []
    result = asyncio.run(run_plan(plan, lines.append))
    assert result.ok, "\n".join(lines)
    assert installed(python) == {"requests": "2.32.3", "idna": "3.7", "pytest": "8.0.0"}
    assert session_for(uv_project, python).check_lock(pylock) == []


def test_pinned_requirements_without_uv_use_pip_no_deps(tmp_path: Path) -> None:
    project = tmp_path / "app"
    project.mkdir()
    requirements = project / "requirements.txt"
    requirements.write_text("idna==3.7\n")
    python = make_venv(project / ".venv")
    lock = read_lock(requirements)
    assert lock is not None
    request = SyncRequest(environment(python), lock, project, trusted=True, installer_setting="pip")
    refused = plan_sync(request)
    assert isinstance(refused, Refusal) and "has no pip" in refused.reason
    site = next((project / ".venv" / "lib").glob("python*/site-packages"))
    (site / "pip").mkdir()
    (site / "pip" / "__init__.py").write_text("")
    plan = plan_sync(request)
    assert isinstance(plan, InstallPlan) and not plan.needs_confirmation
    assert plan.steps[0].argv == (
        str(python),
        "-I",
        "-m",
        "pip",
        "install",
        "--no-deps",
        "-r",
        str(requirements),
    )


def test_untrusted_non_virtual_and_pip_only_pylock_are_refused(uv_project: Path) -> None:
    python = make_env(uv_project, uv_project.parent / "wheels")
    lock = read_lock(uv_project / "uv.lock")
    assert lock is not None
    env = environment(python)
    untrusted = plan_sync(SyncRequest(env, lock, uv_project))
    assert isinstance(untrusted, Refusal) and "not trusted" in untrusted.reason
    system = environment(Path(sys.base_prefix) / "bin" / "python3")
    refused = plan_sync(SyncRequest(system, lock, uv_project, trusted=True))
    assert isinstance(refused, Refusal) and "not a virtual environment" in refused.reason
    pylock = LockFile(uv_project / "pylock.toml", "pylock", "uv")
    refused = plan_sync(SyncRequest(env, pylock, uv_project, trusted=True, installer_setting="pip"))
    assert isinstance(refused, Refusal) and "needs uv" in refused.reason


def test_poetry_1_installs_with_sync_flag_and_poetry_2_syncs(
    tmp_path: Path, uv_project: Path
) -> None:
    python = make_env(uv_project, uv_project.parent / "wheels")
    lock = LockFile(uv_project / "poetry.lock", "poetry", "poetry")
    for version, argv, update in (
        (
            "1.8.3",
            ("install", "--sync", "--no-interaction"),
            ("lock", "--no-update", "--no-interaction"),
        ),
        ("2.1.1", ("sync", "--no-interaction"), ("lock", "--no-interaction")),
    ):
        prefix = tmp_path / f"poetry-{version}"
        (prefix / "lib" / "python3.12" / "site-packages" / f"poetry-{version}.dist-info").mkdir(
            parents=True
        )
        (prefix / "bin").mkdir()
        exe = prefix / "bin" / "poetry"
        exe.write_text("#!/bin/sh\n")
        assert poetry_major(str(exe), lock) == int(version[0])

        def which(name: str, exe: Path = exe) -> str | None:
            return str(exe) if name == "poetry" else None

        request = SyncRequest(environment(python), lock, uv_project, trusted=True)
        plan = plan_sync(request, which=which)
        assert isinstance(plan, InstallPlan)
        assert plan.steps[0].argv == (str(exe), *argv)
        assert ("VIRTUAL_ENV", str(uv_project / ".venv")) in plan.steps[0].env
        lock_request = SyncRequest(
            environment(python), lock, uv_project, action="lock", trusted=True
        )
        update_plan = plan_sync(lock_request, which=which)
        assert isinstance(update_plan, InstallPlan)
        assert update_plan.title == "Update poetry.lock (poetry lock)"
        assert update_plan.steps[0].argv == (str(exe), *update)


def test_what_needs_confirmation_in_a_lock() -> None:
    index = LockedSource("registry", "https://example.org/simple")
    assert lock_sources(lock_with(index, index)) == []
    other = LockedSource("registry", "https://mirror.example.com/simple")
    assert lock_sources(lock_with(index, other)) == [
        "index https://example.org/simple",
        "index https://mirror.example.com/simple",
    ]
    git = LockedSource("git", "https://example.org/repo.git?rev=1#abc")
    own = LockedSource("editable", ".")
    outside = LockedSource("path", "../elsewhere/pkg.whl")
    assert lock_sources(lock_with(index, git, own, outside)) == [
        "p1: https://example.org/repo.git?rev=1#abc",
        "p3: ../elsewhere/pkg.whl",
    ]


def test_a_failed_sync_leaves_the_env_as_it_was_and_says_why(uv_project: Path) -> None:
    wheels = uv_project.parent / "wheels"
    python = make_env(uv_project, wheels, "requests==2.31.0", "idna==3.7")
    before = installed(python)
    lock = read_lock(uv_project / "uv.lock")
    assert lock is not None
    shutil.rmtree(wheels)  # the lock's source is gone: uv can't get 2.32.3
    request = SyncRequest(
        environment(python),
        lock,
        uv_project,
        trusted=True,
        uv_path=Path(uv_executable()),
        index=OFFLINE,
    )
    plan = plan_sync(request)
    assert isinstance(plan, InstallPlan)
    result = asyncio.run(run_plan(plan, lambda line: None))
    assert not result.ok
    assert result.message.startswith(
        "Sync .venv with uv.lock: 'uv: sync with uv.lock' failed (exit 2)"
    )
    assert installed(python) == before


def test_pip_installs_a_pinned_file_for_real_without_uv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheels = wheelhouse(tmp_path / "wheels")
    project = tmp_path / "app"
    project.mkdir()
    requirements = project / "requirements.txt"
    requirements.write_text("idna==3.7\nrequests==2.32.3\n")
    virtualenv = Path(sys.executable).parent / "virtualenv"
    subprocess.run(
        [str(virtualenv), "-q", str(project / ".venv")],
        check=True,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    python = project / ".venv" / "bin" / "python"
    subprocess.run(
        [uv_executable(), "pip", "install", "-q", "--offline", "--no-index", "--no-deps",
         "--find-links", str(wheels), "--python", str(python), "requests==2.31.0"],
        check=True, capture_output=True,
    )  # fmt: skip
    lock = read_lock(requirements)
    assert lock is not None
    index = IndexOptions(find_links=(str(wheels),), no_index=True)
    request = SyncRequest(
        environment(python), lock, project, trusted=True, installer_setting="pip", index=index
    )
    plan = plan_sync(request)
    assert isinstance(plan, InstallPlan) and plan.installer == "pip"
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    lines: list[str] = []
    result = asyncio.run(run_plan(plan, lines.append))
    assert result.ok, "\n".join(lines)
    versions = installed(python)
    assert (versions["requests"], versions["idna"]) == ("2.32.3", "3.7")
    assert session_for(project, python).check_manifest(requirements, requirements.read_text()) == []
