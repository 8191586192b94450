"""discover() as a whole: dedupe, order, workspace bounds, the active env; identify()."""

from __future__ import annotations

from pathlib import Path

from envsense.core.discovery import active_environment, discover, identify
from envsense.core.discovery.context import DiscoveryContext
from envsense.core.environment import EnvKind
from tests.unit.discovery.trees import Machine, write


def test_context_reads_only_what_it_is_given(tmp_path: Path) -> None:
    ctx = DiscoveryContext(
        home=tmp_path, environ={"PATH": "/a:/b::", "XDG_DATA_HOME": ""}, platform="linux"
    )
    assert ctx.path_dirs == [Path("/a"), Path("/b")]
    assert ctx.user_data_base == tmp_path / ".local/share"  # empty variable = unset
    assert ctx.expand("~/x") == tmp_path / "x"
    win = DiscoveryContext(home=tmp_path, environ={"PATH": r"C:\a;C:\b"}, platform="win32")
    assert len(win.path_dirs) == 2
    real = DiscoveryContext.from_os(workspace_folders=[tmp_path])
    assert real.workspace_folders == (tmp_path,)


def test_same_env_reached_several_ways_is_listed_once(machine: Machine) -> None:
    base = machine.base_install(machine.home / ".pyenv" / "versions" / "3.12.1", "3.12.1")
    ws = machine.home / "ws"
    machine.venv(ws / ".venv", base, "3.12.1")
    (machine.home / ".venvs").mkdir()
    (machine.home / ".venvs" / "ws").symlink_to(ws / ".venv")
    machine.add_path(ws / ".venv" / "bin", base.parent)
    envs = discover(machine.ctx(ws, VIRTUAL_ENV=str(ws / ".venv")))
    venvs = [env for env in envs if env.kind is EnvKind.VENV]
    assert [env.prefix for env in venvs] == [ws / ".venv"]  # the workspace path, found first
    assert len([env for env in envs if env.kind is EnvKind.PYENV]) == 1
    assert envs[0].prefix == ws / ".venv"  # workspace environments come first


def test_discover_is_stable(machine: Machine) -> None:
    base = machine.base_install(machine.home / ".pyenv" / "versions" / "3.12.1", "3.12.1")
    for name in ("b", "a", "c"):
        machine.venv(machine.home / ".virtualenvs" / name, base, "3.12.1")
    first = [env.key for env in discover(machine.ctx())]
    assert first == [env.key for env in discover(machine.ctx())]
    assert len(first) == 4


def test_workspace_scan_is_one_level_deep_and_skips_tool_folders(machine: Machine) -> None:
    base = machine.base_install(machine.home / "py", "3.12.1")
    ws = machine.home / "ws"
    machine.venv(ws / "tools-env", base, "3.12.1")  # one level: found
    machine.venv(ws / "deep" / "er" / "env-x", base, "3.12.1")  # too deep: not found
    machine.venv(ws / "node_modules" / "env-y", base, "3.12.1")
    machine.venv(ws / ".tox" / "py312", base, "3.12.1")
    prefixes = {env.prefix for env in discover(machine.ctx(ws))}
    assert ws / "tools-env" in prefixes
    assert ws / "deep" / "er" / "env-x" not in prefixes
    assert ws / ".tox" / "py312" not in prefixes
    assert ws / "node_modules" / "env-y" not in prefixes


def test_project_venvs_in_monorepo_packages_are_found(machine: Machine) -> None:
    base = machine.base_install(machine.home / "py", "3.12.1")
    ws = machine.home / "mono"
    write(ws / "packages" / "api" / "pyproject.toml", '[project]\nname = "api"\n')
    machine.venv(ws / "packages" / "api" / ".venv", base, "3.12.1")
    env = next(
        e for e in discover(machine.ctx(ws)) if e.prefix == ws / "packages" / "api" / ".venv"
    )
    assert env.project == ws / "packages" / "api"


def test_active_environment_from_virtual_env_and_conda_prefix(machine: Machine) -> None:
    base = machine.base_install(machine.home / "py", "3.12.1")
    machine.venv(machine.home / ".virtualenvs" / "work", base, "3.12.1")
    install = machine.conda_env(machine.home / "miniconda3", "3.12.4", install=True)
    machine.conda_env(install / "envs" / "sci", "3.11.9")
    ctx = machine.ctx(VIRTUAL_ENV=str(machine.home / ".virtualenvs" / "work"))
    active = active_environment(ctx, discover(ctx))
    assert active is not None and active.prefix == machine.home / ".virtualenvs" / "work"
    ctx = machine.ctx(CONDA_PREFIX=str(install / "envs" / "sci"), CONDA_DEFAULT_ENV="sci")
    active = active_environment(ctx, discover(ctx))
    assert active is not None and active.name == "sci"
    # conda's auto-activated base says nothing about this project.
    ctx = machine.ctx(CONDA_PREFIX=str(install), CONDA_DEFAULT_ENV="base")
    assert active_environment(ctx, discover(ctx)) is None


def test_active_env_outside_every_known_place_is_still_discovered(machine: Machine) -> None:
    base = machine.base_install(machine.home / "py", "3.12.1")
    odd = machine.home / "tmp" / "scratch-env"
    machine.venv(odd, base, "3.12.1")
    ctx = machine.ctx(VIRTUAL_ENV=str(odd))
    assert any(env.prefix == odd for env in discover(ctx))


def test_identify_keeps_the_exact_interpreter_chosen(machine: Machine) -> None:
    root = machine.home / ".pyenv" / "versions" / "3.12.1"
    machine.base_install(root, "3.12.1")
    env = identify(root / "bin" / "python3.12", machine.ctx())
    assert (env.kind, env.executable, str(env.version)) == (
        EnvKind.PYENV,
        root / "bin" / "python3.12",
        "3.12.1",
    )
    assert identify(Path("~/.pyenv/versions/3.12.1"), machine.ctx()).prefix == root
