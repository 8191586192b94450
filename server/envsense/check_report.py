"""Output formats of `envsense check`: text, JSON and GitHub workflow annotations."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from json.encoder import encode_basestring_ascii
from pathlib import Path

from envsense.core.check_cache import Encoded, decode_findings
from envsense.core.environment import Environment
from envsense.core.findings import Finding, Severity

_GITHUB_LEVEL = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFORMATION: "notice",
    Severity.HINT: "notice",
}


def _displayer(base: Path) -> Callable[[Path], str]:
    """`path` as shown: relative to `base` when under it."""
    # The common case by string (relative_to parses both paths again, per finding).
    prefix = os.path.join(str(base), "")
    absolute = base.is_absolute()

    def display(path: Path) -> str:
        text = str(path)
        fast = absolute and path.is_absolute() and not text.startswith("//")
        if fast and text.startswith(prefix) and text != prefix:
            return text[len(prefix) :]
        try:
            return str(path.relative_to(base))
        except ValueError:
            return text

    return display


def format_text(findings: Sequence[Finding], base: Path) -> str:
    """`path:line:col: code message`, 1-based, one per line."""
    display = _displayer(base)
    lines = [
        f"{display(f.path)}:{f.span.line + 1}:{f.span.column + 1}: {f.code.value} {f.message}"
        for f in findings
    ]
    return "\n".join(lines)


def format_json(findings: Sequence[Finding], environment: Environment | None, base: Path) -> str:
    """{"environment": ENV|null, "diagnostics": [...]} with 1-based lines and columns."""
    return "".join(json_pieces(findings, environment, base))


# Diagnostics per piece of the JSON output.
_PIECE_ROWS = 1000
_LABELS = {int(severity): severity.label for severity in Severity}


def json_pieces(
    findings: Sequence[Finding], environment: Environment | None, base: Path
) -> Iterator[str]:
    """format_json's text in pieces, to be written one after another: the whole text, its
    rows and their join at once were the peak memory of a check with many findings."""
    blocks = ((f.path, [_row(f)]) for f in findings)
    return json_pieces_encoded(blocks, environment, base)


def _row(f: Finding) -> Encoded:
    span = f.span
    return [
        span.line,
        span.column,
        span.end_line,
        span.end_column,
        f.code.value,
        f.severity,
        f.message,
    ]


def json_pieces_encoded(
    blocks: Iterable[tuple[Path, Sequence[Encoded]]], environment: Environment | None, base: Path
) -> Iterator[str]:
    """json_pieces of findings as core/check_cache.py encodes them, each file's with its
    path: what a worker or the cache gave is written without becoming Finding objects."""
    # One diagnostic per line: readable, and cheap for a 10,000-file workspace. Each row is
    # what json.dumps gives for {"path", "line", "column", "end_line", "end_column", "code",
    # "severity", "message"}, built directly (a file's path is encoded once for all rows).
    head = json.dumps(environment.to_json() if environment else None)
    yield f'{{\n  "environment": {head},\n  "diagnostics": ['
    display = _displayer(base)
    others: dict[str, str] = {}
    # A row's code and severity, encoded once per pair (a few dozen over thousands of rows).
    kinds: dict[tuple[str, int], str] = {}
    rows: list[str] = []
    separator = "\n    "
    for file, items in blocks:
        if not items:
            continue
        shown = _string(display(file))  # each file once: a block per file
        for item in items:
            path = shown
            if len(item) > 8:  # a finding on another file than the one checked
                other = item[8]
                path = others.get(other) or others.setdefault(other, _string(display(Path(other))))
            kind = kinds.get((item[4], item[5]))
            if kind is None:
                kind = kinds[(item[4], item[5])] = (
                    f'"code": {_string(item[4])}, "severity": {_string(_LABELS[item[5]])}'
                )
            rows.append(
                f'{{"path": {path}, "line": {item[0] + 1}, "column": {item[1] + 1}, '
                f'"end_line": {item[2] + 1}, "end_column": {item[3] + 1}, '
                f'{kind}, "message": {_string(item[6])}}}'
            )
            if len(rows) == _PIECE_ROWS:
                yield separator + ",\n    ".join(rows)
                rows = []
                separator = ",\n    "
    if rows:
        yield separator + ",\n    ".join(rows)
        separator = ","
    yield ("\n  " if separator != "\n    " else "") + "]\n}"


# A JSON string literal exactly as json.dumps writes it (ASCII, escapes as in the default).
_string = encode_basestring_ascii


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(findings: Sequence[Finding], base: Path) -> str:
    """`::error file=...,line=...,col=...,title=...::message` workflow commands."""
    display = _displayer(base)
    lines = []
    for f in findings:
        props = ",".join(
            [
                f"file={_escape_property(display(f.path))}",
                f"line={f.span.line + 1}",
                f"col={f.span.column + 1}",
                f"endLine={f.span.end_line + 1}",
                f"endColumn={f.span.end_column + 1}",
                f"title={_escape_property('envsense ' + f.code.value)}",
            ]
        )
        lines.append(f"::{_GITHUB_LEVEL[f.severity]} {props}::{_escape_data(f.message)}")
    return "\n".join(lines)


def summary_line(findings: Sequence[Finding], files: int, environment: Environment | None) -> str:
    """The text report's last line: problems by severity, files checked, the environment."""
    counts = {s: sum(1 for f in findings if f.severity is s) for s in Severity}
    env = environment.label if environment else "no environment"
    return (
        f"envsense: {len(findings)} problems ({counts[Severity.ERROR]} errors, "
        f"{counts[Severity.WARNING]} warnings, {counts[Severity.INFORMATION]} information) "
        f"in {files} files; environment: {env}"
    )


def write_report(
    blocks: Sequence[tuple[Path, list[Encoded]]],
    environment: Environment | None,
    files: int,
    output_format: str,
) -> None:
    """The check's findings on stdout in `output_format` (json, github, text), paths shown
    relative to the working folder; with text, the summary line on stderr."""
    base = Path.cwd()
    if output_format == "json":
        for piece in json_pieces_encoded(blocks, environment, base):
            sys.stdout.write(piece)
        sys.stdout.write("\n")
        return
    findings = _decoded(blocks)
    if output_format == "github":
        if findings:
            print(format_github(findings, base))
    elif findings:
        print(format_text(findings, base))
    if output_format == "text":
        print(summary_line(findings, files, environment), file=sys.stderr)


def exit_status(blocks: Sequence[tuple[Path, list[Encoded]]], *, locked: bool) -> int:
    """1 when an error-severity finding exists (with `locked`, also when the environment
    drifts from a lock file), else 0."""
    items = [item for _, encoded in blocks for item in encoded]
    if locked:
        from envsense.core.checks.lock import DRIFT_CODES

        drift = {code.value for code in DRIFT_CODES}
        if any(item[4] in drift for item in items):
            return 1
    return 1 if any(item[5] == Severity.ERROR for item in items) else 0


def _decoded(blocks: Sequence[tuple[Path, list[Encoded]]]) -> list[Finding]:
    """Finding objects of encoded findings (all valid: the cache's were checked)."""
    findings: list[Finding] = []
    for path, encoded in blocks:
        decoded = decode_findings(path, encoded)
        if decoded is None:  # what check_all gives can always be decoded
            raise ValueError(f"findings of {path} are malformed")
        findings += decoded
    return findings
