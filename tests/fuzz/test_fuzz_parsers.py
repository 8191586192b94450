"""Property-based tests over every parser: whatever the input, a result (with problems for
what was wrong), never an exception. Inputs mix the syntax each parser knows (so the
interesting paths are reached) with arbitrary text and bytes."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envsense.core.declarations import Declarations, parse_manifest
from envsense.core.declarations.script_metadata import _blocks
from envsense.core.environment.distinfo import read_dist_info
from envsense.core.environment.sitepackages import read_pyvenv_cfg
from envsense.core.imports.extract import decode_source, extract_imports, extract_imports_from_bytes
from envsense.core.imports.notebooks import notebook_imports
from envsense.core.toml_compat import TOMLDecodeError, loads_toml

FUZZ = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,  # nothing written into the tree; derandomized runs replay the same cases
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

REQUIREMENT_BITS = [
    "-r ", "-c ", "-e ", "-r", "--requirement=", "--index-url ", "-f", "--hash=sha256:00",
    "pkg", "Pkg_2", ">=1.0", "==", "~=", "[extra]", "; python_version < '3'", " @ ",
    "file:///x", "./a", "a.whl", "x-1.0-py3-none-any.whl", "#", " #", "\\", "\\\n", " ",
    "\t", "\0", "\r\n", "\n", "9" * 120, "https://h/r.txt", "#egg=", "a\0b", "\udcff",
]  # fmt: skip
TOML_BITS = [
    "[project]\n", "[dependency-groups]\n", "[tool.poetry.dependencies]\n", "[packages]\n",
    "[requires]\n", "[[a]]\n", "name = 'x'\n", "dependencies = [", "requires-python = ",
    "python = ", "python_version = ", "include-group", "{", "}", "[", "]", "=", ",", "'",
    '"', "'''", '"""', "\\u0041", "\\", "a", "g", "1", "true", "#", "\n", " ", "\t",
    "'>=3.8'", "'^1.2'", "'requests>=2'", "{include-group = 'g'}", "9" * 120, "\r",
]  # fmt: skip
SETUP_CFG_BITS = [
    "[metadata]\n", "[options]\n", "[options.extras_require]\n", "name = x\n",
    "install_requires =\n", "python_requires = >=3.8\n", "  requests\n", "  ; comment\n",
    "test = pytest\n", "[", "]", "=", ":", "\n", " ", "%(x)s", "9" * 120, "\t",
]  # fmt: skip


def _mixed(bits: list[str]) -> st.SearchStrategy[str]:
    return st.lists(st.one_of(st.sampled_from(bits), st.text(max_size=8)), max_size=60).map("".join)


def _assert_declarations(result: Declarations) -> None:
    assert isinstance(result, Declarations)
    for problem in result.problems:
        assert problem.message and problem.span.line >= 0 and problem.span.column >= 0
    for requirement in result.requirements:
        assert requirement.span.line >= 0


@FUZZ
@given(_mixed(REQUIREMENT_BITS))
def test_requirements_files(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "other.txt").write_text("-r requirements.txt\nb\n")
        _assert_declarations(parse_manifest(root / "requirements.txt", text))


@FUZZ
@given(_mixed(TOML_BITS))
def test_pyproject(text: str) -> None:
    _assert_declarations(parse_manifest(Path("pyproject.toml"), text))


@FUZZ
@given(_mixed(TOML_BITS))
def test_pipfile(text: str) -> None:
    _assert_declarations(parse_manifest(Path("Pipfile"), text))


@FUZZ
@given(_mixed(SETUP_CFG_BITS))
def test_setup_cfg(text: str) -> None:
    _assert_declarations(parse_manifest(Path("setup.cfg"), text))


@FUZZ
@given(_mixed(TOML_BITS), st.sampled_from(["# ", "#", "", "#  "]), st.booleans())
def test_pep723_scripts(toml: str, prefix: str, closed: bool) -> None:
    body = "".join(f"{prefix}{line}\n" for line in toml.split("\n"))
    source = "import os\n# /// script\n" + body + ("# ///\n" if closed else "")
    _assert_declarations(parse_manifest(Path("x.py"), source))


PEP723_REGEX = re.compile(
    r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$"
)


@FUZZ
@given(
    st.lists(
        st.sampled_from(
            ["# /// script", "# /// a-b", "# ///", "#", "# x", "#x", "x", "", "# /// "]
        ),
        max_size=12,
    )
)
def test_pep723_block_finder_matches_the_reference_regex(lines: list[str]) -> None:
    source = "\n".join(lines) + "\n"
    expected = [
        (m.group("type"), m.group("content").split("\n")[:-1])
        for m in PEP723_REGEX.finditer(source)
    ]
    assert [(kind, content) for kind, _, content in _blocks(source.split("\n"))] == expected


@FUZZ
@given(_mixed(TOML_BITS))
def test_loads_toml_raises_only_decode_errors(text: str) -> None:
    try:
        assert isinstance(loads_toml(text), dict)
    except TOMLDecodeError:
        pass


PYTHON_BITS = [
    "import ", "from ", " import ", "a", "b.c", ".", "..", "(", ")", ",", "\n", "    ",
    "try:\n", "except ImportError:\n", "if sys.version_info >= (3, 11):\n", "else:\n",
    "importlib.import_module('x')", "__import__('y')", "# coding: undefined\n",
    "# -*- coding: latin-1 -*-\n", '"""', "'", "\\", "\0", "\ufeff", "\r", "%pip install x\n",
    "!ls\n", "%%time\n", "obj?\n", "(" * 50, "[" * 50, "lambda: ", "async ", "match x:\n",
]  # fmt: skip


@FUZZ
@given(_mixed(PYTHON_BITS))
def test_import_extraction(source: str) -> None:
    scan = extract_imports(source)
    for ref in scan.imports:
        assert ref.module and ref.span.line >= 0


ENCODINGS = [
    "utf-8",
    "utf-16",
    "utf-32",
    "latin-1",
    "undefined",
    "rot13",
    "bogus",
    "utf-7",
    "cp1252",
]


@FUZZ
@given(st.sampled_from(ENCODINGS), _mixed(PYTHON_BITS), st.binary(max_size=64))
def test_source_bytes_in_odd_encodings(encoding: str, source: str, noise: bytes) -> None:
    data = f"# coding: {encoding}\n".encode() + source.encode("utf-8", "surrogatepass") + noise
    assert isinstance(decode_source(data), str)
    extract_imports_from_bytes(data)


def _json_values() -> st.SearchStrategy[object]:
    scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20))
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=20,
    )


NOTEBOOK_KEYS = ["cells", "worksheets", "cell_type", "source", "input", "nbformat", "metadata"]


@FUZZ
@given(
    st.one_of(
        _json_values(),
        st.dictionaries(st.sampled_from(NOTEBOOK_KEYS), _json_values(), max_size=4),
        st.builds(
            lambda cells: {"cells": cells},
            st.lists(
                st.dictionaries(
                    st.sampled_from(NOTEBOOK_KEYS),
                    st.one_of(st.just("code"), _json_values(), st.lists(st.text(max_size=20))),
                    max_size=3,
                ),
                max_size=4,
            ),
        ),
    ),
    st.integers(min_value=0, max_value=3),
)
def test_notebooks(value: object, damage: int) -> None:
    text = json.dumps(value)
    text = [text, text[: len(text) // 2], "[" * 5000 + text, text + "}"][damage]
    found, error = notebook_imports(text)
    assert isinstance(found, list)
    assert error is None or error.startswith("not a notebook")


@FUZZ
@given(st.text(max_size=200), st.binary(max_size=200))
def test_pyvenv_cfg(text: str, raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        prefix = Path(folder)
        (prefix / "pyvenv.cfg").write_bytes(text.encode("utf-8", "surrogatepass") + raw)
        assert isinstance(read_pyvenv_cfg(prefix), dict)


METADATA_BITS = [
    "Metadata-Version: 2.1\n", "Name: ", "Version: ", "Requires-Dist: ", "pkg", "1.0",
    "9" * 5000, "\n", "\r\n", "\n\n", ": ", "\0", "\xff", " ", "extra == 'x'",
]  # fmt: skip


@FUZZ
@given(
    _mixed(METADATA_BITS),
    st.text(max_size=200),
    st.one_of(_json_values().map(json.dumps), st.just("[" * 100_000), st.text(max_size=50)),
)
def test_dist_info_metadata(metadata: str, record: str, direct_url: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        dist_info = Path(folder) / "pkg-1.0.dist-info"
        dist_info.mkdir()
        (dist_info / "METADATA").write_text(metadata, errors="surrogatepass")
        (dist_info / "RECORD").write_text(record, errors="surrogatepass")
        (dist_info / "direct_url.json").write_text(direct_url, errors="surrogatepass")
        result = read_dist_info(dist_info)
        assert result is None or isinstance(result.version, str)
