"""The environment against its lock: real venvs with real wheels, drift made by installing
another version, and the findings on the lock entries and the manifest."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from envsense.core.findings import Code, Severity
from envsense.core.session import Session, SessionSettings
from tests.support.venvs import pyenv_python, uv_executable
from tests.unit.locks.lockfixtures import (
    PYPROJECT,
    line_of,
    make_env,
    pdm_lock,
    poetry_lock,
    session_for,
    uv_lock,
    wheelhouse,
    write_uv_project,
)
from tests.unit.locks.test_readers import PDM_PYPROJECT, POETRY_PYPROJECT

SAMPLES = Path(__file__).parent / "samples"


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return wheelhouse(tmp_path_factory.mktemp("wheels"))


@pytest.fixture(scope="module")
def locked_template(tmp_path_factory: pytest.TempPathFactory, wheels: Path) -> Path:
    project = write_uv_project(tmp_path_factory.mktemp("template") / "proj")
    uv_lock(project, wheels, tmp_path_factory.mktemp("home"))
    return project


@pytest.fixture
def project(tmp_path: Path, locked_template: Path) -> Path:
    target = tmp_path / "proj"
    shutil.copytree(locked_template, target)
    return target


def lock_findings(findings: list) -> list:
    return [f for f in findings if f.code.value.startswith("lock-")]


def codes(findings: list, code: Code) -> list:
    return [f for f in findings if f.code is code]


def test_a_bumped_lock_entry_is_a_mismatch_on_its_line(project: Path, wheels: Path) -> None:
    python = make_env(project, wheels, "requests==2.31.0", "idna==3.7", "pytest==8.0.0")
    session = session_for(project, python)
    lock = project / "uv.lock"
    findings = session.check_lock(lock)
    assert [f.code for f in findings] == [Code.LOCK_MISMATCH]
    finding = findings[0]
    assert finding.span.line == line_of(lock, 'name = "requests"')
    assert finding.severity is Severity.WARNING
    assert "requests 2.31.0 is installed in .venv" in finding.message
    assert finding.message.endswith("but uv.lock locks 2.32.3")
    assert finding.fix.lock == str(lock) and finding.fix.installed_version == "2.31.0"
    # requests>=2.28 is still satisfied: only the lock tells the difference.
    manifest = project / "pyproject.toml"
    on_manifest = lock_findings(session.check_manifest(manifest, manifest.read_text()))
    assert [f.code for f in on_manifest] == [Code.LOCK_MISMATCH]
    assert on_manifest[0].message == (
        "1 package differs from uv.lock: requests 2.31.0 (locked 2.32.3)"
    )
    assert on_manifest[0].span.line == line_of(manifest, "[project]")


def test_missing_and_summary_of_several(project: Path, wheels: Path) -> None:
    python = make_env(project, wheels, "requests==2.31.0", "idna==3.6")
    session = session_for(project, python)
    lock = project / "uv.lock"
    findings = session.check_lock(lock)
    assert {(f.code, f.span.line) for f in findings} == {
        (Code.LOCK_MISMATCH, line_of(lock, 'name = "idna"')),
        (Code.LOCK_MISMATCH, line_of(lock, 'name = "requests"')),
        (Code.LOCK_MISSING, line_of(lock, 'name = "pytest"')),
    }
    missing = codes(findings, Code.LOCK_MISSING)[0]
    assert (
        missing.message
        == "pytest 8.0.0 is locked in uv.lock but not installed in .venv (Python "
        + missing.message.split("(Python ")[1]
    )
    manifest = project / "pyproject.toml"
    summary = codes(session.check_manifest(manifest, manifest.read_text()), Code.LOCK_MISMATCH)
    assert summary[0].message == (
        "3 packages differ from uv.lock: idna 3.6 (locked 3.7), "
        "pytest not installed (locked 8.0.0), requests 2.31.0 (locked 2.32.3)"
    )


def test_package_locked_only_for_old_pythons_is_not_expected_on_3_12(
    project: Path, wheels: Path
) -> None:
    python312 = pyenv_python("3.12")
    assert python312 is not None, "pyenv's CPython 3.12 is part of this machine's setup"
    python = make_env(
        project, wheels, "requests==2.32.3", "idna==3.7", "pytest==8.0.0", python=python312
    )
    assert session_for(project, python).check_lock(project / "uv.lock") == []


def test_the_same_package_is_expected_on_3_10(project: Path, wheels: Path) -> None:
    python310 = pyenv_python("3.10")
    assert python310 is not None, "pyenv's CPython 3.10 is part of this machine's setup"
    python = make_env(
        project, wheels, "requests==2.32.3", "idna==3.7", "pytest==8.0.0", python=python310
    )
    # uv installed tomli with requests (its marker holds on 3.10); take it away again.
    uninstall = [uv_executable(), "pip", "uninstall", "--python", str(python), "tomli"]
    subprocess.run(uninstall, check=True, capture_output=True)
    findings = session_for(project, python).check_lock(project / "uv.lock")
    assert [(f.code, f.fix.distribution) for f in findings] == [(Code.LOCK_MISSING, "tomli")]


def test_hand_added_tools_are_only_a_hint(project: Path, wheels: Path) -> None:
    python = make_env(
        project, wheels, "requests==2.32.3", "idna==3.7", "pytest==8.0.0", "httpx==0.27.0"
    )
    findings = session_for(project, python).check_lock(project / "uv.lock")
    assert [(f.code, f.severity) for f in findings] == [(Code.LOCK_EXTRA, Severity.HINT)]
    assert findings[0].message == (
        "1 installed distribution is not in uv.lock (added by hand?): httpx 0.27.0"
    )


def test_uv_default_groups_decide_whether_dev_is_expected(project: Path, wheels: Path) -> None:
    manifest = project / "pyproject.toml"
    manifest.write_text(PYPROJECT + "\n[tool.uv]\ndefault-groups = []\n")
    python = make_env(project, wheels, "requests==2.32.3", "idna==3.7")
    assert session_for(project, python).check_lock(project / "uv.lock") == []


def test_a_dependency_added_after_locking_makes_the_lock_stale(project: Path, wheels: Path) -> None:
    manifest = project / "pyproject.toml"
    text = PYPROJECT.replace('["requests>=2.28"]', '["requests>=2.30", "httpx"]')
    manifest.write_text(text)
    python = make_env(project, wheels, "requests==2.32.3", "idna==3.7", "pytest==8.0.0")
    findings = session_for(project, python).check_manifest(manifest, text)
    stale = codes(findings, Code.LOCK_STALE)
    assert [(f.span.line, f.message) for f in stale] == [
        (
            4,
            "uv.lock is out of date with pyproject.toml (requests>=2.30 was locked as >=2.28); run uv lock",
        ),
        (4, "uv.lock is out of date with pyproject.toml (httpx is not in it); run uv lock"),
    ]
    assert all(f.severity is Severity.INFORMATION for f in stale)


def test_severity_overrides_apply_to_lock_codes(project: Path, wheels: Path) -> None:
    python = make_env(project, wheels, "requests==2.31.0", "idna==3.7", "pytest==8.0.0")
    overrides = {Code.LOCK_MISMATCH: Severity.ERROR}
    session = Session(
        [project],
        settings=SessionSettings(interpreter=python, trusted=False, severity_overrides=overrides),
    )
    assert [f.severity for f in session.check_lock(project / "uv.lock")] == [Severity.ERROR]
    off = Session(
        [project],
        settings=SessionSettings(
            interpreter=python, trusted=False, severity_overrides={Code.LOCK_MISMATCH: None}
        ),
    )
    assert off.check_lock(project / "uv.lock") == []


def test_malformed_lock_is_reported_on_the_lock(project: Path, wheels: Path) -> None:
    lock = project / "uv.lock"
    lock.write_text(lock.read_text() + "\n[[package]\n")
    python = make_env(project, wheels)
    findings = session_for(project, python).check_lock(lock)
    assert [f.code for f in findings] == [Code.MALFORMED_MANIFEST]
    assert findings[0].message.startswith("uv.lock: invalid TOML at line")


def test_poetry_optional_groups_and_content_hash(tmp_path: Path, wheels: Path) -> None:
    project = tmp_path / "shop"
    project.mkdir()
    lock = poetry_lock(project, wheels, tmp_path / "home", POETRY_PYPROJECT)
    python = make_env(project, wheels, "requests==2.31.0", "idna==3.7", "pytest==8.0.0")
    session = session_for(project, python)
    # docs is an optional group: rich is locked but not expected.
    findings = session.check_lock(lock)
    assert [(f.code, f.span.line) for f in findings] == [
        (Code.LOCK_MISMATCH, line_of(lock, 'name = "requests"'))
    ]
    manifest = project / "pyproject.toml"
    text = manifest.read_text().replace('["requests>=2.28"]', '["requests>=2.28", "idna>=3"]')
    manifest.write_text(text)
    stale = codes(session_for(project, python).check_manifest(manifest, text), Code.LOCK_STALE)
    assert [f.message for f in stale] == [
        "poetry.lock is out of date with pyproject.toml (its content-hash no longer matches "
        "pyproject.toml); run poetry lock"
    ]


def test_pdm_default_and_dev_groups(tmp_path: Path, wheels: Path) -> None:
    project = tmp_path / "shop"
    project.mkdir()
    lock = pdm_lock(project, wheels, tmp_path / "home", PDM_PYPROJECT)
    python = make_env(project, wheels, "requests==2.32.3", "idna==3.6")
    findings = session_for(project, python).check_lock(lock)
    assert sorted((f.code.value, f.fix.distribution) for f in findings) == [
        ("lock-mismatch", "idna"),
        ("lock-missing", "pytest"),
    ]


def test_pipfile_lock_expects_only_default(tmp_path: Path, wheels: Path) -> None:
    project = tmp_path / "pipenvproj"
    project.mkdir()
    (project / "Pipfile").write_text('[packages]\nrequests = "*"\n\n[dev-packages]\npytest = "*"\n')
    shutil.copy(SAMPLES / "Pipfile.lock", project / "Pipfile.lock")
    python = make_env(project, wheels, "requests==2.31.0", "idna==3.7")
    findings = session_for(project, python).check_lock(project / "Pipfile.lock")
    assert [(f.code, f.fix.distribution) for f in findings] == [(Code.LOCK_MISMATCH, "requests")]


def test_pinned_requirements_lock_replaces_the_requirement_finding(
    tmp_path: Path, wheels: Path
) -> None:
    project = tmp_path / "app"
    project.mkdir()
    requirements = project / "requirements.txt"
    text = "# This file was autogenerated by uv via the following command:\n#    uv pip compile requirements.in\nidna==3.7\nrequests==2.32.3\n"
    requirements.write_text(text)
    python = make_env(project, wheels, "requests==2.31.0", "idna==3.6")
    findings = session_for(project, python).check_manifest(requirements, text)
    # The requirements check's version-mismatch on the same lines gives way to the lock's.
    assert sorted((f.code.value, f.span.line) for f in findings) == [
        ("lock-mismatch", 2),
        ("lock-mismatch", 3),
    ]
    assert "requirements.txt locks 3.7" in findings[0].message


def test_uv_workspace_member_is_compared_with_the_root_lock(tmp_path: Path, wheels: Path) -> None:
    root = tmp_path / "ws"
    member = root / "packages" / "member"
    member.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "ws-root"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
        'dependencies = ["idna"]\n\n[tool.uv.workspace]\nmembers = ["packages/*"]\n'
    )
    (member / "pyproject.toml").write_text(
        '[project]\nname = "member"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
        'dependencies = ["requests>=2.28"]\n'
    )
    other = root / "tools" / "other"
    other.mkdir(parents=True)
    (other / "pyproject.toml").write_text(
        '[project]\nname = "other"\nversion = "1"\ndependencies = ["rich"]\n'
    )
    uv_lock(root, wheels, tmp_path / "home")
    python = make_env(member, wheels, "requests==2.31.0", "idna==3.7")
    session = Session([root], settings=SessionSettings(interpreter=python, trusted=False))
    manifest = member / "pyproject.toml"
    findings = lock_findings(session.check_manifest(manifest, manifest.read_text()))
    assert [(f.code, f.message) for f in findings] == [
        (Code.LOCK_MISMATCH, "1 package differs from uv.lock: requests 2.31.0 (locked 2.32.3)")
    ]
    # A project below the workspace root that is not a member has nothing to do with its lock.
    other_manifest = other / "pyproject.toml"
    other_python = make_env(other, wheels)
    other_session = Session(
        [root], settings=SessionSettings(interpreter=other_python, trusted=False)
    )
    assert (
        lock_findings(other_session.check_manifest(other_manifest, other_manifest.read_text()))
        == []
    )
