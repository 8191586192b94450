"""Declare a requirement in a manifest with the smallest edit that keeps its formatting.

Supported: pyproject.toml `[project].dependencies`, `[dependency-groups]`,
`[tool.poetry.dependencies]` (and poetry groups), Pipfile `[packages]`/`[dev-packages]`,
and requirements files. The result is a list of text insertions; the file itself is
never rewritten. Every edit is checked by parsing the edited text before it is returned.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from envsense.core.install.requirement_safety import CheckedRequirement, check_requirement
from envsense.core.text_edits import (
    Insert,
    TextEdit,
    above_comments,
    append_block,
    apply_edits,
    indent_of,
    insertion,
    newline_of,
)
from envsense.core.toml_compat import TOMLDecodeError, loads_toml
from envsense.core.toml_layout import (
    Array,
    Item,
    Table,
    TomlLayoutError,
    format_key,
    line_end,
    line_start,
    read_layout,
)

__all__ = ["ManifestEditError", "TextEdit", "add_requirement", "apply_edits"]

_INDENT = "    "


class ManifestEditError(ValueError):
    """The requirement can't be added safely; the message says why, for the user."""


def add_requirement(
    manifest: Path,
    text: str,
    requirement: str,
    group: str | None = None,
    *,
    installed_version: str | None = None,
) -> tuple[TextEdit, ...]:
    """Edits that declare `requirement` in `manifest` (whose current content is `text`).

    `group` selects a dependency group (PEP 735, poetry group, Pipfile "dev"). With
    `installed_version` and no specifier, the installed version becomes the lower bound.
    An already declared distribution gives no edits.
    """
    req = _prepare(requirement, installed_version, pin_operator(text))
    name = manifest.name
    if name == "pyproject.toml":
        inserts = _pyproject(text, req, group, installed_version)
    elif name == "Pipfile":
        inserts = _pipfile(text, req, group)
    elif manifest.suffix in (".txt", ".in") or name.startswith("requirements"):
        if group is not None:
            raise ManifestEditError(f"{name} has no dependency groups")
        inserts = _requirements_file(text, req)
    else:
        raise ManifestEditError(f"don't know how to declare requirements in {name}")
    edits = tuple(insertion(text, offset, new) for offset, new in sorted(inserts))
    if edits:
        _verify(name, text, apply_edits(text, edits), req)
    return edits


@dataclass(frozen=True, slots=True)
class _Req:
    checked: CheckedRequirement
    lower_bound: str | None  # the installed version when it became the lower bound

    @property
    def canonical(self) -> str:
        return self.checked.canonical_name

    @property
    def pep508(self) -> str:
        return self.checked.text


_PIN = re.compile(r"^\s*[\"']?[A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?\s*(==|>=|~=)", re.M)


def pin_operator(text: str) -> str:
    """How the file pins its entries: `==` or `~=` when most of them do, else `>=`."""
    counts: dict[str, int] = {}
    for match in _PIN.finditer(text):
        counts[match.group(1)] = counts.get(match.group(1), 0) + 1
    if not counts:
        return ">="
    best = max(counts, key=lambda op: (counts[op], op == ">="))
    return best


def _prepare(requirement: str, installed_version: str | None, operator: str = ">=") -> _Req:
    checked = check_requirement(requirement, allow_url=True)
    if not isinstance(checked, CheckedRequirement):
        raise ManifestEditError(f"{checked.text!r} {checked.reason}")
    req = checked.requirement
    lower = None
    if installed_version and not req.specifier and req.url is None:
        try:
            lower = Version(installed_version).public
        except InvalidVersion:
            lower = None
        if lower is not None:
            req = Requirement(str(req))
            req.specifier = SpecifierSet(f"{operator}{lower}")
            checked = CheckedRequirement(req, str(req))
    return _Req(checked, lower)


def _layout(text: str) -> list[Table]:
    try:
        loads_toml(text)
        return read_layout(text)
    except (TOMLDecodeError, TomlLayoutError) as error:
        raise ManifestEditError(f"the file is not valid TOML: {error}") from error


def _table(tables: list[Table], name: tuple[str, ...]) -> Table | None:
    return next((t for t in tables if t.name == name and not t.is_array_item), None)


# --- pyproject.toml ------------------------------------------------------------------


def _pyproject(text: str, req: _Req, group: str | None, installed: str | None) -> list[Insert]:
    tables = _layout(text)
    data = loads_toml(text)
    project = _table(tables, ("project",))
    poetry_only = project is None and _table(tables, ("tool", "poetry")) is not None
    if poetry_only:
        table: tuple[str, ...] = ("tool", "poetry", "dependencies")
        if group is not None:
            table = ("tool", "poetry", "group", group, "dependencies")
        value = _poetry_value(req)
        return _table_entry(text, tables, table, req, value, skip=("python",))
    if group is not None:
        groups = _table(tables, ("dependency-groups",))
        key = group
        if groups is not None:
            wanted = canonicalize_name(group)
            key = next(
                (kv.key[0] for kv in groups.entries if canonicalize_name(kv.key[0]) == wanted),
                group,
            )
        return _array_entry(text, tables, ("dependency-groups",), (key,), req)
    if project is None:
        if "project" in data:
            raise ManifestEditError("[project] is written in a form envsense can't edit in place")
        raise ManifestEditError("pyproject.toml has no [project] table to declare dependencies in")
    return _array_entry(text, tables, ("project",), ("dependencies",), req)


def _array_entry(
    text: str, tables: list[Table], table_name: tuple[str, ...], key: tuple[str, ...], req: _Req
) -> list[Insert]:
    nl = newline_of(text)
    table = _table(tables, table_name)
    item = f'"{_for_quote(req.pep508, chr(34))}"'
    new_key = format_key(key[0])
    if table is None:
        header = "[" + ".".join(format_key(part) for part in table_name) + "]"
        return [append_block(text, f"{header}{nl}{new_key} = [{nl}{_INDENT}{item},{nl}]{nl}")]
    entry = table.find(key)
    if entry is None:
        block = f"{new_key} = [{nl}{_INDENT}{item},{nl}]{nl}"
        return [_after_last_entry(text, table, block)]
    if entry.array is None:
        raise ManifestEditError(f"{'.'.join(key)} in [{'.'.join(table_name)}] is not a list")
    return _insert_in_array(text, entry.array, req, nl)


def _insert_in_array(text: str, array: Array, req: _Req, nl: str) -> list[Insert]:
    items = array.items
    names = [_name_of(item.value) for item in items]
    if req.canonical in names:
        return []
    strings = [text[i.start] for i in items if i.value is not None]
    quote = strings[-1] if strings else '"'
    item = f"{quote}{_for_quote(req.pep508, quote)}{quote}"
    multiline = "\n" in text[array.open : array.close]
    if not items:
        if multiline:
            indent = indent_of(text, array.open) + _INDENT
            return [(array.open + 1, f"{nl}{indent}{item},")]
        return [(array.open + 1, item)]
    known = [n for n in names if n is not None]
    position = len(items)
    if len(known) == len(names) and known == sorted(known):
        position = next((i for i, n in enumerate(known) if n > req.canonical), len(items))
    if position < len(items):
        before = items[position]
        start = line_start(text, before.start)
        if multiline and not text[start : before.start].strip():
            previous_end = (
                items[position - 1].comma_end or items[position - 1].end
                if position
                else array.open + 1
            )
            start = above_comments(text, start, previous_end)
            return [(start, f"{text[line_start(text, before.start) : before.start]}{item},{nl}")]
        return [(before.start, f"{item},{_separator(text, items)}")]
    last = items[-1]
    if not multiline:
        return [(last.end, f",{_separator(text, items)}{item}")]
    indent = indent_of(text, last.start)
    end_of_line = line_end(text, last.start)
    if array.close < end_of_line:  # "...last"] shares its line with the closing bracket
        if last.comma_end is not None:
            return [(last.comma_end, f"{nl}{indent}{item},")]
        return [(last.end, f",{nl}{indent}{item}")]
    if last.comma_end is not None:
        return [(end_of_line, f"{nl}{indent}{item},")]
    if text[last.end : end_of_line].strip():  # a comment follows the last item
        return [(last.end, ","), (end_of_line, f"{nl}{indent}{item}")]
    return [(last.end, f",{nl}{indent}{item}")]


def _separator(text: str, items: Sequence[Item]) -> str:
    first = items[0]
    if first.comma_end is None:
        return " "
    return " " if text[first.comma_end : first.comma_end + 1] in (" ", "\t") else ""


def _for_quote(pep508: str, quote: str) -> str:
    """Marker strings may use either quote; pick the one that needs no escaping."""
    return pep508.replace(quote, "'" if quote == '"' else '"')


def _name_of(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return canonicalize_name(Requirement(value).name)
    except InvalidRequirement:
        return None


def _after_last_entry(text: str, table: Table, block: str) -> Insert:
    anchor = table.entries[-1].value_end if table.entries else table.header_end
    end = line_end(text, anchor)
    nl = newline_of(text)
    if end >= len(text):
        return (len(text), nl + block.removesuffix(nl))
    return (end + len(nl), block)


# --- key = value tables: poetry, Pipfile -----------------------------------------------


def _table_entry(
    text: str,
    tables: list[Table],
    table_name: tuple[str, ...],
    req: _Req,
    value: str,
    skip: tuple[str, ...] = (),
) -> list[Insert]:
    nl = newline_of(text)
    line = f"{format_key(req.checked.name)} = {value}{nl}"
    table = _table(tables, table_name)
    if table is None:
        header = "[" + ".".join(format_key(part) for part in table_name) + "]"
        return [append_block(text, f"{header}{nl}{line}")]
    names = [canonicalize_name(kv.key[0]) for kv in table.entries if len(kv.key) == 1]
    if req.canonical in names:
        return []
    movable = [kv for kv in table.entries if len(kv.key) == 1 and kv.key[0] not in skip]
    known = [canonicalize_name(kv.key[0]) for kv in movable]
    if known and known == sorted(known):
        for kv, name in zip(movable, known, strict=True):
            if name > req.canonical:
                start = line_start(text, kv.start)
                if text[start : kv.start].strip():
                    break
                floor = _previous_end(text, table, kv.start)
                return [(above_comments(text, start, floor), line)]
    return [_after_last_entry(text, table, line)]


def _previous_end(text: str, table: Table, offset: int) -> int:
    ends = [kv.value_end for kv in table.entries if kv.value_end < offset]
    return max(ends, default=table.header_end)


def _poetry_value(req: _Req) -> str:
    r = req.checked.requirement
    version = f"^{req.lower_bound}" if req.lower_bound else (str(r.specifier) or "*")
    return _inline_or_string(req, version)


def _inline_or_string(req: _Req, version: str) -> str:
    r = req.checked.requirement
    if r.url is not None:
        return f'{{url = "{r.url}"}}'
    if not r.extras and r.marker is None:
        return f'"{version}"'
    parts = [f'version = "{version}"']
    if r.extras:
        parts.append("extras = [" + ", ".join(f'"{e}"' for e in sorted(r.extras)) + "]")
    if r.marker is not None:
        parts.append(f'markers = "{_for_quote(str(r.marker), chr(34))}"')
    return "{" + ", ".join(parts) + "}"


def _pipfile(text: str, req: _Req, group: str | None) -> list[Insert]:
    tables = _layout(text)
    section = "dev-packages" if group in ("dev", "dev-packages") else "packages"
    if group not in (None, "dev", "dev-packages", "packages"):
        section = group  # Pipfile allows arbitrary package categories
    version = (
        f">={req.lower_bound}"
        if req.lower_bound
        else (str(req.checked.requirement.specifier) or "*")
    )
    return _table_entry(text, tables, (section,), req, _inline_or_string(req, version))


# --- requirements files ----------------------------------------------------------------


def _requirements_file(text: str, req: _Req) -> list[Insert]:
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith(("-", "#")) and _name_of(line) == req.canonical:
            return []
    nl = newline_of(text)
    if not text:
        return [(0, req.pep508 + nl)]
    if text.endswith("\n"):
        return [(len(text), req.pep508 + nl)]
    return [(len(text), nl + req.pep508)]


# --- shared ----------------------------------------------------------------------------


def _verify(name: str, original: str, edited: str, req: _Req) -> None:
    """The edited file must still parse and differ from the original by one added entry."""
    if name not in ("pyproject.toml", "Pipfile"):
        return
    try:
        added = _added(loads_toml(original), loads_toml(edited))
    except TOMLDecodeError as error:
        raise ManifestEditError(f"editing {name} would break it ({error}); not changed") from error
    if added is None or req.checked.name not in added:
        raise ManifestEditError(f"could not place {req.pep508} in {name} safely; not changed")


def _added(old: object, new: object) -> str | None:
    """The one list item or table key `new` adds to `old` (as text), else None."""
    if isinstance(old, dict) and isinstance(new, dict):
        extra = set(new) - set(old)
        if not set(old) <= set(new) or len(extra) > 1:
            return None
        changed = [k for k in old if old[k] != new[k]]
        if extra and not changed:
            key = extra.pop()
            return f"{key} {new[key]}"
        if len(changed) == 1 and not extra:
            return _added(old[changed[0]], new[changed[0]])
        return None
    if isinstance(old, list) and isinstance(new, list) and len(new) == len(old) + 1:
        rest = list(new)
        for item in old:
            if item not in rest:
                return None
            rest.remove(item)
        return str(rest[0])
    return None
