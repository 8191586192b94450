"""The role of a manifest from its name and location, and environments made for a role."""

from __future__ import annotations

from pathlib import Path

import pytest

from envsense.core.declarations.roles import (
    ManifestRole,
    content_role,
    environment_serves,
    manifest_role,
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "flask"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "flask"\n')
    return root


@pytest.mark.parametrize(
    ("relative", "role"),
    [
        ("requirements.txt", "runtime"),
        # Next to packaging metadata, a requirements/ folder holds pins.
        ("requirements/base.txt", "pins"),
        ("requirements/requirements.txt", "pins"),
        ("requirements/constraints.txt", "pins"),
        ("requirements-py3.txt", "runtime"),
        ("requirements/dev.txt", "dev"),
        ("requirements/dev.in", "dev"),
        ("requirements/tests.txt", "test"),
        ("requirements/tests-min.in", "test"),
        ("requirements/docs.txt", "docs"),
        ("requirements/typing.txt", "typing"),
        ("requirements/build.txt", "build"),
        ("requirements-test.txt", "test"),
        ("test-requirements.txt", "test"),
        ("dev-requirements.txt", "dev"),
        ("requirements_lint.txt", "lint"),
        ("tox-requirements.txt", "test"),
        ("docs/requirements.txt", "docs"),
        ("examples/tutorial/pyproject.toml", "example"),
        ("examples/celery/requirements.txt", "example"),
        ("tests/fixtures/app/requirements.txt", "test"),
        ("benchmarks/requirements.txt", "bench"),
    ],
)
def test_role_from_name_then_location(repo: Path, relative: str, role: str) -> None:
    assert manifest_role(repo / relative).role == role


def test_an_apps_requirements_folder_is_its_runtime(tmp_path: Path) -> None:
    # No packaging metadata (a pyproject.toml for tools only): requirements/ is the runtime.
    (tmp_path / "pyproject.toml").write_text("[tool.ruff]\nline-length = 99\n")
    assert manifest_role(tmp_path / "requirements" / "base.txt").is_runtime
    assert manifest_role(tmp_path / "requirements" / "prod.txt").is_runtime
    assert manifest_role(tmp_path / "requirements" / "dev.txt").role == "dev"


def test_a_folder_gives_a_role_only_inside_an_enclosing_project(tmp_path: Path) -> None:
    # ~/tests/myproject is where the user keeps a project, not a test folder of one.
    (tmp_path / "tests" / "myproject").mkdir(parents=True)
    assert manifest_role(tmp_path / "tests" / "myproject" / "pyproject.toml").is_runtime


def test_environments_made_for_a_role(repo: Path) -> None:
    docs = manifest_role(repo / "docs" / "requirements.txt")
    tests = manifest_role(repo / "requirements" / "tests.txt")
    assert environment_serves(docs, None, repo / ".tox" / "docs")
    assert environment_serves(docs, "docs", Path("/home/me/.local/share/hatch/env/virtual/x"))
    assert environment_serves(tests, None, repo / ".nox" / "tests-3-12")
    assert environment_serves(tests, "hatch-test.py3.12", None)
    assert environment_serves(docs, None, repo / "docs" / ".venv")
    assert not environment_serves(docs, None, repo / ".venv")
    assert not environment_serves(tests, ".venv", repo / ".venv")
    assert environment_serves(manifest_role(repo / "requirements.txt"), None, repo / ".venv")


def test_a_requirements_file_of_development_tools_is_for_dev(repo: Path) -> None:
    # tornado 6.4's requirements.txt: pip-compiled black, flake8, mypy, sphinx, tox, ...
    lock = repo / "requirements.txt"
    assert content_role(lock, ["black", "flake8", "mypy", "sphinx", "tox", "idna"]) == ManifestRole(
        "dev"
    )
    # A pytest plugin or a sphinx theme needs one of them at run time: still runtime.
    assert content_role(lock, ["pytest", "packaging"]) is None
    assert content_role(lock, ["sphinx", "docutils"]) is None
    assert content_role(repo / "pyproject.toml", ["pytest", "mypy"]) is None


def test_a_deep_fixture_under_the_test_folder(repo: Path) -> None:
    # ansible-core 2.16.6
    deep = "test/integration/targets/t/ansible_collections/ns/col/tests/unit/requirements.txt"
    assert manifest_role(repo / deep).role == "test"
