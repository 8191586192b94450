"""Reading an environment's inventory from its files: real venvs, real installs."""

from __future__ import annotations

import json
import logging
import subprocess
from pathlib import Path

import pytest

from envsense.core.environment import Environment, EnvKind
from envsense.core.environment.inventory import read_inventory
from envsense.core.versions import PythonVersion
from tests.support.layouts import (
    setuptools_editable,
    site_packages,
    static_editable,
    venv_environment,
)
from tests.support.venvs import install_wheels, make_venv, pyenv_python
from tests.support.wheels import WheelSpec, build_wheel, simple_wheel


def _python(minor: str) -> Path:
    exe = pyenv_python(minor)
    if exe is None:
        pytest.skip(f"Python {minor} is not installed under ~/.pyenv")
    return exe


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3.12 venv with: top_level.txt dist, RECORD-only dist, two dists sharing a
    namespace, a stubs-only dist and a module + extension dist."""
    root = tmp_path_factory.mktemp("populated")
    python = make_venv(root / "env", _python("3.12"))
    wheels = root / "wheels"
    built = [
        build_wheel(
            WheelSpec(
                "PyYAML",
                "6.0.1",
                files={"yaml/__init__.py": "", "_yaml/__init__.py": ""},
                requires=["typing-extensions>=4; python_version < '3.8'"],
                top_level=["_yaml", "yaml"],
            ),
            wheels,
        ),
        build_wheel(
            WheelSpec("python-dateutil", "2.9.0", files={"dateutil/__init__.py": ""}), wheels
        ),
        build_wheel(WheelSpec("acme-one", files={"acme/one/__init__.py": ""}), wheels),
        build_wheel(WheelSpec("acme-two", files={"acme/two/__init__.py": ""}), wheels),
        build_wheel(
            WheelSpec("types-foo", files={"foo-stubs/__init__.pyi": "", "foo-stubs/py.typed": ""}),
            wheels,
        ),
        build_wheel(
            WheelSpec(
                "single",
                files={"single.py": "", "speedups.cpython-312-x86_64-linux-gnu.so": b"\0"},
            ),
            wheels,
        ),
    ]
    install_wheels(python, *built)
    return root / "env"


def test_distributions_and_their_import_names(populated: Path) -> None:
    inventory = read_inventory(venv_environment(populated))
    yaml = inventory.distribution("pyyaml")
    assert yaml is not None
    assert (yaml.name, yaml.canonical_name, yaml.version) == ("PyYAML", "pyyaml", "6.0.1")
    assert yaml.top_level == {"yaml", "_yaml"}
    assert yaml.requires == ("typing-extensions>=4; python_version < '3.8'",)
    assert not yaml.editable
    # No top_level.txt (hatchling/flit style): names come from RECORD.
    dateutil = inventory.distribution("Python_Dateutil")
    assert dateutil is not None and dateutil.top_level == {"dateutil"}
    single = inventory.distribution("single")
    assert single is not None and single.top_level == {"single", "speedups"}
    assert [d.name for d in inventory.providers("yaml")] == ["PyYAML"]
    assert inventory.distribution("not-installed") is None


def test_namespace_shared_by_two_distributions(populated: Path) -> None:
    inventory = read_inventory(venv_environment(populated))
    assert sorted(d.name for d in inventory.providers("acme")) == ["acme-one", "acme-two"]
    assert sorted(d.name for d in inventory.providers("acme.one.sub")) == ["acme-one", "acme-two"]


def test_stub_packages_are_recorded_apart_from_runtime_code(populated: Path) -> None:
    inventory = read_inventory(venv_environment(populated))
    stubs = inventory.distribution("types-foo")
    assert stubs is not None
    assert stubs.stubs == {"foo"} and stubs.top_level == frozenset()
    assert inventory.providers("foo") == ()
    assert [d.name for d in inventory.stub_providers("foo")] == ["types-foo"]


def test_target_interpreter_facts_match_the_real_interpreter(populated: Path) -> None:
    inventory = read_inventory(venv_environment(populated))
    python = populated / "bin" / "python"
    probe = (
        "import importlib.machinery, json, os, platform, sys;"
        "print(json.dumps({'suffixes': importlib.machinery.EXTENSION_SUFFIXES,"
        "'python_full_version': platform.python_version(), 'sys_platform': sys.platform,"
        "'os_name': os.name, 'platform_machine': platform.machine(),"
        "'platform_system': platform.system(), 'implementation_name': sys.implementation.name,"
        "'path': [p for p in sys.path if 'site-packages' in p]}))"
    )
    real = json.loads(subprocess.run([python, "-c", probe], capture_output=True, check=True).stdout)
    assert list(inventory.extension_suffixes) == real["suffixes"]
    env = inventory.marker_environment()
    for key in ("python_full_version", "sys_platform", "os_name", "platform_machine"):
        assert env[key] == real[key], key
    assert env["platform_system"] == real["platform_system"]
    assert env["implementation_name"] == real["implementation_name"]
    assert env["python_version"] == "3.12"
    assert [str(p) for p in inventory.layout.site_dirs] == real["path"]
    assert inventory.version.short == "3.12"
    assert "tomllib" in inventory.stdlib_modules and "imp" not in inventory.stdlib_modules
    assert not inventory.externally_managed


def test_editable_with_a_static_pth_path(tmp_path: Path) -> None:
    make_venv(tmp_path / "env", _python("3.12"))
    site = site_packages(tmp_path / "env")
    source = tmp_path / "proj" / "src"
    (source / "mypkg").mkdir(parents=True)
    (source / "mypkg" / "__init__.py").write_text("")
    static_editable(site, "my-pkg", source)
    inventory = read_inventory(venv_environment(tmp_path / "env"))
    assert source in inventory.site_packages
    dist = inventory.distribution("my_pkg")
    assert dist is not None and dist.editable
    assert dist.top_level == {"mypkg"}


def test_setuptools_import_hook_editable_is_read_not_run(tmp_path: Path) -> None:
    make_venv(tmp_path / "env", _python("3.12"))
    site = site_packages(tmp_path / "env")
    impl = tmp_path / "weird" / "impl" / "hooklib"
    impl.mkdir(parents=True)
    (impl / "__init__.py").write_text("")
    marker = tmp_path / "finder-was-executed"
    setuptools_editable(
        site, "weird", {"hooklib": impl}, executed_marker=marker, with_top_level=False
    )
    inventory = read_inventory(venv_environment(tmp_path / "env"))
    assert inventory.editable_mapping == {"hooklib": impl}
    dist = inventory.distribution("weird")
    assert dist is not None and dist.editable and dist.top_level == {"hooklib"}
    # The `import` line of the .pth is code, not a path.
    assert inventory.site_packages == (site,)
    assert not marker.exists()


def test_broken_and_duplicate_metadata_never_crash(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    make_venv(tmp_path / "env", _python("3.12"))
    site = site_packages(tmp_path / "env")
    (site / "nometa-2.0.dist-info").mkdir()
    badenc = site / "badenc-1.0.dist-info"
    badenc.mkdir()
    (badenc / "METADATA").write_bytes(b"Name: badenc\nVersion: 1.0\nSummary: caf\xe9 \xff\n\n")
    (badenc / "RECORD").write_bytes(b"badenc/__init__.py,,\n")
    for version in ("1.0", "1.2"):
        dup = site / f"dup-{version}.dist-info"
        dup.mkdir()
        (dup / "METADATA").write_text(f"Name: dup\nVersion: {version}\n")
    (site / "garbage.dist-info").write_text("not a folder")
    with caplog.at_level(logging.INFO):
        inventory = read_inventory(venv_environment(tmp_path / "env"))
    nometa = inventory.distribution("nometa")
    assert nometa is not None and nometa.version == "2.0"
    badenc_dist = inventory.distribution("badenc")
    assert badenc_dist is not None and badenc_dist.top_level == {"badenc"}
    dup = inventory.distribution("dup")
    assert dup is not None and dup.version == "1.2"
    assert [d.name for d in inventory.distributions].count("dup") == 1
    assert "installed twice" in caplog.text
    assert "no readable METADATA" in caplog.text


def test_state_key_changes_when_something_is_installed(tmp_path: Path) -> None:
    python = make_venv(tmp_path / "env", _python("3.12"))
    env = venv_environment(tmp_path / "env")
    before = read_inventory(env)
    key = before.state_key()
    assert before.state_key() == key
    install_wheels(python, simple_wheel(tmp_path / "w", "late-comer"))
    assert before.state_key() != key
    assert read_inventory(env).distribution("late-comer") is not None


def test_system_site_packages_come_from_the_base_home(tmp_path: Path) -> None:
    base = _python("3.12")
    subprocess.run(
        [base, "-m", "venv", "--without-pip", "--system-site-packages", tmp_path / "env"],
        check=True,
        capture_output=True,
    )
    inventory = read_inventory(venv_environment(tmp_path / "env"))
    base_site = base.parent.parent / "lib" / "python3.12" / "site-packages"
    assert inventory.site_packages[0] == site_packages(tmp_path / "env")
    assert base_site in inventory.site_packages


def test_pth_lines_add_existing_folders_only(tmp_path: Path) -> None:
    make_venv(tmp_path / "env", _python("3.12"))
    site = site_packages(tmp_path / "env")
    extra = tmp_path / "extra"
    extra.mkdir()
    (site / "zz_paths.pth").write_text(
        f"# comment\n{extra}\n{tmp_path / 'does-not-exist'}\nimport os; print('hi')\nrelative\n"
    )
    (site / "relative").mkdir()
    inventory = read_inventory(venv_environment(tmp_path / "env"))
    assert inventory.site_packages == (site, extra, site / "relative")


def test_windows_layout_from_files(tmp_path: Path) -> None:
    prefix = tmp_path / "winenv"
    site = prefix / "Lib" / "site-packages"
    site.mkdir(parents=True)
    (prefix / "Scripts").mkdir()
    (prefix / "Scripts" / "python.exe").write_bytes(b"MZ")
    (prefix / "pyvenv.cfg").write_text(
        "home = C:\\Users\\me\\AppData\\Local\\Programs\\Python\\Python312\nversion = 3.12.4\n"
    )
    (site / "pkg").mkdir()
    write = site / "pkg-1.0.dist-info"
    write.mkdir()
    (write / "METADATA").write_text("Name: pkg\nVersion: 1.0\n")
    (write / "RECORD").write_text("pkg/__init__.py,,\npkg/_speed.cp312-win_amd64.pyd,,\n")
    env = Environment(EnvKind.VENV, prefix, prefix / "Scripts" / "python.exe", None)
    inventory = read_inventory(env)
    assert inventory.site_packages == (site,)
    assert inventory.version.short == "3.12"
    assert inventory.extension_suffixes == (".cp312-win_amd64.pyd", ".pyd")
    markers = inventory.marker_environment()
    assert (markers["sys_platform"], markers["os_name"], markers["platform_system"]) == (
        "win32",
        "nt",
        "Windows",
    )
    assert inventory.providers("pkg")[0].name == "pkg"


def test_externally_managed_system_interpreter(tmp_path: Path) -> None:
    prefix = tmp_path / "usr"
    stdlib = prefix / "lib" / "python3.12"
    (stdlib / "site-packages").mkdir(parents=True)
    (stdlib / "os.py").write_text("")
    (stdlib / "EXTERNALLY-MANAGED").write_text("[externally-managed]\nError=use apt\n")
    (prefix / "lib" / "python3" / "dist-packages" / "aptpkg").mkdir(parents=True)
    system = Environment(
        EnvKind.SYSTEM, prefix, prefix / "bin" / "python3", PythonVersion(3, 12, 3)
    )
    inventory = read_inventory(system)
    assert inventory.externally_managed
    assert prefix / "lib" / "python3" / "dist-packages" in inventory.site_packages
    # A venv made from it is not: pip may install there.
    venv = tmp_path / "venv"
    (venv / "lib" / "python3.12" / "site-packages").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text(f"home = {prefix / 'bin'}\nversion = 3.12.3\n")
    assert not read_inventory(venv_environment(venv)).externally_managed


def test_legacy_egg_info_is_read(tmp_path: Path) -> None:
    make_venv(tmp_path / "env", _python("3.12"))
    site = site_packages(tmp_path / "env")
    egg = site / "Old_Thing-0.9-py3.12.egg-info"
    egg.mkdir()
    (egg / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: Old-Thing\nVersion: 0.9\n")
    (egg / "top_level.txt").write_text("oldthing\n")
    (egg / "requires.txt").write_text(
        "six\n\n[fast]\nujson\n\n[:python_version < '3.8']\nimportlib-metadata\n"
    )
    dist = read_inventory(venv_environment(tmp_path / "env")).distribution("old-thing")
    assert dist is not None
    assert dist.top_level == {"oldthing"}
    assert dist.requires == (
        "six",
        'ujson; extra == "fast"',
        "importlib-metadata; (python_version < '3.8')",
    )
