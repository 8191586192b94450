"""Hostile manifests (issue 11): every case gives problems, never an exception, in linear time."""

from __future__ import annotations

import gc
import re
import time
from collections.abc import Callable
from pathlib import Path

from envsense.core.declarations import parse_manifest, read_declarations
from envsense.core.declarations.common import MAX_ENTRIES
from envsense.core.declarations.requirements_txt import (
    MAX_INCLUDE_DEPTH,
    MAX_INCLUDED_FILES,
    MAX_LINES,
    parse_requirements,
)
from envsense.core.declarations.script_metadata import _blocks
from envsense.core.declarations.toml_spans import TomlLocator
from envsense.core.safe_read import MANIFEST_LIMIT
from envsense.core.toml_compat import MAX_TOML_DEPTH, TOMLDecodeError, loads_toml

# PEP 723's reference regex, the oracle for the linear block finder.
PEP723_REGEX = re.compile(
    r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$"
)


def _best_of_three(action: Callable[[], object]) -> float:
    # The collector's full passes grow with everything alive, not with the work measured.
    gc.collect()
    gc.disable()
    try:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            action()
            times.append(time.perf_counter() - start)
    finally:
        gc.enable()
    return min(times)


def _growth(build: Callable[[int], Callable[[], object]], small: int, large: int) -> float:
    """How much slower `large` items are than `small`: about large/small when linear (16
    here, up to ~3 times that from caches), its square (256) when quadratic. A ratio within
    one run, never an absolute budget. The lower of two measurements: another job taking
    the CPU during one of them made a linear parser look quadratic (102) on a loaded machine,
    while a quadratic one is slow in both."""
    small_action, large_action = build(small), build(large)
    return min(
        _best_of_three(large_action) / max(_best_of_three(small_action), 1e-6) for _ in range(2)
    )


def _messages(declarations: object) -> list[str]:
    return [p.message for p in declarations.problems]  # type: ignore[attr-defined]


def test_toml_nested_900_deep_is_a_problem_in_every_toml_manifest(tmp_path: Path) -> None:
    deep = "a = " + "[" * 900 + "]" * 900 + "\n"
    for name, text in (
        ("pyproject.toml", "[project]\nname = 'x'\n" + deep),
        ("Pipfile", deep),
    ):
        result = parse_manifest(tmp_path / name, text)
        assert any("nested more than" in m for m in _messages(result)), name
    script = "# /// script\n# " + deep + "# ///\nimport os\n"
    result = parse_manifest(tmp_path / "x.py", script)
    assert any("nested more than" in m for m in _messages(result))


def test_loads_toml_refuses_deep_nesting_but_not_brackets_in_strings() -> None:
    inline = "a = " + "{b = " * 200 + "1" + "}" * 200
    try:
        loads_toml(inline)
    except TOMLDecodeError as error:
        assert str(MAX_TOML_DEPTH) in str(error)
    else:
        raise AssertionError("200 nested inline tables were accepted")
    assert loads_toml('a = "' + "[" * 500 + "\"\nb = '''" + "{" * 500 + "'''\n")["a"]


def test_editable_with_two_blanks_and_include_with_nul(tmp_path: Path) -> None:
    result = parse_manifest(tmp_path / "requirements.txt", "-e ./a  b\n-r a\0b\n")
    assert [r.raw for r in result.requirements] == ["./a  b"]
    assert any("NUL" in m for m in _messages(result))


def test_requirement_include_chain_of_1200_files_stops_at_the_depth_cap(tmp_path: Path) -> None:
    for i in range(1200):
        (tmp_path / f"r{i}.txt").write_text(f"-r r{i + 1}.txt\npkg{i}\n")
    (tmp_path / "requirements.txt").write_text("-r r0.txt\n")
    result = read_declarations(tmp_path)
    assert len(result.requirements) == MAX_INCLUDE_DEPTH - 1
    assert any(f"deeper than {MAX_INCLUDE_DEPTH} files" in m for m in _messages(result))


def test_requirement_include_count_is_capped(tmp_path: Path) -> None:
    lines = "".join(f"-r f{i}.txt\n" for i in range(MAX_INCLUDED_FILES + 20))
    for i in range(MAX_INCLUDED_FILES + 20):
        (tmp_path / f"f{i}.txt").write_text(f"pkg{i}\n")
    result = parse_requirements(tmp_path / "requirements.txt", lines)
    assert len(result.requirements) == MAX_INCLUDED_FILES
    assert sum(f"more than {MAX_INCLUDED_FILES}" in m for m in _messages(result)) == 20


def test_requirement_diamond_reads_each_file_once(tmp_path: Path) -> None:
    depth = 14
    for i in range(depth):
        for side in "ab":
            (tmp_path / f"{side}{i}.txt").write_text(f"-r a{i + 1}.txt\n-r b{i + 1}.txt\n")
    (tmp_path / f"a{depth}.txt").write_text("left\n")
    (tmp_path / f"b{depth}.txt").write_text("right\n")
    reads: list[Path] = []

    def reader(path: Path) -> str:
        reads.append(path)
        return path.read_text()

    result = parse_requirements(tmp_path / "requirements.txt", "-r a0.txt\n", read_text=reader)
    assert len(reads) == len(set(reads)) == 2 * depth + 1
    assert sorted(r.name for r in result.requirements) == ["left", "right"]


def test_dependency_group_chain_and_diamond_declare_each_requirement_once(tmp_path: Path) -> None:
    chain = "".join(f"g{i} = [{{include-group = 'g{i + 1}'}}, 'p{i}']\n" for i in range(1200))
    text = "[project]\nname = 'x'\n[dependency-groups]\n" + chain + "g1200 = ['last']\n"
    result = parse_manifest(tmp_path / "pyproject.toml", text)
    assert len(result.requirements) == 1201 and not result.problems
    diamond = "".join(
        f"g{i} = [{{include-group = 'g{i + 1}'}}, {{include-group = 'h{i + 1}'}}]\n"
        f"h{i} = [{{include-group = 'g{i + 1}'}}, {{include-group = 'h{i + 1}'}}]\n"
        for i in range(20)
    )
    text = "[project]\nname = 'x'\n[dependency-groups]\n" + diamond + "g20 = ['a']\nh20 = ['b']\n"
    result = parse_manifest(tmp_path / "pyproject.toml", text)
    assert [(r.name, r.group) for r in result.requirements] == [
        ("a", "group:g20"),
        ("b", "group:h20"),
    ]


def test_included_group_is_not_declared_again_at_the_include(tmp_path: Path) -> None:
    """Issue 15: pydantic's `all = [{include-group = ...}]` gave one finding per includer."""
    text = (
        "[dependency-groups]\n"
        "docs = ['mkdocs', 'mike']\n"
        "lint = ['ruff']\n"
        "all = [{include-group = 'docs'}, {include-group = 'lint'}, 'extra-tool']\n"
    )
    result = parse_manifest(tmp_path / "pyproject.toml", text)
    spans = [(r.name, r.span.line) for r in result.requirements]
    assert spans == [("mkdocs", 1), ("mike", 1), ("ruff", 2), ("extra-tool", 3)]


def test_dependency_group_cycles_and_unknown_groups_are_problems(tmp_path: Path) -> None:
    text = (
        "[dependency-groups]\n"
        "a = [{include-group = 'b'}]\n"
        "b = [{include-group = 'a'}, {include-group = 'nope'}]\n"
    )
    messages = _messages(parse_manifest(tmp_path / "pyproject.toml", text))
    assert any("include cycle a -> b -> a" in m for m in messages)
    assert any("unknown group 'nope'" in m for m in messages)


def test_version_numbers_past_int_digit_limits_are_invalid(tmp_path: Path) -> None:
    huge = "9" * 5000
    for name, text in (
        ("pyproject.toml", f"[project]\nname = 'x'\nrequires-python = '>={huge}'\n"),
        ("pyproject.toml", f"[project]\nname = 'x'\ndependencies = ['a>={huge}']\n"),
        ("pyproject.toml", f"[tool.poetry.dependencies]\npython = '^{huge}'\n"),
        ("setup.cfg", f"[options]\npython_requires = >={huge}\n"),
        ("requirements.txt", f"a=={huge}\n"),
        ("Pipfile", f"[requires]\npython_version = '{huge}'\n"),
    ):
        result = parse_manifest(tmp_path / name, text)
        assert result.problems, (name, text[:40])
        assert result.requires_python is None


def test_setup_cfg_error_names_its_real_line(tmp_path: Path) -> None:
    text = "[metadata]\nname = x\n\n[options\ninstall_requires = a\n"
    (problem,) = parse_manifest(tmp_path / "setup.cfg", text).problems
    assert "line 4" in problem.message and problem.span.line == 3
    assert str(tmp_path) not in problem.message


def test_requirement_count_is_capped_in_every_manifest(tmp_path: Path) -> None:
    count = MAX_ENTRIES + 50
    for name, text in (
        ("requirements.txt", "".join(f"p{i}\n" for i in range(count))),
        (
            "pyproject.toml",
            "[project]\ndependencies = [" + ",".join(f"'p{i}'" for i in range(count)) + "]\n",
        ),
        ("Pipfile", "[packages]\n" + "".join(f"p{i} = '*'\n" for i in range(count))),
        (
            "setup.cfg",
            "[options]\ninstall_requires =\n" + "".join(f"  p{i}\n" for i in range(count)),
        ),
        (
            "x.py",
            "# /// script\n# dependencies = ["
            + ",".join(f"'p{i}'" for i in range(count))
            + "]\n# ///\n",
        ),
    ):
        result = parse_manifest(tmp_path / name, text)
        assert len(result.requirements) == MAX_ENTRIES, name
        assert any(f"more than {MAX_ENTRIES} requirements" in m for m in _messages(result)), name


def test_requirements_file_line_cap(tmp_path: Path) -> None:
    result = parse_manifest(tmp_path / "requirements.txt", "# c\n" * (MAX_LINES + 10) + "late\n")
    assert result.requirements == ()
    assert any(f"more than {MAX_LINES} lines" in m for m in _messages(result))


def test_manifest_text_past_its_cap_is_one_problem(tmp_path: Path) -> None:
    text = "[project]\nname = 'x'\n" + "# " + "x" * MANIFEST_LIMIT + "\n"
    (problem,) = parse_manifest(tmp_path / "pyproject.toml", text).problems
    assert "512 kB limit" in problem.message
    script = "# /// script\n" + "# a = 1\n" * (MANIFEST_LIMIT // 8 + 10) + "# ///\n"
    (problem,) = parse_manifest(tmp_path / "x.py", script).problems
    assert "script block is larger than the 512 kB limit" in problem.message


def test_pep723_block_finder_agrees_with_the_reference_regex() -> None:
    samples = [
        "# /// script\n# a = 1\n# ///\n",
        "# /// script\n# a = 1\n# ///\n# ///\n",
        "# /// script\n# ///\n",
        "x\n# /// script\n#\n# b\n# ///\ny\n# /// other\n# z\n# ///\n",
        "# /// script\n# /// script\n# a\n# ///\n",
        "# /// a\n#  x\n#x\n# ///\n",
    ]
    for source in samples:
        expected = [
            (m.group("type"), m.group("content").splitlines())
            for m in PEP723_REGEX.finditer(source)
        ]
        found = [(kind, content) for kind, _, content in _blocks(source.split("\n"))]
        assert found == expected, source


def test_many_dependency_strings_are_linear() -> None:
    def build(count: int) -> Callable[[], object]:
        text = "dependencies = [\n" + "".join(f'  "p{i}",\n' for i in range(count)) + "]\n"

        def run() -> None:
            locator = TomlLocator(text)
            for i in range(count):
                assert locator.take_string(("dependencies",), f"p{i}") is not None

        return run

    assert _growth(build, 2_000, 32_000) < 100  # linear: 16 (plus cache effects); quadratic: 256


def test_many_pep723_lines_are_linear() -> None:
    def build(count: int) -> Callable[[], object]:
        # Openers without closers made the reference regex backtrack over every line.
        lines = ("# /// script\n# x\n" * (count // 2)).split("\n")
        return lambda: _blocks(lines)

    assert _growth(build, 4_000, 64_000) < 100


def test_long_blank_runs_in_requirements_are_linear(tmp_path: Path) -> None:
    def build(count: int) -> Callable[[], object]:
        text = "a" + " " * count + "b\n" + "c" + " " * count + "# x\n"
        return lambda: parse_manifest(tmp_path / "requirements.txt", text)

    assert _growth(build, 50_000, 800_000) < 100


def test_messages_quote_long_text_shortened(tmp_path: Path) -> None:
    result = parse_manifest(tmp_path / "requirements.txt", "!" + "x" * 100_000 + "\n")
    (problem,) = result.problems
    assert len(problem.message) < 1000 and "..." in problem.message
