"""The project's own declarations from setup.py and from its installed metadata.

A real setup.py project, installed editable by a real installer (uv, building with
setuptools fetched from the package index into tests/.cache/uv), then checked as the
editor checks it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from envsense.core.findings import Code, Finding
from envsense.core.picks import PickStore
from envsense.core.session import Session, SessionSettings
from tests.support.venvs import install_wheels, make_venv, uv_executable
from tests.support.wheels import simple_wheel

CACHE = Path(__file__).resolve().parents[1] / ".cache" / "uv"

# Its dependency list is computed when setup.py runs: nothing static to read.
DYNAMIC_SETUP = """\
from setuptools import setup


def requirements():
    with open("deps.cfg") as handle:
        return [line.strip() for line in handle if line.strip()]


setup(
    name="legacy-app",
    version="0.1",
    packages=["legacy"],
    install_requires=requirements(),
)
"""


def _session(root: Path, python: Path, tmp_path: Path) -> Session:
    return Session(
        [root],
        settings=SessionSettings(interpreter=python, trusted=False),
        picks=PickStore(tmp_path / "picks"),
    )


def _check(root: Path, python: Path, tmp_path: Path, module: Path) -> list[Finding]:
    return _session(root, python, tmp_path).check_source(module, module.read_text())


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


def _editable_install(python: Path, root: Path, wheels: Path) -> None:
    env = {
        **os.environ,
        "UV_CACHE_DIR": str(CACHE),
        "UV_NO_CONFIG": "1",
        "HOME": str(root.parent / "home"),
    }
    result = subprocess.run(
        [
            uv_executable(),
            "pip",
            "install",
            "--python",
            str(python),
            "--find-links",
            str(wheels),
            "-e",
            str(root),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    # A download that fails must fail the test, not skip it.
    assert result.returncode == 0, result.stderr


def test_installed_metadata_declares_what_setup_py_computes(sandbox: Path) -> None:
    wheels = sandbox / "wheels"
    simple_wheel(wheels, "attrs", version="23.1")
    simple_wheel(wheels, "idna", version="3.7")
    root = sandbox / "legacy"
    (root / "legacy").mkdir(parents=True)
    (root / "setup.py").write_text(DYNAMIC_SETUP)
    (root / "deps.cfg").write_text("attrs>=22\nidna\n")
    (root / "legacy" / "__init__.py").write_text("")
    module = root / "legacy" / "core.py"
    module.write_text("import attrs\nimport idna\n\nimport legacy\n")
    python = make_venv(root / ".venv")
    install_wheels(
        python, wheels / "attrs-23.1-py3-none-any.whl", wheels / "idna-3.7-py3-none-any.whl"
    )

    # Not installed yet: setup.py has an install_requires that can't be read statically.
    before = _check(root, python, sandbox, module)
    assert sorted(f.code for f in before) == [Code.UNDECLARED_IMPORT, Code.UNDECLARED_IMPORT]

    _editable_install(python, root, wheels)
    assert _check(root, python, sandbox, module) == []

    # The metadata is named as the declaration a missing import breaks.
    subprocess.run(
        [uv_executable(), "pip", "uninstall", "--python", str(python), "idna"],
        check=True,
        capture_output=True,
        env={**os.environ, "UV_CACHE_DIR": str(CACHE), "UV_NO_CONFIG": "1"},
    )
    (missing,) = _check(root, python, sandbox, module)
    assert missing.code is Code.MISSING_IMPORT
    assert "declared in the installed metadata of legacy-app 0.1 as idna" in missing.message


def test_a_static_setup_py_declares_the_imports_of_its_package(sandbox: Path) -> None:
    wheels = sandbox / "wheels"
    for name, version in (
        ("urllib3", "2.2.1"),
        ("idna", "3.7"),
        ("certifi", "2024.2.2"),
        ("charset-normalizer", "3.3.2"),
    ):
        simple_wheel(wheels, name, version=version)
    root = sandbox / "requests"
    (root / "src" / "requests").mkdir(parents=True)
    (root / "setup.py").write_text(
        "from setuptools import setup\n"
        "requires = [\n"
        '    "charset_normalizer>=2,<4",\n'
        '    "idna>=2.5,<4",\n'
        '    "urllib3>=1.21.1,<3",\n'
        '    "certifi>=2017.4.17",\n'
        "]\n"
        'setup(name="requests", install_requires=requires, '
        'extras_require={"socks": ["PySocks>=1.5.6, !=1.5.7"]})\n'
    )
    (root / "src" / "requests" / "__init__.py").write_text("")
    module = root / "src" / "requests" / "adapters.py"
    module.write_text("import urllib3\nimport idna\nimport certifi\nimport charset_normalizer\n")
    python = make_venv(root / ".venv")
    install_wheels(python, *sorted(wheels.glob("*.whl")))
    session = _session(root, python, sandbox)
    assert [f.message for f in session.check_source(module, module.read_text())] == []
    # setup.py is checked as a manifest too: nothing missing, and extra `socks` was never
    # asked for, so PySocks' absence is no finding.
    setup_findings = session.check_source(root / "setup.py", (root / "setup.py").read_text())
    assert [f.message for f in setup_findings if f.code is Code.REQUIREMENT_NOT_INSTALLED] == []
    (root / "setup.py").write_text(
        (root / "setup.py")
        .read_text()
        .replace('"certifi>=2017.4.17"', '"certifi>=2017.4.17", "brotli"')
    )
    session = _session(root, python, sandbox)
    (finding,) = [
        f
        for f in session.check_source(root / "setup.py", (root / "setup.py").read_text())
        if f.code is Code.REQUIREMENT_NOT_INSTALLED
    ]
    assert finding.message.startswith("brotli is not installed in .venv")
    assert finding.span.line == 5


def test_the_project_is_found_by_direct_url_never_by_living_in_its_venv(tmp_path: Path) -> None:
    from envsense.core.declarations import read_declarations
    from envsense.core.declarations.installed import installed_project
    from envsense.core.environment.inventory import read_inventory
    from tests.support.layouts import site_packages, venv_environment, write_dist_info

    root = tmp_path / "proj"
    root.mkdir()
    # The name is computed at build time: nothing in the files says it.
    (root / "setup.py").write_text("from setuptools import setup\nsetup(name=NAME)\n")
    make_venv(root / ".venv")
    site = site_packages(root / ".venv")
    write_dist_info(site, "attrs", "23.1", ["attrs/__init__.py"])
    declarations = read_declarations(root)
    inventory = read_inventory(venv_environment(root / ".venv"))
    # attrs lives inside the project folder (in its .venv): that does not make it the project.
    assert installed_project(declarations, root, inventory) is None
    write_dist_info(site, "proj-core", "0.3", [], editable_url=root.as_uri())
    inventory = read_inventory(venv_environment(root / ".venv"))
    found = installed_project(declarations, root, inventory)
    assert found is not None and found.name == "proj-core"
