"""Does importing a module work here? Follow what it imports at module level.

`from .models import Task` fails when models.py does `import sqlalchemy` and SQLAlchemy is
missing; `import urllib3.contrib.pyopenssl` fails when OpenSSL is. Only unguarded
module-level imports count (not in a function, not under try/except ImportError, not in
a branch whose outcome is unknown); guards that depend on other imports are evaluated
the same way, so `try: import tomllib / except ImportError: import tomli` in a followed
module is fine on 3.11+. The project's own modules are followed to the end of the chain,
installed code MAX_DEPTH modules deep. Scans are cached per file (keyed by mtime and
size) and chain results per file and depth, with the files each result read: once a
second at most every file read is stat'ed, and the results that read a changed file are
dropped (so are all of them when the resolver sees a module created or deleted).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement

from envsense.core.checks.chain_edges import ChainEdges
from envsense.core.checks.chain_limits import MAX_DEPTH
from envsense.core.checks.guard_eval import GuardEvaluation, definitely_fails, module_file
from envsense.core.checks.lazy_attrs import lazy_attribute_table
from envsense.core.checks.module_reading import ModuleReading, Stamp, stamp_of
from envsense.core.checks.relative_names import RelativeNames
from envsense.core.environment.inventory import Distribution
from envsense.core.environment.resolver import Resolution, ResolutionStatus, Resolver
from envsense.core.imports.conditions import Target
from envsense.core.imports.refs import ImportRef

_REVALIDATE_SECONDS = 1.0
_FOLLOWED = frozenset({ResolutionStatus.PROJECT, ResolutionStatus.INSTALLED})


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """Importing a module fails: `file` line `line` imports `missing`, which can't be found.

    `via` lists the modules between the imported one and `file`'s module, in order.
    """

    via: tuple[str, ...]
    missing: str
    resolution: Resolution
    file: Path
    line: int


class ImportOutcomes(ModuleReading, GuardEvaluation, ChainEdges):
    """Answers "does this import work in the environment?" beyond the name resolving."""

    def __init__(
        self,
        resolver: Resolver,
        target: Target,
        stdlib_dir: Path | None = None,
        max_depth: int = MAX_DEPTH,
        *,
        watch_files: bool = True,
    ) -> None:
        """`watch_files=False`: the module files read stay as they are while this is used
        (a one-shot check), so they are not stat'ed again once a second."""
        ModuleReading.__init__(self, target)
        ChainEdges.__init__(self)
        self.resolver = resolver
        self.relative = RelativeNames()
        self.stdlib_dir = stdlib_dir
        self.max_depth = max_depth
        # (file, depth) -> (the files the result was read from, the result)
        self._breaks: dict[tuple[Path, int], tuple[tuple[str, ...], ChainBreak | None]] = {}
        self._visiting: set[Path] = set()
        # Results of the current walk that depend on a cycle it cut (committed at its end).
        self._pending: dict[tuple[Path, int], tuple[tuple[str, ...], ChainBreak | None]] = {}
        self._validated = time.monotonic()
        self._watch_files = watch_files
        # Between walks: (module, folder, depth) -> (its resolution, the answer).
        self._answers: dict[tuple[str, str, int], tuple[Resolution, ChainBreak | None]] = {}
        # package -> (its resolution, its lazy table: name -> module, the __init__.py
        # read for it)
        self._lazy_answers: dict[str, tuple[Resolution, dict[str, str], Path | None]] = {}
        self._cycle_cut = False
        self._stat_seen: dict[Path, tuple[float, Stamp | None]] = {}
        self._health: dict[str, bool] = {}
        self._lazy: dict[Path, tuple[Stamp | None, dict[str, str]]] = {}
        # Diagnostics and code actions check in worker threads; the caches are shared.
        self._lock = threading.RLock()
        self._trust: dict[tuple[str, str], bool] = {}
        self._generation = resolver.generation
        # Moves whenever chain answers were dropped (see `epoch`).
        self._dropped = 0

    def epoch(self) -> tuple[int, int, int]:
        """Changes whenever an answer worked out before may no longer hold: a module file
        read by a chain changed, or the resolver saw a folder change. Revalidates both
        (at most once a second each), as a chain or a resolution asked for now would."""
        with self._lock:
            self.resolver.revalidate()
            self._revalidate()
            return (self._dropped, self.resolver.generation, self.resolver.listings_version)

    # -- guards ------------------------------------------------------------------------

    # -- chains ------------------------------------------------------------------------

    def chain_break(
        self, module: str, resolution: Resolution, importing_file: Path, depth: int = 0
    ) -> ChainBreak | None:
        """Why importing `module` (which resolves) fails here, or None when it works or
        can't be told. Parent packages run too, except the importing file's own."""
        with self._lock:
            if resolution.status not in _FOLLOWED:
                return None
            if self._visiting:
                return self._chain_break(module, resolution, importing_file, depth)
            # Between walks the answer is final and the same for every file of a folder
            # (what it depends on of the file: its folder's sys.path entry and packages).
            self._revalidate()
            key = (module, os.path.dirname(str(importing_file)), depth)
            known = self._answers.get(key)
            if known is not None and known[0] is resolution:
                return known[1]
            result = self._chain_break(module, resolution, importing_file, depth)
            self._answers[key] = (resolution, result)
            return result

    def _chain_break(
        self, module: str, resolution: Resolution, importing_file: Path, depth: int
    ) -> ChainBreak | None:
        with self._lock:
            if resolution.status is ResolutionStatus.INSTALLED:
                # Only hops into installed code count against the bound: the project's
                # own modules are all followed (celery's chains run 5 modules deep).
                depth += 1
                if depth > self.max_depth:
                    return None
            if resolution.status is ResolutionStatus.INSTALLED and self._trusted(
                module, resolution, importing_file
            ):
                return None
            importing = str(importing_file)
            # The module's own file first (the clearest chain), then its parent packages.
            for name, prefix, source in self.steps(module, resolution, importing_file):
                if prefix and importing.startswith(prefix):
                    continue  # the importing file's own package: already being imported
                broken = self._file_break(source, depth)
                if broken is not None:
                    via = (name, *broken.via) if name != module else broken.via
                    return ChainBreak(
                        via, broken.missing, broken.resolution, broken.file, broken.line
                    )
            return None

    def _trusted(self, module: str, resolution: Resolution, importing_file: Path) -> bool:
        """Installed code not worth following: a distribution whose own requirements are all
        installed imports fine through its top-level package and between its own modules.
        What it needs only for an extra lives in submodules imported by name from outside
        (`urllib3.contrib.pyopenssl`): those are followed."""
        providers = resolution.distributions
        if not providers or not all(self._healthy(d) for d in providers):
            return False
        if "." not in module:
            return True
        location = resolution.location
        if location is None:
            return True
        # By strings: a Path parent per call was most of this check's time.
        folder = os.path.dirname(str(importing_file))
        key = (module, folder)
        cached = self._trust.get(key)
        if cached is None:
            # site-packages/urllib3/contrib/pyopenssl.py -> site-packages/urllib3
            package = str(location)
            for _ in range(module.count(".")):
                package = os.path.dirname(package)
            # The file is inside the package when its folder is (or is below) it.
            cached = self._trust[key] = (folder + os.sep).startswith(package + os.sep)
        return cached

    def _healthy(self, dist: Distribution) -> bool:
        cached = self._health.get(dist.canonical_name)
        if cached is not None:
            return cached
        inventory = self.resolver.inventory
        healthy = True
        if inventory is not None:
            environment = {**inventory.marker_environment(), "extra": ""}
            for raw in dist.requires:
                try:
                    requirement = Requirement(raw)
                    if requirement.marker is not None and not requirement.marker.evaluate(
                        environment
                    ):
                        continue
                except (
                    InvalidRequirement,
                    InvalidMarker,
                    UndefinedComparison,
                    UndefinedEnvironmentName,
                ):
                    continue
                if inventory.distribution(requirement.name) is None:
                    healthy = False
                    break
        self._health[dist.canonical_name] = healthy
        return healthy

    def _revalidate(self) -> None:
        """Between walks, at most once per _REVALIDATE_SECONDS: drop the chain results
        that read a file changed since (every file read is stat'ed once, not once per
        result holding it: that was a quarter of homeassistant's chain checks)."""
        if self.resolver.generation != self._generation:
            # A folder changed (a module created or deleted): chains may end elsewhere.
            self._generation = self.resolver.generation
            self._dropped += 1
            self._drop_edges(resolutions=True)
            self._breaks.clear()
            self._answers.clear()
            self._lazy_answers.clear()
        now = time.monotonic()
        if not self._watch_files or now - self._validated < _REVALIDATE_SECONDS:
            return
        self._validated = now
        changed = {path for path, facts in self._files.items() if stamp_of(path) != facts.stamp}
        if changed:
            self._forget(changed)

    def _forget(self, changed: set[Path]) -> None:
        """Drop the chain results that read any of `changed`."""
        names = {str(path) for path in changed}
        self._dropped += 1
        self._breaks = {
            key: entry for key, entry in self._breaks.items() if names.isdisjoint(entry[0])
        }
        # Rare (a file saved while the server runs): these are worked out again from
        # the results above, which is cheap, rather than each keeping what it read.
        self._answers.clear()
        self._lazy_answers.clear()
        self._drop_edges(resolutions=False)

    def _file_break(self, source: Path, depth: int) -> ChainBreak | None:
        key = (source, depth)
        cached = self._breaks.get(key)
        if cached is not None:
            paths, result = cached
            if self._read:
                # Into the innermost result only: it hands its set outward when done.
                self._read[-1].update(paths)
            return result
        if key in self._pending:
            return None  # explored earlier in this walk: nothing it reaches is missing
        if source in self._visiting:
            # An import cycle: the module is already half imported. Whether what lies
            # behind it breaks is decided where the walk started (see below).
            self._cycle_cut = True
            return None
        outermost = not self._visiting
        if outermost:
            self._cycle_cut = False
        self._visiting.add(source)
        read: set[str] = {str(source)}
        self._read.append(read)
        try:
            result = self._compute_break(source, depth)
        finally:
            self._read.pop()
            self._visiting.discard(source)
        if self._read:
            self._read[-1].update(read)
        entry = (tuple(read), result)
        if result is not None or not self._cycle_cut:
            # A break found is real; so is "nothing missing" when no cycle was cut.
            self._breaks[key] = entry
        else:
            # "Nothing missing" behind a cut cycle holds only if the walk's start agrees:
            # a module in a cycle fails when any module of the cycle does.
            self._pending[key] = entry
        if outermost:
            if result is None:
                self._breaks.update(self._pending)
            self._pending.clear()
        return result

    def _stamp_now(self, path: Path) -> Stamp | None:
        """A file's stamp, stat'ed at most once per revalidation window (a chain's result
        is revalidated by the stamps of every file behind it: many entries share files)."""
        now = time.monotonic()
        seen = self._stat_seen.get(path)
        if seen is not None and now - seen[0] < _REVALIDATE_SECONDS:
            return seen[1]
        stamp = stamp_of(path)
        self._stat_seen[path] = (now, stamp)
        return stamp

    def _compute_break(self, source: Path, depth: int) -> ChainBreak | None:
        facts = self._load(source)
        scan = facts.scan
        if scan is None or facts.edits_sys_path:
            # A module that edits sys.path imports from places we don't model.
            return None
        for ref in scan.imports:
            if not self._always_runs(ref, source, depth):
                continue
            for absolute, known in self._targets(ref, source):
                resolution = known or self.resolver.resolve(absolute, source)
                if definitely_fails(resolution):
                    return ChainBreak((), absolute, resolution, source, ref.span.line)
                if resolution.ok:
                    broken = self.chain_break(absolute, resolution, source, depth)
                    if broken is not None:
                        via = (absolute, *broken.via)
                        return ChainBreak(
                            via, broken.missing, broken.resolution, broken.file, broken.line
                        )
        return None

    def _always_runs(self, ref: ImportRef, source: Path, depth: int) -> bool:
        if ref.type_checking or ref.in_function or ref.main_block:
            return False
        if ref.guarded or ref.conditional:
            return False
        if ref.guards:
            return self.guards_hold(ref.guards, source, depth) is True
        return True

    def _targets(self, ref: ImportRef, source: Path) -> list[tuple[str, Resolution | None]]:
        """The modules an import runs (with their resolutions when known): the one named,
        and for `from x import y` each y that is a submodule (`from . import models`) or
        that x's lazy-import table names."""
        absolute = self.relative.absolute(ref.module, ref.level, source, None)
        if absolute is None:
            return []
        targets: list[tuple[str, Resolution | None]] = [(absolute, None)] if ref.module else []
        if ref.kind == "from":
            for name in ref.names:
                found = self.name_target(absolute, name, source)
                if found is not None:
                    targets.append((found[0], found[1]))
        return targets

    def lazy_target(self, package: str, name: str, resolution: Resolution) -> str | None:
        """The module the lazy-import table of `package` (resolved as `resolution`, the
        project's own) names for `name`, whether or not it resolves (None: no table, no
        entry, or the package itself)."""
        with self._lock:
            module, source = self._lazy_lookup(package, name, resolution)
            if source is not None and self._read:
                self._read[-1].add(str(source))
            return module

    def _lazy_lookup(
        self, package: str, name: str, resolution: Resolution
    ) -> tuple[str | None, Path | None]:
        """`lazy_target`'s answer and the `__init__.py` read for it, not yet recorded as
        read by the chain being worked out."""
        if resolution.status is not ResolutionStatus.PROJECT:
            return None, None
        # The package's table (the same resolution: the same file), kept until the
        # table's file changes (the chains' revalidation) or a folder does (the
        # resolver's); each name is then a look-up in it.
        known = self._lazy_answers.get(package)
        if known is None or known[0] is not resolution:
            known = (resolution, *self._lazy_table(package, resolution))
            self._lazy_answers[package] = known
        _, table, source = known
        if source is None:
            return None, None
        module = table.get(name)
        return (None if module == package else module), source

    def _lazy_table(
        self, package: str, resolution: Resolution
    ) -> tuple[dict[str, str], Path | None]:
        """The package's lazy-import table (name -> module), and the `__init__.py` read
        for it (None: the package has none)."""
        source = module_file(resolution, self.resolver)
        if source is None or source.name != "__init__.py":
            return {}, None
        stamp = self._stamp_now(source)
        cached = self._lazy.get(source)
        if cached is None or cached[0] != stamp:
            cached = (stamp, lazy_attribute_table(self._text(source), package))
            self._lazy[source] = cached
        else:
            self._load(source)  # records the file as read, for the chain caches
        return cached[1], source
