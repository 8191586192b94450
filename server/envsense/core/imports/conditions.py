"""Static reading of the guards around imports: version/platform checks, TYPE_CHECKING, try/except.

Conditions are evaluated three-valued (True / False / None = can't tell) against a target
interpreter that the caller describes; nothing here looks at the running interpreter.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from envsense.core.versions import PythonVersion

# Exceptions whose handlers make an import inside `try:` optional.
_IMPORT_ERROR_NAMES = frozenset(
    {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}
)


@dataclass(frozen=True, slots=True)
class Target:
    """The interpreter the code is meant to run on; None fields are unknown."""

    version: PythonVersion | None = None
    platform: str | None = None

    @property
    def os_name(self) -> str | None:
        if self.platform is None:
            return None
        return "nt" if self.platform.startswith("win") else "posix"

    @property
    def system(self) -> str | None:
        """What `platform.system()` returns there."""
        if self.platform is None:
            return None
        if self.platform.startswith("win"):
            return "Windows"
        if self.platform == "darwin":
            return "Darwin"
        if self.platform.startswith("linux"):
            return "Linux"
        return None


def type_checking_test(test: ast.expr) -> bool | None:
    """True for `TYPE_CHECKING` / `typing.TYPE_CHECKING` / `t.TYPE_CHECKING`, False for `not ...`."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = type_checking_test(test.operand)
        return None if inner is None else not inner
    if isinstance(test, ast.Name) and test.id == "TYPE_CHECKING":
        return True
    if isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING":
        return True
    return None


def handlers_catch_import_errors(handlers: list[ast.ExceptHandler]) -> bool:
    """Whether a failing import inside the `try:` body would be caught (and not re-raised)."""
    for handler in handlers:
        if handler.body and isinstance(handler.body[-1], ast.Raise):
            # `except ImportError: raise RuntimeError("install x")`: the module still fails.
            continue
        if handler.type is None:
            return True
        if _names_import_error(handler.type):
            return True
    return False


def with_suppresses_import_errors(items: list[ast.withitem]) -> bool:
    """`with contextlib.suppress(ImportError):` or `with suppress(...)`."""
    for item in items:
        call = item.context_expr
        if not isinstance(call, ast.Call):
            continue
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name == "suppress" and any(_names_import_error(arg) for arg in call.args):
            return True
    return False


def _names_import_error(node: ast.expr) -> bool:
    if isinstance(node, ast.Tuple):
        return any(_names_import_error(elt) for elt in node.elts)
    if isinstance(node, ast.Name):
        return node.id in _IMPORT_ERROR_NAMES
    if isinstance(node, ast.Attribute):
        return node.attr in _IMPORT_ERROR_NAMES
    return False


def evaluate_condition(test: ast.expr, target: Target) -> bool | None:
    """Truth of an `if` test on the target; None when it depends on anything else."""
    if isinstance(test, ast.BoolOp):
        results = [evaluate_condition(value, target) for value in test.values]
        if isinstance(test.op, ast.And):
            if any(r is False for r in results):
                return False
            return True if all(r is True for r in results) else None
        if any(r is True for r in results):
            return True
        return False if all(r is False for r in results) else None
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = evaluate_condition(test.operand, target)
        return None if inner is None else not inner
    if isinstance(test, ast.Constant) and isinstance(test.value, (bool, int)):
        return bool(test.value)
    if isinstance(test, ast.Compare):
        return _compare(test, target)
    if isinstance(test, ast.Call):
        return _startswith(test, target)
    return None


def _compare(node: ast.Compare, target: Target) -> bool | None:
    left = _value(node.left, target)
    if left is _UNKNOWN_EXPR:
        return None
    result: bool | None = True
    for op, right_node in zip(node.ops, node.comparators, strict=True):
        right = _value(right_node, target)
        if right is _UNKNOWN_EXPR:
            return None
        outcome = _apply(op, left, right)
        if outcome is False:
            return False
        if outcome is None:
            result = None
        left = right
    return result


class _Unknown:
    pass


_UNKNOWN_EXPR = _Unknown()


def _apply(op: ast.cmpop, left: object, right: object) -> bool | None:
    # A side that reads the target but the target is unknown: can't tell.
    if left is None or right is None:
        return None
    try:
        if isinstance(op, ast.In):
            return bool(left in right)  # type: ignore[operator]
        if isinstance(op, ast.NotIn):
            return bool(left not in right)  # type: ignore[operator]
        if type(left) is not type(right):
            return None
        if isinstance(op, ast.Eq):
            return left == right
        if isinstance(op, ast.NotEq):
            return left != right
        if isinstance(op, ast.Lt):
            return bool(left < right)  # type: ignore[operator]
        if isinstance(op, ast.LtE):
            return bool(left <= right)  # type: ignore[operator]
        if isinstance(op, ast.Gt):
            return bool(left > right)  # type: ignore[operator]
        if isinstance(op, ast.GtE):
            return bool(left >= right)  # type: ignore[operator]
    except TypeError:
        return None
    return None


def _version_tuple(version: PythonVersion) -> tuple[object, ...]:
    return (version.major, version.minor, version.micro, version.releaselevel, version.serial)


def _is_sys_attr(node: ast.expr, attr: str) -> bool:
    if isinstance(node, ast.Attribute) and node.attr == attr:
        return isinstance(node.value, ast.Name) and node.value.id == "sys"
    return isinstance(node, ast.Name) and node.id == attr


# How many times a condition read the target, in this process. A scan during which the
# count did not move reads the same on every target: the import scanner can extract
# before it knows the interpreter (check_prefetch).
_target_reads = [0]


def target_reads() -> int:
    """How many values conditions have read from a target so far (see _target_reads)."""
    return _target_reads[0]


def _value(node: ast.expr, target: Target) -> object:
    """A literal, a value read from the target (None if the target is unknown), or _UNKNOWN_EXPR."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, str)):
        return node.value
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        items = [_value(elt, target) for elt in node.elts]
        if any(item is _UNKNOWN_EXPR or item is None for item in items):
            return _UNKNOWN_EXPR
        return tuple(items)
    found = _target_value(node, target)
    if found is not _UNKNOWN_EXPR:
        _target_reads[0] += 1
    return found


def _target_value(node: ast.expr, target: Target) -> object:
    """What `node` reads from the target (None if the target is unknown), or _UNKNOWN_EXPR
    when it reads nothing from it."""
    version = target.version
    if _is_sys_attr(node, "version_info"):
        return None if version is None else _version_tuple(version)
    if _is_sys_attr(node, "platform"):
        return target.platform
    if isinstance(node, ast.Attribute) and node.attr == "name":
        if isinstance(node.value, ast.Name) and node.value.id == "os":
            return target.os_name
    if isinstance(node, ast.Call) and not node.args and isinstance(node.func, ast.Attribute):
        func = node.func
        if func.attr == "system" and isinstance(func.value, ast.Name):
            if func.value.id == "platform":
                return target.system
    if isinstance(node, ast.Attribute) and _is_sys_attr(node.value, "version_info"):
        index = {"major": 0, "minor": 1, "micro": 2}.get(node.attr)
        if index is None:
            return _UNKNOWN_EXPR
        return None if version is None else _version_tuple(version)[index]
    if isinstance(node, ast.Subscript) and _is_sys_attr(node.value, "version_info"):
        return _subscript_version(node.slice, version)
    return _UNKNOWN_EXPR


def _subscript_version(index: ast.expr, version: PythonVersion | None) -> object:
    if isinstance(index, ast.Constant) and isinstance(index.value, int):
        if not 0 <= index.value <= 4:
            return _UNKNOWN_EXPR
        return None if version is None else _version_tuple(version)[index.value]
    if isinstance(index, ast.Slice) and index.lower is None and index.step is None:
        upper = index.upper
        if isinstance(upper, ast.Constant) and isinstance(upper.value, int):
            return None if version is None else _version_tuple(version)[: upper.value]
    return _UNKNOWN_EXPR


def _startswith(node: ast.Call, target: Target) -> bool | None:
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr == "startswith" and len(node.args) == 1):
        return None
    subject = _value(func.value, target)
    prefix = _value(node.args[0], target)
    if subject is _UNKNOWN_EXPR or prefix is _UNKNOWN_EXPR:
        return None
    if subject is None or not isinstance(subject, str):
        return None
    if isinstance(prefix, str):
        return subject.startswith(prefix)
    if isinstance(prefix, tuple) and all(isinstance(p, str) for p in prefix):
        return subject.startswith(tuple(str(p) for p in prefix))
    return None


def is_main_test(test: ast.expr) -> bool:
    """`__name__ == "__main__"` (either way round)."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return False
    if not isinstance(test.ops[0], ast.Eq):
        return False
    sides = (test.left, test.comparators[0])
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    mains = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return len(names) == 1 and len(mains) == 1
