"""Import extraction from real files: spans, guards, target-evaluated branches, broken input."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from envsense.core.findings import Span
from envsense.core.imports.extract import (
    ImportRef,
    decode_source,
    extract_imports,
    extract_imports_from_bytes,
    resolve_relative,
)
from envsense.core.imports.refs import Probe
from envsense.core.versions import PythonVersion

PY310 = PythonVersion(3, 10, 13)
PY312 = PythonVersion(3, 12, 1)


def text_at(source: str, span: Span) -> str:
    lines = source.split("\n")
    assert span.line == span.end_line
    return lines[span.line][span.column : span.end_column]


def by_module(refs: tuple[ImportRef, ...]) -> dict[str, ImportRef]:
    return {r.module: r for r in refs}


def read(path: Path, **kwargs: object) -> tuple[str, tuple[ImportRef, ...]]:
    source = decode_source(path.read_bytes())
    return source, extract_imports(source, **kwargs).imports  # type: ignore[arg-type]


def test_plain_imports_have_exact_spans(tmp_path: Path) -> None:
    path = tmp_path / "mod.py"
    path.write_text(
        '"""Docs.\n\nimport not_an_import\n"""\n'
        "from __future__ import annotations\n"
        "import os, xml.dom as dom\n"
        "from a.b import (c,\n    d)\n"
        "from . import sibling\n"
        "from ..pkg.mod import thing\n"
        "x = 1; import after_semicolon\n"
        "print('import in_a_string')\n"
    )
    source, refs = read(path)
    modules = [r.module for r in refs]
    assert modules == ["os", "xml.dom", "a.b", "", "pkg.mod", "after_semicolon"]
    for ref in refs:
        expected = "." * ref.level + ref.module
        assert text_at(source, ref.span) == expected
    found = by_module(refs)
    assert found["a.b"].names == ("c", "d") and found["a.b"].kind == "from"
    assert found[""].level == 1 and found[""].names == ("sibling",)
    assert found["pkg.mod"].level == 2


@pytest.mark.parametrize(
    "line",
    [
        "x = 'a'; import after_string",
        'print("a"); import after_string',
        "s = 'it\\'s'; import after_string",
        "if flag == 'on': import after_string",
        "d = {'k': 'v'}; import after_string",
    ],
)
def test_an_import_after_a_string_and_a_semicolon_is_found(line: str) -> None:
    # A string before `;` or `:` on the line hid the import (a real-world false negative).
    refs = extract_imports(line + "\n").imports
    assert [r.module for r in refs] == ["after_string"]
    assert text_at(line, refs[0].span) == "after_string"


def test_an_import_only_inside_a_string_after_a_semicolon_is_not_found() -> None:
    source = "x = 1; y = 'import not_me'\nz = 'a;import not_me_either'\n"
    assert extract_imports(source).imports == ()


def test_columns_are_code_points_on_non_ascii_lines(tmp_path: Path) -> None:
    path = tmp_path / "u.py"
    path.write_text("café = 1; import naïve_mod\n", encoding="utf-8")
    source, refs = read(path)
    assert text_at(source, refs[0].span) == "naïve_mod"


def test_guards_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "guards.py"
    path.write_text(
        "import contextlib\n"
        "from typing import TYPE_CHECKING\n"
        "import typing as t\n"
        "try:\n    import ujson\nexcept ImportError:\n    import json\n"
        "try:\n    import needs_oserror\nexcept OSError:\n    pass\n"
        "try:\n    import bare\nexcept:\n    pass\n"
        "if TYPE_CHECKING:\n    from collections.abc import Sequence\nelse:\n    import runtime_branch\n"
        "if t.TYPE_CHECKING:\n    import alias_checked\n"
        "with contextlib.suppress(ModuleNotFoundError):\n    import suppressed\n"
        "def f():\n    import lazy\n"
        "if DEBUG:\n    import debug_only\n"
    )
    _, refs = read(path)
    found = by_module(refs)
    assert found["ujson"].guarded and not found["ujson"].conditional
    # The fallback runs only if `import ujson` fails: a guard the checks evaluate.
    assert not found["json"].guarded and not found["json"].conditional
    assert [(g.probes, g.when_ok) for g in found["json"].guards] == [((Probe("ujson"),), False)]
    assert not found["needs_oserror"].guarded
    assert found["bare"].guarded
    assert found["collections.abc"].type_checking
    assert not found["runtime_branch"].type_checking and not found["runtime_branch"].conditional
    assert found["alias_checked"].type_checking
    assert found["suppressed"].guarded
    assert found["lazy"].in_function and not found["lazy"].guarded
    assert found["debug_only"].conditional
    assert "__future__" not in found


BRANCHES = (
    "import os, sys\n"
    "if sys.version_info >= (3, 11):\n    import tomllib\nelse:\n    import tomli\n"
    "if sys.version_info[:2] < (3, 12):\n    import before_312\n"
    "if sys.version_info.major == 3 and sys.version_info[1] >= 12:\n    import major_minor_312\n"
    'if sys.platform == "win32":\n    import winreg\n'
    'elif sys.platform.startswith("linux"):\n    import linux_only\n'
    'if os.name == "nt" or not sys.version_info >= (3, 8):\n    import nt_or_old\n'
    "if sys.version_info >= (3, 11) and FLAG:\n    import unknown_and\n"
)


@pytest.mark.parametrize(
    ("version", "platform", "present", "absent"),
    [
        (
            PY310,
            "linux",
            {"tomli", "before_312", "linux_only"},
            {"tomllib", "major_minor_312", "winreg", "nt_or_old"},
        ),
        (
            PY312,
            "win32",
            {"tomllib", "major_minor_312", "winreg", "nt_or_old"},
            {"tomli", "before_312", "linux_only"},
        ),
    ],
)
def test_version_and_platform_branches_follow_the_target(
    tmp_path: Path, version: PythonVersion, platform: str, present: set[str], absent: set[str]
) -> None:
    path = tmp_path / "compat.py"
    path.write_text(BRANCHES)
    _, refs = read(path, version=version, platform=platform)
    found = by_module(refs)
    assert present <= set(found)
    assert not absent & set(found)
    for name in present:
        assert not found[name].conditional, name
    # Half-known `and`: false on 3.10, unknown on 3.12.
    assert ("unknown_and" in found) == (version == PY312)


def test_unknown_target_keeps_both_branches_as_conditional(tmp_path: Path) -> None:
    path = tmp_path / "compat.py"
    path.write_text(BRANCHES)
    _, refs = read(path)
    found = by_module(refs)
    assert {"tomllib", "tomli", "winreg", "linux_only"} <= set(found)
    assert found["tomllib"].conditional and found["tomli"].conditional


def test_dynamic_imports_point_at_the_string(tmp_path: Path) -> None:
    path = tmp_path / "dyn.py"
    path.write_text(
        "import importlib\n"
        "from importlib import import_module as im\n"
        "def load():\n"
        '    a = importlib.import_module("plugins.alpha")\n'
        "    b = __import__('beta')\n"
        '    c = im("gamma")\n'
        '    d = importlib.import_module(".rel", package=__package__)\n'
        "    e = importlib.import_module(name_from_config)\n"
    )
    source, refs = read(path)
    dynamic = [r for r in refs if r.kind == "dynamic"]
    assert [(r.module, r.level) for r in dynamic] == [
        ("plugins.alpha", 0),
        ("beta", 0),
        ("gamma", 0),
        ("rel", 1),
    ]
    assert text_at(source, dynamic[0].span) == "plugins.alpha"
    assert text_at(source, dynamic[1].span) == "beta"
    assert all(r.in_function for r in dynamic)


def test_syntax_error_hides_only_its_own_statement(tmp_path: Path) -> None:
    path = tmp_path / "broken.py"
    path.write_text(
        "import above\n"
        "def broken(:\n"
        "    import inside_broken\n"
        "    try:\n        import guarded_inside\n    except ImportError:\n        pass\n"
        "    x = = 1\n"
        "import below\n"
        "class Fine:\n    def m(self):\n        import in_method\n"
    )
    source, refs = read(path, version=PY312)
    scan = extract_imports(source)
    assert scan.syntax_error is not None and "line 2" in scan.syntax_error
    found = by_module(refs)
    assert {"above", "inside_broken", "guarded_inside", "below", "in_method"} <= set(found)
    assert found["inside_broken"].in_function
    assert found["guarded_inside"].guarded
    assert text_at(source, found["below"].span) == "below"


def test_unterminated_string_does_not_crash(tmp_path: Path) -> None:
    path = tmp_path / "open.py"
    path.write_text('import first\nx = """never closed\nimport hidden\n')
    _, refs = read(path)
    assert [r.module for r in refs] == ["first"]


def test_latin1_with_coding_cookie(tmp_path: Path) -> None:
    path = tmp_path / "latin.py"
    path.write_bytes("# -*- coding: latin-1 -*-\n# caf\xe9\nimport requests\n".encode("latin-1"))
    source, refs = read(path)
    assert "café" in source
    assert [r.module for r in refs] == ["requests"]


def test_undeclared_latin1_falls_back_without_raising(tmp_path: Path) -> None:
    path = tmp_path / "odd.py"
    path.write_bytes(b"s = '\xff\xfe'\nimport yaml\n")
    _, refs = read(path)
    assert [r.module for r in refs] == ["yaml"]


def test_utf16_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "wide.py"
    path.write_bytes(codecs.BOM_UTF16_LE + "import numpy as np\n".encode("utf-16-le"))
    scan = extract_imports_from_bytes(path.read_bytes())
    assert [r.module for r in scan.imports] == ["numpy"]
    assert scan.imports[0].span == Span(0, 7, 0, 12)


def test_utf8_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "bom.py"
    path.write_bytes(codecs.BOM_UTF8 + b"import a\r\nif x:\r\n    import b\r\n")
    scan = extract_imports_from_bytes(path.read_bytes())
    assert [(r.module, r.span.line) for r in scan.imports] == [("a", 0), ("b", 2)]


def test_binary_file_is_skipped_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "blob.py"
    path.write_bytes(b"import os\x00\x01\x02")
    scan = extract_imports_from_bytes(path.read_bytes())
    assert scan.imports == ()
    assert scan.skipped is not None and "NUL" in scan.skipped


def test_huge_generated_file_is_scanned_statement_by_statement(tmp_path: Path) -> None:
    path = tmp_path / "generated.py"
    body = "import first\n" + "DATA = [\n" + "    1,\n" * 900_000 + "]\n" + "import last\n"
    path.write_text(body)
    _, refs = read(path)
    assert [r.module for r in refs] == ["first", "last"]


def test_no_import_keyword_means_no_work(tmp_path: Path) -> None:
    path = tmp_path / "plain.py"
    path.write_text("x = 1\n")
    assert read(path)[1] == ()


def make_package(root: Path, *parts: str) -> Path:
    folder = root
    for part in parts:
        folder = folder / part
        folder.mkdir()
        (folder / "__init__.py").write_text("")
    return folder


def test_resolve_relative_with_real_packages(tmp_path: Path) -> None:
    inner = make_package(tmp_path, "top", "sub")
    module = inner / "mod.py"
    module.write_text("from . import sibling\n")
    assert resolve_relative("", 1, module, None) == "top.sub"
    assert resolve_relative("sibling", 1, module, None) == "top.sub.sibling"
    assert resolve_relative("other", 2, module, None) == "top.other"
    assert resolve_relative("x", 3, module, None) is None
    assert resolve_relative("x", 1, inner / "__init__.py", None) == "top.sub.x"


def test_resolve_relative_with_a_package_root(tmp_path: Path) -> None:
    src = tmp_path / "src"
    namespace = src / "ns" / "pkg"
    namespace.mkdir(parents=True)
    module = namespace / "mod.py"
    module.write_text("")
    assert resolve_relative("util", 1, module, src) == "ns.pkg.util"
    assert resolve_relative("", 2, module, src) == "ns"
    assert resolve_relative("x", 3, module, src) is None
    assert resolve_relative("x", 1, tmp_path / "elsewhere.py", src) is None


def test_dynamic_imports_of_a_loop_over_literal_names(tmp_path: Path) -> None:
    # requests/packages.py: `for package in ("urllib3", "idna"): __import__(package)`.
    path = tmp_path / "packages.py"
    path.write_text(
        'for package in ("urllib3", "idna"):\n    locals()[package] = __import__(package)\n'
        "for other in names():\n    __import__(other)\n"
    )
    _, refs = read(path)
    assert [(r.module, r.kind, r.span) for r in refs] == [
        ("idna", "dynamic", Span(1, 35, 1, 42)),
        ("urllib3", "dynamic", Span(1, 35, 1, 42)),
    ]


def test_flags_and_else_branches_become_guards() -> None:
    source = (
        "has_simplejson = False\n"
        "try:\n    import simplejson\n    has_simplejson = True\nexcept ImportError:\n    pass\n"
        "try:\n    from urllib3.contrib import pyopenssl\nexcept ImportError:\n"
        "    pyopenssl = None\nelse:\n    import OpenSSL\n"
        "if has_simplejson:\n    from simplejson import JSONDecodeError\n"
        "if pyopenssl is None:\n    import fallback\n"
        "if not has_simplejson:\n    import plain\n"
        "try:\n    import a\n    a.setup()\nexcept Exception:\n    import b\n"
    )
    refs = extract_imports(source, version=PythonVersion(3, 12), platform="linux").imports
    guards = {r.span.line + 1: [(g.probes, g.when_ok) for g in r.guards] for r in refs}
    simplejson = (Probe("simplejson"),)
    pyopenssl = (Probe("urllib3.contrib", 0, ("pyopenssl",)),)
    assert guards[3] == []  # the try's own import is `guarded`, not guarded by itself
    assert guards[12] == [(pyopenssl, True)]  # else:
    assert guards[14] == [(simplejson, True)]  # if has_simplejson:
    assert guards[16] == [(pyopenssl, False)]  # if pyopenssl is None:
    assert guards[18] == [(simplejson, False)]  # if not has_simplejson:
    # A broad handler around more than imports: it may run for other reasons.
    b = next(r for r in refs if r.module == "b")
    assert b.guards == () and b.conditional


def test_relative_names_per_folder_agree_with_resolve_relative(tmp_path: Path) -> None:
    # RelativeNames climbs each folder's package once for all its imports: every name,
    # level and package root must come out as resolve_relative says.
    from envsense.core.checks.relative_names import RelativeNames

    inner = make_package(tmp_path, "top", "sub.dotted")
    (tmp_path / "loose").mkdir()
    files = [inner / "mod.py", inner / "__init__.py", tmp_path / "top" / "a.py"]
    files.append(tmp_path / "loose" / "b.py")
    names = RelativeNames()
    for _ in range(2):  # the second round from the memo
        for file in files:
            for root in (None, tmp_path, tmp_path / "top", tmp_path / "elsewhere"):
                for level in (1, 2, 3, 4):
                    for module in ("", "x", "x.y"):
                        expected = resolve_relative(module, level, file, root)
                        assert names.absolute(module, level, file, root) == expected
