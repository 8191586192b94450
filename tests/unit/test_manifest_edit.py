"""Declaring a requirement edits the manifest minimally and keeps its formatting."""

from __future__ import annotations

from pathlib import Path

import pytest

from envsense.core.manifest_edit import ManifestEditError, TextEdit, add_requirement, apply_edits


def edit_file(path: Path, requirement: str, group: str | None = None, **kw: str) -> str:
    """Run the edit against a real file, write the result back and return the new text."""
    text = path.read_text(encoding="utf-8")
    edits = add_requirement(path, text, requirement, group, **kw)
    new_text = apply_edits(text, edits)
    path.write_text(new_text, encoding="utf-8")
    return new_text


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_multiline_sorted_list_gets_the_name_in_alphabetical_place(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "pyproject.toml",
        '[project]\nname = "demo"\ndependencies = [\n  "attrs>=23",\n  "rich",\n]\n',
    )
    assert edit_file(path, "httpx") == (
        '[project]\nname = "demo"\ndependencies = [\n  "attrs>=23",\n  "httpx",\n  "rich",\n]\n'
    )


def test_insert_in_sorted_list_is_one_small_insertion(tmp_path: Path) -> None:
    text = '[project]\nname = "demo"\ndependencies = [\n    "attrs",\n    "rich",\n]\n'
    path = write(tmp_path, "pyproject.toml", text)
    assert add_requirement(path, text, "httpx") == (TextEdit(4, 0, 4, 0, '    "httpx",\n'),)


def test_unsorted_list_is_appended_to_with_its_trailing_comma_style(tmp_path: Path) -> None:
    with_comma = write(
        tmp_path, "pyproject.toml", "[project]\ndependencies = [\n\t'rich',\n\t'attrs',\n]\n"
    )
    assert edit_file(with_comma, "httpx>=0.27") == (
        "[project]\ndependencies = [\n\t'rich',\n\t'attrs',\n\t'httpx>=0.27',\n]\n"
    )
    (tmp_path / "b").mkdir()
    without = write(
        tmp_path / "b",
        "pyproject.toml",
        '[project]\ndependencies = [\n    "rich",\n    "attrs"\n]\n',
    )
    assert edit_file(without, "httpx") == (
        '[project]\ndependencies = [\n    "rich",\n    "attrs",\n    "httpx"\n]\n'
    )


def test_comment_after_last_item_stays_on_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "pyproject.toml",
        '[project]\ndependencies = [\n    "rich",\n    "attrs"  # classes\n]\n',
    )
    assert edit_file(path, "httpx") == (
        '[project]\ndependencies = [\n    "rich",\n    "attrs",  # classes\n    "httpx"\n]\n'
    )


def test_comment_above_an_item_stays_with_that_item(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "pyproject.toml",
        '[project]\ndependencies = [\n    "attrs",\n    # tomllib is 3.11+\n'
        "    \"tomli>=1.1; python_version < '3.11'\",\n]\n",
    )
    assert edit_file(path, "rich") == (
        '[project]\ndependencies = [\n    "attrs",\n    "rich",\n    # tomllib is 3.11+\n'
        "    \"tomli>=1.1; python_version < '3.11'\",\n]\n"
    )


def test_single_line_arrays(tmp_path: Path) -> None:
    sorted_one = write(tmp_path, "pyproject.toml", '[project]\ndependencies = ["attrs", "rich"]\n')
    assert edit_file(sorted_one, "click") == (
        '[project]\ndependencies = ["attrs", "click", "rich"]\n'
    )
    assert edit_file(sorted_one, "zope.interface") == (
        '[project]\ndependencies = ["attrs", "click", "rich", "zope.interface"]\n'
    )
    empty = write(tmp_path, "pyproject.toml", "[project]\ndependencies = []\n")
    assert edit_file(empty, "rich") == '[project]\ndependencies = ["rich"]\n'


def test_missing_dependencies_key_is_added_under_project(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "pyproject.toml",
        '[project]\nname = "demo"\nversion = "1.0"\n\n[build-system]\nrequires = ["hatchling"]\n',
    )
    assert edit_file(path, "rich", installed_version="13.7.1") == (
        '[project]\nname = "demo"\nversion = "1.0"\ndependencies = [\n    "rich>=13.7.1",\n]\n'
        '\n[build-system]\nrequires = ["hatchling"]\n'
    )


def test_installed_version_becomes_the_lower_bound_only_without_a_specifier(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "requirements.txt", "attrs\n")
    assert edit_file(path, "rich", installed_version="13.7.1+local") == "attrs\nrich>=13.7.1\n"
    assert (
        edit_file(path, "httpx<1", installed_version="0.27.0") == "attrs\nrich>=13.7.1\nhttpx<1\n"
    )


def test_already_declared_gives_no_edits(tmp_path: Path) -> None:
    text = '[project]\ndependencies = ["Rich>=13"]\n'
    path = write(tmp_path, "pyproject.toml", text)
    assert add_requirement(path, text, "rich") == ()
    req_text = "rich==13.0  # pinned\n"
    assert add_requirement(write(tmp_path, "requirements.txt", req_text), req_text, "RICH") == ()


def test_dependency_groups_existing_group_new_group_and_new_table(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "pyproject.toml",
        '[project]\nname = "demo"\n\n[dependency-groups]\ndev = [\n    "pytest",\n]\n',
    )
    assert edit_file(path, "ruff", "dev") == (
        '[project]\nname = "demo"\n\n[dependency-groups]\ndev = [\n    "pytest",\n    "ruff",\n]\n'
    )
    assert edit_file(path, "sphinx", "docs") == (
        '[project]\nname = "demo"\n\n[dependency-groups]\ndev = [\n    "pytest",\n    "ruff",\n]\n'
        'docs = [\n    "sphinx",\n]\n'
    )
    bare = write(tmp_path, "pyproject.toml", '[project]\nname = "demo"\n')
    assert edit_file(bare, "pytest", "test") == (
        '[project]\nname = "demo"\n\n[dependency-groups]\ntest = [\n    "pytest",\n]\n'
    )


def test_poetry_dependencies_use_caret_form_and_keep_python_first(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "pyproject.toml",
        '[tool.poetry]\nname = "demo"\n\n[tool.poetry.dependencies]\npython = "^3.10"\n'
        'attrs = "^23.1"\nrich = "^13.0"\n',
    )
    assert edit_file(path, "httpx", installed_version="0.27.0") == (
        '[tool.poetry]\nname = "demo"\n\n[tool.poetry.dependencies]\npython = "^3.10"\n'
        'attrs = "^23.1"\nhttpx = "^0.27.0"\nrich = "^13.0"\n'
    )
    assert edit_file(path, "uvicorn[standard]; sys_platform != 'win32'") == (
        '[tool.poetry]\nname = "demo"\n\n[tool.poetry.dependencies]\npython = "^3.10"\n'
        'attrs = "^23.1"\nhttpx = "^0.27.0"\nrich = "^13.0"\n'
        'uvicorn = {version = "*", extras = ["standard"], markers = "sys_platform != \'win32\'"}\n'
    )


def test_poetry_group_table_is_created_when_missing(tmp_path: Path) -> None:
    path = write(tmp_path, "pyproject.toml", '[tool.poetry]\nname = "demo"\n')
    assert edit_file(path, "pytest>=8", "dev") == (
        '[tool.poetry]\nname = "demo"\n\n[tool.poetry.group.dev.dependencies]\npytest = ">=8"\n'
    )


def test_pipfile_packages_and_dev_packages(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Pipfile",
        '[[source]]\nurl = "https://pypi.invalid/simple"\nname = "pypi"\n\n'
        '[packages]\nflask = "*"\n\n[dev-packages]\n',
    )
    assert edit_file(path, "requests", installed_version="2.32.3") == (
        '[[source]]\nurl = "https://pypi.invalid/simple"\nname = "pypi"\n\n'
        '[packages]\nflask = "*"\nrequests = ">=2.32.3"\n\n[dev-packages]\n'
    )
    assert edit_file(path, "pytest", "dev") == (
        '[[source]]\nurl = "https://pypi.invalid/simple"\nname = "pypi"\n\n'
        '[packages]\nflask = "*"\nrequests = ">=2.32.3"\n\n[dev-packages]\npytest = "*"\n'
    )


def test_requirements_file_appends_and_keeps_newline_style(tmp_path: Path) -> None:
    path = write(tmp_path, "requirements.txt", "# app\nflask==3.0\n")
    assert edit_file(path, "rich") == "# app\nflask==3.0\nrich\n"
    no_final_newline = write(tmp_path, "requirements-dev.txt", "pytest")
    assert edit_file(no_final_newline, "ruff") == "pytest\nruff"
    crlf = tmp_path / "requirements.in"
    crlf.write_bytes(b"flask\r\n")
    text = crlf.read_bytes().decode()
    assert apply_edits(text, add_requirement(crlf, text, "rich")) == "flask\r\nrich\r\n"


def test_crlf_pyproject_keeps_crlf(tmp_path: Path) -> None:
    text = '[project]\r\ndependencies = [\r\n    "attrs",\r\n]\r\n'
    path = tmp_path / "pyproject.toml"
    assert apply_edits(text, add_requirement(path, text, "rich")) == (
        '[project]\r\ndependencies = [\r\n    "attrs",\r\n    "rich",\r\n]\r\n'
    )


@pytest.mark.parametrize(
    ("name", "text", "requirement", "message"),
    [
        ("pyproject.toml", "[project\nname=1\n", "rich", "not valid TOML"),
        ("pyproject.toml", "[tool.black]\nline-length = 100\n", "rich", "no [project] table"),
        ("pyproject.toml", '[project]\ndependencies = "rich"\n', "attrs", "is not a list"),
        ("pyproject.toml", "project = {name = 'x'}\n", "rich", "can't edit in place"),
        ("requirements.txt", "", "-e .", "starts with '-'"),
        ("requirements.txt", "", "rich\nflask", "line break"),
        ("requirements.txt", "", "rich", None),
        ("setup.cfg", "", "rich", "don't know how"),
    ],
)
def test_bad_input_is_a_clear_error_not_a_crash(
    tmp_path: Path, name: str, text: str, requirement: str, message: str | None
) -> None:
    path = write(tmp_path, name, text)
    if message is None:
        assert apply_edits(text, add_requirement(path, text, requirement)) == "rich\n"
        return
    with pytest.raises(ManifestEditError, match=message.replace("[", r"\[")):
        add_requirement(path, text, requirement)
