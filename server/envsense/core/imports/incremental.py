"""The imports of an edited document, re-read only where the edit can change them.

A language server re-checks a file on every keystroke; a full scan of a 3,000-line module
costs more than the whole budget. Most edits can't change what the file imports: a
character typed inside a function body, a string or a docstring, a blank line, a top-level
import line added or removed. For those, the last scan is reused with its lines moved,
and only the added import lines are read. Anything that could change structure the
scanner tracks (brackets, strings, indentation, block headers, guards, try bodies, flags,
module-level constants, dynamic-import names, syntax errors) gets a full scan instead:
the result must always equal a full scan of the new text.

Pure: the full scan is passed in, so the target interpreter stays the caller's business.
"""

from __future__ import annotations

import ast
import bisect
import logging
import re
import sys
import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace

from envsense.core.findings import Span
from envsense.core.imports.extract import extract_imports
from envsense.core.imports.refs import ImportGuard, ImportRef, ImportScan

FullScan = Callable[[str], ImportScan]

_log = logging.getLogger(__name__)

# Past these the full scan takes other paths (caps, fallbacks): never incremental.
_MAX_CHARS = 1024 * 1024
_MAX_IMPORT_WORDS = 1_000
# A logical statement longer than this is re-scanned in full rather than parsed alone.
_MAX_STATEMENT_LINES = 400

# Possessive repeats where Python has them (3.11+): no backtracking state per character.
_REPEAT = "*+" if sys.version_info >= (3, 11) else "*"
# Strings, comments, brackets and `\` line breaks; the lookahead lets the engine skip
# every other character fast (10x on real files).
_TOKENS = re.compile(
    r"""(?=[#"'()\[\]{}\\])(?:(?P<c>\#[^\n]*)
    | (?P<t>\"\"\"(?:[^"\\]+|\\.|"(?!""))"""
    + _REPEAT
    + r"""(?:\"\"\"|\Z)
      | '''(?:[^'\\]+|\\.|'(?!''))"""
    + _REPEAT
    + r"""(?:'''|\Z))
    | (?P<s>"(?:[^"\\\n]+|\\.)"""
    + _REPEAT
    + r""""?
      | '(?:[^'\\\n]+|\\.)"""
    + _REPEAT
    + r"""'?)
    | (?P<b>[()\[\]{}])
    | (?P<k>\\\n))""",
    re.S | re.X,
)
_OPEN = frozenset("([{")
# Characters that start or end tokens the scanner reads (strings, comments, continuations)
# or change bracket depth: an edit holding one of them is never "inert".
_STRUCTURAL_IN_CODE = frozenset("'\"#\\\n\r()[]{}\t\f")
_STRUCTURAL_IN_STRING = frozenset("'\"\\\n\r")
_STRUCTURAL_IN_COMMENT = frozenset("\n\r")
# `NAME = ...` in column 0: module-level constants the flag table reads from every line.
_COLUMN0_ASSIGN = re.compile(r"[A-Za-z_]\w*[ \t]*=")
_IDENT = re.compile(r"\w*")
_SIMPLE = (
    ast.Expr,
    ast.Assign,
    ast.AugAssign,
    ast.AnnAssign,
    ast.Return,
    ast.Pass,
    ast.Raise,
    ast.Delete,
    ast.Global,
    ast.Nonlocal,
    ast.Assert,
    ast.Break,
    ast.Continue,
)
_TRY_WORDS = frozenset({"try", "except", "else", "finally"})
# Earlier texts of a document kept, for undo and for edits made through a syntax error.
_RECENT = 3
_DYNAMIC_WORDS = ("importlib", "import_module", "__import__")


@dataclass(frozen=True, slots=True)
class _Token:
    start: int
    end: int
    # "c" comment, "t" triple-quoted string, "s" one-line string
    kind: str


class _Layout:
    """Where a source's strings and comments are, and per line whether it starts inside
    a triple-quoted string, inside brackets, or after a `\\` continuation."""

    def __init__(self, text: str) -> None:
        self.starts = [0]
        index = text.find("\n")
        while index != -1:
            self.starts.append(index + 1)
            index = text.find("\n", index + 1)
        self.tokens: list[_Token] = []
        # per line: bracket depth at its start, starts inside a triple string, continued
        count = len(self.starts)
        self.depth = [0] * count
        self.inside = [False] * count
        self.continued = [False] * count
        depth = 0
        line = 0
        for match in _TOKENS.finditer(text):
            kind = match.lastgroup
            start = match.start()
            # Lines wholly passed since the last token start at the current depth.
            while line + 1 < count and self.starts[line + 1] <= start:
                line += 1
                self.depth[line] = depth
            if kind == "b":
                depth += 1 if match.group() in _OPEN else -1
                continue
            if kind == "k":
                if line + 1 < count:
                    line += 1
                    self.depth[line] = depth
                    self.continued[line] = True
                continue
            end = match.end()
            assert kind is not None
            self.tokens.append(_Token(start, end, kind))
            if kind == "t" and (end - start < 6 or text[end - 3 : end] != text[start : start + 3]):
                end += 1  # unterminated: it swallows the end of the file, and what is added there
            # Lines starting inside a string (triple-quoted, or a `\` line break in one).
            while line + 1 < count and self.starts[line + 1] < end:
                line += 1
                self.depth[line] = depth
                self.inside[line] = kind != "c"
        while line + 1 < count:
            line += 1
            self.depth[line] = depth
        self._token_starts = [t.start for t in self.tokens]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) - 1

    def token_at(self, offset: int) -> _Token | None:
        """The string or comment around `offset` (an insertion point): strictly inside, or
        at the end of a comment."""
        index = bisect.bisect_right(self._token_starts, offset) - 1
        if index < 0:
            return None
        token = self.tokens[index]
        if token.start < offset < token.end:
            return token
        # A comment runs to the end of its line: text added there is comment too.
        return token if token.kind == "c" and offset == token.end else None

    def statement(self, line: int) -> tuple[int, int] | None:
        """Lines [start, end) of the logical line holding `line`."""
        count = len(self.starts)
        start = line
        while start > 0 and self.joined(start):
            start -= 1
            if line - start > _MAX_STATEMENT_LINES:
                return None
        end = line + 1
        while end < count and self.joined(end):
            end += 1
            if end - line > _MAX_STATEMENT_LINES:
                return None
        return start, end

    def joined(self, line: int) -> bool:
        """Whether `line` continues the logical line above it."""
        return self.depth[line] > 0 or self.inside[line] or self.continued[line]

    def shifted(self, at: int, delta: int) -> _Layout:
        """This layout after `delta` characters were inserted (or removed) at `at`,
        inside one line and without changing any token boundary."""
        moved = _Layout.__new__(_Layout)
        moved.starts = [s if s <= at else s + delta for s in self.starts]
        moved.tokens = [
            t
            if t.end < at or (t.end == at and t.kind != "c")
            else _Token(t.start + delta, t.end + delta, t.kind)
            if t.start >= at
            else _Token(t.start, t.end + delta, t.kind)
            for t in self.tokens
        ]
        moved.depth = self.depth
        moved.inside = self.inside
        moved.continued = self.continued
        moved._token_starts = [t.start for t in moved.tokens]
        return moved

    def spliced(self, line: int, removed: str, added: str) -> _Layout:
        """This layout after whole lines were removed or added before line `line`, where
        no string, comment or `\\` break crosses the edges (as `_line_change` checks)."""
        at = self.starts[line]
        changed = removed or added
        count = changed.count("\n")
        delta = len(added) - len(removed)
        moved = _Layout.__new__(_Layout)
        tokens = [t for t in self.tokens if t.end <= at]
        later = [
            _Token(t.start + delta, t.end + delta, t.kind)
            for t in self.tokens
            if t.start >= at + len(removed)
        ]
        if removed:
            moved.starts = self.starts[:line] + [s + delta for s in self.starts[line + count :]]
            moved.depth = self.depth[:line] + self.depth[line + count :]
            moved.inside = self.inside[:line] + self.inside[line + count :]
            moved.continued = self.continued[:line] + self.continued[line + count :]
        else:
            piece = _Layout(added)
            base = self.depth[line]
            moved.starts = (
                self.starts[:line]
                + [s + at for s in piece.starts[:count]]
                + [s + delta for s in self.starts[line:]]
            )
            moved.depth = (
                self.depth[:line] + [d + base for d in piece.depth[:count]] + self.depth[line:]
            )
            moved.inside = self.inside[:line] + piece.inside[:count] + self.inside[line:]
            moved.continued = (
                self.continued[:line] + piece.continued[:count] + self.continued[line:]
            )
            tokens += [_Token(t.start + at, t.end + at, t.kind) for t in piece.tokens]
        moved.tokens = tokens + later
        moved._token_starts = [t.start for t in moved.tokens]
        return moved


def text_change(old: str, new: str) -> tuple[int, int, int]:
    """(start, old_end, new_end): old[start:old_end] became new[start:new_end], the rest equal."""
    limit = min(len(old), len(new))
    low, high = 0, limit
    # Longest common prefix by halving (slice comparisons run in C).
    while low < high:
        mid = (low + high + 1) // 2
        if old[low:mid] == new[low:mid]:
            low = mid
        else:
            high = mid - 1
    prefix = low
    low, high = 0, limit - prefix
    while low < high:
        mid = (low + high + 1) // 2
        if old[len(old) - mid : len(old) - low] == new[len(new) - mid : len(new) - low]:
            low = mid
        else:
            high = mid - 1
    return prefix, len(old) - low, len(new) - low


@dataclass(slots=True)
class _State:
    key: Hashable
    text: str
    scan: ImportScan
    layout: _Layout | None = None


class IncrementalImports:
    """The imports of one open document, kept across its edits.

    `scan(text, key, full)` returns what `full(text)` would; `key` names what else the
    result depends on (the target interpreter): a different key means a full scan.
    """

    def __init__(self) -> None:
        self._state: _State | None = None
        # The states before it, newest first (the same key or not).
        self._recent: list[_State] = []
        # A superseded check may still be running in another worker thread.
        self._lock = threading.Lock()
        # How the last scan was made: "full", "same", "inert" or "lines" (for tests, logs).
        self.last_mode = "full"

    def reset(self) -> None:
        with self._lock:
            self._state = None
            self._recent.clear()

    def prepare(self) -> None:
        """Read what the next edit will be judged by, ahead of it (the server calls this
        once a result is published, while the user is still typing)."""
        with self._lock:
            state = self._state
            if state is not None and state.layout is None and _plain(state.text):
                state.layout = _Layout(state.text)

    def scan(self, text: str, key: Hashable, full: FullScan) -> ImportScan:
        with self._lock:
            return self._scan(text, key, full)

    def _scan(self, text: str, key: Hashable, full: FullScan) -> ImportScan:
        state = self._state
        if state is not None and state.key == key and state.text == text:
            self.last_mode = "same"
            return state.scan
        # A text seen a moment ago (a bracket opened and closed, an undo) is known already.
        for index, past in enumerate(self._recent):
            if past.key == key and past.text == text:
                del self._recent[index]
                self._remember(past)
                self.last_mode = "same"
                return past.scan
        result: tuple[ImportScan, _Layout | None] | None = None
        for base in self._bases(key):
            try:
                result = self._incremental(base, text)
            except Exception:  # a shortcut must never cost the check: scan in full
                _log.exception("reading the edit incrementally failed; scanning in full")
                result = None
            if result is not None:
                break
        if result is None:
            self.last_mode = "full"
            self._remember(_State(key, text, full(text)))
        else:
            self._remember(_State(key, text, result[0], result[1]))
        assert self._state is not None
        return self._state.scan

    def _bases(self, key: Hashable) -> list[_State]:
        """States an edit may be judged against: the last one, and when that one doesn't
        parse (a statement half typed), the last one that did: `self.a` -> `self.a.` ->
        `self.a.b` is one inert edit from `self.a`."""
        bases = [s for s in (self._state,) if s is not None and s.key == key]
        if bases and bases[0].scan.syntax_error is not None:
            for past in self._recent:
                if past.key == key and past.scan.syntax_error is None:
                    bases.append(past)
                    break
        return bases

    def _remember(self, state: _State) -> None:
        if self._state is not None:
            self._recent.insert(0, self._state)
            del self._recent[_RECENT:]
        self._state = state

    # -- deciding ----------------------------------------------------------------------

    def _incremental(self, state: _State, text: str) -> tuple[ImportScan, _Layout | None] | None:
        old = state.text
        scan = state.scan
        if scan.syntax_error is not None or scan.skipped is not None:
            return None  # the scanner's fallbacks read guards from lines: not tracked
        if not _plain(old) or not _plain(text):
            return None
        if "import_module as" in text or "importlib as" in text:
            return None  # dynamic-import aliases may be called from any line
        start, old_end, new_end = text_change(old, text)
        if state.layout is None:
            state.layout = _Layout(old)
        layout = state.layout
        removed, added = old[start:old_end], text[start:new_end]
        if "\n" not in removed and "\n" not in added:
            moved = self._inert(old, text, layout, start, removed, added)
            if moved is not None:
                self.last_mode = "inert"
                return scan, moved
            return None
        lines = _whole_lines(old, text, start, old_end, new_end)
        if lines is None:
            return None
        new_scan = _line_change(old, scan, layout, *lines)
        if new_scan is None:
            return None
        self.last_mode = "lines"
        return new_scan, layout.spliced(*lines)

    def _inert(
        self, old: str, new: str, layout: _Layout, start: int, removed: str, added: str
    ) -> _Layout | None:
        """An edit inside one line that can't change any import; the moved layout if so."""
        token = layout.token_at(start)
        changed = set(removed) | set(added)
        if token is None:
            if changed & _STRUCTURAL_IN_CODE:
                return None
            if not _code_edit_ok(old, start, len(removed)) or not _code_edit_ok(
                new, start, len(added)
            ):
                return None
        elif token.kind == "c":
            if changed & _STRUCTURAL_IN_COMMENT:
                return None
        else:
            if changed & _STRUCTURAL_IN_STRING:
                return None
            quote = 3 if token.kind == "t" else 1
            if start < token.start + quote or start + len(removed) > token.end - quote:
                return None  # touches the quotes themselves
        line = layout.line_of(start)
        bounds = layout.statement(line)
        if bounds is None:
            return None
        first, last = bounds
        old_line = _line_text(old, layout.starts, line)
        new_line = old_line[: start - layout.starts[line]]
        new_line += added + old_line[start - layout.starts[line] + len(removed) :]
        for text in (old_line, new_line):
            if "import" in text or "find_spec" in text or _COLUMN0_ASSIGN.match(text):
                return None
        if token is None and _indent(old_line) != _indent(new_line):
            return None
        old_statement = _lines_text(old, layout.starts, first, last)
        delta = len(added) - len(removed)
        new_statement = new[
            layout.starts[first] : _end_offset(layout.starts, last, len(old)) + delta
        ]
        if "import" in old_statement or "import" in new_statement:
            return None
        # Names and literals matter only where a try block reads them as flags.
        in_try = _parent_word(old, layout, first) in _TRY_WORDS
        old_facts = _statement_facts(old_statement, in_try)
        if old_facts is None or old_facts != _statement_facts(new_statement, in_try):
            return None
        return layout.shifted(start, delta)


def _plain(text: str) -> bool:
    return (
        len(text) <= _MAX_CHARS
        and "\r" not in text
        and "\x00" not in text
        and not text.startswith("\ufeff")
        and text.count("import") < _MAX_IMPORT_WORDS
    )


def _code_edit_ok(text: str, start: int, length: int) -> bool:
    """An edit in code at text[start:start+length] leaves continuations and string
    prefixes alone: no `\\` just before it, no quote right after the word it touches."""
    if start > 0 and text[start - 1] == "\\":
        return False
    end = _word_end(text, start + length)
    return end >= len(text) or text[end] not in "'\""


def _word_end(text: str, start: int) -> int:
    match = _IDENT.match(text, start)
    return match.end() if match is not None else start


def _indent(line: str) -> str | None:
    stripped = line.lstrip(" \t\f")
    if not stripped:
        return None  # a blank line: typing on it makes a statement appear
    return line[: len(line) - len(stripped)]


def _line_text(text: str, starts: Sequence[int], line: int) -> str:
    end = starts[line + 1] - 1 if line + 1 < len(starts) else len(text)
    return text[starts[line] : end]


def _end_offset(starts: Sequence[int], end_line: int, length: int) -> int:
    return starts[end_line] - 1 if end_line < len(starts) else length


def _lines_text(text: str, starts: Sequence[int], first: int, last: int) -> str:
    return text[starts[first] : _end_offset(starts, last, len(text))]


def _parent_word(text: str, layout: _Layout, line: int) -> str:
    """First word of the block header right above the statement at `line` ("" at module level)."""
    indent = _indent(_line_text(text, layout.starts, line))
    if not indent:
        return ""
    width = len(indent)
    current = line - 1
    while current >= 0:
        if not layout.joined(current):
            candidate = _line_text(text, layout.starts, current)
            stripped = candidate.lstrip(" \t\f")
            if stripped and not stripped.startswith("#") and len(candidate) - len(stripped) < width:
                return stripped[: _word_end(stripped, 0)]
        current -= 1
    return ""


def _statement_facts(statement: str, in_try: bool) -> tuple[object, ...] | None:
    """What the import scanner reads from a run of simple statements, or None when it is
    not one (a block header, a syntax error): node kinds, whether each could raise
    (a try body's broad handler), and `NAME = literal` bindings (flags)."""
    if _only_blank_or_comments(statement):
        return ()
    body = statement.lstrip(" \t\f")
    source = statement if len(body) == len(statement) else "if 1:\n" + statement
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    nodes = tree.body
    if nodes and len(body) != len(statement):
        nodes = nodes[0].body if isinstance(nodes[0], ast.If) else []
    facts: list[object] = []
    for node in nodes:
        if not isinstance(node, _SIMPLE):
            return None
        facts.append(_simple_facts(node) if in_try else ())
    return tuple(facts)


def _simple_facts(node: ast.stmt) -> tuple[object, ...]:
    value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign, ast.Expr)) else None
    value_kind = type(value).__name__ if value is not None else ""
    # A literal's value counts only where it binds a name (a flag); a docstring's doesn't.
    constant = (
        repr(value.value)
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        and isinstance(value, ast.Constant)
        and isinstance(value.value, (bool, int, str, type(None)))
        else None
    )
    targets: tuple[str, ...] = ()
    if isinstance(node, ast.Assign):
        targets = tuple(t.id if isinstance(t, ast.Name) else type(t).__name__ for t in node.targets)
    elif isinstance(node, ast.AnnAssign):
        target = node.target
        targets = (target.id if isinstance(target, ast.Name) else type(target).__name__,)
    return (type(node).__name__, targets, value_kind, constant)


# -- whole lines added or removed --------------------------------------------------------


def _whole_lines(
    old: str, new: str, start: int, old_end: int, new_end: int
) -> tuple[int, str, str] | None:
    """The change as whole lines: (first line, removed lines, added lines), each text a run
    of complete lines ending in newlines; None when it is not one."""
    # Slide the change to start at a line start where the texts allow it.
    removed, added = old[start:old_end], new[start:new_end]
    if removed and added:
        return None
    moved = removed or added
    while start > 0 and old[start - 1] != "\n":
        # Rotate: "x\n" inserted after "...a" equals "a\n" + ... only when equal chars.
        if moved[-1] != old[start - 1]:
            return None
        moved = old[start - 1] + moved[:-1]
        start -= 1
    if not moved.endswith("\n"):
        return None
    line = old.count("\n", 0, start)
    return (line, moved, "") if removed else (line, "", moved)


def _line_change(
    old: str, scan: ImportScan, layout: _Layout, line: int, removed: str, added: str
) -> ImportScan | None:
    """Whole lines removed or added between two module-level statements (or blank and
    comment lines anywhere outside strings): the old refs moved, plus the new lines'."""
    changed = removed or added
    count = changed.count("\n")
    if line >= len(layout.starts) or layout.inside[line]:
        return None
    if layout.continued[line]:
        return None
    try:
        tree = ast.parse(changed)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    blank = _only_blank_or_comments(changed)
    if not blank:
        if not tree.body or not all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in tree.body):
            return None
        if any(word in changed for word in _DYNAMIC_WORDS) or changed[0] in " \t\f":
            return None
        if not _module_boundary(old, layout, line, line + (count if removed else 0)):
            return None
    if blank and removed and any(layout.inside[i] for i in range(line, line + count)):
        return None
    if blank and removed and "\\\n" in changed:
        return None
    if removed:
        gone = [r for r in scan.imports if line <= r.span.line < line + count]
        if not blank:
            expected = _read_lines(changed, line)
            if expected is None or sorted(gone, key=_order) != sorted(expected, key=_order):
                return None
        elif gone:
            return None
        kept = [_moved(r, line + count, -count) for r in scan.imports if r not in gone]
        return ImportScan(tuple(sorted(kept, key=_order)), scan.syntax_error)
    refs = [_moved(r, line, count) for r in scan.imports]
    if not blank:
        new_refs = _read_lines(changed, line)
        if new_refs is None:
            return None
        refs += new_refs
    return ImportScan(tuple(sorted(set(refs), key=_order)), scan.syntax_error)


def _only_blank_or_comments(text: str) -> bool:
    return all(not s or s.startswith("#") for s in (x.strip(" \t\f") for x in text.split("\n")))


def _module_boundary(old: str, layout: _Layout, first: int, after: int) -> bool:
    """Whether the point before line `first` (and, for removals, the one before `after`) lies
    between two module-level statements: outside brackets and strings, not after a
    decorator, and followed by a column-0 statement that is not a clause."""
    count = len(layout.starts)
    for line in (first, after):
        if line < count and (layout.depth[line] > 0 or layout.inside[line]):
            return False
        if line < count and layout.continued[line]:
            return False
    previous = first - 1
    while previous >= 0:
        text = _line_text(old, layout.starts, previous).strip(" \t\f")
        if text and not text.startswith("#") and not layout.inside[previous]:
            break
        previous -= 1
    if previous >= 0:
        start = layout.statement(previous)
        if start is None:
            return False
        header = _line_text(old, layout.starts, start[0])
        if header.startswith("@") or header.rstrip().endswith(":"):
            return False
    following = after
    while following < count:
        text = _line_text(old, layout.starts, following)
        stripped = text.strip(" \t\f")
        if stripped and not stripped.startswith("#"):
            break
        following += 1
    if following < count:
        text = _line_text(old, layout.starts, following)
        if text[:1] in " \t\f)]}" or layout.inside[following] or layout.depth[following]:
            return False
        word = text[: _word_end(text, 0)]
        if word in ("else", "elif", "except", "finally", "case"):
            return False
    return True


def _read_lines(changed: str, line: int) -> list[ImportRef] | None:
    """The refs of module-level import lines read alone, placed at `line`."""
    scan = extract_imports(changed)
    if scan.syntax_error is not None or scan.skipped is not None:
        return None
    return [_moved(r, 0, line) for r in scan.imports]


def _order(ref: ImportRef) -> tuple[int, int, str]:
    return (ref.span.line, ref.span.column, ref.module)


def _moved(ref: ImportRef, at: int, delta: int) -> ImportRef:
    """`ref` with every line at or after `at` moved by `delta`."""
    span = ref.span
    moved_span = span
    if span.line >= at or span.end_line >= at:
        moved_span = Span(
            span.line + delta if span.line >= at else span.line,
            span.column,
            span.end_line + delta if span.end_line >= at else span.end_line,
            span.end_column,
        )
    guards = ref.guards
    if any(g.line >= at for g in guards):
        guards = tuple(
            ImportGuard(g.probes, g.when_ok, g.line + delta) if g.line >= at else g for g in guards
        )
    if moved_span is span and guards is ref.guards:
        return ref
    return replace(ref, span=moved_span, guards=guards)
