"""Walk a parsed piece of source and collect its imports with the guards around each one."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from envsense.core.findings import Span
from envsense.core.imports.conditions import (
    Target,
    evaluate_condition,
    handlers_catch_import_errors,
    is_main_test,
    type_checking_test,
    with_suppresses_import_errors,
)
from envsense.core.imports.flags import UNKNOWN, Flag, FlagTable, assigned_literals
from envsense.core.imports.refs import ImportContext, ImportGuard, ImportKind, ImportRef, Probe

_TRY_NODES: tuple[type[ast.stmt], ...] = (ast.Try,) + (
    (ast.TryStar,) if hasattr(ast, "TryStar") else ()
)
# The statements _statement does more with than look for dynamic imports.
_WALKED: frozenset[type[ast.stmt]] = frozenset(
    {
        ast.Import,
        ast.ImportFrom,
        ast.FunctionDef,
        ast.AsyncFunctionDef,
        ast.ClassDef,
        ast.If,
        *_TRY_NODES,
        ast.With,
        ast.AsyncWith,
        ast.For,
        ast.AsyncFor,
        ast.While,
        ast.Match,
    }
)
_IDENT_EXTRA = "_."
# Handlers that catch more than import errors: the try body must be only imports then.
_BROAD = frozenset({"Exception", "BaseException"})


@dataclass(frozen=True, slots=True)
class DynamicNames:
    """Names under which the file can reach importlib.import_module / __import__."""

    modules: frozenset[str] = frozenset({"importlib"})
    functions: frozenset[str] = frozenset({"import_module", "__import__"})


def char_column(line: str, byte_col: int) -> int:
    """ast columns are UTF-8 byte offsets; Span columns are code points."""
    if line.isascii():
        return byte_col
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


class ImportCollector:
    """Collects ImportRefs from statements parsed out of `lines` (the whole file's lines).

    `line_offset` maps the parsed snippet's line 1 to a file line index.
    """

    def __init__(
        self,
        lines: Sequence[str],
        target: Target,
        line_offset: int,
        dynamic: DynamicNames | None,
        flags: FlagTable | None = None,
    ) -> None:
        self.lines = lines
        self.target = target
        self.line_offset = line_offset
        self.dynamic = dynamic
        self.flags = flags if flags is not None else FlagTable(lines, target)
        self.refs: list[ImportRef] = []
        # Loop variables bound to literal strings, for dynamic imports that name them.
        self._loop_values: dict[str, tuple[str, ...]] = {}

    def walk(self, body: Iterable[ast.stmt], ctx: ImportContext) -> None:
        statement = self._statement
        if self.dynamic is None:
            # The other statements only matter for dynamic imports: skip them unseen
            # (most of a parsed chunk is assignments, expressions and `pass`).
            for node in body:
                if type(node) in _WALKED:
                    statement(node, ctx)
            return
        for node in body:
            statement(node, ctx)

    def _statement(self, node: ast.stmt, ctx: ImportContext) -> None:
        if isinstance(node, ast.Import):
            self._import(node, ctx)
        elif isinstance(node, ast.ImportFrom):
            self._import_from(node, ctx)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self._dynamic_in(node.decorator_list, ctx)
            body = node.body
            if self.dynamic is None and len(body) == 1 and type(body[0]) not in _WALKED:
                # A body left out by pruning (`pass`): walk would skip it; no context needed.
                return
            self.walk(body, ctx.but(in_function=True))
        elif isinstance(node, ast.ClassDef):
            self._dynamic_in(node.decorator_list + node.bases, ctx)
            self.walk(node.body, ctx)
        elif isinstance(node, ast.If):
            self._if(node, ctx)
        elif isinstance(node, _TRY_NODES):
            self._try(node, ctx)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            self._dynamic_in([item.context_expr for item in node.items], ctx)
            guarded = with_suppresses_import_errors(node.items)
            self.walk(node.body, ctx.but(guarded=True) if guarded else ctx)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            self._dynamic_in([node.test if isinstance(node, ast.While) else node.iter], ctx)
            self._loop(node, ctx)
        elif isinstance(node, ast.Match):
            self._dynamic_in([node.subject], ctx)
            for case in node.cases:
                self.walk(case.body, ctx.but(conditional=True))
        else:
            self._dynamic_in([node], ctx)

    def _if(self, node: ast.If, ctx: ImportContext) -> None:
        self._dynamic_in([node.test], ctx)
        checking = type_checking_test(node.test)
        if checking is not None:
            # The other branch is what runs at runtime, unconditionally.
            self.walk(node.body, ctx.but(type_checking=True) if checking else ctx)
            self.walk(node.orelse, ctx if checking else ctx.but(type_checking=True))
            return
        if is_main_test(node.test):
            self.walk(node.body, ctx.in_main_block())
            self.walk(node.orelse, ctx)
            return
        outcome = evaluate_condition(node.test, self.target)
        guard = None
        if outcome is None:
            outcome, guard = self.flags.evaluate(node.test, self._index(node.lineno))
        if outcome is True:
            self.walk(node.body, ctx)
        elif outcome is False:
            self.walk(node.orelse, ctx)
        elif guard is not None:
            # `if HAS_X:` where a try/except import set HAS_X: decided by that import.
            self.walk(node.body, ctx.with_guard(guard))
            inverse = ImportGuard(guard.probes, not guard.when_ok, guard.line)
            self.walk(node.orelse, ctx.with_guard(inverse))
        else:
            branch = ctx.but(conditional=True)
            self.walk(node.body, branch)
            self.walk(node.orelse, branch)

    def _try(self, node: ast.stmt, ctx: ImportContext) -> None:
        body: list[ast.stmt] = getattr(node, "body", [])
        handlers: list[ast.ExceptHandler] = getattr(node, "handlers", [])
        orelse: list[ast.stmt] = getattr(node, "orelse", [])
        guarded = handlers_catch_import_errors(handlers)
        self.walk(body, ctx.but(guarded=True) if guarded else ctx)
        probes = _probes(body, handlers) if guarded else ()
        line = self._index(node.lineno)
        for handler in handlers:
            if probes and handlers_catch_import_errors([handler]):
                # A fallback import only runs when one of the body's imports failed.
                self.walk(handler.body, ctx.with_guard(ImportGuard(probes, False, line)))
            else:
                self.walk(handler.body, ctx.but(conditional=True))
        if probes:
            self.walk(orelse, ctx.with_guard(ImportGuard(probes, True, line)))
            if not ctx.in_function:
                self._record_flags(probes, body, handlers, orelse, line)
        else:
            self.walk(orelse, ctx)
        self.walk(getattr(node, "finalbody", []), ctx)

    def _record_flags(
        self,
        probes: tuple[Probe, ...],
        body: list[ast.stmt],
        handlers: list[ast.ExceptHandler],
        orelse: list[ast.stmt],
        line: int,
    ) -> None:
        ok = assigned_literals(body) | assigned_literals(orelse)
        fail: dict[str, object] = {}
        for handler in handlers:
            if handlers_catch_import_errors([handler]):
                fail |= assigned_literals(handler.body)
        for name in ok.keys() | fail.keys():
            before = self.flags.constant_before(name, line)
            flag = Flag(probes, ok.get(name, before), fail.get(name, before), line)
            if flag.ok is not UNKNOWN or flag.fail is not UNKNOWN:
                self.flags.record(name, flag)

    def _index(self, lineno: int) -> int:
        return lineno - 1 + self.line_offset

    # -- records -------------------------------------------------------------------------

    def _emit(
        self,
        module: str,
        level: int,
        span: Span,
        names: tuple[str, ...],
        kind: ImportKind,
        ctx: ImportContext,
    ) -> None:
        if level == 0 and module.partition(".")[0] == "__future__":
            return
        self.refs.append(
            ImportRef(
                module=module,
                level=level,
                span=span,
                names=names,
                kind=kind,
                guarded=ctx.guarded,
                type_checking=ctx.type_checking,
                in_function=ctx.in_function,
                conditional=ctx.conditional,
                guards=ctx.guards,
                main_block=ctx.main_block,
            )
        )

    def _line(self, lineno: int) -> tuple[int, str]:
        index = lineno - 1 + self.line_offset
        text = self.lines[index] if 0 <= index < len(self.lines) else ""
        return index, text

    def _import(self, node: ast.Import, ctx: ImportContext) -> None:
        for alias in node.names:
            lineno = getattr(alias, "lineno", node.lineno)
            col_offset = getattr(alias, "col_offset", None)
            index, text = self._line(lineno)
            if col_offset is not None:
                col = char_column(text, col_offset)
            else:  # pragma: no cover - aliases carry positions from 3.10 on
                col = max(text.find(alias.name), 0)
            span = self._name_span(index, col)
            self._emit(alias.name, 0, span, (), "import", ctx)

    def _import_from(self, node: ast.ImportFrom, ctx: ImportContext) -> None:
        index, text = self._line(node.lineno)
        col = char_column(text, node.col_offset) + len("from")
        span = self._name_span(index, col)
        names = tuple(alias.name for alias in node.names)
        self._emit(node.module or "", node.level, span, names, "from", ctx)

    def _name_span(self, index: int, col: int) -> Span:
        """The dotted name starting at or after (index, col), skipping blanks and `\\` breaks."""
        lines = self.lines
        while 0 <= index < len(lines):
            text = lines[index]
            while col < len(text) and text[col] in " \t\f":
                col += 1
            if col >= len(text) or text[col] == "\\":
                index, col = index + 1, 0
                continue
            end = col
            while end < len(text) and (text[end].isalnum() or text[end] in _IDENT_EXTRA):
                end += 1
            return Span(index, col, index, end)
        return Span(max(index, 0), 0, max(index, 0), 0)

    # -- importlib.import_module("x") / __import__("x") --------------------------------------

    def _dynamic_in(self, nodes: Iterable[ast.AST], ctx: ImportContext) -> None:
        if self.dynamic is None:
            return
        for root in nodes:
            for node in ast.walk(root):
                if isinstance(node, ast.Call) and self._is_dynamic_import(node.func):
                    self._dynamic_call(node, ctx)

    def _is_dynamic_import(self, func: ast.expr) -> bool:
        assert self.dynamic is not None
        if isinstance(func, ast.Name):
            return func.id in self.dynamic.functions
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            return func.attr in ("import_module", "__import__") and (
                func.value.id in self.dynamic.modules
            )
        return False

    def _loop(self, node: ast.For | ast.AsyncFor | ast.While, ctx: ImportContext) -> None:
        """`for name in ("urllib3", "idna"): __import__(name)` imports each of them."""
        values = None
        if isinstance(node, (ast.For, ast.AsyncFor)) and isinstance(node.target, ast.Name):
            values = _literal_strings(node.iter)
        if values is None or self.dynamic is None:
            self.walk(node.body, ctx)
            self.walk(node.orelse, ctx)
            return
        name = node.target.id  # type: ignore[union-attr]
        previous = self._loop_values.get(name)
        self._loop_values[name] = values
        try:
            self.walk(node.body, ctx)
        finally:
            if previous is None:
                del self._loop_values[name]
            else:
                self._loop_values[name] = previous
        self.walk(node.orelse, ctx)

    def _dynamic_call(self, node: ast.Call, ctx: ImportContext) -> None:
        if not node.args:
            return
        arg = node.args[0]
        if isinstance(arg, ast.Name) and arg.id in self._loop_values:
            index, text = self._line(arg.lineno)
            start = char_column(text, arg.col_offset)
            span = Span(index, start, index, start + len(arg.id))
            for value in self._loop_values[arg.id]:
                stripped = value.lstrip(".")
                if stripped:
                    self._emit(stripped, len(value) - len(stripped), span, (), "dynamic", ctx)
            return
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            return
        value = arg.value
        stripped = value.lstrip(".")
        level = len(value) - len(stripped)
        if not stripped and not level:
            return
        index, text = self._line(arg.lineno)
        start = char_column(text, arg.col_offset)
        # Skip the string prefix and opening quote(s) to land on the contents.
        pos = start
        while pos < len(text) and text[pos] not in "'\"":
            pos += 1
        quote = (
            text[pos : pos + 3] if text[pos : pos + 3] in ('"""', "'''") else text[pos : pos + 1]
        )
        pos += len(quote)
        if text[pos : pos + len(value)] == value:
            span = Span(index, pos, index, pos + len(value))
        else:
            end_col = arg.end_col_offset if arg.end_lineno == arg.lineno else None
            end = char_column(text, end_col) if end_col is not None else len(text)
            span = Span(index, start, index, end)
        self._emit(stripped, level, span, (), "dynamic", ctx)


def _probes(body: list[ast.stmt], handlers: list[ast.ExceptHandler]) -> tuple[Probe, ...]:
    """The imports of a try body whose failure is what its handlers catch.

    Empty when the body has none, or when a broad handler (`except Exception:`) could
    also be reached by the other statements of the body.
    """
    broad = any(h.type is None or _names_broad(h.type) for h in handlers)
    probes: list[Probe] = []
    for node in body:
        if isinstance(node, ast.Import):
            probes += [Probe(alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.module == "__future__":
                continue
            names = tuple(alias.name for alias in node.names if alias.name != "*")
            probes.append(Probe(node.module or "", node.level, names))
        elif broad and not _harmless(node):
            return ()
    return tuple(probes)


def _names_broad(node: ast.expr) -> bool:
    if isinstance(node, ast.Tuple):
        return any(_names_broad(elt) for elt in node.elts)
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", None)
    return name in _BROAD


def _harmless(node: ast.stmt) -> bool:
    """Statements that can't raise: `X = True`, `X = y`, `pass`, a docstring."""
    if isinstance(node, ast.Pass):
        return True
    if isinstance(node, ast.Expr):
        return isinstance(node.value, ast.Constant)
    value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
    if value is None:
        return False
    if isinstance(node, ast.Assign) and not all(isinstance(t, ast.Name) for t in node.targets):
        return False
    return isinstance(value, (ast.Constant, ast.Name))


def _literal_strings(node: ast.expr) -> tuple[str, ...] | None:
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and node.elts:
        values = [e.value for e in node.elts if isinstance(e, ast.Constant)]
        if len(values) == len(node.elts) and all(isinstance(v, str) for v in values):
            return tuple(str(v) for v in values)
    return None
