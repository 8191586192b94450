"""Import extraction on layouts that the fast path (import-free bodies left unparsed, strings
lexed only as far as needed) must read exactly like a full parse: strings holding `import`,
continuation lines indented less than their statement, nested guards, semicolons, decorators."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envsense.core.findings import Span
from envsense.core.imports import scanner
from envsense.core.imports.extract import ImportRef, extract_imports, extract_imports_from_bytes
from envsense.core.imports.refs import Probe


def scan(tmp_path: Path, source: str) -> tuple[ImportRef, ...]:
    path = tmp_path / "mod.py"
    path.write_text(source, encoding="utf-8")
    return extract_imports_from_bytes(path.read_bytes()).imports


def spelled(source: str, span: Span) -> str:
    return source.split("\n")[span.line][span.column : span.end_column]


def unpruned(source: str) -> tuple[ImportRef, ...]:
    """The same extraction with every chunk parsed whole (the behaviour to match)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scanner, "pruned_text", lambda layout, start, end, keep: None)
        return extract_imports(source).imports


BIG_CLASS = (
    "import os\n\n\nclass Model:\n"
    + "".join(
        f'    def method_{n}(self, value):\n        """Doc {n}."""\n'
        f"        total = value * {n}\n        return total\n\n"
        for n in range(40)
    )
    + "    def loads(self):\n        import json\n        return json\n"
)


def test_a_local_import_in_a_big_class_keeps_its_span_and_guard(tmp_path: Path) -> None:
    refs = scan(tmp_path, BIG_CLASS)
    assert [(r.module, r.in_function) for r in refs] == [("os", False), ("json", True)]
    assert spelled(BIG_CLASS, refs[1].span) == "json"
    assert refs[1].span.line == BIG_CLASS.split("\n").index("        import json")


def test_strings_that_spell_imports_are_not_imports(tmp_path: Path) -> None:
    source = (
        "class Docs:\n"
        '    """Usage:\n\nimport not_in_docstring\nfrom nowhere import thing\n"""\n'
        "    def text(self):\n"
        "        return 'import not_in_string; from x import y'\n"
        "    def more(self):\n"
        "        '''\ndef fake():\n    import not_in_triple\n'''\n"
        "        # import not_in_comment\n"
        "        return 1\n"
        "    def real(self):\n"
        "        import real_one\n"
    )
    refs = scan(tmp_path, source)
    assert [r.module for r in refs] == ["real_one"]
    assert unpruned(source) == refs


def test_continuation_lines_indented_less_than_their_statement(tmp_path: Path) -> None:
    source = (
        "class Odd:\n"
        "    def brackets(self):\n"
        "        value = compute(1,\n"
        "    2)\n"
        "        return value\n"
        "    def backslash(self):\n"
        "        value = 1 + \\\n"
        "    2\n"
        "        return value\n"
        "    def string(self):\n"
        '        return """\n'
        "    def not_a_method(self):\n"
        '        import not_code"""\n'
        "    def loads(self):\n"
        "        try:\n"
        "            import simplejson as json\n"
        "        except ImportError:\n"
        "            import json\n"
        "        return json\n"
    )
    refs = scan(tmp_path, source)
    assert [r.module for r in refs] == ["simplejson", "json"]
    assert refs[0].guarded and refs[0].in_function
    assert refs[1].guards[0].probes == (Probe("simplejson"),) and not refs[1].guards[0].when_ok
    assert unpruned(source) == refs


def test_nested_guards_semicolons_and_decorators(tmp_path: Path) -> None:
    source = (
        "import sys\n"
        "from importlib import import_module as load\n"
        "try:\n"
        "    import yaml\n"
        "    HAS_YAML = True\n"
        "except ImportError:\n"
        "    HAS_YAML = False\n"
        "\n"
        "class Plugins:\n"
        "    @register(load('decorated'))\n"
        "    def first(self):\n"
        "        return load('by_alias')\n"
        "    def second(self):\n"
        "        x = 1; import after_semicolon\n"
        "        if sys.version_info >= (3, 11):\n"
        "            import tomllib\n"
        "        else:\n"
        "            import tomli as tomllib\n"
        "        if HAS_YAML:\n"
        "            import yaml_extra\n"
        "        return x\n"
        "    def third(self):\n"
        "        return 3\n"
    )
    refs = scan(tmp_path, source)
    found = {r.module: r for r in refs}
    assert list(found) == [
        "sys",
        "importlib",
        "yaml",
        "decorated",
        "by_alias",
        "after_semicolon",
        "tomllib",
        "tomli",
        "yaml_extra",
    ]
    assert found["decorated"].kind == "dynamic" and not found["decorated"].in_function
    assert found["by_alias"].kind == "dynamic" and found["by_alias"].in_function
    assert found["after_semicolon"].in_function
    assert found["yaml_extra"].guards[0].probes == (Probe("yaml"),)
    assert found["yaml_extra"].guards[0].when_ok
    assert unpruned(source) == refs


def test_a_syntax_error_in_another_method_hides_nothing_else(tmp_path: Path) -> None:
    # Python 2 in one method body (or syntax newer than the server's Python): the class is still
    # read as parsed code, so the guards stay exact (a handler that re-raises guards nothing).
    source = (
        "class Legacy:\n"
        "    def old(self):\n"
        '        print "python 2"\n'
        "    def typed(self):\n"
        "        def generic[T](value: T) -> T:\n"
        "            return value\n"
        "    def new(self):\n"
        "        import modern\n"
        "        try:\n"
        "            import gzip\n"
        "        except ImportError:\n"
        "            raise RuntimeError('no gzip')\n"
    )
    refs = scan(tmp_path, source)
    assert [(r.module, r.in_function, r.guarded) for r in refs] == [
        ("modern", True, False),
        ("gzip", True, False),
    ]


def test_one_line_bodies_and_comments_after_headers(tmp_path: Path) -> None:
    source = (
        "class A: pass\n"
        "def f(): return 1\n"
        "def g():  # a comment: with a colon\n"
        "    return 2\n"
        "def h(\n"
        "    a,\n"
        "    b,\n"
        "):\n"
        "\n"
        "    # leading comment\n"
        "    return a + b\n"
        "async def i():\n"
        "    await x\n"
        "import last\n"
    )
    refs = scan(tmp_path, source)
    assert [(r.module, r.span.line) for r in refs] == [("last", 13)]
    assert unpruned(source) == refs


_FRAGMENTS = [
    "import a\n",
    "from b.c import d\n",
    "x = 1; import e\n",
    "try:\n    import f\nexcept ImportError:\n    f = None\n",
    "if f is not None:\n    import g\n",
    "class K:\n",
    "    def m(self):\n",
    "        return 1\n",
    "        import h\n",
    "    def n(self): return 2\n",
    "def top(\n    a,\n):\n",
    "    y = (1,\n2)\n",
    "    z = 1 + \\\n3\n",
    '    s = """\nimport not_me\n"""\n',
    "    '''doc'''\n",
    "    # import comment\n",
    "    if TYPE_CHECKING:\n        import typed\n",
    "    @decorator(__import__('dyn'))\n",
    "\n",
    '"""\n',
    "    pass\n",
    "        pass\n",
    "else:\n",
    "    async def co():\n        import inside_async\n",
]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=25))
def test_leaving_bodies_out_of_broken_code_finds_the_same(parts: list[str]) -> None:
    source = "".join(parts)
    assert extract_imports(source).imports == unpruned(source)


# Simple statements; `{i}` is the statement's indent. Some continue on lines indented less.
_SIMPLE = [
    "{i}import a\n",
    "{i}from b.c import d\n",
    "{i}x = 1; import e\n",
    "{i}value = 1\n",
    "{i}FLAG = True\n",
    "{i}y = (1,\n2)\n",
    "{i}z = 1 + \\\n3\n",
    '{i}s = """\nimport not_me\ndef fake():\n"""\n',
    "{i}'''doc: import nothing'''\n",
    "{i}# import comment\n",
    "{i}t = 'import quoted'  # from x import y\n",
    "{i}load(__import__('dyn'))\n",
    "{i}listed = [\n{i}    1,\n]\n",
    "\n",
]
_HEADERS = [
    "{i}def f{n}(self):\n",
    "{i}async def g{n}():\n",
    "{i}def h{n}(\n{i}    a,\n):  # comment: with colon\n",
    "{i}class C{n}(Base):\n",
    "{i}@decorator(x)\n{i}def d{n}():\n",
    "{i}if TYPE_CHECKING:\n",
    "{i}if sys.version_info >= (3, 11):\n",
    "{i}if FLAG:\n",
    "{i}with suppress(ImportError):\n",
    "{i}for n in ('p', 'q'):\n",
]


@st.composite
def valid_block(draw: st.DrawFn, indent: str = "", depth: int = 0) -> str:
    """Python source (valid but for rare odd layouts) of nested blocks and statements."""
    parts: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.integers(0, 9 if depth < 3 else 0))
        inner = indent + "    "
        if kind <= 4:
            parts.append(draw(st.sampled_from(_SIMPLE)).format(i=indent))
        elif kind <= 7:
            header = draw(st.sampled_from(_HEADERS)).format(i=indent, n=len(parts))
            parts.append(header + draw(valid_block(inner, depth + 1)))
        else:
            body = draw(valid_block(inner, depth + 1))
            other = draw(valid_block(inner, depth + 1))
            opening, clause = draw(
                st.sampled_from(
                    [
                        ("try:", "except ImportError:"),
                        ("try:", "finally:"),
                        ("if x:", "else:"),
                        ("if x:", "elif y:"),
                        ("for n in m:", "else:"),
                        ("while x:", "else:"),
                    ]
                )
            )
            parts.append(f"{indent}{opening}\n{body}{indent}{clause}\n{other}")
    if not any(p.strip() and not p.lstrip().startswith("#") for p in parts):
        parts.append(f"{indent}pass\n")
    return "".join(parts)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_block())
def test_leaving_bodies_out_never_changes_what_is_found(source: str) -> None:
    assert extract_imports(source).imports == unpruned(source)


def parsed_only(source: str) -> tuple[ImportRef, ...]:
    """The extraction with every import line going through the parser."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scanner, "plain_import", lambda layout, line, **options: None)
        return extract_imports(source).imports


def test_plain_import_lines_read_without_a_parse(tmp_path: Path) -> None:
    source = (
        "import os, xml.dom as dom  # comment: import x\n"
        "from . import sibling\n"
        "from ..pkg.mod import (a, b as c,)\n"
        "from x import *\n"
        "\n"
        "# from commented import out\n"
        "import __future__\n"
        "from __future__ import annotations\n"
        "import a.None\n"
        "from y import class_, def_\n"
    )
    refs = scan(tmp_path, source)
    assert [(r.module, r.level, r.names) for r in refs] == [
        ("os", 0, ()),
        ("xml.dom", 0, ()),
        ("", 1, ("sibling",)),
        ("pkg.mod", 2, ("a", "b")),
        ("x", 0, ("*",)),
        ("y", 0, ("class_", "def_")),
    ]
    assert [spelled(source, r.span) for r in refs] == ["os", "xml.dom", ".", "..pkg.mod", "x", "y"]
    assert parsed_only(source) == refs


_MODULES = ["a", "b.c", "__future__", "a.None", "é", "x .y", "", ".", "..", ".m", "a.b.c"]
_NAMES = [
    "d",
    "*",
    "d as e",
    "d, e",
    "(d, e,)",
    "(d",
    "class",
    "annotations",
    "d as None",
    "",
    "(\n    d,\n    e as f,  # note (\n)",
    "(d,\ne)",
    "(\nd as e)",
    "(\n)",
    "(d # note\n)",
    "(d, # )\n e)",
    "(d,,e)",
    "(1d)",
    "(d e)",
    "(\n    d,\n  \\\n e)",
    "(*)",
    "(d)  # note",
]


@st.composite
def import_line(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(["", "", "    ", "if x: ", "x = 1; ", "\t", "#"]))
    module = draw(st.sampled_from(_MODULES))
    if draw(st.booleans()):
        alias = draw(st.sampled_from(["", " as m", " as if", ", os", ", p.q as r"]))
        statement = f"import {module}{alias}"
    else:
        statement = f"from {module} import {draw(st.sampled_from(_NAMES))}"
    suffix = draw(st.sampled_from(["", "", "  # note", " \\", ";", " (", "\t"]))
    return prefix + statement + suffix


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(import_line(), st.sampled_from(["", "x = 1", "def f():", '"""']))))
def test_plain_lines_read_as_the_parser_reads_them(lines: list[str]) -> None:
    source = "\n".join(lines)
    assert extract_imports(source) == _parsed_scan(source)


def _parsed_scan(source: str) -> object:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scanner, "plain_import", lambda layout, line, **options: None)
        return extract_imports(source)


def test_bracketed_imports_over_several_lines(tmp_path: Path) -> None:
    source = (
        "from homeassistant.const import (  # the constants\n"
        "    CONF_HOST,\n"
        "\n"
        "    # a comment, with (brackets\n"
        "    CONF_PORT as PORT,\n"
        ")\n"
        "from .helpers import (a,\n"
        "    b)\n"
        "from broken import (c d)\n"
        "from also_broken import (\n"
        "    class_, class)\n"
        "import after\n"
    )
    refs = scan(tmp_path, source)
    assert [(r.module, r.names, r.span.line) for r in refs] == [
        ("homeassistant.const", ("CONF_HOST", "CONF_PORT"), 0),
        ("helpers", ("a", "b"), 6),
        ("after", (), 11),
    ]
    assert [spelled(source, r.span) for r in refs] == ["homeassistant.const", ".helpers", "after"]
    assert parsed_only(source) == refs


def test_a_repeated_import_line_is_placed_on_its_own_line_each_time(tmp_path: Path) -> None:
    first = scan(tmp_path, "from pkg.core import Thing  # same text\n")
    second = scan(tmp_path, '"""Doc."""\n\nx = 1\nfrom pkg.core import Thing  # same text\n')
    assert [(r.module, r.span) for r in first] == [("pkg.core", Span(0, 5, 0, 13))]
    assert [(r.module, r.span) for r in second] == [("pkg.core", Span(3, 5, 3, 13))]
    inside = scan(tmp_path, 'x = """\nfrom pkg.core import Thing  # same text\n"""\n')
    assert inside == ()


def test_blocks_without_imports_inside_an_importing_function(tmp_path: Path) -> None:
    source = (
        "def handle(options):\n"
        "    import json\n"
        "    if options:\n"
        "        for key in options:\n"
        "            print(key)\n"
        "    elif options is None:\n"
        "        pass\n"
        "    else:\n"
        "        raise SystemExit(1)\n"
        "    try:\n"
        "        if options:\n"
        "            value = compute(options)\n"
        "        import yaml\n"
        "    except Exception:\n"
        "        yaml = None\n"
        "    try:\n"
        "        import tomllib\n"
        "    except ImportError:\n"
        "        with open('x') as handle:\n"
        "            handle.read()\n"
        "        import tomli as tomllib\n"
        "    return json\n"
    )
    refs = scan(tmp_path, source)
    found = {r.module: r for r in refs}
    assert list(found) == ["json", "yaml", "tomllib", "tomli"]
    assert all(r.in_function for r in refs)
    # The `if` in the try body can raise, so `except Exception` is no proof yaml is optional
    # to the rest: no probe; the fallback of tomllib is still read as one.
    assert found["yaml"].guarded and found["yaml"].guards == ()
    assert found["tomli"].guards[0].probes == (Probe("tomllib"),)
    assert unpruned(source) == refs


def test_statement_runs_left_out_around_a_local_import(tmp_path: Path) -> None:
    source = (
        "def handle(self, *args, **options):\n"
        "    verbosity = options['verbosity']\n"
        "    parser.add_argument(\n"
        '        "--no-imports",\n'
        "    )\n"
        "    if verbosity in {\n"
        "        1,\n"
        "        2,\n"
        "    }:\n"
        "        from django.template import engines\n"
        "    elif verbosity:\n"
        "        total = 0\n"
        "    else:\n"
        "        import logging\n"
        "    @cached\n"
        "    def helper():\n"
        "        return 1\n"
        "    first = 1\n"
        "    second = 2\n"
        "    third = (\n"
        "        3\n"
        "    )\n"
        "    @cached\n"
        "    def loader():\n"
        "        import json\n"
        "    return engines\n"
    )
    refs = scan(tmp_path, source)
    assert [(r.module, r.in_function, r.conditional) for r in refs] == [
        ("django.template", True, True),
        ("logging", True, True),
        ("json", True, False),
    ]
    assert unpruned(source) == refs


def test_lines_that_mention_import_after_a_separator(tmp_path: Path) -> None:
    source = (
        '"""Generated module; to use it, import x from y."""\n'
        "def f():\n"
        '    """Sum; "import os" in a docstring is not an import."""\n'
        "    # note: import nothing (a comment)\n"
        '    x = "a"; import json\n'
        "    y = 'a:b'; from . import sibling\n"
        "    if x: import csv\n"
        "    return x\n"
    )
    refs = scan(tmp_path, source)
    assert [(r.module, r.level, r.span.line, r.in_function) for r in refs] == [
        ("json", 0, 4, True),
        ("", 1, 5, True),
        ("csv", 0, 6, True),
    ]
    assert refs == unpruned(source)


@pytest.mark.parametrize(
    "source",
    [
        "import os",
        "import os\n",
        "import os\n\n# the end\n",
        "import os\n   \n",
        "from a import (\n    b,\n)",
        "import os\nimport sys",
    ],
)
def test_a_plain_import_at_the_end_of_the_file(source: str) -> None:
    refs = extract_imports(source).imports
    assert refs == unpruned(source)
    assert refs and all(spelled(source, r.span) == r.module for r in refs)


def test_the_same_import_line_in_other_files_and_places(tmp_path: Path) -> None:
    first = scan(tmp_path, "import os\nimport json\n")
    second = scan(
        tmp_path,
        "import json\nimport os\n\n\ntry:\n    import os\nexcept ImportError:\n    os = None\n",
    )
    third = scan(tmp_path, '"""\nimport os\n"""\nimport json\n')
    assert [(r.module, r.span.line, r.guarded) for r in first] == [
        ("os", 0, False),
        ("json", 1, False),
    ]
    assert [(r.module, r.span.line, r.guarded) for r in second] == [
        ("json", 0, False),
        ("os", 1, False),
        ("os", 5, True),
    ]
    # Line 1 held `import os` in the first file; here it is inside a docstring.
    assert [(r.module, r.span.line) for r in third] == [("json", 3)]


def test_a_coding_cookie_still_decides_how_the_file_is_read() -> None:
    data = "# -*- coding: latin-1 -*-\nimport café\n".encode("latin-1")
    assert [r.module for r in extract_imports_from_bytes(data).imports] == ["café"]
    second_line = b"#!/usr/bin/env python\n# vim: set fileencoding=latin-1 :\nimport caf\xe9\n"
    assert [r.module for r in extract_imports_from_bytes(second_line).imports] == ["café"]


def test_brackets_and_backslashes_inside_strings_of_a_parsed_chunk() -> None:
    source = (
        "class Model:\n"
        '    """Doc with ( and [ and \\\\ at the end \\\\"""\n'
        "    def first(self):\n"
        "        '''Another ((( doc.'''\n"
        "        return '(' + \"[\"\n\n"
        "    def second(self):\n"
        '        """More docs: ({[."""\n'
        "        from os import (\n"
        "            path,  # ) in a comment\n"
        "        )\n"
        "        return path\n"
    )
    refs = extract_imports(source).imports
    assert [(r.module, r.names, r.span.line, r.in_function) for r in refs] == [
        ("os", ("path",), 8, True)
    ]
    assert refs == unpruned(source)
