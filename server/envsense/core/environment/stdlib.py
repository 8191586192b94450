"""What the standard library holds for a given Python version, and what moved in or out.

Two sources: the bundled per-version table (always available) and the environment's own
lib dir (preferred when it exists, since distributions strip or add modules: Debian
without python3-tk has no tkinter). Neither needs an interpreter to run.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from envsense.core.data.stdlib_modules import (
    BUILTIN_BASE,
    BUILTIN_CHANGES,
    STDLIB_BASE,
    STDLIB_CHANGES,
)
from envsense.core.versions import PythonVersion

log = logging.getLogger(__name__)


def _expand(
    base: tuple[str, tuple[str, ...]],
    changes: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...],
) -> dict[str, frozenset[str]]:
    """Per-version name sets from the oldest version's names and each version's delta."""
    version, names = base
    current = frozenset(names)
    tables = {version: current}
    for version, added, removed in changes:
        current = (current | frozenset(added)) - frozenset(removed)
        tables[version] = current
    return tables


STDLIB_MODULES = _expand(STDLIB_BASE, STDLIB_CHANGES)
BUILTIN_MODULES = _expand(BUILTIN_BASE, BUILTIN_CHANGES)

OLDEST_KNOWN = (3, 8)
NEWEST_KNOWN = (3, 15)

# Names a Linux lib dir can never show but that are part of every stdlib listing.
_PLATFORM_ONLY = frozenset(
    {
        "_frozen_importlib",
        "_frozen_importlib_external",
        "_overlapped",
        "_scproxy",
        "_winapi",
        "_wmi",
        "msvcrt",
        "nt",
        "winreg",
        "winsound",
    }
)


def _clamp(version: PythonVersion | tuple[int, int]) -> str:
    major, minor = (version.major, version.minor) if isinstance(version, PythonVersion) else version
    key = max(OLDEST_KNOWN, min(NEWEST_KNOWN, (major, minor)))
    return f"{key[0]}.{key[1]}"


@cache
def _table(key: str) -> frozenset[str]:
    return frozenset(STDLIB_MODULES[key])


def stdlib_modules(version: PythonVersion | tuple[int, int]) -> frozenset[str]:
    """Top-level stdlib module names of `version` from the bundled table.

    Versions outside 3.8..3.15 use the nearest known table.
    """
    return _table(_clamp(version))


_TEST_MODULES = frozenset(
    {"test", "__pycache__", "__hello__", "__phello__", "_ctypes_test", "xxsubtype"}
)


def _is_test_module(name: str) -> bool:
    # Test helpers CPython installs next to the stdlib; sys.stdlib_module_names omits them.
    return name in _TEST_MODULES or name.startswith(("_test", "_xx", "xx"))


def stdlib_modules_from_disk(
    lib_dir: Path, version: PythonVersion | tuple[int, int]
) -> frozenset[str] | None:
    """Stdlib names read from an interpreter's lib dir (`lib/python3.12`, `Lib`), or None.

    None when the folder does not look like a stdlib (no os.py): callers then fall back
    to `stdlib_modules(version)`. Builtin modules are compiled into the binary, so they
    come from the table of that version.
    """
    names: set[str] = set()
    try:
        with os.scandir(lib_dir) as entries:
            for entry in entries:
                name = entry.name
                if name.endswith(".py"):
                    stem = name[:-3]
                    if stem.isidentifier():
                        names.add(stem)
                elif name.isidentifier():
                    try:
                        if entry.is_dir():
                            names.add(name)
                    except OSError:
                        continue
    except OSError as exc:
        log.debug("cannot list stdlib dir %s: %s", lib_dir, exc)
        return None
    if "os" not in names:
        return None
    # Extension modules: lib-dynload on POSIX, DLLs next to Lib on Windows.
    for dynload in (lib_dir / "lib-dynload", lib_dir.parent / "DLLs"):
        try:
            with os.scandir(dynload) as entries:
                for entry in entries:
                    stem = entry.name.split(".", 1)[0]
                    if stem.isidentifier() and entry.name.endswith((".so", ".pyd")):
                        names.add(stem)
        except OSError:
            continue
    names.discard("site-packages")
    names = {n for n in names if not _is_test_module(n)}
    key = _clamp(version)
    names.update(n for n in BUILTIN_MODULES[key] if not _is_test_module(n))
    names.update(_PLATFORM_ONLY & _table(key))
    return frozenset(names)


@dataclass(frozen=True, slots=True)
class StdlibChange:
    """A stdlib module that appeared or disappeared in some version.

    `replacement` is advice text for people; `backport` is a distribution on the index
    that brings the module (or a drop-in) back, when one exists.
    """

    module: str
    added_in: tuple[int, int] | None = None
    removed_in: tuple[int, int] | None = None
    replacement: str = ""
    backport: str | None = None

    @property
    def removed_label(self) -> str:
        return _label(self.removed_in)

    @property
    def added_label(self) -> str:
        return _label(self.added_in)


def _label(version: tuple[int, int] | None) -> str:
    return "" if version is None else f"{version[0]}.{version[1]}"


def _removed(
    module: str, version: tuple[int, int], replacement: str, backport: str | None = None
) -> StdlibChange:
    return StdlibChange(module, removed_in=version, replacement=replacement, backport=backport)


def _added(
    module: str, version: tuple[int, int], replacement: str, backport: str | None = None
) -> StdlibChange:
    return StdlibChange(module, added_in=version, replacement=replacement, backport=backport)


# Backports listed here are real projects on the index (the standard-* family is the
# "dead batteries" set maintained for PEP 594 modules). Where no backport is known,
# only advice text is given.
_REMOVALS: dict[str, StdlibChange] = {
    c.module: c
    for c in (
        _removed("macpath", (3, 8), "use posixpath or ntpath"),
        _removed("dummy_threading", (3, 9), "use threading"),
        _removed("_dummy_thread", (3, 9), "use _thread"),
        _removed("formatter", (3, 10), "no replacement; copy the module into the project"),
        _removed("parser", (3, 10), "use ast"),
        _removed("symbol", (3, 10), "use token / ast"),
        _removed("binhex", (3, 11), "use base64 or binascii"),
        _removed(
            "distutils",
            (3, 12),
            "use setuptools (it ships a distutils shim) or packaging",
            "setuptools",
        ),
        _removed("imp", (3, 12), "use importlib"),
        _removed("asyncore", (3, 12), "use asyncio", "pyasyncore"),
        _removed("asynchat", (3, 12), "use asyncio", "pyasynchat"),
        _removed("smtpd", (3, 12), "use aiosmtpd", "aiosmtpd"),
        _removed("aifc", (3, 13), "standard-aifc brings it back", "standard-aifc"),
        _removed("audioop", (3, 13), "audioop-lts brings it back", "audioop-lts"),
        _removed(
            "cgi", (3, 13), "use email.message / multipart; legacy-cgi brings it back", "legacy-cgi"
        ),
        _removed("cgitb", (3, 13), "legacy-cgi brings it back", "legacy-cgi"),
        _removed("chunk", (3, 13), "standard-chunk brings it back", "standard-chunk"),
        _removed("crypt", (3, 13), "use hashlib, passlib or bcrypt"),
        _removed(
            "imghdr",
            (3, 13),
            "use filetype or puremagic; standard-imghdr brings it back",
            "standard-imghdr",
        ),
        _removed("lib2to3", (3, 13), "use parso or libcst"),
        _removed(
            "mailcap", (3, 13), "use mimetypes; standard-mailcap brings it back", "standard-mailcap"
        ),
        _removed("msilib", (3, 13), "no replacement in the stdlib"),
        _removed("nis", (3, 13), "no replacement in the stdlib"),
        _removed("nntplib", (3, 13), "standard-nntplib brings it back", "standard-nntplib"),
        _removed("ossaudiodev", (3, 13), "no replacement in the stdlib"),
        _removed(
            "pipes",
            (3, 13),
            "use subprocess and shlex.quote; standard-pipes brings it back",
            "standard-pipes",
        ),
        _removed("sndhdr", (3, 13), "standard-sndhdr brings it back", "standard-sndhdr"),
        _removed("spwd", (3, 13), "no replacement in the stdlib"),
        _removed("sunau", (3, 13), "standard-sunau brings it back", "standard-sunau"),
        _removed(
            "telnetlib",
            (3, 13),
            "use telnetlib3; standard-telnetlib brings it back",
            "standard-telnetlib",
        ),
        _removed("uu", (3, 13), "use base64; standard-uu brings it back", "standard-uu"),
        _removed("xdrlib", (3, 13), "standard-xdrlib brings it back", "standard-xdrlib"),
        _removed("sre_compile", (3, 15), "use re"),
        _removed("sre_constants", (3, 15), "use re"),
        _removed("sre_parse", (3, 15), "use re"),
    )
}

_ADDITIONS: dict[str, StdlibChange] = {
    c.module: c
    for c in (
        _added(
            "zoneinfo", (3, 9), "backports.zoneinfo provides it before 3.9", "backports.zoneinfo"
        ),
        _added("graphlib", (3, 9), "graphlib_backport provides it before 3.9", "graphlib_backport"),
        _added("tomllib", (3, 11), "tomli is the same parser for older versions", "tomli"),
        _added("annotationlib", (3, 14), "use typing.get_type_hints / inspect.get_annotations"),
        _added(
            "compression", (3, 14), "backports.zstd provides compression.zstd", "backports.zstd"
        ),
        _added("profiling", (3, 15), "use cProfile / profile"),
    )
}


def removed_module(name: str, version: PythonVersion | tuple[int, int]) -> StdlibChange | None:
    """The removal record when top-level `name` was a stdlib module but is gone in `version`."""
    change = _REMOVALS.get(name.partition(".")[0])
    if change is None or change.removed_in is None:
        return None
    current = (version.major, version.minor) if isinstance(version, PythonVersion) else version
    return change if current >= change.removed_in else None


def added_module(name: str, version: PythonVersion | tuple[int, int]) -> StdlibChange | None:
    """The addition record when top-level `name` joins the stdlib only after `version`."""
    change = _ADDITIONS.get(name.partition(".")[0])
    if change is None or change.added_in is None:
        return None
    current = (version.major, version.minor) if isinstance(version, PythonVersion) else version
    return change if current < change.added_in else None


def stdlib_change(name: str) -> StdlibChange | None:
    """Any known change for `name`, regardless of version (for hover/help texts)."""
    top = name.partition(".")[0]
    return _REMOVALS.get(top) or _ADDITIONS.get(top)
