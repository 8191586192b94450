"""Manifest findings only for what the environment is meant to hold.

Real wheels with real metadata, installed into real venvs (a plain venv and one made by
uv); the checks run through the Session as the editor and `envsense check` use it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from envsense.core.declarations import read_declarations
from envsense.core.environment import EnvKind
from envsense.core.findings import Code, Finding, Severity
from envsense.core.picks import PickStore
from envsense.core.session import Session, SessionSettings
from tests.support.venvs import install_wheels, make_venv, uv_executable
from tests.support.wheels import WheelSpec, build_wheel, simple_wheel

PYPROJECT = """\
[project]
name = "demo"
version = "1.0"
dependencies = ["attrs>=1"]

[project.optional-dependencies]
http2 = ["h2>=3,<5"]
cli = ["click==8.*", "rich>=10"]
socks = ["socksio==1.*"]

[dependency-groups]
dev = ["pytest"]
docs = ["sphinx"]
"""


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wheels")
    simple_wheel(folder, "attrs", version="23.1")
    simple_wheel(folder, "click", version="8.1.7")
    simple_wheel(folder, "pygments", version="2.17")
    simple_wheel(folder, "rich", version="13.0", requires=["pygments>=2"])
    simple_wheel(folder, "h2", version="4.1")
    simple_wheel(folder, "pytest", version="8.0")
    simple_wheel(folder, "PyYAML", "yaml", version="6.0")
    # Markdown's real metadata: PyYAML only for its own test extra.
    simple_wheel(
        folder,
        "Markdown",
        "markdown",
        version="3.5",
        requires=["importlib-metadata>=4.4; python_version < '3.10'", "pyyaml; extra == 'testing'"],
    )
    simple_wheel(folder, "mkdocs", version="1.5", requires=["PyYAML>=5.1", "Markdown>=3.3"])
    build_wheel(WheelSpec("pymdown-extensions", "10.0", {"pymdownx/__init__.py": ""}), folder)
    return folder


def _session(root: Path, python: Path, tmp_path: Path, **settings: object) -> Session:
    return Session(
        [root],
        settings=SessionSettings(interpreter=python, trusted=False, **settings),  # type: ignore[arg-type]
        picks=PickStore(tmp_path / "picks"),
    )


def _check(session: Session, path: Path) -> list[Finding]:
    text = path.read_text()
    if path.suffix == ".py" and path.name != "setup.py":
        return session.check_source(path, text)
    return session.check_manifest(path, text)


def _lines(findings: list[Finding]) -> dict[str, tuple[Code, Severity, str]]:
    # The stub uv.lock is stale against the manifest (lock-stale): the lock checks' business.
    lock_codes = {Code.LOCK_STALE, Code.LOCK_MISSING, Code.LOCK_MISMATCH, Code.LOCK_EXTRA}
    return {
        f.message.split(" ")[0]: (f.code, f.severity, f.message)
        for f in findings
        if f.code not in lock_codes
    }


@pytest.fixture
def project(tmp_path: Path, wheels: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = tmp_path / "demo"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT)
    # click installed on its own: someone asked for extra `cli`; rich is still missing.
    python = make_venv(root / ".venv")
    install_wheels(
        python, wheels / "attrs-23.1-py3-none-any.whl", wheels / "click-8.1.7-py3-none-any.whl"
    )
    return root


def test_extras_and_groups_nobody_installed_give_no_finding(project: Path, tmp_path: Path) -> None:
    session = _session(project, project / ".venv" / "bin" / "python", tmp_path)
    found = _lines(_check(session, project / "pyproject.toml"))
    # http2, socks, dev and docs: none of their packages is here, so nobody asked for them.
    assert set(found) == {"rich>=10"}
    code, severity, message = found["rich>=10"]
    assert (code, severity) == (Code.REQUIREMENT_NOT_INSTALLED, Severity.WARNING)
    assert "extra `cli` is installed: click is there" in message


def test_a_setting_asks_for_hints_or_lists_extras_as_requested(
    project: Path, tmp_path: Path
) -> None:
    python = project / ".venv" / "bin" / "python"
    session = _session(project, python, tmp_path, report_unrequested_extras=True)
    findings = _check(session, project / "pyproject.toml")
    hinted = sorted(f.message for f in findings if f.severity is Severity.HINT)
    assert len(hinted) == 4, hinted
    assert hinted[0].startswith("dependency group `dev` is not installed in .venv")
    assert hinted[0].endswith(": pytest")
    assert hinted[2].startswith("extra `http2` is not installed in .venv")
    assert hinted[2].endswith(": h2>=3,<5")
    assert [f.severity for f in findings if f.severity is not Severity.HINT] == [Severity.WARNING]
    requested = _check(
        _session(project, python, tmp_path, requested_extras=("http2",)), project / "pyproject.toml"
    )
    assert sorted((f.severity, f.message.split(" ")[0]) for f in requested) == [
        (Severity.WARNING, "h2>=3,<5"),
        (Severity.WARNING, "rich>=10"),
    ]


def test_a_requested_extra_whose_package_is_only_a_dependency_proves_nothing(
    project: Path, tmp_path: Path, wheels: Path
) -> None:
    # pygments is here only because rich needs it: that says nothing about extra `cli`.
    (project / "pyproject.toml").write_text(
        PYPROJECT.replace('cli = ["click==8.*", "rich>=10"]', 'cli = ["pygments", "socksio"]')
    )
    python = project / ".venv" / "bin" / "python"
    install_wheels(
        python, wheels / "rich-13.0-py3-none-any.whl", wheels / "pygments-2.17-py3-none-any.whl"
    )
    found = _check(_session(project, python, tmp_path), project / "pyproject.toml")
    assert found == []


def test_uv_installs_the_dev_group_by_default(
    tmp_path: Path, wheels: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    root = tmp_path / "demo"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "uv.lock").write_text("version = 1\n")
    subprocess.run(
        [uv_executable(), "venv", "--no-cache", "--python", sys.executable, str(root / ".venv")],
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home"), "UV_NO_CONFIG": "1"},
    )
    python = root / ".venv" / "bin" / "python"
    install_wheels(python, wheels / "attrs-23.1-py3-none-any.whl")
    session = _session(root, python, tmp_path)
    assert session.selection(session.project_for(root)).environment.kind is EnvKind.UV  # type: ignore[union-attr]
    found = _lines(_check(session, root / "pyproject.toml"))
    # `uv sync` would have installed `dev`; `docs` is not a default group.
    assert set(found) == {"pytest"}
    assert found["pytest"][1] is Severity.WARNING
    # [tool.uv] default-groups says which groups `uv sync` installs.
    (root / "pyproject.toml").write_text(PYPROJECT + '\n[tool.uv]\ndefault-groups = ["docs"]\n')
    found = _lines(_check(_session(root, python, tmp_path), root / "pyproject.toml"))
    assert set(found) == {"sphinx"}
    (root / "pyproject.toml").write_text(PYPROJECT)
    # Without uv.lock the project is not synced by uv: its dev group is optional here too.
    (root / "uv.lock").unlink()
    assert _check(_session(root, python, tmp_path), root / "pyproject.toml") == []


def test_dev_docs_and_example_manifests_are_information(project: Path, tmp_path: Path) -> None:
    (project / "requirements").mkdir()
    (project / "requirements" / "dev.txt").write_text("pytest==8.0\nattrs\n")
    (project / "requirements-test.txt").write_text("pytest\n")
    (project / "docs").mkdir()
    (project / "docs" / "requirements.txt").write_text("sphinx>=7\n")
    example = project / "examples" / "tutorial"
    example.mkdir(parents=True)
    (example / "pyproject.toml").write_text(
        '[project]\nname = "flaskr"\nversion = "1"\ndependencies = ["flask"]\n'
    )
    python = project / ".venv" / "bin" / "python"
    session = _session(project, python, tmp_path)
    dev = _check(session, project / "requirements" / "dev.txt")
    assert [(f.severity, f.message) for f in dev] == [
        (
            Severity.INFORMATION,
            "pytest==8.0 is not installed in .venv (Python "
            + dev[0].message.split("(Python ")[1].split(")")[0]
            + ") (dev.txt is for dev, not the project's runtime)",
        )
    ]
    assert [f.severity for f in _check(session, project / "requirements-test.txt")] == [
        Severity.INFORMATION
    ]
    (docs,) = _check(session, project / "docs" / "requirements.txt")
    assert docs.severity is Severity.INFORMATION and "docs/ is for docs" in docs.message
    (flask,) = _check(session, example / "pyproject.toml")
    assert flask.severity is Severity.INFORMATION and "examples/ is for example" in flask.message
    # pyproject.toml declares the runtime: a requirements.txt next to it only pins.
    (project / "requirements.txt").write_text("attrs\nsocksio\n")
    (pins,) = _check(session, project / "requirements.txt")
    assert pins.severity is Severity.INFORMATION and "pins versions" in pins.message
    (project / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1"\n')
    session = _session(project, python, tmp_path)
    (runtime,) = _check(session, project / "requirements.txt")
    # Without packaging metadata, requirements.txt is the runtime: a warning.
    assert runtime.severity is Severity.WARNING
    assert runtime.message.startswith("socksio is not installed")


def test_an_environment_made_for_the_role_keeps_warnings(project: Path, tmp_path: Path) -> None:
    (project / "docs").mkdir()
    (project / "docs" / "requirements.txt").write_text("sphinx>=7\n")
    python = make_venv(project / ".tox" / "docs")
    (finding,) = _check(_session(project, python, tmp_path), project / "docs" / "requirements.txt")
    assert finding.severity is Severity.WARNING


def test_an_edge_only_for_an_extra_nobody_installed_is_no_parent(
    tmp_path: Path, wheels: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    root = tmp_path / "site"
    (root / "theme").mkdir(parents=True)
    (root / "theme" / "__init__.py").write_text("")
    (root / "theme" / "plugin.py").write_text("import yaml\n")
    python = make_venv(root / ".venv")
    install_wheels(
        python,
        *(
            wheels / n
            for n in (
                "Markdown-3.5-py3-none-any.whl",
                "mkdocs-1.5-py3-none-any.whl",
                "PyYAML-6.0-py3-none-any.whl",
            )
        ),
    )
    pyproject = '[project]\nname = "theme"\nversion = "1"\ndependencies = [{deps}]\n'
    (root / "pyproject.toml").write_text(pyproject.format(deps='"markdown", "mkdocs"'))
    (finding,) = _check(_session(root, python, tmp_path), root / "theme" / "plugin.py")
    assert finding.code is Code.TRANSITIVE_IMPORT
    assert "installed only as a dependency of mkdocs" in finding.message
    # Markdown alone: its `testing` extra was not asked for, so PyYAML is just undeclared.
    (root / "pyproject.toml").write_text(pyproject.format(deps='"markdown"'))
    (finding,) = _check(_session(root, python, tmp_path), root / "theme" / "plugin.py")
    assert finding.code is Code.UNDECLARED_IMPORT
    # Asked for with the extra: now Markdown did pull PyYAML in.
    (root / "pyproject.toml").write_text(pyproject.format(deps='"markdown[testing]"'))
    (finding,) = _check(_session(root, python, tmp_path), root / "theme" / "plugin.py")
    assert "installed only as a dependency of markdown" in finding.message


def test_a_requirements_file_read_by_setup_py_is_the_runtime(
    tmp_path: Path, wheels: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    root = tmp_path / "app"
    (root / "requirements").mkdir(parents=True)
    (root / "setup.py").write_text(
        "from setuptools import setup\n"
        'setup(name="app", install_requires=open("requirements.txt").read().splitlines())\n'
    )
    (root / "requirements.txt").write_text("attrs\nsocksio\n")
    (root / "requirements" / "pinned.txt").write_text("attrs==1.0\nsocksio\n")
    python = make_venv(root / ".venv")
    install_wheels(python, wheels / "attrs-23.1-py3-none-any.whl")
    session = _session(root, python, tmp_path)
    (runtime,) = _check(session, root / "requirements.txt")
    assert runtime.severity is Severity.WARNING
    assert runtime.message.startswith("socksio is not installed")
    # The CI pins next to it only inform, whatever they pin.
    pins = _check(session, root / "requirements" / "pinned.txt")
    assert [f.severity for f in pins] == [Severity.INFORMATION, Severity.INFORMATION]
    assert "pins versions" in pins[0].message
    # An import of a missing package names where it is declared.
    (root / "app.py").write_text("import socksio\n")
    (missing,) = session.check_source(root / "app.py", "import socksio\n")
    assert "declared in requirements.txt (read by setup.py) as socksio" in missing.message


def test_pipfile_dev_packages_are_a_group_nobody_asked_for(project: Path, tmp_path: Path) -> None:
    (project / "Pipfile").write_text(
        '[packages]\nattrs = "*"\nsocksio = "*"\n\n[dev-packages]\npytest = "*"\n'
    )
    python = project / ".venv" / "bin" / "python"
    found = _check(_session(project, python, tmp_path), project / "Pipfile")
    assert [f.message.split(" ")[0] for f in found] == ["socksio"]


def test_a_ci_pin_never_speaks_for_the_codes_version(project: Path, tmp_path: Path) -> None:
    # fastapi: requirements.txt includes the test pins; the runtime is in pyproject.toml.
    (project / "requirements.txt").write_text("-e .[all]\n-r requirements-tests.txt\n")
    (project / "requirements-tests.txt").write_text("attrs==1.0\n")
    module = project / "demo.py"
    module.write_text("import attrs\n")
    session = _session(project, project / ".venv" / "bin" / "python", tmp_path)
    assert session.check_source(module, module.read_text()) == []
    # A test file's pin never does, even included from requirements.txt.
    (project / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1"\n')
    session = _session(project, project / ".venv" / "bin" / "python", tmp_path)
    assert session.check_source(module, module.read_text()) == []
    # Without a runtime declaration, a runtime file's pin is what the project needs.
    (project / "requirements.txt").write_text("-r requirements-base.txt\n")
    (project / "requirements-base.txt").write_text("attrs==1.0\n")
    session = _session(project, project / ".venv" / "bin" / "python", tmp_path)
    (mismatch,) = session.check_source(module, module.read_text())
    assert mismatch.code is Code.VERSION_MISMATCH
    assert (
        "requirements.txt requires attrs==1.0" in mismatch.message
        or "attrs==1.0" in mismatch.message
    )


def test_the_project_itself_in_a_dev_file_is_installed_when_its_dist_is(
    tmp_path: Path, wheels: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # requests 2.32.3: setup.py computes its name; the sdist's PKG-INFO says it.
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    root = tmp_path / "requests-2.32.3"
    root.mkdir()
    (root / "setup.py").write_text(
        'from setuptools import setup\nabout = {}\nsetup(name=about["__title__"])\n'
    )
    (root / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: demo-sdist\nVersion: 2.32.3\n\n")
    (root / "requirements-dev.txt").write_text(".[socks]\n")
    assert read_declarations(root).project_name == "demo-sdist"
    python = make_venv(root / ".venv")
    (finding,) = _check(_session(root, python, tmp_path), root / "requirements-dev.txt")
    assert finding.message.startswith(".[socks] is not installed")
    install_wheels(python, simple_wheel(tmp_path / "w", "demo-sdist", version="2.32.3"))
    assert _check(_session(root, python, tmp_path), root / "requirements-dev.txt") == []
