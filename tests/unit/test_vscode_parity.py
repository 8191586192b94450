"""Server pieces behind the VS Code parity features, on real environments and files:
activation variables, environment titles, interpreter validation, the packages view's rows,
uninstall/upgrade plans (run for real), create-flow contents and manifest pin style."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from envsense.core.declarations import read_declarations
from envsense.core.discovery import DiscoveryContext, identify
from envsense.core.environment import Environment, EnvKind
from envsense.core.environment.activation import activation_for
from envsense.core.environment.inventory import read_inventory
from envsense.core.environment.packages import list_packages
from envsense.core.install.envcreate import (
    CreateContents,
    EnvCreatePlan,
    EnvCreateRequest,
    create_env,
    plan_create_env,
    summary,
)
from envsense.core.install.package_changes import plan_uninstall, plan_upgrade, validate_name
from envsense.core.install.plan import IndexOptions, InstallPlan
from envsense.core.install.runner import run_plan
from envsense.core.manifest_edit import add_requirement, apply_edits, pin_operator
from envsense.core.versions import PythonVersion
from envsense.lsp.environment_choices import interpreter_problem, title
from tests.support.venvs import install_wheels, make_venv, pyenv_python, uv_executable
from tests.support.wheels import simple_wheel

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX layout")
PY = PythonVersion.parse(".".join(map(str, sys.version_info[:3])))


def venv_env(prefix: Path) -> Environment:
    return Environment(EnvKind.VENV, prefix, prefix / "bin" / "python", PY, name=prefix.name)


def which_uv(name: str) -> str | None:
    return uv_executable() if name == "uv" else None


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wheels")
    simple_wheel(folder, "tiny-widgets", version="1.0")
    simple_wheel(folder, "tiny-widgets", version="1.5")
    simple_wheel(folder, "tiny-widgets", version="2.0")
    simple_wheel(folder, "tiny-extra", version="1.0")
    simple_wheel(folder, "tiny-dev", version="1.0")
    return folder


# -- activation and names ---------------------------------------------------------------


def test_activation_of_a_venv_a_conda_env_and_a_base_interpreter(tmp_path: Path) -> None:
    venv = venv_env(tmp_path / ".venv")
    a = activation_for(venv)
    assert a is not None
    assert a.to_json() == {
        "pathPrepend": [str(tmp_path / ".venv" / "bin")],
        "set": {"VIRTUAL_ENV": str(tmp_path / ".venv")},
        "unset": ["PYTHONHOME", "CONDA_PREFIX"],
    }
    conda = Environment(
        EnvKind.CONDA, tmp_path / "envs" / "ml", tmp_path / "envs/ml/bin/python", PY
    )
    c = activation_for(conda)
    assert c is not None and dict(c.set) == {
        "CONDA_PREFIX": str(tmp_path / "envs" / "ml"),
        "CONDA_DEFAULT_ENV": "ml",
    }
    assert activation_for(conda, platform="win32") is not None
    base = Environment(EnvKind.PYENV, tmp_path / "3.12.1", tmp_path / "3.12.1/bin/python", PY)
    b = activation_for(base)
    assert b is not None and b.set == () and "VIRTUAL_ENV" in b.unset
    assert activation_for(venv.with_error("broken")) is None


def test_titles_do_not_repeat_themselves(tmp_path: Path) -> None:
    root = tmp_path / ".pyenv"
    (root / "versions" / "3.13.0").mkdir(parents=True)
    (root / "version").write_text("3.13.0\n")
    v = PythonVersion.parse("3.13.0")
    pyenv = Environment(EnvKind.PYENV, root / "versions" / "3.13.0", Path("/x/python"), v)
    other = Environment(EnvKind.PYENV, root / "versions" / "3.10.13", Path("/y/python"), v)
    system = Environment(EnvKind.SYSTEM, Path("/usr"), Path("/usr/bin/python3"), v)
    assert title(venv_env(tmp_path / ".venv")) == f".venv ({PY}, venv)"
    assert title(pyenv) == "pyenv 3.13.0 (global)"
    assert title(other) == "pyenv 3.13.0 (3.10.13)"
    assert title(system) == "system 3.13.0 (/usr/bin/python3)"


def test_a_typed_interpreter_is_checked_before_it_is_selected(tmp_path: Path) -> None:
    ctx = DiscoveryContext.from_os()
    missing = Path("/nonexistent/bin/python")
    env, problem = interpreter_problem(
        identify(missing, ctx), missing, trusted=True, workspace_roots=[]
    )
    assert problem == "/nonexistent/bin/python does not exist"
    text = tmp_path / "python"
    text.write_text("not a program")
    _, problem = interpreter_problem(identify(text, ctx), text, trusted=True, workspace_roots=[])
    assert problem == f"{text} is not executable"
    python = make_venv(tmp_path / "ok")
    env, problem = interpreter_problem(
        identify(python, ctx), python, trusted=False, workspace_roots=[]
    )
    assert problem is None and env.version is not None


# -- packages view ------------------------------------------------------------------------


def test_packages_rows_join_installed_and_declared(tmp_path: Path, wheels: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "requirements.txt").write_text("tiny-widgets>=1.5\n")
    python = make_venv(project / ".venv")
    install_wheels(python, wheels / "tiny_widgets-1.0-py3-none-any.whl")
    install_wheels(python, wheels / "tiny_extra-1.0-py3-none-any.whl")
    inventory = read_inventory(venv_env(project / ".venv"))
    rows = {r.canonical: r for r in list_packages(inventory, read_declarations(project))}
    widgets = rows["tiny-widgets"]
    assert widgets.version == "1.0" and not widgets.editable
    assert [(d.manifest.name, d.line, d.text) for d in widgets.declared] == [
        ("requirements.txt", 0, "tiny-widgets>=1.5")
    ]
    assert widgets.mismatch == "1.0 does not satisfy >=1.5 (requirements.txt)"
    assert widgets.upgrade_requirement == "tiny-widgets>=1.5"
    assert rows["tiny-extra"].declared == () and rows["tiny-extra"].mismatch is None
    assert rows["tiny-extra"].to_json()["upgradeRequirement"] == "tiny-extra"


def test_names_are_validated_before_any_installer_sees_them() -> None:
    assert validate_name("PyYAML>=6") is None
    assert validate_name("--index-url=http://evil") is not None
    assert validate_name("not a name!") is not None
    assert validate_name("pkg @ https://example.invalid/x.whl") is not None


async def test_uninstall_and_upgrade_run_through_the_runner(tmp_path: Path, wheels: Path) -> None:
    python = make_venv(tmp_path / ".venv")
    install_wheels(python, wheels / "tiny_widgets-1.0-py3-none-any.whl")
    env = venv_env(tmp_path / ".venv")
    index = IndexOptions(find_links=(str(wheels),), no_index=True)
    upgrade = plan_upgrade(env, "tiny-widgets<2", trusted=True, index=index, which=which_uv)
    assert isinstance(upgrade, InstallPlan), upgrade
    assert "--upgrade-package" in upgrade.steps[-1].argv
    assert upgrade.title == f"Upgrade tiny-widgets<2 in .venv (Python {PY})"
    result = await run_plan(upgrade, lambda line: None)
    assert result.ok, result.message
    assert read_inventory(env).distribution("tiny-widgets").version == "1.5"  # type: ignore[union-attr]
    refused = plan_uninstall(env, ("tiny-widgets>=1",), trusted=True, which=which_uv)
    assert not isinstance(refused, InstallPlan)
    assert plan_uninstall(env, ("tiny-widgets",), trusted=False, which=which_uv).reason  # type: ignore[union-attr]
    uninstall = plan_uninstall(env, ("Tiny_Widgets",), trusted=True, which=which_uv)
    assert isinstance(uninstall, InstallPlan), uninstall
    assert uninstall.steps[0].argv[-1] == "tiny-widgets"
    result = await run_plan(uninstall, lambda line: None)
    assert result.ok and result.removed == ("tiny-widgets",), result.message
    assert read_inventory(env).distribution("tiny-widgets") is None


# -- create flow --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base() -> Environment:
    exe = pyenv_python("3.11")
    if exe is None:
        pytest.skip("pyenv CPython 3.11 is not installed")
    prefix = exe.parent.parent
    return Environment(EnvKind.PYENV, prefix, exe, PythonVersion.parse(prefix.name))


def _project(root: Path) -> Path:
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "1"\ndependencies = ["tiny-widgets"]\n'
        '[project.optional-dependencies]\nx = ["tiny-extra"]\n'
        '[dependency-groups]\ndev = ["tiny-dev"]\n'
    )
    (root / "requirements.txt").write_text("tiny-dev\n")
    return root


async def test_create_with_the_project_and_an_extra_installs_both(
    tmp_path: Path, base: Environment, wheels: Path
) -> None:
    root = _project(tmp_path / "p")
    contents = CreateContents(
        "project", extras=("x",), extra_requirements=("tiny-extra",), use_manager=False
    )
    request = EnvCreateRequest(
        base,
        root,
        trusted=True,
        index=IndexOptions((str(wheels),), no_index=True),
        contents=contents,
    )
    plan = plan_create_env(request, which=which_uv)
    assert isinstance(plan, EnvCreatePlan), plan
    assert plan.title == "Create .venv with Python 3.11 and install the project[x]"
    lines = summary(plan)
    assert lines[0].startswith(f"$ {uv_executable()} venv --no-config --python")
    assert "tiny-extra" in lines[-1] and "tiny-widgets" in lines[-1]
    result = await create_env(plan, lambda line: None)
    assert result.ok, result.message
    inventory = read_inventory(venv_env(root / ".venv"))
    assert inventory.distribution("tiny-widgets") and inventory.distribution("tiny-extra")
    assert inventory.distribution("tiny-dev") is None


def test_create_nothing_or_a_requirements_file_or_through_the_manager(
    tmp_path: Path, base: Environment
) -> None:
    root = _project(tmp_path / "p")

    def plan(contents: CreateContents, which: object = which_uv) -> EnvCreatePlan:
        request = EnvCreateRequest(base, root, trusted=True, contents=contents)
        result = plan_create_env(request, which=which)  # type: ignore[arg-type]
        assert isinstance(result, EnvCreatePlan), result
        return result

    assert plan(CreateContents("nothing")).install is None
    files = plan(CreateContents("requirements", requirement_files=(root / "requirements.txt",)))
    assert files.install is not None and "-r" in files.install.steps[-1].argv
    (root / "uv.lock").write_text("version = 1\n")
    synced = plan(CreateContents("project", extras=("x",), groups=("dev",)))
    assert synced.install is not None
    step = synced.install.steps[0]
    assert step.argv[1:] == ("sync", "--extra", "x", "--group", "dev")
    assert ("UV_PROJECT_ENVIRONMENT", str(root / ".venv")) in step.env


# -- declaring a requirement pins as the file pins ------------------------------------------


def test_declared_pin_follows_the_file_style() -> None:
    pinned = "flask==3.0.3\nrequests==2.32.3\n"
    assert pin_operator(pinned) == "=="
    edits = add_requirement(Path("requirements.txt"), pinned, "PyYAML", installed_version="6.0.1")
    assert apply_edits(pinned, edits).endswith("PyYAML==6.0.1\n")
    loose = "flask>=3\nrequests\n"
    edits = add_requirement(Path("requirements.txt"), loose, "PyYAML", installed_version="6.0.1")
    assert apply_edits(loose, edits).endswith("PyYAML>=6.0.1\n")


def test_the_workspace_walk_skips_environments_and_caches(tmp_path: Path) -> None:
    from envsense.lsp.workspace_diagnostics import walk_workspace

    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "mod.py").write_text("")
    (tmp_path / "requirements.txt").write_text("")
    make_venv(tmp_path / "env-anywhere")  # found by its pyvenv.cfg, whatever its name
    for skipped in ("node_modules/x", ".git/y", "__pycache__", ".tox/py311"):
        (tmp_path / skipped).mkdir(parents=True)
        (tmp_path / skipped / "a.py").write_text("")
    found = sorted(p.relative_to(tmp_path).as_posix() for p in walk_workspace(tmp_path))
    assert found == ["requirements.txt", "src/pkg/mod.py"]
    assert [p.name for p in walk_workspace(tmp_path, max_folders=1)] == ["requirements.txt"]
    assert list(walk_workspace(Path("/"))) == []


def test_fallback_means_no_environment_of_the_projects_own(tmp_path: Path) -> None:
    from envsense.lsp.environments import _stands_in

    v = PythonVersion.parse("3.12.1")
    pyenv = Environment(EnvKind.PYENV, tmp_path / "3.12.1", tmp_path / "3.12.1/bin/python", v)
    conda_named = Environment(EnvKind.CONDA, tmp_path / "envs" / "ml", None, v, name="ml")
    conda_base = Environment(EnvKind.CONDA, tmp_path / "conda", None, v, name="base")
    assert _stands_in(None, "no usable Python environment was found")
    assert _stands_in(pyenv, "newest Python satisfying requires-python >=3.8")
    assert not _stands_in(pyenv, "picked by you")
    assert not _stands_in(venv_env(tmp_path / ".venv"), "in-project environment .venv")
    assert not _stands_in(conda_named, "active when the server started (CONDA_PREFIX)")
    assert _stands_in(conda_base, "newest Python found")
