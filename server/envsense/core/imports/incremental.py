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
import logging
import re
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from envsense.core.imports.edit_layout import (
    EditLayout,
    end_offset,
    indent_of,
    line_text,
    lines_text,
    only_blank_or_comments,
    text_change,
    word_end,
)
from envsense.core.imports.line_edits import (
    TRY_WORDS,
    edited_import,
    line_change,
    parent_word,
    whole_lines,
)
from envsense.core.imports.refs import ImportScan

FullScan = Callable[[str], ImportScan]

_log = logging.getLogger(__name__)

# Past these the full scan takes other paths (caps, fallbacks): never incremental.
_MAX_CHARS = 1024 * 1024
_MAX_IMPORT_WORDS = 1_000

# Characters that start or end tokens the scanner reads (strings, comments, continuations)
# or change bracket depth: an edit holding one of them is never "inert".
_STRUCTURAL_IN_CODE = frozenset("'\"#\\\n\r()[]{}\t\f")
_STRUCTURAL_IN_STRING = frozenset("'\"\\\n\r")
_STRUCTURAL_IN_COMMENT = frozenset("\n\r")
# `NAME = ...` in column 0: module-level constants the flag table reads from every line.
_COLUMN0_ASSIGN = re.compile(r"[A-Za-z_]\w*[ \t]*=")
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
# Earlier texts of a document kept, for undo and for edits made through a syntax error.
_RECENT = 3


@dataclass(slots=True)
class _State:
    key: Hashable
    text: str
    scan: ImportScan
    layout: EditLayout | None = None


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
        # How the last scan was made (for tests and logs): "full"; "same" (a text known
        # already); "inert" (nothing an import depends on changed); "lines" (blank, comment or
        # module-level import lines added or removed); "import" (an import line edited).
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
                state.layout = EditLayout(state.text)

    def scan(self, text: str, key: Hashable, full: FullScan) -> ImportScan:
        """The imports of `text`, equal to `full(text)`, which is called only when the
        last texts can't tell them."""
        with self._lock:
            return self._scan(_lf(text), key, full)

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
        result: tuple[ImportScan, EditLayout | None] | None = None
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
        """States an edit may be judged against: the last one, then the one before it that
        the scanner read without a syntax error. A statement half typed may not parse
        (`self.a` -> `self.a.` -> `self.a.b` is one inert edit from `self.a`), and the
        scanner doesn't report it when it skipped that statement, so the earlier state is
        tried whenever the last one can't decide."""
        bases = [s for s in (self._state,) if s is not None and s.key == key]
        if bases:
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

    def _incremental(self, state: _State, text: str) -> tuple[ImportScan, EditLayout | None] | None:
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
            state.layout = EditLayout(old)
        layout = state.layout
        removed, added = old[start:old_end], text[start:new_end]
        if "\n" not in removed and "\n" not in added:
            moved = self._inert(old, text, layout, start, removed, added)
            if moved is not None:
                self.last_mode = "inert"
                return scan, moved
            if (set(removed) | set(added)) & _STRUCTURAL_IN_CODE:
                return None
            delta = len(added) - len(removed)
            edited = edited_import(old, text, scan, layout, start, delta)
            if edited is None:
                return None
            self.last_mode = "import"
            return edited, layout.shifted(start, delta)
        lines = whole_lines(old, text, start, old_end, new_end)
        if lines is None:
            return None
        new_scan = line_change(old, scan, layout, *lines)
        if new_scan is None:
            return None
        self.last_mode = "lines"
        return new_scan, layout.spliced(*lines)

    def _inert(
        self, old: str, new: str, layout: EditLayout, start: int, removed: str, added: str
    ) -> EditLayout | None:
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
        old_line = line_text(old, layout.starts, line)
        new_line = old_line[: start - layout.starts[line]]
        new_line += added + old_line[start - layout.starts[line] + len(removed) :]
        for text in (old_line, new_line):
            if "import" in text or "find_spec" in text or _COLUMN0_ASSIGN.match(text):
                return None
        appeared = False
        if token is None and indent_of(old_line) != indent_of(new_line):
            # Typing on a blank line makes a statement appear: fine where one can be.
            if not _statement_fits(old, layout, line, old_line, new_line):
                return None
            appeared = True
        old_statement = lines_text(old, layout.starts, first, last)
        delta = len(added) - len(removed)
        new_statement = new[
            layout.starts[first] : end_offset(layout.starts, last, len(old)) + delta
        ]
        if "import" in old_statement or "import" in new_statement:
            return None
        # Names and literals matter only where a try block reads them as flags.
        width = old_line if appeared else indent_of(line_text(old, layout.starts, first))
        in_try = bool(width) and parent_word(old, layout, first, len(width or "")) in TRY_WORDS
        new_facts = _statement_facts(new_statement, in_try)
        if appeared:
            # A new simple statement outside try blocks changes nothing the scan reads.
            return layout.shifted(start, delta) if new_facts and not in_try else None
        old_facts = _statement_facts(old_statement, in_try)
        if old_facts is None or old_facts != new_facts:
            return None
        return layout.shifted(start, delta)


def _lf(text: str) -> str:
    """CRLF line ends as LF: the scan reads them the same (Windows editors keep CRLF, and
    every edit would be a full scan otherwise). Lone CRs are left to the full scan."""
    if "\r" in text and text.count("\r") == text.count("\r\n"):
        return text.replace("\r\n", "\n")
    return text


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
    end = word_end(text, start + length)
    return end >= len(text) or text[end] not in "'\""


def _statement_fits(old: str, layout: EditLayout, line: int, old_line: str, new_line: str) -> bool:
    """Whether a statement typed on the blank, indented `line` (after its whitespace)
    continues the block the statement above it is in: same indentation, and that one is
    not a block header or a decorator (nor anything with a colon: kept simple)."""
    if not old_line or old_line.strip(" ") or indent_of(new_line) != old_line:
        return False
    if layout.joined(line) or layout.statement(line) != (line, line + 1):
        return False
    above = line - 1
    last_code: str | None = None
    while above >= 0:
        text = line_text(old, layout.starts, above)
        stripped = text.strip(" \t\f")
        if stripped and not stripped.startswith("#"):
            if last_code is None:
                last_code = stripped
            if not layout.joined(above):
                break
        above -= 1
    if above < 0 or last_code is None or ":" in last_code or "#" in last_code:
        return False
    first = line_text(old, layout.starts, above)
    return indent_of(first) == old_line and not first.lstrip(" ").startswith("@")


def _statement_facts(statement: str, in_try: bool) -> tuple[object, ...] | None:
    """What the import scanner reads from a run of simple statements, or None when it is
    not one (a block header, a syntax error): node kinds, whether each could raise
    (a try body's broad handler), and `NAME = literal` bindings (flags)."""
    if only_blank_or_comments(statement):
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
