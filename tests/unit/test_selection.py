"""Selection: the order of rules, the reasons shown, and never another project's env."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from envsense.core.discovery import discover
from envsense.core.environment import Environment, EnvKind
from envsense.core.picks import PickStore
from envsense.core.projects import find_project
from envsense.core.selection import Selection, recommended_order, select_environment
from envsense.core.versions import PythonVersion
from tests.unit.discovery.trees import Machine, write


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    return Machine(tmp_path / "machine")


def _system(machine: Machine, *versions: str) -> None:
    usr = machine.root / "usr"
    for version in versions:
        machine.base_install(usr, version)


def _project(machine: Machine, name: str, text: str = "") -> Path:
    root = machine.home / "code" / name
    write(root / "pyproject.toml", f'[project]\nname = "{name}"\n{text}')
    return root


def _pyenv(machine: Machine, version: str) -> Path:
    return machine.base_install(machine.home / ".pyenv" / "versions" / version, version)


def test_in_project_venv_wins_over_everything_automatic(machine: Machine) -> None:
    _system(machine, "3.11.2")
    root = _project(machine, "app")
    machine.venv(root / ".venv", _pyenv(machine, "3.12.1"), "3.12.1")
    machine.venv(machine.home / "other-active", _pyenv(machine, "3.12.1"), "3.12.1")
    ctx = machine.ctx(root, VIRTUAL_ENV=str(machine.home / "other-active"))
    envs = discover(ctx)
    active = next(env for env in envs if env.prefix == machine.home / "other-active")
    selection = select_environment(find_project(root / "a.py", root), envs, active=active)
    assert selection.environment is not None
    assert selection.environment.prefix == root / ".venv"
    assert selection.reason == "in-project environment .venv"


def test_explicit_setting_then_last_pick(machine: Machine) -> None:
    root = _project(machine, "app")
    base = _pyenv(machine, "3.12.1")
    machine.venv(root / ".venv", base, "3.12.1")
    envs = discover(machine.ctx(root))
    project = find_project(root, root)
    explicit = select_environment(project, envs, explicit=base, last_pick=root / ".venv/bin/python")
    assert explicit.environment is not None and explicit.environment.kind is EnvKind.PYENV
    assert explicit.reason == "set by envsense.interpreter"
    picked = select_environment(project, envs, last_pick=base)
    assert picked.reason == "last picked by you"
    assert picked.environment is not None and picked.environment.kind is EnvKind.PYENV
    missing = select_environment(project, envs, explicit=machine.home / "nope" / "python")
    assert missing.environment is None and "not found" in missing.reason
    # A pick whose env was deleted is forgotten, not obeyed.
    stale = select_environment(project, envs, last_pick=machine.home / "deleted" / "python")
    assert stale.reason == "in-project environment .venv"


def test_broken_in_project_venv_is_selected_and_says_so(machine: Machine) -> None:
    _system(machine, "3.11.2")
    root = _project(machine, "app")
    write(root / ".venv" / "pyvenv.cfg", "home = /gone/bin\nversion = 3.12.1\n")
    selection = select_environment(find_project(root, root), discover(machine.ctx(root)))
    assert selection.environment is not None and selection.environment.prefix == root / ".venv"
    assert selection.environment.error is not None
    assert selection.reason.startswith("in-project environment .venv (broken: ")


def test_working_in_project_env_preferred_over_broken_sibling(machine: Machine) -> None:
    root = _project(machine, "app")
    write(root / ".venv" / "pyvenv.cfg", "home = /gone/bin\nversion = 3.12.1\n")
    machine.venv(root / "venv", _pyenv(machine, "3.12.1"), "3.12.1")
    selection = select_environment(find_project(root, root), discover(machine.ctx(root)))
    assert selection.environment is not None and selection.environment.prefix == root / "venv"


def test_tool_tied_env_then_active_then_requires_python_then_system(machine: Machine) -> None:
    _system(machine, "3.11.2")
    _pyenv(machine, "3.12.1")
    _pyenv(machine, "3.13.0")
    root = _project(machine, "svc", '[tool.poetry]\nname = "svc"\n')
    from envsense.core.discovery.poetry import poetry_env_name

    cache = machine.home / ".cache" / "pypoetry" / "virtualenvs"
    poetry_env = cache / poetry_env_name("svc", root, "3.12", "linux")
    machine.venv(poetry_env, _pyenv(machine, "3.12.1"), "3.12.1", flavour="virtualenv")
    envs = discover(machine.ctx(root))
    project = find_project(root, root)
    tied = select_environment(project, envs)
    assert tied.environment is not None and tied.environment.prefix == poetry_env
    assert tied.reason == "poetry environment of this project"
    assert not tied.fallback

    without_tie = [env for env in envs if env.prefix != poetry_env]
    loose = Environment(
        EnvKind.VENV, machine.home / "loose", machine.home / "loose/bin/python", None
    )
    active = select_environment(project, [*without_tie, loose], active=loose)
    assert (active.environment, active.reason, active.fallback) == (
        loose,
        "active when the server started (VIRTUAL_ENV)",
        False,
    )

    fitting = select_environment(project, without_tie, requires_python=SpecifierSet(">=3.12,<3.13"))
    assert fitting.environment is not None and str(fitting.environment.version) == "3.12.1"
    assert fitting.reason == (
        "no environment for this project; using pyenv 3.12.1 for now"
        " (newest Python satisfying requires-python <3.13,>=3.12)"
    )
    assert fitting.fallback

    system = select_environment(project, without_tie)
    assert system.environment is not None and system.environment.kind is EnvKind.SYSTEM
    assert system.reason == (
        "no environment for this project; using system 3.11.2 for now (newest system Python)"
    )
    assert system.fallback
    unmet = select_environment(project, without_tie, requires_python=SpecifierSet(">=3.14"))
    assert unmet.reason == (
        "no environment for this project; using system 3.11.2 for now"
        " (newest system Python; none satisfies requires-python >=3.14)"
    )
    assert unmet.fallback


def test_another_projects_env_is_never_recommended(machine: Machine) -> None:
    _system(machine, "3.11.2")
    mine = _project(machine, "mine")
    theirs = _project(machine, "theirs")
    machine.venv(theirs / ".venv", _pyenv(machine, "3.12.1"), "3.12.1")
    envs = discover(machine.ctx(mine, theirs))
    foreign = next(env for env in envs if env.prefix == theirs / ".venv")
    assert foreign.project == theirs
    selection = select_environment(find_project(mine, mine), envs, active=foreign)
    assert selection.environment is not None
    assert selection.environment.project is None or selection.environment.project == mine
    assert selection.reason.endswith("(newest system Python)") and selection.fallback


def test_monorepo_package_uses_its_own_venv_else_the_workspace_root_one(machine: Machine) -> None:
    base = _pyenv(machine, "3.12.1")
    root = machine.home / "mono"
    write(
        root / "pyproject.toml",
        '[project]\nname = "mono"\n[tool.uv.workspace]\nmembers = ["packages/*"]\n',
    )
    write(root / "packages" / "a" / "pyproject.toml", '[project]\nname = "a"\n')
    write(root / "packages" / "b" / "pyproject.toml", '[project]\nname = "b"\n')
    machine.venv(root / ".venv", base, "3.12.1", flavour="uv")
    machine.venv(root / "packages" / "b" / ".venv", base, "3.12.1")
    envs = discover(machine.ctx(root))
    a = select_environment(find_project(root / "packages/a/x.py", root), envs)
    assert a.environment is not None and a.environment.prefix == root / ".venv"
    assert a.reason == f"in-project environment .venv of the enclosing project {root}"
    b = select_environment(find_project(root / "packages/b/x.py", root), envs)
    assert b.environment is not None and b.environment.prefix == root / "packages/b/.venv"
    assert b.reason == "in-project environment .venv"


def test_home_venv_is_not_an_enclosing_project_env(machine: Machine) -> None:
    _system(machine, "3.11.2")
    machine.venv(machine.home / ".venv", _pyenv(machine, "3.12.1"), "3.12.1")
    root = _project(machine, "app")
    selection = select_environment(find_project(root, root), discover(machine.ctx(root)))
    assert selection.reason == (
        "no environment for this project; using system 3.11.2 for now (newest system Python)"
    )
    assert selection.fallback


def test_nothing_usable(tmp_path: Path) -> None:
    project = find_project(tmp_path, tmp_path)
    assert select_environment(project, []) == Selection(
        None, "no usable Python environment was found"
    )


def test_fallback_only_for_a_global_interpreter_standing_in(machine: Machine) -> None:
    """A project's own env, a user-activated venv or a named conda env is no fallback;
    a pyenv/system/conda-base interpreter chosen because nothing else exists is."""
    v = PythonVersion.parse
    root = _project(machine, "app")
    project = find_project(root, root)
    pyenv = Environment(
        EnvKind.PYENV, machine.home / "p", machine.home / "p/bin/python", v("3.13.0")
    )
    own = Environment(
        EnvKind.VENV, root / ".venv", root / ".venv/bin/python", v("3.12.1"), project=root
    )
    assert not select_environment(project, [pyenv, own]).fallback
    alone = select_environment(project, [pyenv])
    assert alone.fallback and alone.environment == pyenv
    assert alone.reason.startswith("no environment for this project; using pyenv 3.13.0 for now")
    base = Environment(
        EnvKind.CONDA, machine.home / "c", machine.home / "c/bin/python", v("3.12.0"), name="base"
    )
    named = Environment(
        EnvKind.CONDA,
        machine.home / "c/envs/ds",
        machine.home / "c/envs/ds/bin/python",
        v("3.12.0"),
        name="ds",
    )
    assert select_environment(project, [], active=base).fallback
    assert not select_environment(project, [], active=named).fallback


def test_recommended_order_selected_first_errors_and_foreign_last(machine: Machine) -> None:
    root = _project(machine, "app")
    other = _project(machine, "other")
    v = PythonVersion.parse
    ok_old = Environment(
        EnvKind.PYENV, machine.home / "a", machine.home / "a/bin/python", v("3.10.1")
    )
    ok_new = Environment(
        EnvKind.PYENV, machine.home / "b", machine.home / "b/bin/python", v("3.13.0")
    )
    venv = Environment(
        EnvKind.VENV, root / ".venv", root / ".venv/bin/python", v("3.11.0"), project=root
    )
    broken = Environment(EnvKind.VENV, root / "venv", None, v("3.12.0"), error="gone", project=root)
    foreign = Environment(
        EnvKind.VENV, other / ".venv", other / ".venv/bin/python", v("3.12.0"), project=other
    )
    project = find_project(root, root)
    chosen = Selection(ok_old, "last picked by you")
    ordered = recommended_order(project, [broken, foreign, ok_new, venv, ok_old], chosen)
    assert ordered == [ok_old, venv, ok_new, foreign, broken]


def test_pick_store_survives_restarts_and_corruption(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = PickStore(tmp_path / "data")
    assert store.get(tmp_path / "proj") is None
    store.set(tmp_path / "proj", tmp_path / "proj/.venv/bin/python")
    again = PickStore(tmp_path / "data")  # a new server process
    assert again.get(tmp_path / "proj") == tmp_path / "proj/.venv/bin/python"
    assert json.loads(again.path.read_text()) == {
        str(tmp_path / "proj"): str(tmp_path / "proj/.venv/bin/python")
    }
    again.path.write_text("{not json")
    assert PickStore(tmp_path / "data").get(tmp_path / "proj") is None
    assert "ignoring corrupt picks file" in caplog.text
    again.set(tmp_path / "x", tmp_path / "py")  # a corrupt file is replaced, not fatal
    assert again.get(tmp_path / "x") == tmp_path / "py"


def test_uv_workspace_members_share_the_root_env_even_with_their_own_venv(
    machine: Machine,
) -> None:
    """uv never uses a member's `.venv`; a plain monorepo's member keeps its own."""
    from envsense.core.discovery.rules import project_rules

    base = _pyenv(machine, "3.12.1")
    root = machine.home / "mono"
    write(
        root / "pyproject.toml",
        '[project]\nname = "mono"\n[tool.uv.workspace]\nmembers = ["packages/*"]\n',
    )
    for name in ("a", "b"):
        write(root / "packages" / name / "pyproject.toml", f'[project]\nname = "{name}"\n')
    machine.venv(root / ".venv", base, "3.12.1", flavour="uv")
    machine.venv(root / "packages" / "b" / ".venv", base, "3.12.1", flavour="uv")
    ctx = machine.ctx(root)
    envs = discover(ctx)
    stray = next(env for env in envs if env.prefix == root / "packages/b/.venv")
    assert (stray.kind, stray.project) == (EnvKind.UV, root / "packages" / "b")
    for folder in (root, root / "packages/a", root / "packages/b"):
        project = find_project(folder / "x.py", root)
        chosen = select_environment(project, envs, rules=project_rules(project.root, ctx))
        assert chosen.environment is not None and chosen.environment.prefix == root / ".venv"
        assert chosen.environment.kind is EnvKind.UV_WORKSPACE
    # Without rules (another tool's monorepo) the root still never takes a member's env.
    assert select_environment(find_project(root, root), envs).environment == next(
        env for env in envs if env.prefix == root / ".venv"
    )
