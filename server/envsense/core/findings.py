"""Findings: what is wrong, where, and what a fix needs. The LSP turns them into diagnostics."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import Enum, IntEnum
from pathlib import Path
from typing import Any, Literal

DOCS_URL = "https://github.com/envsense/envsense/blob/main/docs/diagnostics.md"


class Code(str, Enum):
    """Stable finding codes; each has a section (anchor = the code) in docs/diagnostics.md."""

    MISSING_IMPORT = "missing-import"
    MISSING_MODULE_SOURCE = "missing-module-source"
    STDLIB_UNAVAILABLE = "stdlib-unavailable"
    INCOMPATIBLE_EXTENSION = "incompatible-extension"
    VERSION_MISMATCH = "version-mismatch"
    UNDECLARED_IMPORT = "undeclared-import"
    TRANSITIVE_IMPORT = "transitive-import"
    REQUIREMENT_NOT_INSTALLED = "requirement-not-installed"
    PYTHON_VERSION_MISMATCH = "python-version-mismatch"
    NO_ENVIRONMENT = "no-environment"
    # A manifest (pyproject.toml, requirements.txt, ...) that can't be read: one per file.
    MALFORMED_MANIFEST = "malformed-manifest"
    # An import that resolves, of a module that fails when imported (it imports something missing).
    IMPORT_CHAIN_BROKEN = "import-chain-broken"
    # A file envsense skipped: not a regular file, past its size limit, not a notebook.
    FILE_NOT_CHECKED = "file-not-checked"
    # The environment against the project's lock file (uv.lock, poetry.lock, pylock.toml, ...).
    LOCK_MISMATCH = "lock-mismatch"
    LOCK_MISSING = "lock-missing"
    LOCK_STALE = "lock-stale"
    LOCK_EXTRA = "lock-extra"

    def __str__(self) -> str:
        return self.value

    @property
    def docs_url(self) -> str:
        return f"{DOCS_URL}#{self.value}"


class Severity(IntEnum):
    """Same numbers as LSP DiagnosticSeverity, so the glue is a plain cast."""

    ERROR = 1
    WARNING = 2
    INFORMATION = 3
    HINT = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        """ "error" / "warning" / "information" (or "info") / "hint"."""
        key = text.strip().lower()
        if key == "info":
            key = "information"
        return cls[key.upper()]


DEFAULT_SEVERITY: dict[Code, Severity] = {
    Code.MISSING_IMPORT: Severity.ERROR,
    Code.MISSING_MODULE_SOURCE: Severity.WARNING,
    Code.STDLIB_UNAVAILABLE: Severity.ERROR,
    Code.INCOMPATIBLE_EXTENSION: Severity.ERROR,
    Code.VERSION_MISMATCH: Severity.WARNING,
    Code.UNDECLARED_IMPORT: Severity.WARNING,
    Code.TRANSITIVE_IMPORT: Severity.WARNING,
    Code.REQUIREMENT_NOT_INSTALLED: Severity.WARNING,
    Code.PYTHON_VERSION_MISMATCH: Severity.WARNING,
    Code.NO_ENVIRONMENT: Severity.WARNING,
    Code.MALFORMED_MANIFEST: Severity.ERROR,
    Code.IMPORT_CHAIN_BROKEN: Severity.WARNING,
    Code.FILE_NOT_CHECKED: Severity.WARNING,
    Code.LOCK_MISMATCH: Severity.WARNING,
    Code.LOCK_MISSING: Severity.WARNING,
    Code.LOCK_STALE: Severity.INFORMATION,
    Code.LOCK_EXTRA: Severity.HINT,
}


@dataclass(frozen=True, slots=True)
class Span:
    """0-based line, and column counted in code points (the LSP layer converts to UTF-16)."""

    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def whole_line(cls, line: int, length: int) -> Span:
        return cls(line, 0, line, length)


# How a distribution name for a module was learnt; "guessed" means from the import name
# alone, which must never be installed without the user confirming.
NameSource = Literal["installed", "declared", "curated", "guessed"]


@dataclass(frozen=True, slots=True)
class FixData:
    """Everything a quick fix needs, carried in the diagnostic's `data` and read back.

    Only plain strings, so it survives the JSON round trip through any editor.
    """

    module: str | None = None
    distribution: str | None = None
    name_source: NameSource | None = None
    # Other distributions that also provide the module (opencv-python-headless, ...).
    alternatives: tuple[str, ...] = ()
    specifier: str | None = None
    installed_version: str | None = None
    requirement: str | None = None
    manifest: str | None = None
    environment: str | None = None
    project: str | None = None
    backport: str | None = None
    # For python-version-mismatch: the requires-python specifier that failed.
    requires_python: str | None = None
    # For the lock-* codes: the lock file the environment was compared with.
    lock: str | None = None

    def to_json(self) -> dict[str, Any]:
        # Field by field: dataclasses.asdict deep-copies, and this runs once per finding.
        data: dict[str, Any] = {}
        for name in _FIX_FIELDS:
            value = getattr(self, name)
            if value is not None and value != ():
                data[name] = list(value) if name == "alternatives" else value
        return data

    @classmethod
    def from_json(cls, data: object) -> FixData:
        """Tolerant reader: unknown keys and wrong types are dropped, never raised on."""
        if not isinstance(data, dict):
            return cls()
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key not in _FIX_FIELD_SET:
                continue
            if key == "alternatives":
                if isinstance(value, (list, tuple)):
                    kwargs[key] = tuple(str(v) for v in value if isinstance(v, str))
            elif isinstance(value, str):
                kwargs[key] = value
        if kwargs.get("name_source") not in (None, "installed", "declared", "curated", "guessed"):
            kwargs.pop("name_source")
        return cls(**kwargs)


_FIX_FIELDS = tuple(f.name for f in fields(FixData))
_FIX_FIELD_SET = frozenset(_FIX_FIELDS)


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in one file."""

    path: Path
    span: Span
    code: Code
    severity: Severity
    message: str
    fix: FixData = field(default_factory=FixData)

    def sort_key(self) -> tuple[str, int, int, str]:
        return (str(self.path), self.span.line, self.span.column, self.code.value)
