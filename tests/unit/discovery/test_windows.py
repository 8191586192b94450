"""Windows places, verified with fake trees, a fake registry reader and ctx.platform='win32'."""

from __future__ import annotations

from pathlib import Path

from envsense.core.discovery import discover
from envsense.core.discovery.registry import RegistryInstall
from envsense.core.environment import EnvKind
from tests.unit.discovery.trees import Machine


def _windows(machine: Machine) -> Machine:
    machine.platform = "win32"
    machine.environ["LOCALAPPDATA"] = str(machine.home / "AppData" / "Local")
    machine.environ["APPDATA"] = str(machine.home / "AppData" / "Roaming")
    machine.environ["PROGRAMFILES"] = str(machine.root / "Program Files")
    return machine


def test_pep514_registry_entries_through_an_injected_reader(machine: Machine) -> None:
    _windows(machine)
    install = machine.root / "Program Files" / "Python312"
    exe = machine.windows_install(install, "3.12.4")
    machine.registry.append(RegistryInstall("PythonCore", "3.12", install, exe, "3.12.4"))
    missing = machine.root / "Python39"
    machine.registry.append(RegistryInstall("PythonCore", "3.9", missing, None, "3.9.13"))
    envs = [env for env in discover(machine.ctx()) if env.kind is EnvKind.WINDOWS_REGISTRY]
    by_prefix = {env.prefix: env for env in envs}
    assert (by_prefix[install].executable, str(by_prefix[install].version)) == (exe, "3.12.4")
    assert by_prefix[install].error is None
    # A stale registration (install deleted) is listed, with the reason it can't be used.
    assert str(by_prefix[missing].version) == "3.9.13"
    assert by_prefix[missing].error is not None


def test_registry_is_not_consulted_off_windows(machine: Machine) -> None:
    install = machine.root / "Python312"
    machine.windows_install(install, "3.12.4")
    machine.registry.append(RegistryInstall("PythonCore", "3.12", install, None, "3.12.4"))
    assert not any(env.kind is EnvKind.WINDOWS_REGISTRY for env in discover(machine.ctx()))


def test_store_packages_and_py_launcher_default_folders(machine: Machine) -> None:
    _windows(machine)
    apps = machine.home / "AppData" / "Local" / "Microsoft" / "WindowsApps"
    package = apps / "PythonSoftwareFoundation.Python.3.12_qbz5n2kfra8p0"
    machine.fake_python(package / "python.exe")
    machine.fake_python(apps / "python.exe")  # the app-execution alias, not an install
    machine.add_path(apps)
    per_user = machine.home / "AppData" / "Local" / "Programs" / "Python" / "Python311"
    machine.windows_install(per_user, "3.11.9")
    envs = discover(machine.ctx())
    store = [env for env in envs if env.kind is EnvKind.WINDOWS_STORE]
    assert [(env.executable, env.version and env.version.short) for env in store] == [
        (package / "python.exe", "3.12")
    ]
    registered = [env for env in envs if env.kind is EnvKind.WINDOWS_REGISTRY]
    assert [(env.prefix, str(env.version)) for env in registered] == [(per_user, "3.11.9")]


def test_windows_conda_base_with_python_exe_at_the_root(machine: Machine) -> None:
    _windows(machine)
    install = machine.home / "miniconda3"
    (install / "conda-meta").mkdir(parents=True)
    (install / "conda-meta" / "python-3.12.4-h14ffc60_0.json").write_text("{}")
    (install / "envs").mkdir()
    machine.fake_python(install / "python.exe")
    env = next(env for env in discover(machine.ctx()) if env.prefix == install)
    assert (env.kind, env.name, env.executable) == (EnvKind.CONDA, "base", install / "python.exe")


def test_windows_pyenv_win_and_path_separator(machine: Machine, tmp_path: Path) -> None:
    _windows(machine)
    root = machine.home / ".pyenv" / "pyenv-win"
    machine.windows_install(root / "versions" / "3.11.9", "3.11.9")
    ws = tmp_path / "ws"
    machine.venv(ws / ".venv", root / "versions" / "3.11.9" / "python.exe", "3.11.9", windows=True)
    machine.add_path(ws / ".venv" / "Scripts", root / "shims")
    envs = discover(machine.ctx(ws))
    kinds = {env.prefix: env.kind for env in envs}
    assert kinds[root / "versions" / "3.11.9"] is EnvKind.PYENV
    assert kinds[ws / ".venv"] is EnvKind.VENV
