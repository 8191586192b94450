"""Typed initialization options and settings (the `envsense.*` settings of every client)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import cattrs

# The session (and every declaration parser it imports) stays off the start-up path:
# lsp/fast_start.py parses options before it answers initialize.
if TYPE_CHECKING:
    from envsense.core.session import SessionSettings

Installer = Literal["auto", "uv", "pip"]
DiagnosticScope = Literal["openFiles", "workspace"]


@dataclass(kw_only=True)
class CodeSettings:
    """Per-code switches: `envsense.diagnostics.<code>.enabled` / `.severity`."""

    enabled: bool = True
    severity: str | None = None


@dataclass(kw_only=True)
class InitOptions:
    """initializationOptions, also accepted as `workspace/configuration` section `envsense`."""

    # False when the client says the workspace is not trusted: nothing inside it runs.
    trusted: bool = True
    interpreter: str | None = None
    installer: Installer = "auto"
    extra_paths: list[str] = field(default_factory=list)
    diagnostics: dict[str, CodeSettings] = field(default_factory=dict)
    debounce_ms: int = 150
    # Imports that can't run in the selected environment (a fallback whose try works): hints.
    report_unreachable_imports: bool = False
    # Requirements of extras / dependency groups nobody installed: hint instead of nothing.
    report_unrequested_extras: bool = False
    # Extras / dependency groups to check as installed even when none of their packages is.
    requested_extras: list[str] = field(default_factory=list)
    # "workspace": check every Python file in the background, not only open ones.
    diagnostic_scope: DiagnosticScope = "openFiles"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=False)
    for cls in (InitOptions, CodeSettings):
        overrides = {
            name: cattrs.gen.override(rename=_camel(name))
            for name in cls.__dataclass_fields__
            if _camel(name) != name
        }
        converter.register_structure_hook(
            cls,
            cattrs.gen.make_dict_structure_fn(cls, converter, **overrides),  # type: ignore[arg-type]
        )
    return converter


_CONVERTER = _make_converter()


def parse_options(raw: Any) -> tuple[InitOptions, str | None]:
    """Structure raw options; on bad input return the defaults and a readable error."""
    if raw is None:
        return InitOptions(), None
    if not isinstance(raw, dict):
        return InitOptions(), "initializationOptions must be an object"
    try:
        return _CONVERTER.structure(raw, InitOptions), None
    except Exception as error:  # cattrs raises ClassValidationError/ValueError/TypeError
        details = (
            "; ".join(cattrs.transform_error(error))
            if isinstance(error, cattrs.BaseValidationError)
            else str(error)
        )
        return InitOptions(), f"invalid envsense options, using defaults: {details}"


def session_settings(options: InitOptions) -> SessionSettings:
    """The core's view of the options: paths as Paths, severities as enums, bad codes dropped."""
    from envsense.core.findings import Code, Severity
    from envsense.core.session import SessionSettings

    overrides: dict[Code, Severity | None] = {}
    for name, setting in options.diagnostics.items():
        try:
            code = Code(name)
        except ValueError:
            continue
        if not setting.enabled:
            overrides[code] = None
        elif setting.severity:
            try:
                overrides[code] = Severity.parse(setting.severity)
            except KeyError:
                continue
    return SessionSettings(
        interpreter=Path(options.interpreter).expanduser() if options.interpreter else None,
        extra_paths=tuple(Path(p).expanduser() for p in options.extra_paths),
        severity_overrides=overrides,
        trusted=options.trusted,
        report_unreachable_imports=options.report_unreachable_imports,
        report_unrequested_extras=options.report_unrequested_extras,
        requested_extras=tuple(options.requested_extras),
    )
