"""An ImportScan as plain tuples of str, int, bool and None, and back.

Another process can then hand scans over with `marshal` (no classes to look up, no
per-object pickling): decoding a file's scan costs a fraction of extracting it again.
`decode_scan(encode_scan(scan)) == scan` for every scan.
"""

from __future__ import annotations

from typing import Any

from envsense.core.findings import Span
from envsense.core.imports.refs import ImportGuard, ImportRef, ImportScan, Probe

# One ref: (module, level, line, column, end_line, end_column, names, kind, flags, guards)
EncodedScan = tuple[Any, ...]

_GUARDED, _TYPE_CHECKING, _IN_FUNCTION, _CONDITIONAL, _MAIN_BLOCK = 1, 2, 4, 8, 16


def encode_scan(scan: ImportScan) -> EncodedScan:
    """`scan` as nested tuples that `marshal` can write."""
    refs = []
    for ref in scan.imports:
        span = ref.span
        flags = (
            (_GUARDED if ref.guarded else 0)
            | (_TYPE_CHECKING if ref.type_checking else 0)
            | (_IN_FUNCTION if ref.in_function else 0)
            | (_CONDITIONAL if ref.conditional else 0)
            | (_MAIN_BLOCK if ref.main_block else 0)
        )
        guards = tuple(_encode_guard(guard) for guard in ref.guards) if ref.guards else ()
        refs.append(
            (
                ref.module,
                ref.level,
                span.line,
                span.column,
                span.end_line,
                span.end_column,
                ref.names,
                ref.kind,
                flags,
                guards,
            )
        )
    return (tuple(refs), scan.syntax_error, scan.skipped)


def _encode_guard(guard: ImportGuard) -> tuple[Any, ...]:
    probes = tuple((p.module, p.level, p.names, p.find_only) for p in guard.probes)
    return (probes, guard.when_ok, guard.line)


def decode_scan(encoded: EncodedScan) -> ImportScan:
    """The ImportScan `encode_scan` was given."""
    refs, syntax_error, skipped = encoded
    # Refs of one block share their guards: build each once.
    guards_of: dict[tuple[Any, ...], tuple[ImportGuard, ...]] = {}
    decoded = []
    for module, level, line, column, end_line, end_column, names, kind, flags, guards in refs:
        if guards:
            built = guards_of.get(guards)
            if built is None:
                built = guards_of[guards] = tuple(_decode_guard(g) for g in guards)
        else:
            built = ()
        decoded.append(
            ImportRef(
                module,
                level,
                Span(line, column, end_line, end_column),
                names,
                kind,
                bool(flags & _GUARDED),
                bool(flags & _TYPE_CHECKING),
                bool(flags & _IN_FUNCTION),
                bool(flags & _CONDITIONAL),
                built,
                bool(flags & _MAIN_BLOCK),
            )
        )
    return ImportScan(tuple(decoded), syntax_error, skipped)


def _decode_guard(encoded: tuple[Any, ...]) -> ImportGuard:
    probes, when_ok, line = encoded
    return ImportGuard(tuple(Probe(m, lv, n, f) for m, lv, n, f in probes), when_ok, line)
