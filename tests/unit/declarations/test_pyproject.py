"""pyproject.toml: PEP 621, PEP 735, poetry, uv, pdm; spans found in the text."""

from __future__ import annotations

from pathlib import Path

from packaging.specifiers import SpecifierSet

from envsense.core.declarations import parse_manifest, poetry_constraint, read_declarations

from .helpers import spelled, text_at

PEP621 = """\
[project]
name = "My_Demo"
requires-python = ">=3.10"
dependencies = [
    "requests>=2",  # first
    'tomli; python_version < "3.11"',
    "requests>=2",
]

[project.optional-dependencies]
test = ["pytest>=8"]
gpu = ["cupy"]

[dependency-groups]
lint = ["ruff"]
dev = ["mypy", {include-group = "lint"}]
"""


def test_project_tables(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PEP621)
    declarations = read_declarations(tmp_path)
    rows = [(r.name, r.group, r.is_dev) for r in declarations.requirements]
    assert rows == [
        ("requests", "main", False),
        ("tomli", "main", False),
        ("requests", "main", False),
        ("pytest", "optional:test", True),
        ("cupy", "optional:gpu", False),
        ("ruff", "group:lint", True),
        ("mypy", "group:dev", True),
    ]
    # Duplicates get their own spans, in order.
    first, second = declarations.by_canonical()["requests"]
    assert first.span.line == 4 and second.span.line == 6
    for requirement in declarations.requirements:
        assert spelled(requirement) == requirement.raw
    assert declarations.requires_python is not None
    assert declarations.requires_python.specifier == SpecifierSet(">=3.10")
    assert text_at(PEP621, declarations.requires_python.span) == ">=3.10"
    assert declarations.project_name == "my-demo"
    assert declarations.preferred_manifest() == tmp_path / "pyproject.toml"
    assert declarations.problems == ()


def test_markers_are_evaluated_against_the_given_target(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PEP621)
    tomli = read_declarations(tmp_path).by_canonical()["tomli"][0]
    assert tomli.marker_applies({"python_version": "3.10", "python_full_version": "3.10.13"})
    assert not tomli.marker_applies({"python_version": "3.12", "python_full_version": "3.12.1"})
    requests = read_declarations(tmp_path).by_canonical()["requests"][0]
    assert requests.marker_applies({})


def test_include_group_cycle_is_reported(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[dependency-groups]\na = ["x", {include-group = "b"}]\nb = ["y", {include-group = "a"}]\n'
    )
    declarations = read_declarations(tmp_path)
    assert any("cycle" in p.message for p in declarations.problems)
    assert {r.name for r in declarations.requirements} == {"x", "y"}


def test_invalid_toml_is_one_problem_with_position(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = [\n  "a" "b"\n]\n'
    )
    declarations = read_declarations(tmp_path)
    assert len(declarations.problems) == 1
    problem = declarations.problems[0]
    assert problem.message.startswith("pyproject.toml: invalid TOML at line 4, column")
    assert problem.span.line == 3
    assert declarations.requirements == ()


def test_invalid_requirement_is_a_problem_on_its_string(tmp_path: Path) -> None:
    text = '[project]\nname = "x"\ndependencies = ["good", "bad name!!"]\n'
    declarations = parse_manifest(tmp_path / "pyproject.toml", text)
    assert [r.name for r in declarations.requirements] == ["good"]
    (problem,) = declarations.problems
    assert "bad name!!" in problem.message
    assert text_at(text, problem.span) == "bad name!!"


def test_wrong_types_are_problems_not_crashes(tmp_path: Path) -> None:
    text = '[project]\nname = "x"\ndependencies = "requests"\nrequires-python = 3\n'
    declarations = parse_manifest(tmp_path / "pyproject.toml", text)
    assert len(declarations.problems) == 2
    assert declarations.requires_python is None


POETRY = """\
[tool.poetry]
name = "poetic"

[tool.poetry.dependencies]
python = "^3.9"
requests = "^2.31"
numpy = { version = "~1.26", extras = ["dev"], python = ">=3.10" }
mylib = { path = "../mylib", develop = true }
redis = { version = "*", optional = true }

[tool.poetry.extras]
cache = ["redis"]

[tool.poetry.group.test.dependencies]
pytest = ">=7 <9"

[tool.poetry.dev-dependencies]
black = "23.1.0"

[tool.uv]
dev-dependencies = ["coverage"]

[tool.pdm.dev-dependencies]
lint = ["flake8", "-e file:///${PROJECT_ROOT}/sub#egg=sub"]
"""


def test_poetry_uv_pdm(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(POETRY)
    declarations = read_declarations(tmp_path)
    found = {r.canonical: r for r in declarations.requirements}
    assert str(found["requests"].requirement) == "requests<3.0,>=2.31"
    assert found["numpy"].requirement is not None
    assert found["numpy"].requirement.extras == {"dev"}
    assert found["numpy"].marker_applies({"python_version": "3.11"})
    assert not found["numpy"].marker_applies({"python_version": "3.9"})
    assert found["mylib"].editable and found["mylib"].url == "file:../mylib"
    assert found["redis"].group == "optional:cache"
    assert (found["pytest"].group, found["pytest"].is_dev) == ("poetry:test", True)
    assert found["pytest"].requirement is not None
    assert found["pytest"].requirement.specifier == SpecifierSet(">=7,<9")
    assert found["black"].group == "poetry:dev"
    assert (found["coverage"].group, found["coverage"].is_dev) == ("dev", True)
    assert found["flake8"].group == "pdm:lint"
    assert found["sub"].editable
    assert spelled(found["requests"]) == 'requests = "^2.31"'
    assert spelled(found["coverage"]) == "coverage"
    assert declarations.requires_python is not None
    assert declarations.requires_python.specifier == SpecifierSet(">=3.9,<4.0")
    assert declarations.project_name == "poetic"
    assert declarations.preferred_manifest() == tmp_path / "pyproject.toml"


def test_poetry_constraints() -> None:
    assert poetry_constraint("^1.2.3") == ">=1.2.3,<2.0.0"
    assert poetry_constraint("^0.2.3") == ">=0.2.3,<0.3.0"
    assert poetry_constraint("^0.0.3") == ">=0.0.3,<0.0.4"
    assert poetry_constraint("^0") == ">=0,<1"
    assert poetry_constraint("~1.2.3") == ">=1.2.3,<1.3"
    assert poetry_constraint("~1") == ">=1,<2"
    assert poetry_constraint("1.2.*") == "==1.2.*"
    assert poetry_constraint("2.0") == "==2.0"
    assert poetry_constraint(">= 1.2, < 2.0") == ">=1.2,<2.0"
    assert poetry_constraint("*") == ""
    assert poetry_constraint("^1.0 || ^2.0") is None


def test_poetry_main_dependencies_defer_to_project_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "p"\ndependencies = ["requests"]\n\n'
        '[tool.poetry.dependencies]\nrequests = { source = "private" }\n'
    )
    declarations = read_declarations(tmp_path)
    assert [r.name for r in declarations.requirements] == ["requests"]


def test_unsaved_text_replaces_the_file_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "p"\ndependencies = ["old"]\n')
    (tmp_path / "requirements.txt").write_text("other\n")
    on_disk = read_declarations(tmp_path)
    edited = on_disk.with_manifest(
        path, parse_manifest(path, '[project]\nname = "p"\ndependencies = ["new"]\n')
    )
    assert sorted(r.name for r in edited.requirements) == ["new", "other"]
    broken = on_disk.with_manifest(path, parse_manifest(path, "[project\n"))
    assert [r.name for r in broken.requirements] == ["other"]
    assert len(broken.problems) == 1
