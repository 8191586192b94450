"""An invalid Python range is one clear problem on its own manifest, in every format."""

from __future__ import annotations

from pathlib import Path

from envsense.core.declarations import read_declarations, read_script_metadata


def test_setup_cfg_and_pipfile_report_their_own_key(tmp_path: Path) -> None:
    (tmp_path / "setup.cfg").write_text(
        "[options]\npython_requires = >=3.x\ninstall_requires =\n    requests\n"
    )
    (tmp_path / "Pipfile").write_text('[requires]\npython_version = "3.x!"\n')
    declarations = read_declarations(tmp_path)
    assert sorted(p.message for p in declarations.problems) == [
        "Pipfile: requires.python_version '3.x!' is not a valid version specifier",
        "setup.cfg: python_requires '>=3.x' is not a valid version specifier",
    ]
    assert declarations.requires_python is None
    assert [r.name for r in declarations.requirements] == ["requests"]


def test_script_block_with_a_bad_range_still_declares_its_dependencies(tmp_path: Path) -> None:
    source = '# /// script\n# requires-python = ">=3.x"\n# dependencies = ["rich"]\n# ///\n'
    script = read_script_metadata(source, tmp_path / "tool.py")
    assert script is not None
    (problem,) = script.problems
    assert problem.message == "tool.py: requires-python '>=3.x' is not a valid version specifier"
    assert problem.span.line == 1
    assert [r.name for r in script.requirements] == ["rich"]
