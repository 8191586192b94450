"""What one step of an import chain runs, worked out once for the folders that agree.

Following `from package import a, b` means knowing which modules it runs (each name a
submodule, or a module the package's lazy-import table names), and following a module
means knowing which files run when it is imported (its own, then its parent packages'
`__init__.py`). Both depend on the importing file only through resolutions: most names
resolve alike from every folder (the stdlib, the search path proper), so their answers
are kept once for every folder (each of django's 653 folders asked them again), the rest
per folder. Most names imported from a module are classes and functions: whether one is
a submodule is told from the module's file name or its package folder's listing, not by
resolving `package.name`. The answers hold for one state of the resolver's folders and
of the lazy tables read: ImportOutcomes drops them with its other chain caches, and
records a lazy table's file as read by each chain that uses its answer.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from envsense.core.checks.guard_eval import is_submodule_location, module_file, stem_and_suffix
from envsense.core.environment.resolver import Resolution, ResolutionStatus, Resolver

_FOLLOWED = frozenset({ResolutionStatus.PROJECT, ResolutionStatus.INSTALLED})
# What a module file found by the resolver ends with (its `stem_and_suffix`).
_MODULE_SUFFIXES = frozenset({".py", ".so", ".pyd"})

# (module, its resolution, whether a lazy-import table named it)
NameTarget = tuple[str, Resolution, bool]
# (dotted name, its package folder with a trailing separator or "", the file that runs)
Step = tuple[str, str, Path]


class ChainEdges:
    """The per-edge memos of ImportOutcomes; it supplies the lazy tables and `_read`."""

    resolver: Resolver
    _lock: threading.RLock
    _read: list[set[str]]

    def __init__(self) -> None:
        # (package, name, folder; "" when alike from every folder) -> (what `from package
        # import name` runs besides the package, the lazy table's file read for it)
        self._name_targets: dict[tuple[str, str, str], tuple[NameTarget | None, str | None]] = {}
        # (module, folder; "" when alike from every folder) -> (the module's resolution,
        # the files importing it runs, in the order they are followed)
        self._plans: dict[tuple[str, str], tuple[Resolution, tuple[Step, ...]]] = {}
        # A resolved location -> (its folder prefix when a package, the file that runs).
        self._sources: dict[Path, tuple[str, Path | None]] = {}

    def _lazy_lookup(
        self, package: str, name: str, resolution: Resolution
    ) -> tuple[str | None, Path | None]:
        """The module `package`'s lazy table names for `name`, and the file it was read
        from (see ImportOutcomes.lazy_target)."""
        raise NotImplementedError

    def _drop_edges(self, *, resolutions: bool) -> None:
        """Forget the answers built on lazy tables (a module file changed), and when
        `resolutions`, those built on resolutions too (a folder changed)."""
        self._name_targets.clear()
        if resolutions:
            self._plans.clear()
            self._sources.clear()

    def _scoped(self, module: str, importing_file: Path) -> tuple[Resolution, bool]:
        """`resolve(module, importing_file)`, and whether it is the same from every file."""
        shared = self.resolver.shared_resolution(module)
        if shared is not None:
            return shared, True
        return self.resolver.resolve(module, importing_file), False

    def name_target(self, package: str, name: str, importing_file: Path) -> NameTarget | None:
        """What `from package import name` runs besides `package`, if anything: the
        submodule `package.name`, else the module `package`'s lazy table names for `name`
        (when it resolves to a file or folder)."""
        return self.scoped_name_target(package, name, importing_file)[0]

    def scoped_name_target(
        self, package: str, name: str, importing_file: Path
    ) -> tuple[NameTarget | None, bool]:
        """`name_target`, and whether its answer is the same from every folder."""
        with self._lock:
            shared = True
            known = self._name_targets.get((package, name, ""))
            if known is None:
                key = (package, name, os.path.dirname(str(importing_file)))
                known = self._name_targets.get(key)
                if known is None:
                    known, shared = self._name_target(package, name, importing_file)
                    self._name_targets[(package, name, "") if shared else key] = known
                else:
                    shared = False
            found, source = known
            if source is not None and self._read:
                self._read[-1].add(source)
            return found, shared

    def _name_target(
        self, package: str, name: str, importing_file: Path
    ) -> tuple[tuple[NameTarget | None, str | None], bool]:
        resolution, alike = self._scoped(package, importing_file)
        if self._no_submodule(resolution, name):
            # `package.name` resolves from everywhere exactly when `package` does.
            shared = alike
        else:
            sub, shared = self._scoped(f"{package}.{name}" if package else name, importing_file)
            if sub.status in _FOLLOWED and is_submodule_location(sub, name):
                return ((sub.module, sub, False), None), shared
            shared = shared and alike
        # `from celery import Task`, served lazily from celery.app.task.
        module, source = self._lazy_lookup(package, name, resolution)
        read = None if source is None else str(source)
        if module is None:
            return (None, read), shared
        found, known = self._scoped(module, importing_file)
        shared = shared and known
        if found.status in _FOLLOWED and found.location is not None:
            return ((module, found, True), read), shared
        return (None, read), shared

    def _no_submodule(self, package: Resolution, name: str) -> bool:
        """Whether `package.name` is surely no submodule, told without resolving it (most
        names of `from package import name` are classes and functions): `package` is a
        module file (the resolver takes `package.name` as that file, a submodule only
        when `name` is the file's own name), or a regular package whose folder lists
        nothing `name` could import."""
        location = package.location
        if package.status not in _FOLLOWED or location is None:
            return False
        stem, suffix = stem_and_suffix(location)
        if suffix in _MODULE_SUFFIXES:
            return name != stem and name != stem + suffix
        return (
            suffix == ""
            and self.resolver.package_init(location) is not None
            and not self.resolver.lists_entry(location, name)
        )

    def steps(self, module: str, resolution: Resolution, importing_file: Path) -> tuple[Step, ...]:
        """The files importing `module` (resolved as `resolution`) runs: its own first
        (the clearest chain), then its parent packages', each with its package folder
        (the importing file's own packages are already being imported: the caller skips
        them)."""
        plans = self._plans
        known = plans.get((module, ""))
        if known is None or known[0] is not resolution:
            key = (module, os.path.dirname(str(importing_file)))
            known = plans.get(key)
            if known is None or known[0] is not resolution:
                steps, shared = self._steps(module, resolution, importing_file)
                known = (resolution, steps)
                plans[(module, "") if shared else key] = known
        return known[1]

    def _steps(
        self, module: str, resolution: Resolution, importing_file: Path
    ) -> tuple[tuple[Step, ...], bool]:
        shared = self.resolver.shared_resolution(module) is resolution
        parts = module.split(".")
        count = len(parts)
        steps: list[Step] = []
        for index in (count, *range(1, count)):
            if index == count:
                name, found = module, resolution
            else:
                name = ".".join(parts[:index])
                found, alike = self._scoped(name, importing_file)
                shared = shared and alike
            location = found.location
            if found.status not in _FOLLOWED or location is None:
                continue
            known = self._sources.get(location)
            if known is None:
                # A package folder's prefix (to skip the importing file's own packages)
                # and the file that runs.
                prefix = str(location) + os.sep if stem_and_suffix(location)[1] == "" else ""
                known = self._sources[location] = (prefix, module_file(found, self.resolver))
            prefix, source = known
            if source is not None:
                steps.append((name, prefix, source))
        return tuple(steps), shared
