"""setup.cfg, Pipfile and PEP 723 script blocks."""

from __future__ import annotations

from pathlib import Path

from packaging.specifiers import SpecifierSet

from envsense.core.declarations import parse_manifest, read_declarations, read_script_metadata

from .helpers import spelled, text_at


def test_setup_cfg(tmp_path: Path) -> None:
    (tmp_path / "setup.cfg").write_text(
        "[metadata]\nname = Legacy.Pkg\n\n"
        "[options]\n"
        "python_requires = >=3.8\n"
        "install_requires =\n"
        "    requests>=2\n"
        '    importlib-metadata; python_version<"3.10"\n'
        "\n"
        "[options.extras_require]\n"
        "test =\n    pytest\n"
        "yaml = pyyaml\n"
    )
    declarations = read_declarations(tmp_path)
    rows = [(r.name, r.group, r.is_dev) for r in declarations.requirements]
    assert rows == [
        ("requests", "main", False),
        ("importlib-metadata", "main", False),
        ("pytest", "optional:test", True),
        ("pyyaml", "optional:yaml", False),
    ]
    for requirement in declarations.requirements:
        assert spelled(requirement) == requirement.raw
    assert declarations.requires_python is not None
    assert declarations.requires_python.specifier == SpecifierSet(">=3.8")
    assert declarations.project_name == "legacy-pkg"


def test_broken_setup_cfg_is_one_problem(tmp_path: Path) -> None:
    (tmp_path / "setup.cfg").write_text("[options\ninstall_requires = x\n")
    declarations = read_declarations(tmp_path)
    assert len(declarations.problems) == 1
    assert declarations.problems[0].message.startswith("setup.cfg:")


def test_pipfile(tmp_path: Path) -> None:
    (tmp_path / "Pipfile").write_text(
        "[packages]\n"
        'requests = "*"\n'
        'django = ">=4.2"\n'
        'uvicorn = {version = "==0.30", extras = ["standard"], markers = "sys_platform == \'linux\'"}\n'
        "\n[dev-packages]\n"
        'pytest = "*"\n'
        "\n[requires]\n"
        'python_version = "3.11"\n'
    )
    declarations = read_declarations(tmp_path)
    found = {r.canonical: r for r in declarations.requirements}
    assert found["requests"].requirement is not None and not found["requests"].requirement.specifier
    assert found["django"].requirement is not None
    assert str(found["django"].requirement.specifier) == ">=4.2"
    assert found["uvicorn"].requirement is not None
    assert found["uvicorn"].requirement.extras == {"standard"}
    assert not found["uvicorn"].marker_applies({"sys_platform": "win32"})
    assert (found["pytest"].group, found["pytest"].is_dev) == ("pipenv:dev", True)
    assert spelled(found["django"]) == 'django = ">=4.2"'
    assert declarations.requires_python is not None
    assert "3.11.4" in declarations.requires_python.specifier
    assert "3.12.0" not in declarations.requires_python.specifier


SCRIPT = """\
#!/usr/bin/env python
# /// script
# requires-python = ">=3.11"
# dependencies = [
#   "rich",
#   "httpx>=0.27",
# ]
# ///
import rich
"""


def test_pep723_script(tmp_path: Path) -> None:
    path = tmp_path / "tool.py"
    path.write_text(SCRIPT)
    declarations = read_script_metadata(SCRIPT, path)
    assert declarations is not None
    assert [r.raw for r in declarations.requirements] == ["rich", "httpx>=0.27"]
    for requirement in declarations.requirements:
        assert spelled(requirement) == requirement.raw
    assert declarations.requires_python is not None
    assert text_at(SCRIPT, declarations.requires_python.span) == ">=3.11"
    assert declarations.preferred_manifest() == path
    assert read_script_metadata("import os\n", path) is None
    assert parse_manifest(path, SCRIPT).requirements == declarations.requirements


def test_pep723_invalid_toml(tmp_path: Path) -> None:
    text = "# /// script\n# dependencies = [\n# ///\n"
    declarations = read_script_metadata(text, tmp_path / "s.py")
    assert declarations is not None and len(declarations.problems) == 1
    assert "invalid TOML" in declarations.problems[0].message


def test_empty_folder_declares_nothing(tmp_path: Path) -> None:
    declarations = read_declarations(tmp_path)
    assert not declarations.declares_dependencies
    assert declarations.preferred_manifest() is None
    assert declarations.requirements == () and declarations.problems == ()


def test_non_utf8_pyproject_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(b'[project]\nname = "caf\xe9"\n')
    declarations = read_declarations(tmp_path)
    assert len(declarations.problems) == 1
    assert "UTF-8" in declarations.problems[0].message


def test_setup_cfg_interpolation_of_other_extras(tmp_path: Path) -> None:
    # SQLAlchemy 2.0.30: extras reuse `%(asyncio)s`, which setuptools expands.
    path = tmp_path / "setup.cfg"
    path.write_text(
        "[options.extras_require]\n"
        "asyncio =\n"
        "\tgreenlet!=0.4.17\n"
        "aiosqlite =\n"
        "\t%(asyncio)s\n"
        "\taiosqlite\n"
        "loop =\n"
        "\t%(loop)s\n"
    )
    declared = read_declarations(tmp_path)
    assert declared.problems == ()
    found = [(r.raw, r.group, spelled(r)) for r in declared.requirements]
    assert found == [
        ("greenlet!=0.4.17", "optional:asyncio", "greenlet!=0.4.17"),
        ("greenlet!=0.4.17", "optional:aiosqlite", "%(asyncio)s"),
        ("aiosqlite", "optional:aiosqlite", "aiosqlite"),
    ]
