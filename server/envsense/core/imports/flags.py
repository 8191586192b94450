"""Module-level flags that say whether an optional import worked.

A small constant propagation, enough for the idioms real code uses:

    has_simplejson = False            try:                        try:
    try:                                  import yaml                 import certifi
        import simplejson                 HAS_YAML = True         except ImportError:
        has_simplejson = True         except ImportError:             certifi = None
    except ImportError:                   HAS_YAML = False
        pass                                                      if certifi is not None: ...
    if has_simplejson: ...            if not HAS_YAML: ...

A flag maps to "the try's imports worked" (or failed); `if` tests on it become an
ImportGuard the checks evaluate against the environment. Names assigned a literal, or a
`sys.version_info`/`sys.platform` comparison, at module level are plain constants.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from envsense.core.imports.conditions import Target, evaluate_condition
from envsense.core.imports.refs import ImportGuard, Probe


class _Token:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


# A value bound by an import (a module or an object from it): truthy, never None.
BOUND = _Token("BOUND")
UNKNOWN = _Token("UNKNOWN")

# `NAME = value` in column 0; only literals and target checks are understood.
_ASSIGN = re.compile(r"^([A-Za-z_]\w*)[ \t]*=[ \t]*([^=\n][^\n]*)$", re.M)
_TARGET_WORDS = ("sys.", "os.name", "platform.", "True", "False", "None", "find_spec(")


@dataclass(frozen=True, slots=True)
class Flag:
    """A module-level name: its value when the probes import (`ok`) and when they fail.

    No probes: a constant, `ok` is its value.
    """

    probes: tuple[Probe, ...]
    ok: object
    fail: object
    line: int


def _truth(value: object) -> bool | None:
    if value is UNKNOWN:
        return None
    if value is BOUND:
        return True
    if value is None or isinstance(value, (bool, int, str)):
        return bool(value)
    return None


def _is_none(value: object) -> bool | None:
    if value is UNKNOWN:
        return None
    return value is None


def literal(node: ast.expr | None) -> object:
    """The value of `True`/`False`/`None`/a number or string; UNKNOWN otherwise."""
    if isinstance(node, ast.Constant) and (
        node.value is None or isinstance(node.value, (bool, int, str))
    ):
        return node.value
    return UNKNOWN


_Reader = Callable[[object], "bool | None"]


class FlagTable:
    """Flags of one file, filled in source order as try statements are walked."""

    def __init__(self, lines: Sequence[str], target: Target, *, source: str | None = None) -> None:
        """`lines` of the file, or its whole `source` (then `lines` is not read)."""
        self._lines = lines
        self._source = source
        self._target = target
        self._flags: dict[str, list[Flag]] = {}
        self._constants: dict[str, list[tuple[int, object]]] | None = None

    def record(self, name: str, flag: Flag) -> None:
        self._flags.setdefault(name, []).append(flag)

    def _scan_constants(self) -> dict[str, list[tuple[int, object]]]:
        """Column-0 `NAME = <literal or target check>` lines (read lazily, once)."""
        if self._constants is not None:
            return self._constants
        found: dict[str, list[tuple[int, object]]] = {}
        source = self._source if self._source is not None else "\n".join(self._lines)
        for match in _ASSIGN.finditer(source):
            text = match.group(2).split("#", 1)[0].strip()
            if not any(word in text for word in _TARGET_WORDS):
                continue
            try:
                node = ast.parse(text, mode="eval").body
            except (SyntaxError, ValueError):
                continue
            line = source.count("\n", 0, match.start())
            spec = find_spec_test(node)
            if spec is not None:
                # HAS_X = importlib.util.find_spec("x") is not None: true when x imports.
                probe, when_ok = spec
                self.record(match.group(1), Flag((probe,), when_ok, not when_ok, line))
                continue
            value = literal(node)
            if value is UNKNOWN:
                outcome = evaluate_condition(node, self._target)
                if outcome is None:
                    continue
                value = outcome
            found.setdefault(match.group(1), []).append((line, value))
        self._constants = found
        return found

    def constant_before(self, name: str, line: int) -> object:
        """The literal a module-level `name = ...` line before `line` gives it, or UNKNOWN."""
        value: object = UNKNOWN
        for where, assigned in self._scan_constants().get(name, ()):
            if where < line:
                value = assigned
        return value

    def lookup(self, name: str, line: int) -> Flag | None:
        self._scan_constants()  # find_spec flags are recorded by the scan
        flags = [f for f in self._flags.get(name, ()) if f.line < line]
        if flags:
            return flags[-1]
        value = self.constant_before(name, line)
        return None if value is UNKNOWN else Flag((), value, value, line)

    def evaluate(self, test: ast.expr, line: int) -> tuple[bool | None, ImportGuard | None]:
        """The test's truth when it is a constant, else the guard it amounts to, else (None, None)."""
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            outcome, guard = self.evaluate(test.operand, line)
            if outcome is not None:
                return not outcome, None
            if guard is not None:
                return None, ImportGuard(guard.probes, not guard.when_ok, guard.line)
            return None, None
        spec = find_spec_test(test)
        if spec is not None:
            return None, ImportGuard((spec[0],), spec[1], line)
        name, reader = _flag_read(test)
        if name is None or reader is None:
            return None, None
        flag = self.lookup(name, line)
        if flag is None:
            return None, None
        ok, fail = reader(flag.ok), reader(flag.fail)
        if not flag.probes:
            return ok, None
        if ok is not None and ok == fail:
            return ok, None
        if ok is True and fail is False:
            return None, ImportGuard(flag.probes, True, flag.line)
        if ok is False and fail is True:
            return None, ImportGuard(flag.probes, False, flag.line)
        return None, None


def _flag_read(test: ast.expr) -> tuple[str | None, _Reader | None]:
    """`X` -> (X, truth); `X is None` / `X is not None` (or ==, !=) -> (X, is-None test)."""
    if isinstance(test, ast.Name):
        return test.id, _truth
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.left, ast.Name)
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
    ):
        op = test.ops[0]
        if isinstance(op, (ast.Is, ast.Eq)):
            return test.left.id, _is_none
        if isinstance(op, (ast.IsNot, ast.NotEq)):
            return test.left.id, _not_none
    return None, None


def _not_none(value: object) -> bool | None:
    result = _is_none(value)
    return None if result is None else not result


def bound_names(node: ast.stmt) -> Iterable[str]:
    """Names an import statement binds (`import a.b` binds a)."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.asname or alias.name.partition(".")[0]
    elif isinstance(node, ast.ImportFrom):
        for alias in node.names:
            if alias.name != "*":
                yield alias.asname or alias.name


def assigned_literals(body: Iterable[ast.stmt]) -> dict[str, object]:
    """`NAME = literal` (and `A = B = literal`) statements directly in a block."""
    found: dict[str, object] = {}
    for node in body:
        if isinstance(node, ast.Assign):
            value = literal(node.value)
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if node.value is not None:
                found[node.target.id] = literal(node.value)
        else:
            for name in bound_names(node):
                found[name] = BOUND
    return found


def find_spec_test(node: ast.expr) -> tuple[Probe, bool] | None:
    """`find_spec("x")` / `... is not None` -> (import x, True); `... is None` -> False."""
    when_ok = True
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        right = node.comparators[0]
        if not (isinstance(right, ast.Constant) and right.value is None):
            return None
        if isinstance(node.ops[0], (ast.Is, ast.Eq)):
            when_ok = False
        elif not isinstance(node.ops[0], (ast.IsNot, ast.NotEq)):
            return None
        node = node.left
    if not (isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords):
        return None
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    arg = node.args[0]
    if name != "find_spec" or not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
        return None
    if not arg.value or arg.value.startswith("."):
        return None
    return Probe(arg.value, find_only=True), when_ok
