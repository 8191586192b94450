"""Broken environments are listed with an error; bad disks never crash or hang discovery."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from envsense.core.discovery import discover, fs, identify
from envsense.core.environment import EnvKind
from tests.unit.discovery.trees import Machine, write


def test_dangling_python_symlink_is_reported(machine: Machine) -> None:
    base = machine.base_install(machine.home / "gone-python", "3.12.1")
    ws = machine.home / "ws"
    machine.venv(ws / ".venv", base, "3.12.1")
    (base).unlink()  # the interpreter the venv links to was uninstalled
    env = next(env for env in discover(machine.ctx(ws)) if env.prefix == ws / ".venv")
    assert env.kind is EnvKind.VENV
    assert env.error is not None
    assert env.error.startswith("python executable is a broken symlink: ")
    assert str(ws / ".venv" / "bin" / "python") in env.error
    assert not env.is_usable


def test_pyvenv_cfg_whose_home_is_gone(machine: Machine) -> None:
    ws = machine.home / "ws"
    write(ws / ".venv" / "pyvenv.cfg", "home = /nonexistent/python/bin\nversion = 3.10.4\n")
    machine.fake_python(ws / ".venv" / "bin" / "python")
    env = identify(ws / ".venv", machine.ctx())
    assert (
        env.error
        == "pyvenv.cfg points to a base Python that is gone: home = /nonexistent/python/bin"
    )
    assert str(env.version) == "3.10.4"


def test_environment_without_any_executable(machine: Machine) -> None:
    ws = machine.home / "ws"
    write(ws / ".venv" / "pyvenv.cfg", f"home = {machine.home}\nversion = 3.12.0\n")
    env = next(env for env in discover(machine.ctx(ws)) if env.prefix == ws / ".venv")
    assert env.error == f"no python executable in {ws / '.venv' / 'bin'}"


def test_symlink_loops_do_not_hang_or_crash(machine: Machine) -> None:
    ws = machine.home / "ws"
    ws.mkdir(parents=True)
    (ws / "loop").symlink_to(ws / "loop")
    (ws / "a").symlink_to(ws / "b")
    (ws / "b").symlink_to(ws / "a")
    (ws / "up").symlink_to(ws)  # a cycle through a real folder
    venvs = machine.home / ".virtualenvs"
    venvs.mkdir()
    (venvs / "self").symlink_to(venvs)
    loop_bin = machine.home / "loopbin"
    loop_bin.mkdir()
    (loop_bin / "python3").symlink_to(loop_bin / "python3")
    machine.add_path(loop_bin)
    envs = discover(machine.ctx(ws))
    looped = [env for env in envs if env.executable == loop_bin / "python3"]
    assert len(looped) == 1 and looped[0].error is not None
    assert identify(ws / "loop", machine.ctx()).error is not None


def test_unreadable_folder_is_skipped_with_a_log_line(
    machine: Machine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """We run as root, where chmod 000 does not stop reads; make scandir raise as it would."""
    locked = machine.home / ".virtualenvs"
    base = machine.base_install(machine.home / "py", "3.12.1")
    machine.venv(locked / "secret", base, "3.12.1")
    ws = machine.home / "ws"
    machine.venv(ws / ".venv", base, "3.12.1")
    real_scandir = os.scandir

    def scandir(path: str | os.PathLike[str]) -> object:
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(fs.os, "scandir", scandir)
    caplog.set_level("INFO")
    envs = discover(machine.ctx(ws))
    assert any(env.prefix == ws / ".venv" for env in envs)
    assert not any(env.prefix == locked / "secret" for env in envs)
    assert f"cannot list {locked}" in caplog.text


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads chmod 000 folders anyway")
def test_chmod_000_folder(machine: Machine) -> None:  # pragma: no cover - non-root only
    locked = machine.home / ".virtualenvs"
    locked.mkdir()
    locked.chmod(0)
    try:
        assert discover(machine.ctx()) is not None
    finally:
        locked.chmod(0o755)


def test_huge_folder_listing_is_capped(
    machine: Machine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(fs, "MAX_ENTRIES", 5)
    folder = machine.home / ".venvs"
    for index in range(12):
        (folder / f"d{index:02}").mkdir(parents=True)
    caplog.set_level("INFO")
    assert len(fs.list_dir(folder)) == 5
    assert f"stopped listing {folder} after 5 entries" in caplog.text


def test_malformed_toml_and_binary_cfg_are_tolerated(machine: Machine) -> None:
    ws = machine.home / "ws"
    write(ws / "pyproject.toml", "[project\nname = ")
    write(ws / "poetry.toml", "= = =")
    (ws / ".venv").mkdir()
    (ws / ".venv" / "pyvenv.cfg").write_bytes(b"\xff\xfe\x00home = \x00\x80\n")
    env = identify(ws / ".venv", machine.ctx(ws))
    assert env.kind is EnvKind.POETRY  # a poetry.toml beside .venv is enough, even unreadable
    assert env.error is not None


def test_identify_nonsense_paths_gives_errors_not_exceptions(machine: Machine) -> None:
    ctx = machine.ctx()
    assert identify(machine.home / "nope" / "python", ctx).error == (
        f"no such file or folder: {machine.home / 'nope' / 'python'}"
    )
    plain = machine.home / "just-a-folder"
    plain.mkdir()
    not_env = identify(plain, ctx)
    assert not_env.error is not None and not_env.error.startswith("not a Python environment")
    shim = machine.fake_python(machine.home / ".pyenv" / "shims" / "python")
    assert "shim" in (identify(shim, ctx).error or "")
