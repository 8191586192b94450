"""Install planning: which commands would run, when the user must confirm, and when we refuse."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from envsense.core.environment import Environment, EnvKind
from envsense.core.install.plan import (
    IndexOptions,
    InstallPlan,
    InstallRequest,
    PackageRequest,
    Refusal,
    plan_install,
)
from envsense.core.versions import PythonVersion

PY = PythonVersion(3, 11, 7)
UV = "/opt/tools/uv"


@pytest.fixture(autouse=True)
def no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The planner reads the user's uv.toml: point it at an empty sandbox, never real HOME."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "etc-xdg"))
    for variable in ("PIP_CONFIG_FILE", "UV_CONFIG_FILE"):
        monkeypatch.delenv(variable, raising=False)


def which_with(*found: str) -> Callable[[str], str | None]:
    """A stand-in for shutil.which that finds only the named tools."""
    return lambda name: f"/opt/tools/{name}" if name in found else None


def fake_venv(prefix: Path, *, with_pip: bool = False) -> Environment:
    """A venv laid out on disk like `python -m venv` makes it (nothing here is ever run)."""
    (prefix / "bin").mkdir(parents=True)
    (prefix / "bin" / "python").write_text("")
    (prefix / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.7\n")
    site = prefix / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    if with_pip:
        (site / "pip-24.0.dist-info").mkdir()
    return Environment(EnvKind.VENV, prefix, prefix / "bin" / "python", PY, project=prefix.parent)


def fake_base(prefix: Path, *, externally_managed: bool) -> Environment:
    """A distribution's own interpreter: no pyvenv.cfg, stdlib under lib/python3.11."""
    (prefix / "bin").mkdir(parents=True)
    (prefix / "bin" / "python3.11").write_text("")
    stdlib = prefix / "lib" / "python3.11"
    (stdlib / "site-packages").mkdir(parents=True)
    if externally_managed:
        (stdlib / "EXTERNALLY-MANAGED").write_text("[externally-managed]\nError=use apt\n")
    return Environment(EnvKind.SYSTEM, prefix, prefix / "bin" / "python3.11", PY)


def request(env: Environment, *reqs: str, **kw: object) -> InstallRequest:
    packages = tuple(PackageRequest(r) for r in reqs)
    return InstallRequest(env, packages=packages, trusted=True, **kw)  # type: ignore[arg-type]


def plan_of(result: InstallPlan | Refusal) -> InstallPlan:
    assert isinstance(result, InstallPlan), result
    return result


def test_uv_on_path_installs_with_uv_pip_into_the_environment(tmp_path: Path) -> None:
    env = fake_venv(tmp_path / ".venv")
    plan = plan_of(plan_install(request(env, "Requests >= 2.31"), which=which_with("uv")))
    assert plan.installer == "uv"
    assert [s.argv for s in plan.steps] == [
        (UV, "pip", "install", "--no-config", "--python", str(env.executable), "Requests>=2.31")
    ]
    assert not plan.needs_confirmation
    assert plan.title == "Install Requests into .venv (Python 3.11.7)"


def test_without_uv_pip_runs_isolated_in_the_environment(tmp_path: Path) -> None:
    env = fake_venv(tmp_path / ".venv", with_pip=True)
    plan = plan_of(plan_install(request(env, "attrs"), which=which_with()))
    exe = str(env.executable)
    assert [s.argv for s in plan.steps] == [(exe, "-I", "-m", "pip", "install", "attrs")]
    assert dict(plan.steps[0].env)["PIP_NO_INPUT"] == "1"


def test_environment_without_pip_or_uv_gets_ensurepip_first(tmp_path: Path) -> None:
    env = fake_venv(tmp_path / ".venv", with_pip=False)
    plan = plan_of(plan_install(request(env, "attrs"), which=which_with()))
    exe = str(env.executable)
    assert [s.argv for s in plan.steps] == [
        (exe, "-I", "-m", "ensurepip", "--default-pip"),
        (exe, "-I", "-m", "pip", "install", "attrs"),
    ]


def test_installer_setting_pip_ignores_uv_and_uv_setting_needs_uv(tmp_path: Path) -> None:
    env = fake_venv(tmp_path / ".venv", with_pip=True)
    forced_pip = plan_of(
        plan_install(request(env, "attrs", installer_setting="pip"), which=which_with("uv"))
    )
    assert forced_pip.installer == "pip"
    refused = plan_install(request(env, "attrs", installer_setting="uv"), which=which_with())
    assert isinstance(refused, Refusal)
    assert "uv was not found" in refused.reason


def test_configured_uv_path_is_used_even_when_not_on_path(tmp_path: Path) -> None:
    env = fake_venv(tmp_path / ".venv")
    uv = tmp_path / "tools" / "uv"
    uv.parent.mkdir()
    uv.write_text("")
    plan = plan_of(plan_install(request(env, "attrs", uv_path=uv), which=which_with()))
    assert plan.steps[0].argv[:3] == (str(uv), "pip", "install")


def test_index_options_from_the_environment_reach_either_installer(tmp_path: Path) -> None:
    index = IndexOptions.from_environ(
        {
            "PIP_FIND_LINKS": "/srv/wheels /srv/more",
            "UV_FIND_LINKS": "/srv/wheels",
            "UV_OFFLINE": "1",
        }
    )
    assert index == IndexOptions(("/srv/wheels", "/srv/more"), no_index=False, offline=True)
    env = fake_venv(tmp_path / ".venv", with_pip=True)
    uv_plan = plan_of(plan_install(request(env, "attrs", index=index), which=which_with("uv")))
    assert uv_plan.steps[0].argv[6:] == (
        "--find-links", "/srv/wheels", "--find-links", "/srv/more", "--offline", "attrs"
    )  # fmt: skip
    pip_plan = plan_of(plan_install(request(env, "attrs", index=index), which=which_with()))
    assert pip_plan.steps[-1].argv[5:] == (
        "--find-links", "/srv/wheels", "--find-links", "/srv/more", "--no-index", "attrs"
    )  # fmt: skip


def test_guessed_name_needs_confirmation_naming_the_import(tmp_path: Path) -> None:
    env = fake_venv(tmp_path / ".venv")
    guessed = PackageRequest("fancy-widgets", name_source="guessed", module="fancy_widgets")
    req = InstallRequest(env, packages=(guessed,), trusted=True)
    plan = plan_of(plan_install(req, which=which_with("uv")))
    assert plan.needs_confirmation
    assert plan.confirmation_text is not None
    assert "guessed from the import name 'fancy_widgets'" in plan.confirmation_text


@pytest.mark.parametrize("source", ["guessed", "curated"])
@pytest.mark.parametrize(("name", "meant"), [("sklearn", "scikit-learn"), ("fitz", "PyMuPDF")])
def test_trap_names_are_never_installed_without_confirmation(
    tmp_path: Path, source: str, name: str, meant: str
) -> None:
    # fitz is a trap only in the curated module map: one list serves both the map and here.
    env = fake_venv(tmp_path / ".venv")
    trap = PackageRequest(name, name_source=source, module=name)  # type: ignore[arg-type]
    plan = plan_of(plan_install(InstallRequest(env, (trap,), trusted=True), which=which_with("uv")))
    assert plan.needs_confirmation
    assert meant in (plan.confirmation_text or "")


def test_a_declared_trap_name_is_the_users_choice(tmp_path: Path) -> None:
    env = fake_venv(tmp_path / ".venv")
    plan = plan_of(plan_install(request(env, "attr==0.3.2"), which=which_with("uv")))
    assert not plan.needs_confirmation


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("--index-url=https://evil.example/simple", "starts with '-'"),
        ("-e.", "starts with '-'"),
        ("requests\n--trusted-host evil", "line break"),
        ("requests\tflask", "control character"),
        ("not a requirement!", "not a valid requirement"),
        ("pkg @ https://example.org/pkg-1.0.tar.gz", "URL"),
        ("", "empty"),
        ("evil.whl", "archive file name"),
        ("evil.tar.gz>=1", "archive file name"),
    ],
)
def test_unsafe_requirements_never_reach_an_argument_list(
    tmp_path: Path, text: str, why: str
) -> None:
    env = fake_venv(tmp_path / ".venv")
    refused = plan_install(request(env, "attrs", text), which=which_with("uv"))
    assert isinstance(refused, Refusal)
    assert why in refused.reason


def test_declared_url_requirement_is_allowed_but_shown_for_confirmation(tmp_path: Path) -> None:
    env = fake_venv(tmp_path / ".venv")
    url = "pkg @ https://example.org/pkg-1.0.tar.gz"
    req = InstallRequest(env, (PackageRequest(url, allow_url=True),), trusted=True)
    plan = plan_of(plan_install(req, which=which_with("uv")))
    assert plan.steps[0].argv[-1] == url
    assert plan.needs_confirmation
    assert "https://example.org/pkg-1.0.tar.gz" in (plan.confirmation_text or "")


def test_requirement_file_index_options_are_listed_for_confirmation(tmp_path: Path) -> None:
    env = fake_venv(tmp_path / ".venv")
    project = tmp_path
    (project / "base.txt").write_text("--extra-index-url https://mirror.example/simple\nrequests\n")
    (project / "requirements.txt").write_text(
        "# pinned\n-r base.txt\n--trusted-host mirror.example\n"
        "flask==3.0  # web\nlocalpkg @ file:///srv/localpkg\n"
    )
    req = InstallRequest(
        env, project_root=project, requirement_files=(project / "requirements.txt",), trusted=True
    )
    plan = plan_of(plan_install(req, which=which_with("uv")))
    assert plan.steps[0].argv[-2:] == ("-r", str(project / "requirements.txt"))
    assert plan.needs_confirmation
    assert plan.confirmation_text == (
        "requirements.txt changes where packages come from or whom to trust:\n"
        "  base.txt:1: --extra-index-url https://mirror.example/simple\n"
        "  requirements.txt:3: --trusted-host mirror.example\n"
        "  requirements.txt:5: localpkg @ file:///srv/localpkg"
    )


def test_plain_requirement_file_needs_no_confirmation(tmp_path: Path) -> None:
    env = fake_venv(tmp_path / ".venv")
    (tmp_path / "requirements.txt").write_text("requests>=2\n-r requirements.txt\n")
    req = InstallRequest(env, requirement_files=(tmp_path / "requirements.txt",), trusted=True)
    plan = plan_of(plan_install(req, which=which_with("uv")))
    assert not plan.needs_confirmation


def test_untrusted_workspace_refuses_everything(tmp_path: Path) -> None:
    env = fake_venv(tmp_path / ".venv")
    refused = plan_install(
        InstallRequest(env, (PackageRequest("attrs"),), trusted=False), which=which_with("uv")
    )
    assert isinstance(refused, Refusal)
    assert refused.reason.startswith("workspace is not trusted")


def test_externally_managed_interpreter_is_refused_with_a_venv_suggestion(tmp_path: Path) -> None:
    base = fake_base(tmp_path / "usr", externally_managed=True)
    refused = plan_install(request(base, "attrs"), which=which_with("uv"))
    assert isinstance(refused, Refusal)
    assert "EXTERNALLY-MANAGED" in refused.reason
    assert refused.suggest_create_venv
    unmarked = fake_base(tmp_path / "opt", externally_managed=False)
    assert isinstance(plan_install(request(unmarked, "attrs"), which=which_with("uv")), InstallPlan)


def test_broken_environment_is_refused(tmp_path: Path) -> None:
    env = fake_venv(tmp_path / ".venv").with_error("interpreter missing")
    refused = plan_install(request(env, "attrs"), which=which_with("uv"))
    assert isinstance(refused, Refusal)
    assert "interpreter missing" in refused.reason


def test_uv_project_with_lock_is_synced_by_uv_into_our_environment(tmp_path: Path) -> None:
    env = fake_venv(tmp_path / ".venv")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "1"\n')
    (tmp_path / "uv.lock").write_text("version = 1\n")
    req = InstallRequest(env, project_root=tmp_path, install_project=True, trusted=True)
    plan = plan_of(plan_install(req, which=which_with("uv")))
    (step,) = plan.steps
    assert step.argv == (UV, "sync")
    assert step.cwd == tmp_path
    assert dict(step.env)["UV_PROJECT_ENVIRONMENT"] == str(env.prefix)


def test_poetry_project_adds_through_poetry_when_it_is_on_path(tmp_path: Path) -> None:
    env = fake_venv(tmp_path / ".venv", with_pip=True)
    (tmp_path / "pyproject.toml").write_text('[tool.poetry]\nname = "p"\n')
    req = request(env, "rich>=13", project_root=tmp_path, add_to_project=True)
    plan = plan_of(plan_install(req, which=which_with("poetry", "uv")))
    assert plan.steps[0].argv == ("/opt/tools/poetry", "add", "rich>=13")
    assert dict(plan.steps[0].env)["VIRTUAL_ENV"] == str(env.prefix)
    without_poetry = plan_of(plan_install(req, which=which_with()))
    assert without_poetry.steps[0].argv[-1] == "rich>=13"
    assert without_poetry.installer == "pip"


def test_buildable_project_installs_editable(tmp_path: Path) -> None:
    env = fake_venv(tmp_path / ".venv")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "1"\ndependencies = ["attrs"]\n'
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
    )
    req = InstallRequest(env, project_root=tmp_path, install_project=True, trusted=True)
    plan = plan_of(plan_install(req, which=which_with("uv")))
    assert plan.steps[0].argv[-2:] == ("-e", str(tmp_path))


def test_project_without_build_system_installs_its_declared_dependencies(tmp_path: Path) -> None:
    env = fake_venv(tmp_path / ".venv")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "1"\ndependencies = ["attrs>=23", "rich"]\n'
    )
    req = InstallRequest(env, project_root=tmp_path, install_project=True, trusted=True)
    plan = plan_of(plan_install(req, which=which_with("uv")))
    assert plan.steps[0].argv[-2:] == ("attrs>=23", "rich")


def test_nothing_to_install_is_a_refusal(tmp_path: Path) -> None:
    env = fake_venv(tmp_path / ".venv")
    refused = plan_install(InstallRequest(env, trusted=True), which=which_with("uv"))
    assert isinstance(refused, Refusal)
    assert refused.reason == "nothing to install"


# -- installer configuration and global interpreters (issue #11, issue #10) ------------------


def test_requirement_file_spellings_that_used_to_slip_through_are_confirmed(
    tmp_path: Path,
) -> None:
    env = fake_venv(tmp_path / ".venv")
    (tmp_path / "deep.txt").write_text("-f/srv/evil\n--find-link\t/srv/evil2\n")
    (tmp_path / "requirements.txt").write_text("flask\n-r\tdeep.txt\n")
    req = InstallRequest(
        env, requirement_files=(tmp_path / "requirements.txt",), trusted=True, environ={}
    )
    plan = plan_of(plan_install(req, which=which_with("uv")))
    assert plan.needs_confirmation
    assert plan.confirmation_text == (
        "requirements.txt changes where packages come from or whom to trust:\n"
        "  deep.txt:1: -f/srv/evil  (read as --find-links /srv/evil)\n"
        "  deep.txt:2: --find-link\t/srv/evil2  (read as --find-links /srv/evil2)"
    )


@pytest.mark.parametrize("where", ["uv.toml", "tool.uv", "tool.uv.pip"])
def test_project_uv_index_settings_are_confirmed_and_passed_explicitly(
    tmp_path: Path, where: str
) -> None:
    env = fake_venv(tmp_path / ".venv")
    evil = "http://127.0.0.1:8765/simple"
    if where == "uv.toml":
        (tmp_path / "uv.toml").write_text(
            f'extra-index-url = ["{evil}"]\n[[index]]\nname = "corp"\nurl = "{evil}/corp"\n'
        )
    elif where == "tool.uv":
        (tmp_path / "pyproject.toml").write_text(
            f'[project]\nname = "p"\nversion = "1"\n[tool.uv]\nextra-index-url = ["{evil}"]\n'
            f'[[tool.uv.index]]\nname = "corp"\nurl = "{evil}/corp"\n'
        )
    else:
        (tmp_path / "pyproject.toml").write_text(
            f'[project]\nname = "p"\nversion = "1"\n[tool.uv.pip]\nextra-index-url = ["{evil}"]\n'
            f'index = [{{ name = "corp", url = "{evil}/corp" }}]\n'
        )
    req = request(env, "attrs", project_root=tmp_path, environ={})
    plan = plan_of(plan_install(req, which=which_with("uv")))
    (step,) = plan.steps
    assert step.argv[3] == "--no-config"
    assert step.argv[6:] == (
        "--extra-index-url",
        evil,
        "--index",
        f"{evil}/corp",
        "attrs",
    ) or step.argv[6:] == ("--index", f"{evil}/corp", "--extra-index-url", evil, "attrs")
    assert plan.needs_confirmation
    text = plan.confirmation_text or ""
    assert text.startswith("uv settings in the project change where packages come from:")
    assert f"extra-index-url = {evil}" in text
    assert f"index = corp = {evil}/corp" in text


def test_the_users_own_uv_config_is_passed_without_asking(tmp_path: Path) -> None:
    env = fake_venv(tmp_path / ".venv")
    config = tmp_path / "xdg" / "uv" / "uv.toml"
    config.parent.mkdir(parents=True)
    config.write_text('index-url = "https://mirror.corp.example/simple"\n')
    req = request(
        env, "attrs", project_root=tmp_path, environ={"XDG_CONFIG_HOME": str(config.parent.parent)}
    )
    plan = plan_of(plan_install(req, which=which_with("uv")))
    assert plan.steps[0].argv[6:] == ("--index-url", "https://mirror.corp.example/simple", "attrs")
    assert not plan.needs_confirmation


def test_pip_config_inside_the_project_is_confirmed(tmp_path: Path) -> None:
    env = fake_venv(tmp_path / ".venv", with_pip=True)
    (tmp_path / ".venv" / "pip.conf").write_text("[global]\nextra-index-url = http://evil/simple\n")
    (tmp_path / "pip-project.conf").write_text("[install]\ntrusted-host = evil\n")
    environ = {"PIP_CONFIG_FILE": str(tmp_path / "pip-project.conf")}
    req = request(env, "attrs", project_root=tmp_path, installer_setting="pip", environ=environ)
    plan = plan_of(plan_install(req, which=which_with()))
    assert plan.needs_confirmation
    assert plan.confirmation_text == (
        "pip settings in the project change where packages come from:\n"
        f"  {tmp_path / '.venv' / 'pip.conf'}: [global] extra-index-url = http://evil/simple\n"
        f"  {tmp_path / 'pip-project.conf'}: [install] trusted-host = evil"
    )
    outside = request(
        env, "attrs", project_root=tmp_path / "sub", installer_setting="pip", environ=environ
    )
    assert not plan_of(plan_install(outside, which=which_with())).needs_confirmation


def pyenv_python(root: Path) -> Environment:
    prefix = root / ".pyenv" / "versions" / "3.13.0"
    (prefix / "bin").mkdir(parents=True)
    (prefix / "bin" / "python3.13").write_text("")
    (prefix / "lib" / "python3.13" / "site-packages").mkdir(parents=True)
    return Environment(
        EnvKind.PYENV, prefix, prefix / "bin" / "python3.13", PythonVersion(3, 13, 0)
    )


def test_a_global_interpreter_is_never_installed_into_without_naming_it(tmp_path: Path) -> None:
    env = pyenv_python(tmp_path)
    plan = plan_of(plan_install(request(env, "attrs", environ={}), which=which_with("uv")))
    assert plan.needs_confirmation
    assert plan.global_environment == "pyenv 3.13.0"
    assert plan.confirmation_text == (
        "This installs into your global pyenv 3.13.0, shared by every project. "
        "Create a .venv instead?"
    )
    # A declared, ordinary name does not make a global target any less global.
    system = fake_base(tmp_path / "usr", externally_managed=False)
    plan = plan_of(plan_install(request(system, "attrs", environ={}), which=which_with("uv")))
    assert plan.global_environment == f"system Python 3.11.7 ({system.executable})"


def test_conda_base_is_global_but_a_named_conda_env_is_not(tmp_path: Path) -> None:
    def conda(prefix: Path, name: str) -> Environment:
        (prefix / "conda-meta").mkdir(parents=True)
        (prefix / "bin").mkdir()
        (prefix / "bin" / "python").write_text("")
        (prefix / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
        return Environment(EnvKind.CONDA, prefix, prefix / "bin" / "python", PY, name=name)

    base = conda(tmp_path / "miniconda3", "base")
    (base.prefix / "condabin").mkdir()  # type: ignore[operator]
    named = conda(tmp_path / "miniconda3" / "envs" / "ml", "ml")
    based = plan_of(plan_install(request(base, "attrs", environ={}), which=which_with("uv")))
    assert based.global_environment == "conda base environment (Python 3.11.7)"
    plain = plan_of(plan_install(request(named, "attrs", environ={}), which=which_with("uv")))
    assert plain.global_environment is None
    assert not plain.needs_confirmation


def test_declared_url_dependencies_of_the_project_are_confirmed(tmp_path: Path) -> None:
    env = fake_venv(tmp_path / ".venv")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "1"\n'
        'dependencies = ["attrs", "evil @ https://example.org/evil-1.0.tar.gz"]\n'
    )
    req = InstallRequest(env, project_root=tmp_path, install_project=True, trusted=True, environ={})
    plan = plan_of(plan_install(req, which=which_with("uv")))
    assert plan.needs_confirmation
    assert plan.confirmation_text == (
        "pyproject.toml dependencies download from a URL:\n"
        "  evil @ https://example.org/evil-1.0.tar.gz"
    )


def test_uv_sync_lists_the_projects_index_settings_it_will_obey(tmp_path: Path) -> None:
    env = fake_venv(tmp_path / ".venv")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "1"\n'
        '[[tool.uv.index]]\nname = "corp"\nurl = "http://127.0.0.1:8765/simple"\n'
    )
    (tmp_path / "uv.lock").write_text("version = 1\n")
    req = InstallRequest(env, project_root=tmp_path, install_project=True, trusted=True, environ={})
    plan = plan_of(plan_install(req, which=which_with("uv")))
    assert plan.steps[0].argv == (UV, "sync")
    assert plan.needs_confirmation
    assert "index = corp = http://127.0.0.1:8765/simple" in (plan.confirmation_text or "")


@pytest.mark.parametrize(
    ("manager", "files", "shown"),
    [
        (
            "uv",
            {
                "pyproject.toml": '[project]\nname = "p"\nversion = "1"\n'
                '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
                '[tool.uv.sources]\nrequests = { git = "https://evil.example/requests.git" }\n'
                'local = { path = "../local" }\n'
            },
            "tool.uv.sources requests = git = https://evil.example/requests.git",
        ),
        (
            "poetry",
            {
                "pyproject.toml": '[tool.poetry]\nname = "p"\n'
                '[[tool.poetry.source]]\nname = "evil"\nurl = "http://evil.example/simple"\n'
                "priority = 'primary'\n"
            },
            "tool.poetry.source = evil = http://evil.example/simple",
        ),
        (
            "pdm",
            {
                "pyproject.toml": '[project]\nname = "p"\nversion = "1"\n[tool.pdm]\n'
                '[[tool.pdm.source]]\nname = "evil"\nurl = "http://evil.example/simple"\n',
                "pdm.lock": "",
            },
            "tool.pdm.source = evil = http://evil.example/simple",
        ),
        (
            "pipenv",
            {
                "Pipfile": '[[source]]\nname = "evil"\nurl = "http://evil.example/simple"\n'
                'verify_ssl = true\n[packages]\nrequests = "*"\n'
            },
            "source = evil = http://evil.example/simple",
        ),
    ],
)
def test_installing_the_project_lists_the_sources_its_manager_obeys(
    tmp_path: Path, manager: str, files: dict[str, str], shown: str
) -> None:
    env = fake_venv(tmp_path / ".venv", with_pip=True)
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    req = InstallRequest(env, project_root=tmp_path, install_project=True, trusted=True, environ={})
    plan = plan_of(plan_install(req, which=which_with(manager, "uv")))
    assert plan.needs_confirmation, plan
    assert shown in (plan.confirmation_text or "")
    assert "local" not in (plan.confirmation_text or "")


def test_build_requirements_from_a_url_are_listed_when_installing_the_project(
    tmp_path: Path,
) -> None:
    env = fake_venv(tmp_path / ".venv", with_pip=True)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "1"\n[build-system]\n'
        'requires = ["hatchling", "evilbuild @ https://evil.example/evilbuild.tar.gz"]\n'
        'build-backend = "hatchling.build"\n'
    )
    req = InstallRequest(env, project_root=tmp_path, install_project=True, trusted=True, environ={})
    plan = plan_of(plan_install(req, which=which_with()))
    assert plan.steps[-1].argv[-2:] == ("-e", str(tmp_path))
    assert "build-system.requires = evilbuild @ https://evil.example/evilbuild.tar.gz" in (
        plan.confirmation_text or ""
    )


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs are POSIX")
def test_config_files_that_cannot_be_read_are_shown_not_skipped(tmp_path: Path) -> None:
    env = fake_venv(tmp_path / ".venv", with_pip=True)
    os.mkfifo(tmp_path / ".venv" / "pip.conf")
    pip_plan = plan_of(
        plan_install(
            request(env, "attrs", project_root=tmp_path, installer_setting="pip", environ={}),
            which=which_with(),
        )
    )
    assert "pip.conf: file = could not be checked: not a regular file" in (
        pip_plan.confirmation_text or ""
    )
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "1"\n[tool.pdm]\n')
    (tmp_path / "pdm.lock").write_text("")
    (tmp_path / "pdm.toml").symlink_to("/dev/zero")
    req = InstallRequest(env, project_root=tmp_path, install_project=True, trusted=True, environ={})
    started = time.monotonic()
    plan = plan_of(plan_install(req, which=which_with("pdm")))
    assert time.monotonic() - started < 2
    assert plan.steps[0].argv == ("/opt/tools/pdm", "install")
    assert "pdm.toml: file = could not be checked: not a regular file" in (
        plan.confirmation_text or ""
    )


def test_a_confirmation_stays_readable_however_many_lines_a_file_has(tmp_path: Path) -> None:
    env = fake_venv(tmp_path / ".venv")
    (tmp_path / "requirements.txt").write_text(
        "".join(f"--extra-index-url http://mirror{i}.example/simple\n" for i in range(500))
    )
    req = InstallRequest(
        env, requirement_files=(tmp_path / "requirements.txt",), trusted=True, environ={}
    )
    text = plan_of(plan_install(req, which=which_with("uv"))).confirmation_text or ""
    assert len(text.splitlines()) == 22
    assert text.splitlines()[-1] == "  ... and 181 more"  # 200 listed, then "more than 200"
