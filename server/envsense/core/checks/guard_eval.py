"""Evaluating import guards against the environment: does the `try`'s import work here?

`except ImportError:` code runs only when an import of its `try` fails, the `else:` and
`if HAS_X:` only when they all work. "Works" is more than the name resolving: the module
must not fail when imported (ImportOutcomes.chain_break) and `from m import name` needs
`name` in `m` (looked up in its source, the standard library's included).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Sequence
from pathlib import Path

from envsense.core.checks.relative_names import RelativeNames
from envsense.core.environment.resolver import Resolution, ResolutionStatus, Resolver
from envsense.core.imports.refs import ImportGuard, Probe

# Module-level ways to make names no reading of the source can list.
_DYNAMIC_NAMES = re.compile(
    r"^(?:def __getattr__\b|[ \t]*from[ \t]+\S+[ \t]+import[ \t]+\*|[ \t]*globals\(\)[.\[])", re.M
)
# Statuses that make an import fail at run time, whatever the code around it.
_FAILS = frozenset(
    {
        ResolutionStatus.MISSING,
        ResolutionStatus.STUB_ONLY,
        ResolutionStatus.STDLIB_REMOVED,
        ResolutionStatus.STDLIB_NOT_YET,
        ResolutionStatus.INCOMPATIBLE_EXTENSION,
    }
)
# Statuses that make an import fail at run time, whatever the code around it.


def definitely_fails(resolution: Resolution) -> bool:
    """A failure no run-time trick undoes: the top-level name is found nowhere."""
    if resolution.status not in _FAILS:
        return False
    # `pkg` found but it has no `sub`: may be made at run time (six.moves), so unknown.
    return not (resolution.status is ResolutionStatus.MISSING and resolution.location is not None)


def module_file(resolution: Resolution, resolver: Resolver) -> Path | None:
    """The source file that runs when the module is imported (None: compiled or namespace).

    Whether a package has its `__init__.py` comes from the resolver's listing of it (the
    one that found the package), not a stat per question."""
    location = resolution.location
    if location is None:
        return None
    _, suffix = stem_and_suffix(location)
    if suffix == ".py":
        return location
    return resolver.package_init(location) if suffix == "" else None


def is_submodule_location(resolution: Resolution, name: str) -> bool:
    """`pkg.name` resolved to a module of its own: the resolver also accepts any attribute
    of a module file (six.moves), located at that file."""
    location = resolution.location
    if not resolution.ok or location is None:
        return False
    stem, suffix = stem_and_suffix(location)
    return name == stem or name == stem + suffix


def suffix_of(path: Path) -> str:
    """`path.suffix`, from its string."""
    return stem_and_suffix(path)[1]


def stem_and_suffix(path: Path) -> tuple[str, str]:
    """`path.stem` and `path.suffix` from its string (pathlib re-parses per property, and
    the chains ask for every import)."""
    name = str(path).rpartition(os.sep)[2]
    dot = name.rfind(".")
    if 0 < dot < len(name) - 1:
        return name[:dot], name[dot:]
    return name, ""


class GuardEvaluation:
    """Guard and probe evaluation; ImportOutcomes supplies the chains and file reading."""

    resolver: Resolver
    relative: RelativeNames
    stdlib_dir: Path | None
    _lock: threading.RLock

    def chain_break(
        self, module: str, resolution: Resolution, importing_file: Path, depth: int = 0
    ) -> object | None:
        raise NotImplementedError

    def _text(self, source: Path) -> str:
        raise NotImplementedError

    def guards_hold(self, guards: Sequence[ImportGuard], file: Path, depth: int = 0) -> bool | None:
        """True when the guarded code runs here, False when it never does, None: can't tell."""
        with self._lock:
            result: bool | None = True
            for guard in guards:
                outcomes = [self.probe_works(p, file, depth) for p in guard.probes]
                if guard.when_ok:
                    holds = False if False in outcomes else (None if None in outcomes else True)
                else:
                    holds = True if False in outcomes else (None if None in outcomes else False)
                if holds is False:
                    return False
                if holds is None:
                    result = None
            return result

    def probe_works(self, probe: Probe, file: Path, depth: int = 0) -> bool | None:
        """Whether `probe` imports without error here (names included)."""
        with self._lock:
            if not probe.module and not probe.level:
                return None
            # `from . import x` names the package itself; x is a submodule or an attribute.
            absolute = self.relative.absolute(probe.module, probe.level, file, None)
            if absolute is None:
                return None
            resolution = self.resolver.resolve(absolute, file)
            if not resolution.ok:
                return False if definitely_fails(resolution) else None
            if probe.find_only:
                return True
            if resolution.status is ResolutionStatus.STDLIB:
                source = self._stdlib_file(absolute)
            else:
                if self.chain_break(absolute, resolution, file, depth):
                    return False
                source = module_file(resolution, self.resolver)
            if not probe.names:
                return True
            stdlib = resolution.status is ResolutionStatus.STDLIB
            if not stdlib:
                # `from urllib3.contrib import pyopenssl`: a submodule named runs too.
                for name in probe.names:
                    sub = self.resolver.resolve(f"{absolute}.{name}", file)
                    if is_submodule_location(sub, name) and self.chain_break(
                        sub.module, sub, file, depth
                    ):
                        return False
            return self._names_defined(absolute, probe.names, source, file, stdlib)

    def _names_defined(
        self, module: str, names: tuple[str, ...], source: Path | None, file: Path, stdlib: bool
    ) -> bool | None:
        result: bool | None = True
        for name in names:
            defined = defines_name(self._text(source), name) if source is not None else None
            if defined is not True and self._is_submodule(module, name, file, stdlib):
                defined = True
            if defined is False:
                return False
            if defined is None:
                result = None
        return result

    def _is_submodule(self, module: str, name: str, file: Path, stdlib: bool) -> bool:
        if stdlib:
            # The resolver accepts any dotted name under a stdlib package; look at the files.
            return self._stdlib_file(f"{module}.{name}") is not None
        return is_submodule_location(self.resolver.resolve(f"{module}.{name}", file), name)

    def _stdlib_file(self, module: str) -> Path | None:
        if self.stdlib_dir is None:
            return None
        base = self.stdlib_dir.joinpath(*module.split("."))
        for candidate in (base.with_name(base.name + ".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
        return None


def defines_name(text: str, name: str) -> bool | None:
    """Whether a module's source can give `from module import name`: True when the name
    appears as an identifier at all (generous on purpose), None when the module makes
    names at run time (`import *`, a module `__getattr__`, `globals()` updates), else False."""
    if re.search(rf"(?<![\w.]){re.escape(name)}\b", text):
        return True
    if _DYNAMIC_NAMES.search(text):
        return None
    return False
