"""Packages that import their public names lazily, from a table in their `__init__.py`.

celery's `recreate_module(__name__, by_module={"celery.app.task": ["Task"], ...})`,
transformers' `_import_structure = {"models.bert": ["BertModel"], ...}` and lazy_loader's
`attach(__name__, submod_attrs={"filters": ["gaussian"]})` all say, as a dict literal,
which module `from pkg import Name` really imports. Reading that table lets an import
chain go through `from celery import Task` to the module that runs.
"""

from __future__ import annotations

import ast
import re

# A dict entry whose key is a string and whose value a list, tuple or set: the key's
# closing quote, then (whitespace, parentheses, line continuations, whole-line comments)
# `:` (the same) and the opening bracket. Parsing a package's whole `__init__.py` to walk
# its tree was most of the lazy-table cost, and 95 % of homeassistant's packages have no
# such entry. A comment runs to its line's end (no shorter match to backtrack into).
_GAP = r"(?:[\s()\\]|#[^\n]*(?![^\n]))*"
_ENTRY_HEAD = re.compile(r"[\"']" + _GAP + ":" + _GAP + r"[\[({]")
# What a table's value holds between its brackets: string literals (any prefix; a
# triple-quoted one may span lines), commas, parentheses, whitespace, comments.
_VALUE_TOKEN = re.compile(
    r"""(?P<string>[rRuUbBfF]{0,2}(?:'''(?:[^\\]|\\.)*?'''|\"\"\"(?:[^\\]|\\.)*?\"\"\"|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"))"""
    r"|[\s,\\]+|#[^\n]*",
    re.S,
)
_CLOSING = {"[": "]", "(": ")", "{": "}"}


def may_hold_table(text: str) -> bool:
    """False when `text` can't hold a lazy-import table (no dict entry of a string key
    and a list, tuple or set of strings, one of them a name), without parsing it."""
    if "{" not in text:
        return False
    return any(_names_a_name(text, m.end()) for m in _ENTRY_HEAD.finditer(text))


def _names_a_name(text: str, start: int) -> bool:
    """Whether the bracketed value opened just before `start` holds string literals only,
    one of which may be an identifier (what a table entry needs to name anything)."""
    closing = _CLOSING[text[start - 1]]
    depth = 0
    named = False
    position = start
    while position < len(text):
        char = text[position]
        if char == "(":
            depth += 1
            position += 1
            continue
        if char in ")]}":
            if depth and char == ")":
                depth -= 1
                position += 1
                continue
            return named and char == closing
        token = _VALUE_TOKEN.match(text, position)
        if token is None:
            return False  # anything but a string makes the whole dict no table
        literal = token.group("string")
        if literal is not None and not named:
            body = literal.lstrip("rRuUbBfF")
            quote = 3 if body[:3] in ('"""', "'''") else 1
            inner = body[quote:-quote]
            # An escape may spell a name; implicit concatenation's first piece is one.
            named = "\\" in inner or inner.isidentifier()
        position = token.end()
    return False


def lazy_attribute_table(text: str, package: str) -> dict[str, str]:
    """Name -> absolute module, from dict literals mapping module names to lists of names.

    Keys are absolute (`celery.app.task`), relative with dots, or bare submodule names
    (`models.bert`, taken under `package`). Anything else in the file is ignored.
    """
    if not may_hold_table(text):
        return {}
    return parsed_table(text, package)


def parsed_table(text: str, package: str) -> dict[str, str]:
    """`lazy_attribute_table` by parsing, whatever the text looks like."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return {}
    table: dict[str, str] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Dict) or not node.keys:
            continue
        entries = _entries(node, package)
        if entries is not None:
            for name, module in entries:
                table.setdefault(name, module)
    return table


def _entries(node: ast.Dict, package: str) -> list[tuple[str, str]] | None:
    found: list[tuple[str, str]] = []
    for key, value in zip(node.keys, node.values, strict=True):
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            return None
        if not isinstance(value, (ast.List, ast.Tuple, ast.Set)):
            return None
        names = [e.value for e in value.elts if isinstance(e, ast.Constant)]
        if len(names) != len(value.elts) or not all(isinstance(n, str) for n in names):
            return None
        module = _absolute(key.value, package)
        if module is None:
            return None
        found += [(str(name), module) for name in names if str(name).isidentifier()]
    return found


def _absolute(key: str, package: str) -> str | None:
    stripped = key.lstrip(".")
    if not stripped or not all(part.isidentifier() for part in stripped.split(".")):
        return None
    if key.startswith(".") or not stripped.startswith(package.partition(".")[0] + "."):
        return f"{package}.{stripped}"
    return stripped
