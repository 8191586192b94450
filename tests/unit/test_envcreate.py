"""Creating a project's .venv for real (uv and venv), installing into it, and undoing failures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from envsense.core.environment import Environment, EnvKind
from envsense.core.install.envcreate import (
    EnvCreatePlan,
    EnvCreateRequest,
    create_env,
    plan_create_env,
)
from envsense.core.install.plan import IndexOptions, Refusal
from envsense.core.versions import PythonVersion
from tests.support.venvs import make_venv, pyenv_python, uv_executable
from tests.support.wheels import simple_wheel

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX layout")


@pytest.fixture(scope="module")
def base() -> Environment:
    """pyenv's CPython 3.11 (the real binary) as a base interpreter."""
    exe = pyenv_python("3.11")
    if exe is None:
        pytest.skip("pyenv CPython 3.11 is not installed")
    prefix = exe.parent.parent
    return Environment(EnvKind.PYENV, prefix, exe, PythonVersion.parse(prefix.name))


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wheels")
    simple_wheel(folder, "tiny-widgets", version="1.2")
    return folder


def which_uv(name: str) -> str | None:
    return uv_executable() if name == "uv" else None


def which_nothing(name: str) -> None:
    return None


def offline(wheels: Path) -> IndexOptions:
    return IndexOptions(find_links=(str(wheels),), no_index=True)


def planned(result: EnvCreatePlan | Refusal) -> EnvCreatePlan:
    assert isinstance(result, EnvCreatePlan), result
    return result


def run_python(env_prefix: Path, code: str) -> str:
    """Our own freshly created test venv's python (never a workspace's)."""
    done = subprocess.run(
        [str(env_prefix / "bin" / "python"), "-c", code], capture_output=True, text=True
    )
    return done.stdout.strip() if done.returncode == 0 else f"error: {done.stderr.strip()}"


async def test_uv_creates_venv_with_gitignore_and_installs_requirements(
    tmp_path: Path, base: Environment, wheels: Path
) -> None:
    request = EnvCreateRequest(
        base, tmp_path, requirements=("tiny-widgets>=1",), trusted=True, index=offline(wheels)
    )
    plan = planned(plan_create_env(request, which=which_uv))
    assert plan.create.argv == (
        uv_executable(), "venv", "--no-config", "--python", str(base.executable), str(tmp_path / ".venv")
    )  # fmt: skip
    assert plan.title == "Create .venv with Python 3.11 and install the project"
    lines: list[str] = []
    result = await create_env(plan, lines.append)
    assert result.ok, result.message
    venv = tmp_path / ".venv"
    # uv writes its own ".gitignore" ("*", no newline); it is kept, not rewritten.
    assert (venv / ".gitignore").read_text().splitlines() == ["*"]
    assert "version_info = 3.11" in (venv / "pyvenv.cfg").read_text()
    assert run_python(venv, "import tiny_widgets; print(tiny_widgets.__version__)") == "1.2"
    assert result.environment is not None
    assert result.environment.kind is EnvKind.UV
    assert result.environment.executable == venv / "bin" / "python"


async def test_venv_module_creates_the_environment_without_uv(
    tmp_path: Path, base: Environment
) -> None:
    # Nothing to install: no pyproject, no requirements; so no slow pip seeding either.
    request = EnvCreateRequest(base, tmp_path, trusted=True)
    plan = planned(plan_create_env(request, which=which_nothing))
    assert plan.create.argv == (
        str(base.executable), "-I", "-m", "venv", "--without-pip", str(tmp_path / ".venv")
    )  # fmt: skip
    assert plan.install is None
    assert plan.title == "Create .venv with Python 3.11"
    result = await create_env(plan, lambda line: None)
    assert result.ok, result.message
    venv = tmp_path / ".venv"
    # venv writes no .gitignore before 3.13: this one is envsense's.
    assert (venv / ".gitignore").read_text() == "*\n"
    assert run_python(venv, "import sys; print(sys.prefix != sys.base_prefix)") == "True"
    assert result.environment is not None and result.environment.kind is EnvKind.VENV


async def test_existing_venv_gets_a_numbered_sibling(tmp_path: Path, base: Environment) -> None:
    (tmp_path / ".venv").mkdir()
    plan = planned(plan_create_env(EnvCreateRequest(base, tmp_path, trusted=True), which=which_uv))
    assert plan.target == tmp_path / ".venv-1"
    assert (await create_env(plan, lambda line: None)).ok
    assert (tmp_path / ".venv-1" / "pyvenv.cfg").is_file()
    assert list((tmp_path / ".venv").iterdir()) == []


async def test_recreate_restores_the_old_environment_when_install_fails(
    tmp_path: Path, base: Environment, wheels: Path
) -> None:
    old = tmp_path / ".venv"
    make_venv(old)
    (old / "marker").write_text("the old one")
    request = EnvCreateRequest(
        base, tmp_path, requirements=("not-on-any-index",), mode="recreate", trusted=True,
        index=offline(wheels),
    )  # fmt: skip
    plan = planned(plan_create_env(request, which=which_uv))
    lines: list[str] = []
    result = await create_env(plan, lines.append)
    assert not result.ok
    assert "not-on-any-index" in result.message
    assert (old / "marker").read_text() == "the old one"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".venv"]
    assert "restored the previous .venv" in lines


async def test_recreate_replaces_the_old_environment_on_success(
    tmp_path: Path, base: Environment, wheels: Path
) -> None:
    old = tmp_path / ".venv"
    make_venv(old)
    (old / "marker").write_text("the old one")
    request = EnvCreateRequest(
        base, tmp_path, requirements=("tiny-widgets",), mode="recreate", trusted=True,
        index=offline(wheels),
    )  # fmt: skip
    result = await create_env(planned(plan_create_env(request, which=which_uv)), lambda line: None)
    assert result.ok, result.message
    assert not (old / "marker").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".venv"]
    assert run_python(old, "import tiny_widgets; print('ok')") == "ok"


async def test_uv_project_is_synced_into_the_new_environment(
    tmp_path: Path, base: Environment
) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "1"\n')
    (tmp_path / "uv.lock").write_text("version = 1\n")
    plan = planned(plan_create_env(EnvCreateRequest(base, tmp_path, trusted=True), which=which_uv))
    assert plan.install is not None
    (step,) = plan.install.steps
    assert step.argv == (uv_executable(), "sync")
    assert dict(step.env)["UV_PROJECT_ENVIRONMENT"] == str(tmp_path / ".venv")


def test_buildable_project_is_installed_editable(tmp_path: Path, base: Environment) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "1"\n[build-system]\nrequires = ["hatchling"]\n'
    )
    plan = planned(plan_create_env(EnvCreateRequest(base, tmp_path, trusted=True), which=which_uv))
    assert plan.install is not None
    assert plan.install.steps[0].argv[-2:] == ("-e", str(tmp_path))


def test_index_options_in_requirement_files_need_confirmation(
    tmp_path: Path, base: Environment
) -> None:
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("--index-url https://mirror.example/simple\nflask\n")
    request = EnvCreateRequest(base, tmp_path, requirement_files=(reqs,), trusted=True)
    plan = planned(plan_create_env(request, which=which_uv))
    assert plan.needs_confirmation
    assert "requirements.txt:1: --index-url https://mirror.example/simple" in (
        plan.confirmation_text or ""
    )


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("untrusted", "workspace is not trusted"),
        ("requires-python", "does not satisfy the project's requires-python '>=3.12'"),
        ("virtual-base", "is itself a virtual environment"),
    ],
)
def test_refusals(tmp_path: Path, base: Environment, setup: str, expected: str) -> None:
    chosen = base
    trusted = setup != "untrusted"
    if setup == "requires-python":
        (tmp_path / "pyproject.toml").write_text('[project]\nrequires-python = ">=3.12"\n')
    if setup == "virtual-base":
        venv = tmp_path / "other"
        chosen = Environment(EnvKind.VENV, venv, make_venv(venv), base.version)
    refused = plan_create_env(EnvCreateRequest(chosen, tmp_path, trusted=trusted), which=which_uv)
    assert isinstance(refused, Refusal)
    assert expected in refused.reason
    assert not (tmp_path / ".venv").exists()
