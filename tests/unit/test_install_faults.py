"""Installs that go wrong half-way: killed with -9, out of disk space, the environment
deleted under them, an upgrade or downgrade that fails or is cancelled. The outcome must
say what really happened, and the environment must be put back as it was (issue #11, #12).

Fake installers are small Python scripts that do to site-packages what a real installer
does before dying; the upgrade/downgrade and kill -9 cases run real uv and pip."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from envsense.core.environment import Environment, EnvKind
from envsense.core.install import restore as restore_module
from envsense.core.install.plan import (
    Command,
    IndexOptions,
    InstallPlan,
    InstallRequest,
    PackageRequest,
    Rollback,
    plan_install,
)
from envsense.core.install.runner import run_plan
from envsense.core.versions import PythonVersion
from tests.support.venvs import install_wheels, make_venv, uv_executable
from tests.support.wheels import WheelSpec, build_wheel, simple_wheel

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="process groups are POSIX here")

THIS = PythonVersion(*sys.version_info[:3])


def env_at(prefix: Path) -> Environment:
    return Environment(EnvKind.VENV, prefix, prefix / "bin" / "python", THIS)


def site_of(prefix: Path) -> Path:
    return next((prefix / "lib").glob("python3*/site-packages"))


def listing(prefix: Path) -> set[str]:
    return {p.name for p in site_of(prefix).iterdir()}


def version_in(prefix: Path, module: str) -> str:
    done = subprocess.run(
        [str(prefix / "bin" / "python"), "-c", f"import {module}; print({module}.__version__)"],
        capture_output=True,
        text=True,
    )
    return done.stdout.strip() if done.returncode == 0 else f"error: {done.stderr.strip()[-200:]}"


def which_uv(name: str) -> str | None:
    return uv_executable() if name == "uv" else None


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fault-wheels")
    simple_wheel(folder, "envsense-marker", version="3.0")
    simple_wheel(folder, "envsense-marker", version="2.1")
    # Many files, so a real pip is still unpacking when the test kills it.
    files: dict[str, str | bytes] = {"bulky/__init__.py": "__version__ = '1.0'\n"}
    files.update({f"bulky/part{i:04d}.py": "x = 1\n" * 200 for i in range(4000)})
    build_wheel(WheelSpec(name="bulky", version="1.0", files=files), folder)
    return folder


def uv_rollback(prefix: Path, wheels: Path) -> Rollback:
    """What plan_install gives for a uv plan, built here for hand-made fault plans."""
    request = InstallRequest(
        env_at(prefix),
        (PackageRequest("envsense-marker"),),
        trusted=True,
        index=IndexOptions(find_links=(str(wheels),), no_index=True),
        environ={},
    )
    plan = plan_install(request, which=which_uv)
    assert isinstance(plan, InstallPlan) and plan.rollback is not None
    return plan.rollback


def fake_installer(tmp_path: Path, site: Path, body: str) -> Command:
    """A script that gets `site` (site-packages) and does `body` to it."""
    script = tmp_path / "fake_installer.py"
    script.write_text(
        f"import os, sys, signal, shutil, pathlib\nsite = pathlib.Path({str(site)!r})\n" + body
    )
    return Command((sys.executable, str(script)), "fake install")


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    prefix = tmp_path / ".venv"
    make_venv(prefix)
    return prefix


async def test_a_killed_installer_leaves_no_folder_without_metadata(
    tmp_path: Path, venv: Path, wheels: Path
) -> None:
    before = listing(venv)
    step = fake_installer(
        tmp_path,
        site_of(venv),
        "(site / 'halfpkg').mkdir()\n"
        "(site / 'halfpkg' / '__init__.py').write_text('x = 1')\n"
        "(site / '~alfpkg').mkdir()\n"  # pip's stash folder for an uninstall in progress
        "print('unpacking halfpkg', flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n",
    )
    plan = InstallPlan(
        "Install halfpkg", str(venv), "fake", (step,), rollback=uv_rollback(venv, wheels)
    )
    result = await run_plan(plan, lambda line: None)
    assert not result.ok
    assert result.returncode == -signal.SIGKILL
    assert "unchanged" not in result.message
    assert sorted(result.deleted) == ["halfpkg", "~alfpkg"]
    assert "removed what it left without metadata: halfpkg, ~alfpkg" in result.message
    assert "the environment is as it was before" in result.message
    assert listing(venv) == before
    assert not result.suggest_recreate


async def test_out_of_disk_space_half_way_is_rolled_back(
    tmp_path: Path, venv: Path, wheels: Path
) -> None:
    before = listing(venv)
    step = fake_installer(
        tmp_path,
        site_of(venv),
        "(site / 'spacey').mkdir()\n"
        "(site / 'spacey' / '__init__.py').write_text('__version__ = \"1\"')\n"
        "(site / 'spacey_helper.py').write_text('')\n"
        "(site / 'spacey-1.0.dist-info').mkdir()\n"
        "(site / 'spacey-1.0.dist-info' / 'METADATA').write_text('Name: spacey\\nVersion: 1.0\\n')\n"
        "print('error: failed to write spacey/_core.so: No space left on device (os error 28)')\n"
        "sys.exit(2)\n",
    )
    plan = InstallPlan(
        "Install spacey", str(venv), "fake", (step,), rollback=uv_rollback(venv, wheels)
    )
    result = await run_plan(plan, lambda line: None)
    assert not result.ok
    assert "No space left on device" in result.message
    assert listing(venv) == before
    assert result.added == ()
    assert "the environment is as it was before" in result.message


@pytest.mark.parametrize("exit_code", [0, 1])
async def test_an_environment_deleted_during_the_install_is_reported_gone(
    tmp_path: Path, venv: Path, wheels: Path, exit_code: int
) -> None:
    step = fake_installer(
        tmp_path,
        site_of(venv),
        f"shutil.rmtree({str(venv)!r})\nsys.exit({exit_code})\n",
    )
    plan = InstallPlan("Install x", str(venv), "fake", (step,), rollback=uv_rollback(venv, wheels))
    result = await run_plan(plan, lambda line: None)
    assert not result.ok
    assert result.environment_gone
    assert result.suggest_recreate
    assert f"the environment {venv} was deleted during the install" in result.message


async def test_what_cannot_be_removed_is_named_and_recreate_is_suggested(
    tmp_path: Path, venv: Path, wheels: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(path: object, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(restore_module.shutil, "rmtree", refuse)
    step = fake_installer(tmp_path, site_of(venv), "(site / 'stuck').mkdir()\nsys.exit(1)\n")
    plan = InstallPlan(
        "Install stuck", str(venv), "fake", (step,), rollback=uv_rollback(venv, wheels)
    )
    result = await run_plan(plan, lambda line: None)
    assert not result.ok
    assert result.left == (f"stuck is left in {site_of(venv)}",)
    assert result.suggest_recreate
    assert "could not put back: stuck is left in" in result.message


# -- real installers: an upgrade or downgrade that fails or is cancelled is undone ----------


@pytest.fixture
def marker_venv(tmp_path: Path, wheels: Path) -> Path:
    prefix = tmp_path / ".venv"
    python = make_venv(prefix)
    install_wheels(python, wheels / "envsense_marker-3.0-py3-none-any.whl")
    assert version_in(prefix, "envsense_marker") == "3.0"
    return prefix


def marker_plan(prefix: Path, wheels: Path, installer: str, spec: str) -> InstallPlan:
    request = InstallRequest(
        env_at(prefix),
        (PackageRequest(spec),),
        trusted=True,
        index=IndexOptions(find_links=(str(wheels),), no_index=True),
        installer_setting=installer,  # type: ignore[arg-type]
        environ={},
    )
    plan = plan_install(request, which=which_uv)
    assert isinstance(plan, InstallPlan), plan
    return plan


@pytest.mark.parametrize("installer", ["uv", "pip"])
async def test_a_failed_downgrade_leaves_the_original_version(
    tmp_path: Path, wheels: Path, installer: str
) -> None:
    if installer == "pip":
        prefix = tmp_path / "pipvenv"
        subprocess.run(
            [
                uv_executable(),
                "venv",
                "--seed",
                "--offline",
                "--python",
                sys.executable,
                str(prefix),
            ],
            check=True,
            capture_output=True,
        )
        install_wheels(prefix / "bin" / "python", wheels / "envsense_marker-3.0-py3-none-any.whl")
    else:
        prefix = tmp_path / ".venv"
        make_venv(prefix)
        install_wheels(prefix / "bin" / "python", wheels / "envsense_marker-3.0-py3-none-any.whl")
    good = marker_plan(prefix, wheels, installer, "envsense-marker==2.1")
    failing = Command((sys.executable, "-c", "raise SystemExit(3)"), "post-step")
    plan = InstallPlan(
        good.title, good.environment_key, installer, (*good.steps, failing), rollback=good.rollback
    )
    result = await run_plan(plan, lambda line: None)
    assert not result.ok
    assert result.restored == ("envsense-marker 3.0",)
    assert "restored: envsense-marker 3.0" in result.message
    assert result.changed == ()
    assert version_in(prefix, "envsense_marker") == "3.0"


async def test_a_cancelled_install_after_a_downgrade_restores_the_version_fast(
    tmp_path: Path, marker_venv: Path, wheels: Path
) -> None:
    good = marker_plan(marker_venv, wheels, "uv", "envsense-marker==2.1")
    slow = Command(
        (sys.executable, "-c", "import time; print('building', flush=True); time.sleep(60)"),
        "build",
    )
    plan = InstallPlan(
        good.title, good.environment_key, "uv", (*good.steps, slow), rollback=good.rollback
    )
    cancel = asyncio.Event()
    cancelled_at: list[float] = []

    def on_line(line: str) -> None:
        if line == "building":
            cancelled_at.append(time.monotonic())
            cancel.set()

    result = await run_plan(plan, on_line, cancel)
    elapsed = time.monotonic() - cancelled_at[0]
    assert result.cancelled
    assert result.restored == ("envsense-marker 3.0",)
    assert version_in(marker_venv, "envsense_marker") == "3.0"
    assert elapsed < 2, f"cancel and restore took {elapsed:.2f} s"


def children_named(word: str) -> list[int]:
    """Our own child processes whose command line mentions `word` (only ones we started)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == os.getpid() and word in cmdline:
            found.append(int(stat.parent.name))
    return found


async def test_real_pip_killed_mid_unpack_leaves_the_environment_as_it_was(
    tmp_path: Path, wheels: Path
) -> None:
    prefix = tmp_path / "pipvenv"
    subprocess.run(
        [uv_executable(), "venv", "--seed", "--offline", "--python", sys.executable, str(prefix)],
        check=True,
        capture_output=True,
    )
    before = listing(prefix)
    plan = marker_plan(prefix, wheels, "pip", "bulky")
    site = site_of(prefix)
    killed: list[int] = []

    async def kill_when_unpacking() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if (site / "bulky").is_dir():
                for pid in children_named(" pip install"):
                    os.killpg(pid, signal.SIGKILL)
                    killed.append(pid)
                return
            await asyncio.sleep(0.005)

    watcher = asyncio.ensure_future(kill_when_unpacking())
    result = await run_plan(plan, lambda line: None)
    await watcher
    assert killed, "pip finished before it could be killed"
    assert not result.ok
    assert result.returncode == -signal.SIGKILL
    assert "unchanged" not in result.message
    assert "bulky" in result.deleted or "bulky" in result.rolled_back
    assert listing(prefix) == before
    assert "'pip: install bulky' was killed (SIGKILL)" in result.message


async def test_console_scripts_of_a_killed_install_are_removed_too(
    tmp_path: Path, venv: Path, wheels: Path
) -> None:
    bin_before = {p.name for p in (venv / "bin").iterdir()}
    step = fake_installer(
        tmp_path,
        site_of(venv),
        "(site / 'toolpkg').mkdir()\n"
        f"pathlib.Path({str(venv / 'bin' / 'toolcmd')!r}).write_text('#!/bin/sh')\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n",
    )
    plan = InstallPlan(
        "Install toolpkg", str(venv), "fake", (step,), rollback=uv_rollback(venv, wheels)
    )
    result = await run_plan(plan, lambda line: None)
    assert not result.ok
    assert sorted(result.deleted) == ["toolcmd", "toolpkg"]
    assert {p.name for p in (venv / "bin").iterdir()} == bin_before


async def test_files_written_into_an_existing_namespace_package_are_removed(
    tmp_path: Path, venv: Path, wheels: Path
) -> None:
    site = site_of(venv)
    (site / "nsp" / "a").mkdir(parents=True)
    (site / "nsp" / "a" / "__init__.py").write_text("")
    (site / "nsp" / "a" / "__pycache__").mkdir()
    step = fake_installer(
        tmp_path,
        site,
        "(site / 'nsp' / 'b' / 'deep').mkdir(parents=True)\n"
        "(site / 'nsp' / 'b' / '__init__.py').write_text('')\n"
        "(site / 'nsp' / 'b' / 'deep' / 'x.py').write_text('')\n"
        "(site / 'nsp' / 'a' / 'extra.py').write_text('')\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n",
    )
    plan = InstallPlan(
        "Install nsp-b", str(venv), "fake", (step,), rollback=uv_rollback(venv, wheels)
    )
    result = await run_plan(plan, lambda line: None)
    assert not result.ok
    assert "unchanged" not in result.message
    assert sorted(result.deleted) == ["nsp/a/extra.py", "nsp/b/__init__.py", "nsp/b/deep/x.py"]
    assert "the environment is as it was before" in result.message
    assert sorted(str(p.relative_to(site)) for p in (site / "nsp").rglob("*")) == [
        "nsp/a", "nsp/a/__init__.py", "nsp/a/__pycache__"
    ]  # fmt: skip


async def test_a_successful_install_that_removed_something_says_so(
    tmp_path: Path, marker_venv: Path, wheels: Path
) -> None:
    # What `uv sync` does to a distribution the lock does not list.
    step = Command(
        (uv_executable(), "pip", "uninstall", "--python", str(marker_venv / "bin" / "python"),
         "envsense-marker"),
        "sync",
    )  # fmt: skip
    plan = InstallPlan(
        "Sync", str(marker_venv), "uv", (step,), rollback=uv_rollback(marker_venv, wheels)
    )
    result = await run_plan(plan, lambda line: None)
    assert result.ok
    assert result.removed == ("envsense-marker",)
    assert result.message.endswith("; uninstalled envsense-marker 3.0")
