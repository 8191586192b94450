"""Records for imports read from source: what was imported, where, and under which guards."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, Literal

from envsense.core.findings import Span

ImportKind = Literal["import", "from", "dynamic"]


@dataclass(frozen=True, slots=True)
class Probe:
    """An import whose success decides whether guarded code runs (`module` as written)."""

    module: str
    level: int = 0
    names: tuple[str, ...] = ()
    # `importlib.util.find_spec("x")`: true when x is found, whether or not it imports.
    find_only: bool = False

    @property
    def text(self) -> str:
        dotted = "." * self.level + self.module
        if self.find_only:
            return f'find_spec("{dotted}")'
        if self.names:
            return f"from {dotted} import {', '.join(self.names)}"
        return f"import {dotted}"


@dataclass(frozen=True, slots=True)
class ImportGuard:
    """Code that runs only when every probe imports (`when_ok`), or only when one fails.

    `except ImportError:` after `try: import x` is ImportGuard((x,), when_ok=False); the
    try's `else:` and `if HAS_X:` (HAS_X set by that try) are when_ok=True.
    """

    probes: tuple[Probe, ...]
    when_ok: bool
    line: int = 0

    def describe(self) -> str:
        probes = " / ".join(f"`{p.text}`" for p in self.probes)
        return f"runs only if {probes} {'works' if self.when_ok else 'fails'}"


@dataclass(frozen=True, slots=True, init=False)
class ImportRef:
    """One imported module as written in the source.

    `module` is the absolute dotted name, or for relative imports (level > 0) the part after
    the dots (possibly ""). `span` covers the module name token; for relative imports it also
    covers the leading dots, so a diagnostic has something visible to underline.
    """

    module: str
    level: int
    span: Span
    names: tuple[str, ...] = ()
    kind: ImportKind = "import"
    # Inside try/except ImportError (or broader), or `with suppress(ImportError)`.
    guarded: bool = False
    type_checking: bool = False
    in_function: bool = False
    # Inside an `if` (or except/match branch) whose outcome on the target isn't known.
    conditional: bool = False
    # The import runs only if every guard holds (try/except/else and flags they set).
    guards: tuple[ImportGuard, ...] = ()
    # Under `if __name__ == "__main__":`: runs when the file is run, never when imported.
    main_block: bool = False

    def __init__(
        self,
        module: str,
        level: int,
        span: Span,
        names: tuple[str, ...] = (),
        kind: ImportKind = "import",
        guarded: bool = False,
        type_checking: bool = False,
        in_function: bool = False,
        conditional: bool = False,
        guards: tuple[ImportGuard, ...] = (),
        main_block: bool = False,
    ) -> None:
        # The generated frozen __init__ goes through object.__setattr__ per field; the slot
        # descriptors are a third faster, and a large project builds some 100,000 of these.
        _SET_REF[0](self, module)
        _SET_REF[1](self, level)
        _SET_REF[2](self, span)
        _SET_REF[3](self, names)
        _SET_REF[4](self, kind)
        _SET_REF[5](self, guarded)
        _SET_REF[6](self, type_checking)
        _SET_REF[7](self, in_function)
        _SET_REF[8](self, conditional)
        _SET_REF[9](self, guards)
        _SET_REF[10](self, main_block)

    @property
    def top_level(self) -> str:
        """First component of an absolute module name ("" for relative imports)."""
        return "" if self.level else self.module.partition(".")[0]


_SET_REF: tuple[Callable[[ImportRef, Any], None], ...] = tuple(
    getattr(ImportRef, field.name).__set__ for field in fields(ImportRef)
)


@dataclass(frozen=True, slots=True)
class ImportScan:
    """Imports of one file. `syntax_error` names the first unparsable part that held candidate
    imports (the imports around it are still returned); `skipped` says why nothing was read."""

    imports: tuple[ImportRef, ...] = ()
    syntax_error: str | None = None
    skipped: str | None = None


@dataclass(frozen=True, slots=True)
class ImportContext:
    """The guards in effect at one point of the source."""

    guarded: bool = False
    type_checking: bool = False
    in_function: bool = False
    conditional: bool = False
    guards: tuple[ImportGuard, ...] = ()
    main_block: bool = False

    def with_guard(self, guard: ImportGuard) -> ImportContext:
        return ImportContext(
            self.guarded,
            self.type_checking,
            self.in_function,
            self.conditional,
            (*self.guards, guard),
            self.main_block,
        )

    def in_main_block(self) -> ImportContext:
        return ImportContext(
            self.guarded, self.type_checking, self.in_function, self.conditional, self.guards, True
        )

    def but(
        self,
        *,
        guarded: bool | None = None,
        type_checking: bool | None = None,
        in_function: bool | None = None,
        conditional: bool | None = None,
    ) -> ImportContext:
        return ImportContext(
            self.guarded if guarded is None else guarded,
            self.type_checking if type_checking is None else type_checking,
            self.in_function if in_function is None else in_function,
            self.conditional if conditional is None else conditional,
            self.guards,
            self.main_block,
        )
