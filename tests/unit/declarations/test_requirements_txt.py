"""requirements files as pip reads them: includes, constraints, options, continuations."""

from __future__ import annotations

from pathlib import Path

from envsense.core.declarations import read_declarations

from .helpers import spelled


def test_lines_options_and_spans(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        "# comment line\n"
        "\n"
        "--index-url https://pkgs.example.invalid/simple\n"
        "--trusted-host pkgs.example.invalid\n"
        "requests>=2.31  # trailing comment\n"
        "flask==3.0 \\\n"
        "    --hash=sha256:abc\n"
        "numpy ; python_version >= '3.10'\n"
        "-e ./local_pkg\n"
        "--editable git+https://example.invalid/repo.git#egg=fromgit\n"
        "pkg @ https://example.invalid/pkg-1.0.tar.gz\n"
        "https://example.invalid/wheelname-2.0-py3-none-any.whl\n"
    )
    declarations = read_declarations(tmp_path)
    found = {r.name: r for r in declarations.requirements}
    assert list(found) == [
        "requests",
        "flask",
        "numpy",
        "./local_pkg",
        "fromgit",
        "pkg",
        "wheelname",
    ]
    index = (
        "--index-url https://pkgs.example.invalid/simple",
        "--trusted-host pkgs.example.invalid",
    )
    assert found["requests"].options == index
    assert found["flask"].options == (*index, "--hash=sha256:abc")
    assert spelled(found["requests"]) == "requests>=2.31"
    assert spelled(found["flask"]) == "flask==3.0"
    assert spelled(found["numpy"]) == "numpy ; python_version >= '3.10'"
    local = found["./local_pkg"]
    assert local.editable and local.requirement is None and local.canonical == ""
    assert spelled(local) == "./local_pkg"
    assert found["fromgit"].editable and found["fromgit"].url is not None
    assert found["pkg"].url == "https://example.invalid/pkg-1.0.tar.gz"
    assert found["wheelname"].canonical == "wheelname"
    assert declarations.problems == ()
    assert "" not in declarations.by_canonical()
    assert declarations.preferred_manifest() == tmp_path / "requirements.txt"


def test_includes_constraints_and_cycles(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        "-r requirements/base.txt\n-c constraints.txt\nclick\n"
    )
    folder = tmp_path / "requirements"
    folder.mkdir()
    (folder / "base.txt").write_text("attrs\n--requirement=loop.txt\n")
    (folder / "loop.txt").write_text("-r base.txt\nsix\n")
    (folder / "test.txt").write_text("-r missing.txt\npytest\n")
    (tmp_path / "constraints.txt").write_text("click<9\n")
    declarations = read_declarations(tmp_path)
    names = [(r.name, r.manifest.name, r.group) for r in declarations.requirements]
    assert ("attrs", "base.txt", "main") in names
    assert ("six", "loop.txt", "main") in names
    assert ("click", "requirements.txt", "main") in names
    assert ("pytest", "test.txt", "requirements:test") in names
    assert [c.name for c in declarations.constraints] == ["click"]
    assert "click" in declarations.by_canonical() and len(declarations.by_canonical()["click"]) == 1
    messages = [p.message for p in declarations.problems]
    assert any("cycle" in m for m in messages)
    assert any("missing.txt" in m for m in messages)
    attrs = declarations.by_canonical()["attrs"][0]
    assert spelled(attrs) == "attrs"
    pytest_req = declarations.by_canonical()["pytest"][0]
    assert pytest_req.is_dev


def test_invalid_line_is_a_problem_and_the_rest_is_read(tmp_path: Path) -> None:
    (tmp_path / "requirements-dev.txt").write_text("good\nthis is not valid!!\nalso-good\n")
    declarations = read_declarations(tmp_path)
    assert [r.name for r in declarations.requirements] == ["good", "also-good"]
    assert all(r.is_dev and r.group == "requirements:dev" for r in declarations.requirements)
    (problem,) = declarations.problems
    assert problem.span.line == 1 and "line 2" in problem.message


def test_latin1_requirements_file_is_still_read(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_bytes("# d\xe9pendances\nrequests\n".encode("latin-1"))
    assert [r.name for r in read_declarations(tmp_path).requirements] == ["requests"]
