"""What one discovery pass remembers, and that the next pass sees the disk as it is now."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from envsense.core.discovery import discover, fs
from envsense.core.discovery.hatch import project_id
from envsense.core.discovery.poetry import poetry_env_name
from envsense.core.environment import Environment, EnvKind
from envsense.core.projects import find_projects, project_markers
from tests.unit.discovery.trees import Machine, write


def _at(envs: list[Environment], prefix: Path) -> Environment:
    found = [env for env in envs if env.prefix == prefix]
    assert found, f"{prefix} not found among {[str(e.prefix) for e in envs]}"
    return found[0]


def _base(machine: Machine) -> Path:
    return machine.base_install(machine.home / ".pyenv" / "versions" / "3.12.1", "3.12.1")


def test_a_project_created_between_two_passes_claims_its_central_env(machine: Machine) -> None:
    workspace = machine.home / "code"
    write(workspace / "first" / "pyproject.toml", '[tool.poetry]\nname = "first"\n')
    later = workspace / "later"
    cache = machine.home / ".cache" / "pypoetry" / "virtualenvs"
    env_prefix = cache / poetry_env_name("later", later, "3.12", "linux")
    machine.venv(env_prefix, _base(machine), "3.12.1", flavour="virtualenv")

    before = _at(discover(machine.ctx(workspace)), env_prefix)
    write(later / "pyproject.toml", '[tool.poetry]\nname = "later"\n')
    after = _at(discover(machine.ctx(workspace)), env_prefix)

    assert (before.kind, before.project) == (EnvKind.POETRY, None)
    assert (after.kind, after.project) == (EnvKind.POETRY, later)


def test_an_edited_pyproject_is_read_again_by_the_next_pass(machine: Machine) -> None:
    project = machine.home / "tool"
    write(project / "pyproject.toml", '[project]\nname = "tool"\n')
    machine.venv(project / ".hatch" / "lint", _base(machine), "3.12.1", flavour="virtualenv")

    before = discover(machine.ctx(project))
    write(
        project / "pyproject.toml",
        '[project]\nname = "tool"\n[tool.hatch.envs.lint]\npath = ".hatch/lint"\n',
    )
    after = discover(machine.ctx(project))

    assert all(env.prefix != project / ".hatch" / "lint" for env in before)
    lint = _at(after, project / ".hatch" / "lint")
    assert (lint.kind, lint.project) == (EnvKind.HATCH, project)


def test_many_central_envs_each_find_their_own_project(machine: Machine) -> None:
    # Owners are looked up by hash in one index per pass; every env must still get its own.
    workspace = machine.home / "code"
    data = machine.home / ".local" / "share" / "hatch" / "env" / "virtual"
    expected: dict[Path, Path] = {}
    for number in range(6):
        project = workspace / f"p{number}"
        write(project / "pyproject.toml", f'[project]\nname = "p{number}"\n')
        prefix = data / f"p{number}" / project_id(project) / f"p{number}"
        machine.venv(prefix, _base(machine), "3.12.1", flavour="virtualenv")
        expected[prefix] = project
    envs = discover(machine.ctx(workspace))
    assert {prefix: _at(envs, prefix).project for prefix in expected} == expected


def test_realpath_cache_agrees_with_os_realpath(tmp_path: Path) -> None:
    real = tmp_path / "real" / "projects"
    (real / "app" / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "real")  # a linked folder on the way
    (real / "app" / "venv-link").symlink_to(real / "app" / ".venv")  # a linked last part
    (real / "dangling").symlink_to(tmp_path / "gone")
    (real / "loop-a").symlink_to(real / "loop-b")
    (real / "loop-b").symlink_to(real / "loop-a")
    paths = [
        tmp_path / "link" / "projects" / "app" / ".venv" / "bin",
        tmp_path / "link" / "projects" / "app" / "venv-link",
        tmp_path / "link" / "projects" / "app" / "venv-link" / "bin",
        tmp_path / "link" / "projects" / "dangling",
        tmp_path / "link" / "projects" / "loop-a",
        tmp_path / "link" / "projects" / "missing" / "child",
        tmp_path / "link" / "projects" / "app" / ".." / "app",
        real / "app",
    ]
    cache = fs.RealpathCache()
    for path in paths + paths:  # the second round is answered from the cache
        assert cache(path) == Path(os.path.realpath(path)), path


def test_markers_are_still_found_when_a_listing_is_cut_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "big"
    for number in range(5):
        write(project / f"data{number}.csv", "")
    write(project / "setup.cfg", "[metadata]\nname = big\n")
    write(project / "pkg" / "pyproject.toml", '[project]\nname = "pkg"\n')
    monkeypatch.setattr(fs, "MAX_ENTRIES", 2)

    assert not fs.read_listing(project).complete
    assert "setup.cfg" in project_markers(project)
    assert [found.root for found in find_projects(project)][:1] == [project]
