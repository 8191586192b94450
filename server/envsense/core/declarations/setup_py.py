"""setup.py read statically: the literal arguments of its `setup(...)` call, never executed.

Understood: `install_requires`, `extras_require`, `tests_require` and `python_requires`
given as literals, as names bound to literals in the same file (module level, straight
line: `=`, `+=`, `.append()`, `.extend()`, `+` between lists), and as reads of a
requirements file of the project (`open("requirements.txt").read().splitlines()`,
`Path(...).read_text().splitlines()`, `with open(...) as f: reqs = f.readlines()`, a helper
called with the file name). Anything else makes the declarations `incomplete`, so the
project's installed metadata can fill in what this file computes at build time.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace
from pathlib import Path

from packaging.utils import canonicalize_name

from envsense.core.declarations.common import declare, is_dev_name, parse_requires_python
from envsense.core.declarations.records import (
    Declarations,
    DeclaredRequirement,
    ManifestProblem,
    ManifestSource,
    RequiresPython,
    merge,
)
from envsense.core.declarations.requirements_txt import parse_requirements
from envsense.core.findings import Span
from envsense.core.safe_read import REQUIREMENTS_LIMIT, read_bytes

_DEPENDENCY_KEYWORDS = ("install_requires", "extras_require", "tests_require")
# A requirements file read by setup.py bigger than this is not a requirements file.
_MAX_READ = 1_000_000


class _Unknown(Exception):
    """An expression whose value needs running the file."""


@dataclass
class _Strings:
    """A list value: literal strings with their nodes, and files read into it."""

    items: list[tuple[str, ast.expr]] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def __add__(self, other: _Strings) -> _Strings:
        return _Strings(self.items + other.items, self.files + other.files)


class _Evaluator:
    def __init__(self, tree: ast.Module, folder: Path) -> None:
        self.tree = tree
        self.folder = folder
        self.names: dict[str, ast.expr] = {}
        self.additions: dict[str, list[ast.expr]] = {}
        self.opened: dict[str, ast.expr] = {}
        # Set when part of a value could not be read (the rest was).
        self.partial = False
        self._bind(tree.body)

    def _bind(self, body: list[ast.stmt]) -> None:
        """Module-level, unconditional bindings, in order (try bodies count: they run)."""
        for statement in body:
            if isinstance(statement, ast.Assign):
                for target in statement.targets:
                    if isinstance(target, ast.Name):
                        self.names[target.id] = statement.value
                        self.additions.pop(target.id, None)
            elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                if statement.value is not None:
                    self.names[statement.target.id] = statement.value
            elif isinstance(statement, ast.AugAssign) and isinstance(statement.op, ast.Add):
                if isinstance(statement.target, ast.Name):
                    self.additions.setdefault(statement.target.id, []).append(statement.value)
            elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
                call = statement.value
                func = call.func
                if (
                    isinstance(func, ast.Attribute)
                    and isinstance(func.value, ast.Name)
                    and func.attr in ("append", "extend")
                    and len(call.args) == 1
                ):
                    value = call.args[0]
                    if func.attr == "append":
                        value = ast.List(elts=[value], ctx=ast.Load())
                    self.additions.setdefault(func.value.id, []).append(value)
            elif isinstance(statement, ast.With):
                for item in statement.items:
                    if isinstance(item.optional_vars, ast.Name):
                        self.opened[item.optional_vars.id] = item.context_expr
                self._bind(statement.body)
            elif isinstance(statement, ast.Try):
                self._bind(statement.body)

    def strings(self, node: ast.expr, depth: int = 0) -> _Strings:
        if depth > 20:
            raise _Unknown
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            # A bare string is one requirement per line (setuptools accepts that too).
            return _Strings([(node.value, node)])
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            result = _Strings()
            for element in node.elts:
                if isinstance(element, ast.Starred):
                    result = result + self.strings(element.value, depth + 1)
                elif isinstance(element, ast.Constant) and isinstance(element.value, str):
                    result.items.append((element.value, element))
                else:
                    result = result + self.strings(element, depth + 1)
            return result
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            # `base + (["pywin32"] if WINDOWS else [])`: keep the literal side, and say the
            # rest is computed (never take a conditional part as unconditional).
            parts = _Strings()
            for side in (node.left, node.right):
                try:
                    parts = parts + self.strings(side, depth + 1)
                except _Unknown:
                    self.partial = True
            return parts
        if isinstance(node, ast.Name):
            if node.id not in self.names:
                raise _Unknown
            result = self.strings(self.names[node.id], depth + 1)
            for extra in self.additions.get(node.id, []):
                result = result + self.strings(extra, depth + 1)
            return result
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in ("list", "tuple", "sorted", "set") and len(node.args) == 1:
                return self.strings(node.args[0], depth + 1)
        read = self._file_read(node)
        if read is not None:
            return _Strings(files=[read])
        raise _Unknown

    def mapping(self, node: ast.expr, depth: int = 0) -> list[tuple[str, _Strings]]:
        if depth > 20:
            raise _Unknown
        if isinstance(node, ast.Name) and node.id in self.names:
            return self.mapping(self.names[node.id], depth + 1)
        if isinstance(node, ast.Dict):
            found: list[tuple[str, _Strings]] = []
            for key, value in zip(node.keys, node.values, strict=True):
                if key is None:
                    found.extend(self.mapping(value, depth + 1))
                elif isinstance(key, ast.Constant) and isinstance(key.value, str):
                    found.append((key.value, self.strings(value, depth + 1)))
                else:
                    raise _Unknown
            return found
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "dict"
            and not node.args
        ):
            return [(k.arg, self.strings(k.value, depth + 1)) for k in node.keywords if k.arg]
        raise _Unknown

    def _file_read(self, node: ast.expr) -> Path | None:
        """A requirements file of the project that this expression reads, if it names one."""
        for inner in ast.walk(node):
            if isinstance(inner, ast.Name) and inner.id in self.opened:
                found = self._file_read(self.opened[inner.id])
                if found is not None:
                    return found
            if isinstance(inner, ast.Constant) and isinstance(inner.value, str):
                # kombu: reqs("default.txt") opens requirements/default.txt.
                for where in (inner.value, f"requirements/{inner.value}"):
                    found = self._project_file(where)
                    if found is not None:
                        return found
        return None

    def files_read_by_helper(self, node: ast.expr) -> list[Path]:
        """Requirements files named in the helper function `node` calls (`f()`), or in
        the helpers that one calls, two levels deep; files are looked up in the project
        and its requirements/ folder."""
        functions = {f.name: f for f in ast.walk(self.tree) if isinstance(f, ast.FunctionDef)}
        found: list[Path] = []
        pending: list[ast.AST] = [node]
        seen: set[str] = set()
        for _ in range(3):
            calls = [
                c.func.id
                for n in pending
                for c in ast.walk(n)
                if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)
            ]
            pending = []
            for name in calls:
                if name in seen or name not in functions:
                    continue
                seen.add(name)
                pending.append(functions[name])
                for constant in ast.walk(functions[name]):
                    if isinstance(constant, ast.Constant) and isinstance(constant.value, str):
                        for where in (constant.value, f"requirements/{constant.value}"):
                            path = self._project_file(where)
                            if path is not None and path not in found:
                                found.append(path)
                                break
        return found

    def _project_file(self, name: str) -> Path | None:
        if not name.endswith((".txt", ".in")) or "\n" in name or len(name) > 200:
            return None
        candidate = (self.folder / name).resolve()
        folder = self.folder.resolve()
        if candidate != folder and folder not in candidate.parents:
            return None  # never read outside the project
        try:
            if candidate.is_file() and candidate.stat().st_size <= _MAX_READ:
                return candidate
        except OSError:
            return None
        return None


def _setup_call(tree: ast.Module) -> ast.Call | None:
    """The `setup(...)` / `setuptools.setup(...)` call with the most keywords."""
    best: ast.Call | None = None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name == "setup" and (best is None or len(node.keywords) > len(best.keywords)):
            best = node
    return best


def _keywords(call: ast.Call, evaluator: _Evaluator) -> list[ast.keyword]:
    """The call's keywords, with `**config` unpacked when `config` is a literal dict
    (`dict(...)` or `{...}`) bound in the file."""
    found: list[ast.keyword] = []
    for keyword in call.keywords:
        value = keyword.value
        if keyword.arg is None and isinstance(value, ast.Name):
            value = evaluator.names.get(value.id, value)
        if keyword.arg is not None:
            found.append(keyword)
        elif isinstance(value, ast.Dict) and all(
            isinstance(k, ast.Constant) and isinstance(k.value, str) for k in value.keys
        ):
            found.extend(
                ast.keyword(arg=k.value, value=v)  # type: ignore[union-attr]
                for k, v in zip(value.keys, value.values, strict=True)
            )
        elif (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id == "dict"
            and not value.args
        ):
            found.extend(value.keywords)
        else:
            found.append(keyword)
    return found


def _span(lines: list[str], node: ast.expr) -> Span:
    """The node's span, columns turned from UTF-8 bytes into code points."""
    line = node.lineno - 1
    end_line = (node.end_lineno or node.lineno) - 1

    def column(number: int, offset: int) -> int:
        if not 0 <= number < len(lines):
            return offset
        return len(lines[number].encode("utf-8")[:offset].decode("utf-8", errors="replace"))

    return Span(
        line,
        column(line, node.col_offset),
        end_line,
        column(end_line, node.end_col_offset or node.col_offset),
    )


def parse_setup_py(path: Path, text: str) -> Declarations:
    """Declarations of a setup.py text; nothing in it runs."""
    source = ManifestSource(path, "setup.py", False)
    try:
        tree = ast.parse(text, filename=str(path))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        # The source check reports a syntax error; what it declares is unknown.
        return Declarations(manifests=(path,), sources=(source,), incomplete=True)
    call = _setup_call(tree)
    if call is None:
        return Declarations(manifests=(path,), sources=(source,))
    evaluator = _Evaluator(tree, path.parent)
    lines = text.split("\n")
    requirements: list[DeclaredRequirement] = []
    problems: list[ManifestProblem] = []
    read_files: list[Declarations] = []
    requires: RequiresPython | None = None
    name: str | None = None
    incomplete = False
    declares = False

    def add(values: _Strings, group: str, is_dev: bool) -> None:
        for raw, node in values.items:
            for offset, entry in enumerate(raw.split("\n")):
                entry = entry.split("#", 1)[0].strip()
                if not entry:
                    continue
                span = _span(lines, node)
                if "\n" in raw:
                    span = Span(span.line + offset, 0, span.line + offset, 0)
                item = declare(entry, path, span, group, is_dev)
                if isinstance(item, DeclaredRequirement):
                    requirements.append(item)
                else:
                    problems.append(item)
        for file in values.files:
            read_files.append(_read_requirements_file(file, group, is_dev, path))

    for keyword in _keywords(call, evaluator):
        if keyword.arg is None:
            # setup(**config): the rest comes from a dict built at run time.
            incomplete = True
            continue
        try:
            if keyword.arg == "install_requires":
                declares = True
                add(evaluator.strings(keyword.value), "main", False)
            elif keyword.arg == "extras_require":
                declares = True
                for extra, values in evaluator.mapping(keyword.value):
                    add(values, f"optional:{extra}", is_dev_name(extra))
            elif keyword.arg == "tests_require":
                add(evaluator.strings(keyword.value), "setup:tests", True)
            elif keyword.arg == "python_requires":
                requires_value = evaluator.strings(keyword.value)
                if len(requires_value.items) == 1:
                    raw, node = requires_value.items[0]
                    parsed = parse_requires_python(
                        raw, raw, path, _span(lines, node), "python_requires"
                    )
                    if isinstance(parsed, ManifestProblem):
                        problems.append(parsed)
                    else:
                        requires = parsed
            elif keyword.arg == "name":
                value = evaluator.strings(keyword.value)
                if len(value.items) == 1:
                    name = canonicalize_name(value.items[0][0])
        except _Unknown:
            if keyword.arg in _DEPENDENCY_KEYWORDS:
                incomplete = True
            if keyword.arg == "install_requires":
                # celery: install_requires=install_requires(), a helper reading
                # requirements/default.txt. The file it names is the runtime list.
                add(_Strings(files=evaluator.files_read_by_helper(keyword.value)), "main", False)
    incomplete = incomplete or evaluator.partial
    own = Declarations(
        requirements=tuple(requirements),
        requires_python=requires,
        problems=tuple(problems),
        manifests=(path,),
        sources=(ManifestSource(path, "setup.py", declares),),
        project_name=name,
        incomplete=incomplete,
    )
    return merge([own, *read_files]) if read_files else own


def _read_requirements_file(path: Path, group: str, is_dev: bool, setup_py: Path) -> Declarations:
    try:
        text = read_bytes(path, REQUIREMENTS_LIMIT).decode("utf-8-sig", errors="replace")
    except OSError:
        return Declarations(incomplete=True)
    parsed = parse_requirements(path, text, group=group, is_dev=is_dev)
    # The file is read for setup.py; its own manifest entry comes from read_declarations.
    return Declarations(
        requirements=tuple(replace(r, via=setup_py) for r in parsed.requirements),
        constraints=parsed.constraints,
        manifests=(path,),
    )
