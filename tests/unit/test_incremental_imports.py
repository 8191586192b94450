"""An open document's imports kept across edits equal a full scan of the edited text.

Random real edits (typing and deleting characters in code, strings, docstrings and
comments; adding and removing import, blank and comment lines; opening strings and
brackets) over real files of this repository and over sources built to hold every guard
the scanner tracks, each edit compared with a fresh full scan.
"""

from __future__ import annotations

import ast
import random
from pathlib import Path

import pytest

from envsense.core.imports.conditions import Target
from envsense.core.imports.edit_layout import EditLayout, text_change
from envsense.core.imports.extract import extract_imports
from envsense.core.imports.incremental import IncrementalImports
from envsense.core.imports.refs import ImportScan
from envsense.core.versions import PythonVersion

REPO = Path(__file__).resolve().parents[2]
TARGET = Target(PythonVersion(3, 12), "linux")

# Every construct whose imports depend on more than the import line itself.
GUARDED = '''"""A module with every kind of guard."""
import os
import sys
from typing import TYPE_CHECKING

HAS_LXML = False
try:
    import lxml
    HAS_LXML = True
except ImportError:
    lxml = None

try:
    import tomllib
except ImportError:
    import tomli as tomllib
else:
    import json

if HAS_LXML:
    import lxml.etree
if lxml is not None:
    from lxml import html

if TYPE_CHECKING:
    from collections.abc import Iterator

if sys.version_info >= (3, 11):
    import asyncio.taskgroups
else:
    import exceptiongroup

if sys.platform == "win32":
    import winreg

USE_FAST = True
if USE_FAST:
    import fastjson


def loader(name):
    """Load a plugin by name."""
    import importlib
    module = importlib.import_module("plugins." + name)
    value = 1
    label = "plugin"
    return module, value, label


class Thing:
    """A thing.

    Holds a value.
    """

    size = 3

    def method(self):
        from .sibling import helper
        total = self.size + 1
        text = "a string with words"
        return helper(total, text)


with_suppress = None
from contextlib import suppress
with suppress(ImportError):
    import ujson

for name in ("urllib3", "idna"):
    __import__(name)

if __name__ == "__main__":
    import argparse
'''


def _full(text: str) -> ImportScan:
    return extract_imports(text, version=TARGET.version, platform=TARGET.platform)


def _sources() -> list[tuple[str, str]]:
    """This repository's own modules and tests (real code), plus the guard-heavy module."""
    paths = sorted((REPO / "server" / "envsense").rglob("*.py"))
    paths += sorted((REPO / "tests" / "unit").glob("test_*.py"))[:10]
    chosen = paths[::4]
    return [("guarded", GUARDED)] + [
        (str(p.relative_to(REPO)), p.read_text(encoding="utf-8")) for p in chosen
    ]


_LINES = [
    "import missing_pkg_xyz",
    "from os import path",
    "import json, re",
    "from . import sibling",
    "import importlib",
    "",
    "# a comment",
    "    ",
]


def _edit(text: str, rng: random.Random) -> str:
    """One edit a person makes: mostly typing or deleting a character, sometimes lines."""
    roll = rng.random()
    if roll < 0.35:
        # Typing next to a word: in code, a string, a docstring or a comment.
        words = [i for i, c in enumerate(text) if c.isalnum()] or [0]
        at = rng.choice(words)
        char = rng.choice("abxyz_19 .,=")
        return text[:at] + char + text[at:]
    if roll < 0.45:
        at = rng.randrange(len(text) + 1)
        char = rng.choice("'\"#()[]{}\\\n\t:;@")
        return text[:at] + char + text[at:]
    if roll < 0.7 and text:
        at = rng.randrange(len(text))
        return text[:at] + text[at + 1 :]
    lines = text.split("\n")
    index = rng.randrange(len(lines))
    if roll < 0.85:
        lines.insert(index, rng.choice(_LINES))
    elif roll < 0.95:
        del lines[index]
    else:
        lines.insert(index, lines[rng.randrange(len(lines))])
    return "\n".join(lines)


@pytest.mark.parametrize(("name", "source"), _sources(), ids=lambda value: value[:40])
def test_every_edit_scans_like_a_full_scan(name: str, source: str) -> None:
    rng = random.Random(name)
    imports = IncrementalImports()
    imports.scan(source, TARGET, _full)
    text = source
    modes: set[str] = set()  # full, same, inert, lines, import
    for step in range(40):
        if step % 13 == 12:
            text = source  # undo everything, as a revert would
        text = _edit(text, rng)
        got = imports.scan(text, TARGET, _full)
        assert got == _full(text), f"{name}: edit {step} ({imports.last_mode})"
        modes.add(imports.last_mode)
        # What the next edit is judged by (strings, brackets per line) is kept up to date
        # rather than read again: it must equal a fresh reading of the text.
        kept = imports._state.layout if imports._state else None
        if kept is not None:
            fresh = EditLayout(text)
            for part in ("starts", "tokens", "depth", "inside", "continued"):
                assert getattr(kept, part) == getattr(fresh, part), f"{name}: edit {step} {part}"
    assert "full" in modes or "inert" in modes


def _apply(text: str, old: str, new: str, occurrence: int = 0) -> str:
    at = -1
    for _ in range(occurrence + 1):
        at = text.index(old, at + 1)
    return text[:at] + new + text[at + len(old) :]


@pytest.mark.parametrize(
    ("description", "old", "new", "mode"),
    [
        ("a character typed in a function body", "total = self", "totals = self", "inert"),
        ("a character typed in a string", "a string with", "a strings with", "inert"),
        ("a character typed in a docstring", "Holds a value", "Holds a valued", "inert"),
        ("a character deleted in a comment-free line", "value = 1", "alue = 1", "inert"),
        ("an import line added", "import os\n", "import os\nimport missing_xyz\n", "lines"),
        ("an import line removed", "import os\n", "", "lines"),
        ("a blank line added in a function", "    value = 1\n", "    value = 1\n\n", "lines"),
        (
            "an import added in a method",
            "        from .sibling import helper\n",
            "        from .sibling import helper\n        import missing_xyz\n",
            "lines",
        ),
        ("an import removed from a function", "    import importlib\n", "", "full"),
        (
            "an import removed from a method",
            "        from .sibling import helper\n",
            "",
            "full",  # it was the block's only import: nothing to take the context from
        ),
        ("a module name typed at the top", "import os\n", "import osx\n", "import"),
        ("a module name typed in a try else", "    import json\n", "    import jsonx\n", "full"),
        (
            "a module name typed in a method",
            "from .sibling import",
            "from .siblings import",
            "import",
        ),
        ("a name typed in a TYPE_CHECKING import", "import Iterator", "import Iterators", "import"),
        ("a module name typed in a try body", "    import lxml\n", "    import lxmlx\n", "full"),
        # Edits that change what the scanner tracks are read again in full.
        ("a flag renamed", "    HAS_LXML = True", "    HAS_LXM = True", "full"),
        ("a flag's value changed", "    HAS_LXML = True", "    HAS_LXML = False", "full"),
        ("a module-level constant changed", "USE_FAST = True", "USE_FAST = Trued", "full"),
        ("a version check edited", "(3, 11)", "(3, 12)", "full"),
        ("a platform string edited", '"win32"', '"win33"', "full"),
        ("a dynamic import's name edited", '"plugins."', '"plugin."', "full"),
        ("a string opened", "total = self", 'total = "self', "full"),
        ("a bracket opened", "total = self", "total = (self", "full"),
        ("an indentation changed", "        total = self", "       total = self", "full"),
        (
            "an import added under a guard",
            "    import lxml\n",
            "    import lxml\n    import a\n",
            "full",
        ),
        (
            "a try body statement added",
            "    import lxml\n",
            "    import lxml\n    x = f()\n",
            "full",
        ),
    ],
)
def test_edit_kinds(description: str, old: str, new: str, mode: str) -> None:
    imports = IncrementalImports()
    imports.scan(GUARDED, TARGET, _full)
    edited = _apply(GUARDED, old, new)
    assert imports.scan(edited, TARGET, _full) == _full(edited), description
    assert imports.last_mode == mode, description


def test_moved_imports_keep_their_guards_in_step() -> None:
    """Lines added above a guarded import move both its span and the guard's line."""
    imports = IncrementalImports()
    imports.scan(GUARDED, TARGET, _full)
    edited = _apply(GUARDED, "import os\n", "import os\nimport a\nimport b\n")
    scan = imports.scan(edited, TARGET, _full)
    assert imports.last_mode == "lines"
    assert scan == _full(edited)
    (before,) = [r for r in _full(GUARDED).imports if r.module == "tomli"]
    (fallback,) = [r for r in scan.imports if r.module == "tomli"]
    assert fallback.span.line == before.span.line + 2
    assert fallback.guards[0].line == before.guards[0].line + 2


def test_a_different_target_scans_again() -> None:
    imports = IncrementalImports()
    imports.scan(GUARDED, TARGET, _full)
    other = Target(PythonVersion(3, 10), "linux")
    scan = imports.scan(GUARDED, other, lambda t: extract_imports(t, version=other.version))
    assert imports.last_mode == "full"
    assert any(r.module == "exceptiongroup" for r in scan.imports)


def test_an_unchanged_text_is_not_scanned_again() -> None:
    imports = IncrementalImports()
    first = imports.scan(GUARDED, TARGET, _full)
    assert imports.scan(GUARDED, TARGET, _full) is first
    assert imports.last_mode == "same"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("abc", "abxc", (2, 2, 3)),
        ("abc", "ac", (1, 2, 1)),
        ("aaa", "aaaa", (3, 3, 4)),
        ("", "x", (0, 0, 1)),
        ("same", "same", (4, 4, 4)),
        ("x = 1\ny = 2\n", "x = 1\nz = 2\n", (6, 7, 7)),
    ],
)
def test_text_change_finds_the_edited_span(
    old: str, new: str, expected: tuple[int, int, int]
) -> None:
    start, old_end, new_end = text_change(old, new)
    assert (start, old_end, new_end) == expected
    assert old[:start] + new[start:new_end] + old[old_end:] == new


def test_lines_added_after_an_unclosed_docstring_stay_inside_it() -> None:
    """A docstring left open swallows the rest of the file, and what is typed there."""
    imports = IncrementalImports()
    source = '"""Reading imports, and under which guards.""\n'
    imports.scan(source, TARGET, _full)
    edited = source + "\nfrom . import sibling\n"
    assert imports.scan(edited, TARGET, _full) == _full(edited) == ImportScan()


def test_a_bracket_opened_and_closed_again_is_not_scanned_again() -> None:
    imports = IncrementalImports()
    imports.scan(GUARDED, TARGET, _full)
    opened = _apply(GUARDED, "total = self", "total = (self")
    assert imports.scan(opened, TARGET, _full) == _full(opened)
    assert imports.last_mode == "full"
    assert imports.scan(GUARDED, TARGET, _full) == _full(GUARDED)
    assert imports.last_mode == "same"


def test_typing_through_a_syntax_error_is_judged_from_the_last_text_that_parsed() -> None:
    """`self.size` -> `self.size.` (doesn't parse) -> `self.size.b`: one inert edit."""
    imports = IncrementalImports()
    imports.scan(GUARDED, TARGET, _full)
    half = _apply(GUARDED, "self.size + 1", "self.size. + 1")
    assert imports.scan(half, TARGET, _full) == _full(half)
    with pytest.raises(SyntaxError):  # the text doesn't parse (the scan may not look there)
        ast.parse(half)
    typed = _apply(GUARDED, "self.size + 1", "self.size.b + 1")
    assert imports.scan(typed, TARGET, _full) == _full(typed)
    assert imports.last_mode == "inert"


def test_a_failing_shortcut_falls_back_to_a_full_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    imports = IncrementalImports()
    imports.scan(GUARDED, TARGET, _full)

    def broken(*args: object) -> None:
        raise RuntimeError("a bug in the shortcut")

    monkeypatch.setattr(imports, "_incremental", broken)
    edited = _apply(GUARDED, "total = self", "totals = self")
    assert imports.scan(edited, TARGET, _full) == _full(edited)
    assert imports.last_mode == "full"


# Third-party code with the guards real projects write (requests' chardet/simplejson
# fallbacks, celery's lazy tables and version branches): the sdists tests/realcode uses,
# downloaded once into its cache.
REAL_SDISTS = {"requests": "2.32.3", "celery": "5.4.0"}


def _guarded_modules(project: str) -> list[Path]:
    from tests.realcode.sdists import fetch

    sdist = fetch(project, REAL_SDISTS[project])
    paths = sorted(sdist.modules().values())
    guarded = [
        p
        for p in paths
        if "except ImportError" in (text := p.read_text(encoding="utf-8", errors="replace"))
        or "TYPE_CHECKING" in text
        or "import_module" in text
    ]
    return guarded[:8]


@pytest.mark.parametrize("project", sorted(REAL_SDISTS))
def test_edits_of_real_projects_scan_like_a_full_scan(project: str) -> None:
    paths = _guarded_modules(project)
    assert paths, f"{project}: no module with guarded imports found"
    for path in paths:
        source = path.read_text(encoding="utf-8")
        rng = random.Random(path.name)
        imports = IncrementalImports()
        imports.scan(source, TARGET, _full)
        text = source
        for step in range(30):
            text = _edit(text, rng)
            got = imports.scan(text, TARGET, _full)
            assert got == _full(text), f"{path.name}: edit {step} ({imports.last_mode})"


def test_crlf_documents_are_read_incrementally_too() -> None:
    """Editors on Windows keep CRLF line ends: the scan is the same as for LF."""
    source = GUARDED.replace("\n", "\r\n")
    imports = IncrementalImports()
    assert imports.scan(source, TARGET, _full) == _full(source)
    for old, new, mode in [
        ("total = self", "totals = self", "inert"),
        ("import os\r\n", "import os\r\nimport missing_xyz\r\n", "lines"),
        ("HAS_LXML = True", "HAS_LXM = True", "full"),
    ]:
        source = _apply(source, old, new)
        assert imports.scan(source, TARGET, _full) == _full(source)
        assert imports.last_mode == mode
    mixed = source.replace("\r\n", "\r", 3)  # lone CRs end lines too: scanned in full
    assert imports.scan(mixed, TARGET, _full) == _full(mixed)
    assert imports.last_mode == "full"


@pytest.mark.parametrize(
    ("after", "typed", "mode"),
    [
        ("    value = 1\n", "    v", "inert"),  # the block's next statement
        ("    value = 1\n", "        v", "full"),  # deeper than the block: unexpected indent
        ('    """Load a plugin by name."""\n', "    v", "inert"),  # after a docstring
        ("def loader(name):\n", "    v", "full"),  # right below a header (kept simple)
        ("    import lxml\n", "    v", "full"),  # into a try body: its probes may change
    ],
)
def test_enter_then_typing_a_statement(after: str, typed: str, mode: str) -> None:
    """Enter (a blank line) is a line edit; the first character typed on it makes a
    statement appear, inert only where it continues the block above."""
    imports = IncrementalImports()
    imports.scan(GUARDED, TARGET, _full)
    indent = typed[: len(typed) - len(typed.lstrip())]
    blank = _apply(GUARDED, after, after + indent + "\n")
    assert imports.scan(blank, TARGET, _full) == _full(blank)
    assert imports.last_mode == "lines"
    edited = _apply(GUARDED, after, after + typed + "\n")
    assert imports.scan(edited, TARGET, _full) == _full(edited)
    assert imports.last_mode == mode


def test_an_import_added_then_removed_in_a_block_keeps_its_guards() -> None:
    """An import added next to another of the same block takes that one's context."""
    imports = IncrementalImports()
    imports.scan(GUARDED, TARGET, _full)
    block = "    import lxml.etree\n"
    added = _apply(GUARDED, block, block + "    import missing_xyz\n")
    scan = imports.scan(added, TARGET, _full)
    assert (scan, imports.last_mode) == (_full(added), "lines")
    (new,) = [r for r in scan.imports if r.module == "missing_xyz"]
    assert new.guards  # `if HAS_LXML:`, set by the try that imports lxml
    removed = _apply(added, block, "")
    assert imports.scan(removed, TARGET, _full) == _full(removed)
    assert imports.last_mode == "lines"
