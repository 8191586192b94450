"""conda, pixi, pyenv, pyenv-virtualenv, uv-managed CPython, Homebrew and system interpreters."""

from __future__ import annotations

from pathlib import Path

from envsense.core.discovery import discover, identify
from envsense.core.discovery.conda import parse_envs_dirs
from envsense.core.environment import Environment, EnvKind
from tests.unit.discovery.trees import Machine, write


def _at(envs: list[Environment], prefix: Path) -> Environment:
    found = [env for env in envs if env.prefix == prefix]
    assert found, f"{prefix} not found among {[str(e.prefix) for e in envs]}"
    return found[0]


def _kinds(envs: list[Environment]) -> dict[str, EnvKind]:
    return {str(env.executable): env.kind for env in envs}


def test_conda_install_base_and_named_envs(machine: Machine) -> None:
    install = machine.conda_env(machine.home / "miniconda3", "3.12.4", install=True)
    machine.conda_env(install / "envs" / "data", "3.11.9")
    envs = discover(machine.ctx())
    base, data = _at(envs, install), _at(envs, install / "envs" / "data")
    assert (base.kind, base.name, str(base.version)) == (EnvKind.CONDA, "base", "3.12.4")
    assert (data.kind, data.name, str(data.version)) == (EnvKind.CONDA, "data", "3.11.9")
    assert data.executable == install / "envs" / "data" / "bin" / "python"


def test_conda_envs_from_environments_txt_condarc_and_history(machine: Machine) -> None:
    install = machine.conda_env(machine.home / "somewhere" / "forge", "3.12.4", install=True)
    machine.conda_env(install / "envs" / "sibling", "3.10.14")
    # A `-p` env: only environments.txt knows it; its history names the install.
    by_path = machine.conda_env(
        machine.home / "proj" / "env-p", "3.11.9", created_by=install / "bin" / "conda"
    )
    write(machine.home / ".conda" / "environments.txt", f"{by_path}\n")
    custom = machine.home / "conda-envs"
    machine.conda_env(custom / "ml", "3.10.14")
    write(
        machine.home / ".condarc", f"channels:\n  - conda-forge\nenvs_dirs:\n  - {custom}  # mine\n"
    )
    envs = discover(machine.ctx())
    assert _at(envs, by_path).kind is EnvKind.CONDA
    assert _at(envs, install).name == "base"  # found through the history's `# cmd:` line
    assert _at(envs, install / "envs" / "sibling").name == "sibling"
    assert str(_at(envs, custom / "ml").version) == "3.10.14"


def test_condarc_envs_dirs_parsing_both_yaml_forms() -> None:
    assert parse_envs_dirs("envs_dirs:\n  - ~/a\n  - '/b'\nchannels: [x]\n") == ["~/a", "/b"]
    assert parse_envs_dirs('envs_dirs: ["/c", /d]\n') == ["/c", "/d"]
    assert parse_envs_dirs("channels:\n  - envs_dirs\n") == []


def test_conda_root_variables_and_version_from_history(machine: Machine) -> None:
    root = machine.home / "mamba"
    env = machine.conda_env(root / "envs" / "tools", None)
    write(
        env / "conda-meta" / "history", "+conda-forge/linux-64::python-3.13.1-h9ebbce0_100_cp313\n"
    )
    machine.base_install(env, "3.13.1", headers=False)
    found = _at(discover(machine.ctx(MAMBA_ROOT_PREFIX=str(root))), env)
    assert (found.kind, str(found.version)) == (EnvKind.CONDA, "3.13.1")


def test_conda_env_without_python_is_listed_with_an_error(machine: Machine) -> None:
    install = machine.conda_env(machine.home / "anaconda3", "3.12.4", install=True)
    empty = machine.conda_env(install / "envs" / "r-only", None)
    env = _at(discover(machine.ctx()), empty)
    assert env.kind is EnvKind.CONDA
    assert env.error is not None and "without Python" in env.error


def test_pixi_env_is_pixi_not_conda_and_belongs_to_its_project(machine: Machine) -> None:
    project = machine.home / "robot"
    write(project / "pixi.toml", '[project]\nname = "robot"\n')
    prefix = machine.conda_env(project / ".pixi" / "envs" / "default", "3.12.7", pixi=True)
    env = _at(discover(machine.ctx(project)), prefix)
    assert (env.kind, env.name, env.project, str(env.version)) == (
        EnvKind.PIXI,
        "default",
        project,
        "3.12.7",
    )


def test_pyenv_versions_and_pyenv_virtualenv_never_shims(machine: Machine) -> None:
    root = machine.home / ".pyenv"
    base = machine.base_install(root / "versions" / "3.12.1", "3.12.1")
    machine.base_install(root / "versions" / "3.13-dev", "3.13.0a0", headers=False)
    nested = root / "versions" / "3.12.1" / "envs" / "tools"
    machine.venv(nested, base, "3.12.1", flavour="venv")
    (root / "versions" / "tools").symlink_to(nested)  # pyenv-virtualenv's alias
    machine.fake_python(root / "shims" / "python3")
    machine.add_path(root / "shims", root / "bin")
    envs = discover(machine.ctx())
    assert _at(envs, root / "versions" / "3.12.1").kind is EnvKind.PYENV
    assert str(_at(envs, root / "versions" / "3.12.1").version) == "3.12.1"
    dev = _at(envs, root / "versions" / "3.13-dev")
    assert dev.version is not None and dev.version.short == "3.13"  # from the folder name
    tools = [env for env in envs if env.kind is EnvKind.PYENV_VIRTUALENV]
    assert len(tools) == 1 and tools[0].name == "tools"  # alias and target listed once
    assert not any("shims" in str(env.executable) for env in envs)


def test_uv_managed_pythons_skip_minor_version_links(machine: Machine) -> None:
    folder = machine.home / ".local" / "share" / "uv" / "python"
    full = folder / "cpython-3.12.8-linux-x86_64-gnu"
    machine.base_install(full, "3.12.8", headers=False)
    (folder / "cpython-3.12-linux-x86_64-gnu").symlink_to(full)
    machine.base_install(folder / "pypy-3.10.14-linux-x86_64-gnu", "3.10.14", headers=False)
    envs = [env for env in discover(machine.ctx()) if env.kind is EnvKind.UV_PYTHON]
    assert [(env.prefix, str(env.version)) for env in envs] == [
        (full, "3.12.8"),
        (folder / "pypy-3.10.14-linux-x86_64-gnu", "3.10.14"),
    ]


def test_uv_python_install_dir_variable(machine: Machine) -> None:
    folder = machine.home / "pythons"
    machine.base_install(folder / "cpython-3.11.11-linux-x86_64-gnu", "3.11.11", headers=False)
    envs = discover(machine.ctx(UV_PYTHON_INSTALL_DIR=str(folder)))
    assert [str(env.version) for env in envs if env.kind is EnvKind.UV_PYTHON] == ["3.11.11"]


def test_homebrew_links_resolving_into_the_cellar(machine: Machine) -> None:
    brew = machine.root / "home" / "linuxbrew" / ".linuxbrew"
    cellar = brew / "Cellar" / "python@3.12" / "3.12.5_1"
    real = machine.base_install(cellar, "3.12.5")
    (brew / "bin").mkdir(parents=True)
    (brew / "bin" / "python3.12").symlink_to(real)
    (brew / "bin" / "python3").symlink_to(real)
    machine.fake_python(brew / "bin" / "python3.11")  # not into the Cellar: not Homebrew
    envs = [env for env in discover(machine.ctx()) if env.kind is EnvKind.HOMEBREW]
    assert len(envs) == 1  # both links are one interpreter
    assert (envs[0].prefix, str(envs[0].version)) == (None, "3.12.5")


def test_system_interpreters_are_canonicalised_and_deduplicated(machine: Machine) -> None:
    usr_bin = machine.root / "usr" / "bin"
    machine.base_install(machine.root / "usr", "3.11.2")
    machine.fake_python(usr_bin / "python3.12")
    (machine.root / "bin").symlink_to(usr_bin)  # merged /usr
    local = machine.home / ".local" / "bin"
    local.mkdir(parents=True)
    (local / "python3").symlink_to(usr_bin / "python3.11")
    machine.add_path(local, usr_bin)
    envs = [env for env in discover(machine.ctx()) if env.kind is EnvKind.SYSTEM]
    versions = sorted(str(env.version) for env in envs)
    assert versions == ["3.11.2", "3.12.0"]  # python3.12 without headers: X.Y from its name
    inexact = next(env for env in envs if str(env.version) == "3.12.0")
    assert inexact.version is not None and not inexact.version.exact


def test_identify_a_conda_python_path(machine: Machine) -> None:
    install = machine.conda_env(machine.home / "miniforge3", "3.12.4", install=True)
    env = identify(install / "bin" / "python", machine.ctx())
    assert (env.kind, env.name, env.executable) == (
        EnvKind.CONDA,
        "base",
        install / "bin" / "python",
    )


def _pypy(machine: Machine, prefix: Path, short: str, *, header: str | None) -> Path:
    """`pyenv install pypy3.9-7.3.15`: bin/pypy3.9 (+ python links), lib/pypy3.9, headers."""
    exe = machine.fake_python(prefix / "bin" / f"pypy{short}")
    for name in ("pypy3", "python", "python3"):
        (prefix / "bin" / name).symlink_to(exe.name)
    (prefix / "lib" / f"pypy{short}" / "site-packages").mkdir(parents=True)
    if header is not None:
        write(
            prefix / "include" / f"pypy{short}" / "patchlevel.h",
            f'#define PY_VERSION\t\t"{header}"\n#define PYPY_VERSION "7.3.15"\n',
        )
    return exe


def test_pypy_under_pyenv_gets_its_version_from_files(machine: Machine) -> None:
    """Reproduces a real miss: the version came from running PyPy, never from its headers."""
    versions = machine.home / ".pyenv" / "versions"
    _pypy(machine, versions / "pypy3.9-7.3.15", "3.9", header="3.9.18")
    _pypy(machine, versions / "pypy3.10-7.3.17", "3.10", header=None)
    envs = discover(machine.ctx(), allow_spawn=True)
    with_headers = _at(envs, versions / "pypy3.9-7.3.15")
    assert (with_headers.kind, str(with_headers.version)) == (EnvKind.PYENV, "3.9.18")
    # No headers: lib/pypy3.10 and the folder name still tell X.Y; nothing is run.
    bare = _at(envs, versions / "pypy3.10-7.3.17")
    assert bare.version is not None and bare.version.short == "3.10"
    assert not machine.sentinel.exists()
