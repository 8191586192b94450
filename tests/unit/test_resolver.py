"""Resolving imports against real environments and real project layouts."""

from __future__ import annotations

from pathlib import Path

import pytest

from envsense.core.environment.inventory import Inventory, read_inventory
from envsense.core.environment.resolver import ResolutionStatus, Resolver
from envsense.core.versions import PythonVersion
from tests.support.layouts import (
    setuptools_editable,
    site_packages,
    static_editable,
    venv_environment,
)
from tests.support.venvs import install_wheels, make_venv, pyenv_python
from tests.support.wheels import WheelSpec, build_wheel

S = ResolutionStatus


def _venv(path: Path, minor: str, *wheels: WheelSpec) -> Inventory:
    python = pyenv_python(minor)
    if python is None:
        pytest.skip(f"Python {minor} is not installed under ~/.pyenv")
    exe = make_venv(path / f"env{minor}", python)
    if wheels:
        install_wheels(exe, *(build_wheel(spec, path / "wheels") for spec in wheels))
    return read_inventory(venv_environment(path / f"env{minor}"))


def _setuptools_shim() -> WheelSpec:
    """What matters of setuptools for distutils: the shim package and its .pth hook."""
    return WheelSpec(
        "setuptools",
        "80.0",
        files={
            "setuptools/__init__.py": "",
            "setuptools/_distutils/__init__.py": "",
            "_distutils_hack/__init__.py": "",
            "distutils-precedence.pth": "import os; var = 'SETUPTOOLS_USE_DISTUTILS'\n",
        },
    )


def test_stdlib_follows_the_environment_version(tmp_path: Path) -> None:
    py312 = Resolver(_venv(tmp_path, "3.12"), [tmp_path])
    assert py312.resolve("json.decoder").status is S.STDLIB
    assert py312.resolve("__future__").status is S.STDLIB
    imp = py312.resolve("imp")
    assert imp.status is S.STDLIB_REMOVED
    assert imp.change is not None and "importlib" in imp.change.replacement
    assert imp.detail == "removed from the standard library in Python 3.12"
    assert py312.resolve("tomllib").status is S.STDLIB
    assert py312.resolve("cgi").status is S.STDLIB


def test_tomllib_is_not_yet_there_on_310(tmp_path: Path) -> None:
    resolver = Resolver(_venv(tmp_path, "3.10"), [tmp_path])
    tomllib = resolver.resolve("tomllib")
    assert tomllib.status is S.STDLIB_NOT_YET
    assert tomllib.change is not None and tomllib.change.backport == "tomli"
    assert tomllib.detail == "in the standard library only from Python 3.11"
    assert resolver.resolve("imp").status is S.STDLIB
    assert resolver.resolve("distutils.core").status is S.STDLIB


def test_313_removals_and_an_installed_backport(tmp_path: Path) -> None:
    inventory = _venv(
        tmp_path,
        "3.13",
        WheelSpec("legacy-cgi", "2.6", files={"cgi.py": "", "cgitb.py": ""}),
    )
    resolver = Resolver(inventory, [tmp_path])
    cgi = resolver.resolve("cgi")
    assert cgi.status is S.INSTALLED
    assert [d.name for d in cgi.distributions] == ["legacy-cgi"]
    telnetlib = resolver.resolve("telnetlib")
    assert telnetlib.status is S.STDLIB_REMOVED
    assert telnetlib.change is not None and telnetlib.change.backport == "standard-telnetlib"
    assert "3.13" in telnetlib.detail


def test_distutils_on_312_depends_on_the_setuptools_shim(tmp_path: Path) -> None:
    bare = Resolver(_venv(tmp_path / "bare", "3.12"), [tmp_path])
    distutils = bare.resolve("distutils")
    assert distutils.status is S.STDLIB_REMOVED
    assert distutils.change is not None and distutils.change.backport == "setuptools"
    shimmed = Resolver(_venv(tmp_path / "shim", "3.12", _setuptools_shim()), [tmp_path])
    resolved = shimmed.resolve("distutils.core")
    assert resolved.status is S.INSTALLED
    assert [d.name for d in resolved.distributions] == ["setuptools"]
    assert "setuptools" in resolved.detail


def test_installed_packages_modules_and_missing_ones(tmp_path: Path) -> None:
    inventory = _venv(
        tmp_path,
        "3.12",
        WheelSpec("PyYAML", "6.0", files={"yaml/__init__.py": "", "yaml/loader.py": ""}),
        WheelSpec("six", "1.16", files={"six.py": ""}),
    )
    resolver = Resolver(inventory, [tmp_path / "proj"])
    loader = resolver.resolve("yaml.loader")
    assert loader.status is S.INSTALLED
    assert [d.name for d in loader.distributions] == ["PyYAML"]
    assert loader.location == site_packages(tmp_path / "env3.12") / "yaml" / "loader.py"
    # Submodules of a plain module are made at run time (six.moves): accepted.
    assert resolver.resolve("six.moves.urllib").status is S.INSTALLED
    nothere = resolver.resolve("yaml.nothere")
    assert nothere.status is S.MISSING
    assert nothere.detail.endswith("but it has no nothere")
    assert [d.name for d in nothere.distributions] == ["PyYAML"]
    missing = resolver.resolve("requests")
    assert (missing.status, missing.distributions, missing.location) == (S.MISSING, (), None)


def test_namespace_package_spread_over_two_distributions(tmp_path: Path) -> None:
    inventory = _venv(
        tmp_path,
        "3.12",
        WheelSpec("acme-one", files={"acme/one/__init__.py": ""}),
        WheelSpec("acme-two", files={"acme/two/__init__.py": "", "acme/two/deep.py": ""}),
    )
    resolver = Resolver(inventory, [tmp_path / "proj"])
    two = resolver.resolve("acme.two.deep")
    assert two.status is S.INSTALLED
    assert [d.name for d in two.distributions] == ["acme-two"]
    assert resolver.resolve("acme.one").distributions[0].name == "acme-one"
    missing = resolver.resolve("acme.three")
    assert missing.status is S.MISSING and "has no three" in missing.detail


def test_stubs_without_the_runtime_package(tmp_path: Path) -> None:
    inventory = _venv(
        tmp_path,
        "3.12",
        WheelSpec("types-foo", files={"foo-stubs/__init__.pyi": ""}),
        WheelSpec("types-bar", files={"bar-stubs/__init__.pyi": ""}),
        WheelSpec("bar", files={"bar/__init__.py": ""}),
    )
    resolver = Resolver(inventory, [tmp_path / "proj"])
    foo = resolver.resolve("foo")
    assert foo.status is S.STUB_ONLY
    assert [d.name for d in foo.distributions] == ["types-foo"]
    assert foo.location is not None and foo.location.name == "foo-stubs"
    assert resolver.resolve("bar").status is S.INSTALLED


def test_extension_built_for_another_python(tmp_path: Path) -> None:
    inventory = _venv(
        tmp_path,
        "3.12",
        WheelSpec("fakeext", files={"fakeext.cpython-39-x86_64-linux-gnu.so": b"\x7fELF"}),
        WheelSpec("stable", files={"stable.abi3.so": b"\x7fELF"}),
    )
    native = inventory.extension_suffixes[0]  # .cpython-312-<this machine>.so
    install_wheels(
        inventory.layout.prefix / "bin" / "python",
        build_wheel(WheelSpec("goodext", files={f"goodext{native}": b"\x7fELF"}), tmp_path / "w2"),
    )
    resolver = Resolver(read_inventory(venv_environment(tmp_path / "env3.12")), [tmp_path])
    bad = resolver.resolve("fakeext")
    assert bad.status is S.INCOMPATIBLE_EXTENSION
    assert [d.name for d in bad.distributions] == ["fakeext"]
    assert bad.detail == (
        "built for cpython-39-x86_64-linux-gnu, this environment takes "
        + ", ".join(inventory.extension_suffixes)
    )
    assert resolver.resolve("goodext").status is S.INSTALLED
    assert resolver.resolve("stable").status is S.INSTALLED


def test_both_kinds_of_editable_install(tmp_path: Path) -> None:
    _venv(tmp_path, "3.12")
    site = site_packages(tmp_path / "env3.12")
    source = tmp_path / "lib-a" / "src"
    (source / "liba" / "sub").mkdir(parents=True)
    (source / "liba" / "__init__.py").write_text("")
    (source / "liba" / "sub" / "__init__.py").write_text("")
    static_editable(site, "lib-a", source)
    impl = tmp_path / "weird" / "impl"
    impl.mkdir(parents=True)
    (impl / "__init__.py").write_text("")
    (impl / "core.py").write_text("")
    setuptools_editable(site, "hook-lib", {"hooklib": impl})
    resolver = Resolver(read_inventory(venv_environment(tmp_path / "env3.12")), [tmp_path / "app"])
    liba = resolver.resolve("liba.sub")
    assert liba.status is S.INSTALLED
    assert [d.name for d in liba.distributions] == ["lib-a"]
    assert liba.location == source / "liba" / "sub"
    hook = resolver.resolve("hooklib.core")
    assert hook.status is S.INSTALLED
    assert [d.name for d in hook.distributions] == ["hook-lib"]
    assert hook.location == impl / "core.py"
    assert resolver.resolve("hooklib.nope").status is S.MISSING


def test_project_layouts(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    (project / "src" / "myproj").mkdir(parents=True)
    (project / "src" / "myproj" / "__init__.py").write_text("")
    (project / "scripts").mkdir()
    (project / "scripts" / "helpers.py").write_text("")
    (project / "scripts" / "run.py").write_text("import helpers\n")
    (project / "tests").mkdir()
    (project / "tests" / "test_x.py").write_text("import helpers\n")
    vendored = tmp_path / "vendored"
    (vendored / "vlib").mkdir(parents=True)
    (vendored / "vlib" / "__init__.py").write_text("")
    resolver = Resolver(_venv(tmp_path, "3.12"), [project], [vendored])
    mine = resolver.resolve("myproj")
    assert (mine.status, mine.location) == (S.PROJECT, project / "src" / "myproj")
    helpers = resolver.resolve("helpers", project / "scripts" / "run.py")
    assert (helpers.status, helpers.location) == (S.PROJECT, project / "scripts" / "helpers.py")
    # From another folder the script's sibling is not importable.
    assert resolver.resolve("helpers", project / "tests" / "test_x.py").status is S.MISSING
    assert resolver.resolve("vlib").status is S.PROJECT


def test_pth_folders_are_searched_and_import_lines_are_not(tmp_path: Path) -> None:
    inventory_dir = tmp_path
    _venv(inventory_dir, "3.12")
    site = site_packages(tmp_path / "env3.12")
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "viapth.py").write_text("")
    (site / "paths.pth").write_text(f"{extra}\nimport sys; sys.path.append('/x')\n")
    resolver = Resolver(read_inventory(venv_environment(tmp_path / "env3.12")), [tmp_path / "p"])
    found = resolver.resolve("viapth")
    assert (found.status, found.location) == (S.INSTALLED, extra / "viapth.py")


def test_without_an_environment_only_the_project_and_stdlib_resolve(tmp_path: Path) -> None:
    (tmp_path / "local_mod.py").write_text("")
    resolver = Resolver(None, [tmp_path], version=PythonVersion(3, 12))
    assert resolver.resolve("local_mod").status is S.PROJECT
    assert resolver.resolve("os").status is S.STDLIB
    assert resolver.resolve("asyncore").status is S.STDLIB_REMOVED
    assert resolver.resolve("numpy").status is S.MISSING


def test_unreadable_or_odd_folders_do_not_break_resolution(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "loop").symlink_to(project / "loop")  # a symlink loop
    (project / "pkg").mkdir()
    (project / "pkg" / "__init__.py").write_text("")
    resolver = Resolver(None, [project, tmp_path / "missing-root"], [tmp_path / "nope"])
    assert resolver.resolve("pkg").status is S.PROJECT
    assert resolver.resolve("loop").status is S.MISSING


def test_a_plain_project_folder_does_not_hide_an_installed_package(tmp_path: Path) -> None:
    inventory = _venv(
        tmp_path,
        "3.12",
        WheelSpec("dataset-tools", files={"data/__init__.py": "", "data/io.py": ""}),
    )
    project = tmp_path / "proj"
    (project / "data").mkdir(parents=True)  # a folder of CSV files, no __init__.py
    (project / "notes").mkdir()
    (project / "shadow").mkdir()
    (project / "shadow" / "__init__.py").write_text("")
    resolver = Resolver(inventory, [project])
    # CPython takes a namespace portion only when no regular package exists anywhere.
    data = resolver.resolve("data.io")
    assert data.status is S.INSTALLED
    assert [d.name for d in data.distributions] == ["dataset-tools"]
    notes = resolver.resolve("notes")
    assert (notes.status, notes.location) == (S.PROJECT, project / "notes")
    assert resolver.resolve("shadow").status is S.PROJECT
