"""Stdlib knowledge per Python version, checked against the real interpreters on disk."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from envsense.core.environment.stdlib import (
    added_module,
    removed_module,
    stdlib_change,
    stdlib_modules,
    stdlib_modules_from_disk,
)
from envsense.core.versions import PythonVersion
from tests.support.venvs import pyenv_python


@pytest.mark.parametrize("minor", ["3.10", "3.11", "3.12", "3.13"])
def test_bundled_table_equals_the_interpreters_own_list(minor: str) -> None:
    python = pyenv_python(minor)
    if python is None:
        pytest.skip(f"Python {minor} is not installed under ~/.pyenv")
    out = subprocess.run(
        [python, "-I", "-c", "import sys; print('\\n'.join(sorted(sys.stdlib_module_names)))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    major, minor_number = map(int, minor.split("."))
    assert stdlib_modules((major, minor_number)) == frozenset(out)


def test_modules_come_and_go_between_versions() -> None:
    assert "tomllib" not in stdlib_modules((3, 10)) and "tomllib" in stdlib_modules((3, 11))
    assert "distutils" in stdlib_modules((3, 11)) and "distutils" not in stdlib_modules((3, 12))
    assert "imp" in stdlib_modules(PythonVersion(3, 11, 7))
    assert "imp" not in stdlib_modules(PythonVersion(3, 12, 1))
    assert "cgi" in stdlib_modules((3, 12)) and "cgi" not in stdlib_modules((3, 13))
    assert "dummy_threading" in stdlib_modules((3, 8))
    assert "dummy_threading" not in stdlib_modules((3, 9))
    assert "zoneinfo" in stdlib_modules((3, 9)) and "zoneinfo" not in stdlib_modules((3, 8))
    assert {"annotationlib", "compression"} <= stdlib_modules((3, 14))
    assert "annotationlib" not in stdlib_modules((3, 13))
    assert "profiling" in stdlib_modules((3, 15)) and "sre_parse" not in stdlib_modules((3, 15))
    # Platform-only names are part of every version's list, as in sys.stdlib_module_names.
    assert {"winreg", "msvcrt", "_winapi"} <= stdlib_modules((3, 8))


def test_versions_outside_the_tables_use_the_nearest_one() -> None:
    assert stdlib_modules((3, 7)) == stdlib_modules((3, 8))
    assert stdlib_modules((3, 30)) == stdlib_modules((3, 15))


def test_reading_the_stdlib_from_an_interpreters_lib_dir() -> None:
    lib = Path(sys.base_prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    if not (lib / "os.py").exists():
        pytest.skip("this interpreter has no POSIX lib dir")
    version = (sys.version_info[0], sys.version_info[1])
    names = stdlib_modules_from_disk(lib, version)
    assert names is not None
    assert {"os", "asyncio", "json", "sys", "builtins"} <= names
    assert "_json" in names or "_json" in sys.builtin_module_names
    assert "test" not in names and "site-packages" not in names and "__pycache__" not in names
    # What the disk shows agrees with the interpreter on everything but build options.
    assert names <= frozenset(sys.stdlib_module_names) | {"_ctypes_test", "xxlimited"}


def test_a_folder_without_os_py_is_not_a_stdlib(tmp_path: Path) -> None:
    (tmp_path / "json").mkdir()
    assert stdlib_modules_from_disk(tmp_path, (3, 12)) is None
    assert stdlib_modules_from_disk(tmp_path / "missing", (3, 12)) is None


def test_a_trimmed_stdlib_on_disk_is_believed(tmp_path: Path) -> None:
    # Debian without python3-tk: no tkinter folder, so `import tkinter` would fail.
    (tmp_path / "os.py").write_text("")
    (tmp_path / "json").mkdir()
    (tmp_path / "lib-dynload").mkdir()
    (tmp_path / "lib-dynload" / "_json.cpython-312-x86_64-linux-gnu.so").write_bytes(b"")
    names = stdlib_modules_from_disk(tmp_path, (3, 12))
    assert names is not None
    assert {"os", "json", "_json", "sys"} <= names
    assert "tkinter" not in names


def test_removed_modules_with_advice_and_backports() -> None:
    imp = removed_module("imp", (3, 12))
    assert imp is not None and imp.removed_in == (3, 12) and "importlib" in imp.replacement
    assert removed_module("imp", (3, 11)) is None
    distutils = removed_module("distutils.core", PythonVersion(3, 13, 0))
    assert distutils is not None and distutils.backport == "setuptools"
    audioop = removed_module("audioop", (3, 13))
    assert audioop is not None and audioop.backport == "audioop-lts"
    cgi = removed_module("cgi", (3, 14))
    assert cgi is not None and cgi.backport == "legacy-cgi" and cgi.removed_label == "3.13"
    crypt = removed_module("crypt", (3, 13))
    assert crypt is not None and crypt.backport is None and "passlib" in crypt.replacement
    assert removed_module("json", (3, 13)) is None


def test_added_modules_name_their_backport() -> None:
    tomllib = added_module("tomllib", (3, 10))
    assert tomllib is not None and tomllib.backport == "tomli" and tomllib.added_label == "3.11"
    assert added_module("tomllib", (3, 11)) is None
    zoneinfo = added_module("zoneinfo", (3, 8))
    assert zoneinfo is not None and zoneinfo.backport == "backports.zoneinfo"
    assert added_module("annotationlib", (3, 13)) is not None
    assert added_module("annotationlib", (3, 14)) is None
    assert stdlib_change("asyncore") is not None and stdlib_change("json") is None


def test_every_removal_is_true_to_the_tables() -> None:
    # Each recorded removal must be in the table just before and absent from then on.
    for name in ("imp", "asyncore", "distutils", "binhex", "cgi", "telnetlib", "lib2to3"):
        change = stdlib_change(name)
        assert change is not None and change.removed_in is not None
        major, minor = change.removed_in
        assert name in stdlib_modules((major, minor - 1)), name
        assert name not in stdlib_modules(change.removed_in), name


def test_generated_table_is_up_to_date() -> None:
    if any(pyenv_python(m) is None for m in ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13")):
        pytest.skip("the generator needs every pyenv interpreter 3.8-3.13")
    script = Path(__file__).resolve().parents[1] / "support" / "gen_stdlib_table.py"
    result = subprocess.run([sys.executable, script, "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
