"""The order the import scanner (check_prefetch.py) reads files in: the modules a file's
import chains will follow, found by name the way the scanner can tell without the
session's resolver (the project's files by their dotted names, site-packages by path)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from envsense.core.imports.extract import ImportScan


class FollowedModules:
    """In the scanner: which file a module name is, as far as the scanner can tell."""

    def __init__(self, files: Sequence[Path], roots: Sequence[str], site: Sequence[str]):
        self.site = [folder.rstrip(os.sep) for folder in site]
        # Dotted name -> path, for the walk's files under one of the roots.
        self.project: dict[str, str] = {}
        prefixes = [root.rstrip(os.sep) + os.sep for root in roots]
        for path in map(str, files):
            if not path.endswith((".py", ".pyi")):
                continue
            for prefix in prefixes:
                if path.startswith(prefix):
                    name = _dotted(path[len(prefix) :])
                    if name:
                        self.project.setdefault(name, path)
                    break
        # Path -> its dotted name, for relative imports.
        self.names = {path: name for name, path in self.project.items()}
        self.installed: dict[str, str | None] = {}

    def find(self, module: str) -> tuple[str | None, bool]:
        """The file of `module` and whether it is installed (not the project's)."""
        path = self.project.get(module)
        if path is not None:
            return path, False
        if module in self.installed:
            return self.installed[module], True
        found = None
        parts = module.split(".")
        for folder in self.site:
            base = os.path.join(folder, *parts)
            for candidate in (os.path.join(base, "__init__.py"), base + ".py"):
                if os.path.isfile(candidate):
                    found = candidate
                    break
            if found is not None:
                self.names[found] = module
                break
        self.installed[module] = found
        return found, True

    def followed(self, scan: ImportScan, path: str, depth: int) -> list[tuple[str, int]]:
        """Files a module's chains may read next, with their depth: what always runs at
        module level (as ImportOutcomes._always_runs says) and what its guards probe, with
        the packages above each (the chain walk decides what is read of it)."""
        own = self.names.get(path)
        package = os.path.basename(path) in ("__init__.py", "__init__.pyi")
        found: list[tuple[str, int]] = []
        for ref in scan.imports:
            if ref.in_function or ref.type_checking or ref.main_block:
                continue
            if ref.guarded or ref.conditional:
                continue
            named = [(ref.module, ref.level, ref.names)]
            named += [(p.module, p.level, p.names) for g in ref.guards for p in g.probes]
            for module, level, names in named:
                absolute = _absolute(module, level, own, package)
                if absolute:
                    found += self._files_of(absolute, names, depth)
        return found

    def _files_of(self, module: str, names: tuple[str, ...], depth: int) -> list[tuple[str, int]]:
        parts = module.split(".")
        candidates = [".".join(parts[: n + 1]) for n in range(len(parts))]
        candidates += [f"{module}.{name}" for name in names]
        found = []
        for candidate in candidates:
            target, installed = self.find(candidate)
            if target is not None:
                # The project is followed to the end, installed code MAX_DEPTH deep.
                found.append((target, depth + 1 if installed or depth else 0))
        return found


def _absolute(module: str, level: int, own: str | None, package: bool) -> str | None:
    """`module` imported `level` dots up from the module named `own`."""
    if not level:
        return module
    if own is None:
        return None
    base = own.split(".") if package else own.split(".")[:-1]
    if level - 1 > len(base):
        return None
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def _dotted(relative: str) -> str:
    parts = relative.rsplit(".", 1)[0].split(os.sep)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)
