"""Running install plans for real, offline: wheels built on the spot, real venvs, real uv/pip."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from envsense.core.environment import Environment, EnvKind
from envsense.core.install.plan import (
    Command,
    IndexOptions,
    InstallPlan,
    InstallRequest,
    PackageRequest,
    plan_install,
)
from envsense.core.install.queue import InstallQueue
from envsense.core.install.runner import InstallResult, run_plan
from envsense.core.versions import PythonVersion
from tests.support.venvs import make_venv, uv_executable
from tests.support.wheels import simple_wheel

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="process groups are POSIX here")

THIS = PythonVersion(*sys.version_info[:3])


def env_at(prefix: Path) -> Environment:
    return Environment(EnvKind.VENV, prefix, prefix / "bin" / "python", THIS)


def site_packages(prefix: Path) -> Path:
    return next((prefix / "lib").glob("python3*/site-packages"))


def dist_infos(prefix: Path) -> set[str]:
    return {p.name for p in site_packages(prefix).glob("*.dist-info")}


def imports(prefix: Path, module: str) -> str:
    """Run our own test venv's python (never a workspace's) to prove the install is usable."""
    done = subprocess.run(
        [str(prefix / "bin" / "python"), "-c", f"import {module}; print({module}.__version__)"],
        capture_output=True,
        text=True,
    )
    return done.stdout.strip() if done.returncode == 0 else f"error: {done.stderr.strip()}"


def which_uv(name: str) -> str | None:
    return uv_executable() if name == "uv" else None


def which_nothing(name: str) -> None:
    return None


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wheels")
    simple_wheel(folder, "tiny-widgets", version="1.2")
    simple_wheel(folder, "needs-missing", requires=["not-on-any-index>=1"])
    return folder


@pytest.fixture(scope="module")
def pip_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One venv with pip for the module: `uv venv --seed` is 25x faster than `python -m venv`."""
    prefix = tmp_path_factory.mktemp("pipenv") / "venv"
    args = [uv_executable(), "venv", "--seed", "--python", sys.executable, str(prefix)]
    # Offline from uv's cache when it has pip; a fresh machine fetches the seed once.
    if subprocess.run([*args, "--offline"], capture_output=True).returncode != 0:
        subprocess.run([*args, "--clear"], check=True, capture_output=True)
    return prefix


def offline_request(env: Environment, wheels: Path, *reqs: str, **kw: object) -> InstallRequest:
    return InstallRequest(
        env,
        packages=tuple(PackageRequest(r) for r in reqs),
        trusted=True,
        index=IndexOptions(find_links=(str(wheels),), no_index=True),
        **kw,  # type: ignore[arg-type]
    )


def planned(result: object) -> InstallPlan:
    assert isinstance(result, InstallPlan), result
    return result


async def test_uv_installs_a_wheel_and_streams_its_output(tmp_path: Path, wheels: Path) -> None:
    prefix = tmp_path / ".venv"
    make_venv(prefix)
    plan = planned(
        plan_install(offline_request(env_at(prefix), wheels, "tiny-widgets"), which=which_uv)
    )
    lines: list[str] = []
    result = await run_plan(plan, lines.append)
    assert result.ok, result.message
    assert result.added == ("tiny-widgets",)
    assert "tiny_widgets-1.2.dist-info" in dist_infos(prefix)
    assert imports(prefix, "tiny_widgets") == "1.2"
    assert lines[0].startswith(f"$ {uv_executable()} pip install --no-config --python")
    assert any("tiny-widgets" in line for line in lines[1:])


async def test_pip_installs_a_wheel_into_a_seeded_venv(pip_venv: Path, wheels: Path) -> None:
    request = offline_request(
        env_at(pip_venv), wheels, "tiny-widgets==1.2", installer_setting="pip"
    )
    plan = planned(plan_install(request, which=which_uv))
    assert plan.installer == "pip"
    result = await run_plan(plan, lambda line: None)
    assert result.ok, result.message
    assert imports(pip_venv, "tiny_widgets") == "1.2"
    assert any(line.startswith("Successfully installed") for line in result.last_lines)


@pytest.mark.parametrize("installer", ["uv", "pip"])
async def test_failed_install_reports_error_lines_and_leaves_env_unchanged(
    tmp_path: Path, pip_venv: Path, wheels: Path, installer: str
) -> None:
    if installer == "uv":
        prefix = tmp_path / ".venv"
        make_venv(prefix)
    else:
        prefix = pip_venv
    before = dist_infos(prefix)
    request = offline_request(env_at(prefix), wheels, "needs-missing", installer_setting=installer)
    result = await run_plan(planned(plan_install(request, which=which_uv)), lambda line: None)
    assert not result.ok
    assert not result.cancelled
    assert result.returncode not in (0, None)
    assert any("not-on-any-index" in line for line in result.last_lines)
    assert "failed (exit" in result.message
    assert "the environment is unchanged" in result.message
    assert dist_infos(prefix) == before


async def test_new_distributions_are_uninstalled_when_a_later_step_fails(
    tmp_path: Path, wheels: Path
) -> None:
    prefix = tmp_path / ".venv"
    make_venv(prefix)
    before = dist_infos(prefix)
    good = planned(
        plan_install(offline_request(env_at(prefix), wheels, "tiny-widgets"), which=which_uv)
    )
    failing = Command((sys.executable, "-c", "print('boom'); raise SystemExit(3)"), "post-step")
    plan = InstallPlan(
        good.title, good.environment_key, "uv", (*good.steps, failing), rollback=good.rollback
    )
    result = await run_plan(plan, lambda line: None)
    assert not result.ok
    assert result.returncode == 3
    assert result.rolled_back == ("tiny-widgets",)
    assert "uninstalled again: tiny-widgets" in result.message
    assert dist_infos(prefix) == before


def write_slow_installer(path: Path, pids: Path, *, ignore_term: bool) -> Path:
    """A fake installer that starts a child and both sleep; the child may ignore SIGTERM."""
    trap = "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); " if ignore_term else ""
    path.write_text(
        "import subprocess, sys, time, pathlib\n"
        f"child = subprocess.Popen([sys.executable, '-c', {trap + 'import time; time.sleep(60)'!r}])\n"
        f"pathlib.Path({str(pids)!r}).write_text(f'{{child.pid}}')\n"
        "print('collecting things', flush=True)\n"
        "time.sleep(60)\n"
    )
    return path


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def wait_until_gone(pid: int) -> bool:
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


@pytest.mark.parametrize("child_ignores_term", [False, True])
async def test_cancel_ends_the_installer_and_its_children(
    tmp_path: Path, child_ignores_term: bool
) -> None:
    pids = tmp_path / "child.pid"
    script = write_slow_installer(tmp_path / "slow.py", pids, ignore_term=child_ignores_term)
    plan = InstallPlan(
        "Install slow", "env", "fake", (Command((sys.executable, str(script)), "fake install"),)
    )
    cancel = asyncio.Event()
    lines: list[str] = []

    def on_line(line: str) -> None:
        lines.append(line)
        if line == "collecting things":
            cancel.set()

    result = await run_plan(plan, on_line, cancel, grace_seconds=0.5)
    assert result.cancelled
    assert not result.ok
    assert "cancelled during 'fake install'" in result.message
    name = Path(sys.executable).name
    assert lines[-1] == f"cancelled: stopped {name} and the processes it started"
    assert wait_until_gone(int(pids.read_text()))


async def test_second_install_into_one_environment_waits_for_the_first(tmp_path: Path) -> None:
    queue = InstallQueue()
    events: list[str] = []

    def step(tag: str, seconds: float) -> InstallPlan:
        code = f"import time; print('{tag} start', flush=True); time.sleep({seconds}); print('{tag} end')"
        return InstallPlan(
            f"Install {tag}", "same-env", "fake", (Command((sys.executable, "-c", code), tag),)
        )

    positions: list[int] = []
    first = asyncio.ensure_future(queue.run(step("first", 0.5), events.append))
    await asyncio.sleep(0)  # let the first take the environment
    second = asyncio.ensure_future(
        queue.run(step("second", 0), events.append, on_queued=positions.append)
    )
    await asyncio.sleep(0)
    assert queue.busy("same-env")
    assert queue.queued("same-env") == 1
    results: list[InstallResult] = list(await asyncio.gather(first, second))
    assert all(r.ok for r in results)
    assert positions == [1]
    output = [e for e in events if not e.startswith("$")]
    assert output == ["first start", "first end", "second start", "second end"]
    assert not queue.busy("same-env")


async def test_install_cancelled_while_queued_never_starts(tmp_path: Path) -> None:
    queue = InstallQueue()
    marker = tmp_path / "ran"
    slow = (sys.executable, "-c", "import time; time.sleep(0.5)")
    touch = (sys.executable, "-c", f"open({str(marker)!r}, 'w').close()")
    first = asyncio.ensure_future(
        queue.run(InstallPlan("slow", "env", "fake", (Command(slow, "slow"),)), lambda line: None)
    )
    await asyncio.sleep(0)
    cancel = asyncio.Event()
    second = asyncio.ensure_future(
        queue.run(
            InstallPlan("touch", "env", "fake", (Command(touch, "touch"),)),
            lambda line: None,
            cancel,
        )
    )
    await asyncio.sleep(0.05)
    cancel.set()
    waited = await second
    assert waited.cancelled
    assert "cancelled while waiting" in waited.message
    assert (await first).ok
    assert not marker.exists()


async def test_installer_that_cannot_start_is_reported(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-installer"
    plan = InstallPlan("Install x", "env", "fake", (Command((str(missing), "install"), "x"),))
    result = await run_plan(plan, lambda line: None)
    assert not result.ok
    assert result.returncode is None
    assert f"could not start {missing}" in result.message


async def test_command_env_is_added_to_the_inherited_environment(tmp_path: Path) -> None:
    code = "import os; print(os.environ['ENVSENSE_TEST_FLAG'], os.environ['PATH'] == {!r})"
    code = code.format(os.environ["PATH"])
    command = Command((sys.executable, "-c", code), "x", env=(("ENVSENSE_TEST_FLAG", "on"),))
    result = await run_plan(InstallPlan("x", "env", "fake", (command,)), lambda line: None)
    assert result.last_lines == ("on True",)


async def test_pip_is_bootstrapped_with_ensurepip_when_the_env_has_neither_pip_nor_uv(
    tmp_path: Path, wheels: Path
) -> None:
    prefix = tmp_path / ".venv"
    make_venv(prefix)  # --without-pip
    plan = planned(
        plan_install(offline_request(env_at(prefix), wheels, "tiny-widgets"), which=which_nothing)
    )
    assert [s.description for s in plan.steps] == [
        "ensurepip: bootstrap pip",
        "pip: install tiny-widgets",
    ]
    result = await run_plan(plan, lambda line: None)
    assert result.ok, result.message
    # ensurepip on 3.11 also brings setuptools; pip and our wheel are what matter here.
    assert {"pip", "tiny-widgets"} <= set(result.added)
    assert imports(prefix, "tiny_widgets") == "1.2"
