"""Which folders share an import's answer (its finding before the import's own guards).

Every file of a folder gets the same answer: resolution, relative names and chains depend
on the folder, not the file. Most imports need less. One that resolves alike from every
file (the stdlib, the search path proper) depends on the folder only through the
package folders its chain may skip (the importing file's own packages, already being
imported): installed code from a folder outside installed code skips none, so one answer
serves every such folder; the project's own code is answered once per set of its package
folders holding the importing one (homeassistant's 1,254 integration folders all import
`homeassistant.core` from outside its package folders).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from envsense.core.checks.guard_eval import suffix_of
from envsense.core.environment.resolver import Resolution, ResolutionStatus, Resolver
from envsense.core.imports.refs import ImportRef

if TYPE_CHECKING:
    from envsense.core.checks.import_chain import ImportOutcomes

_FOLLOWED = (ResolutionStatus.PROJECT, ResolutionStatus.INSTALLED)


def same_from_every_folder(module: str, resolver: Resolver) -> bool:
    """Whether an absolute import's answer is the same in every folder outside installed
    code: it resolves alike from everywhere, it is not the project's own code (see
    `package_folders_holding`), and installed code it runs lies in installed folders
    (not wherever an editable finder maps it)."""
    shared = resolver.shared_resolution(module)
    if shared is None or shared.status is ResolutionStatus.PROJECT:
        return False
    if shared.status is ResolutionStatus.INSTALLED:
        return not resolver.uses_editable_finder(module.partition(".")[0])
    return True


class PackageFolders:
    """Per import as written, the package folders its chains may skip, worked out once
    (for one state of resolutions and lazy tables: the caller keeps it no longer)."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str, tuple[str, ...]], tuple[str, ...] | None] = {}
        # Per module: its own and its parents' package folders (None: one resolves from
        # a folder only). Imports of different names from one module share them.
        self._modules: dict[str, tuple[str, ...] | None] = {}

    def holding(
        self,
        ref: ImportRef,
        path: Path,
        folder: str,
        resolver: Resolver,
        outcomes: ImportOutcomes,
    ) -> tuple[bool, ...] | None:
        """For an absolute import of the project's own code from `path` in `folder`
        (outside installed code): which package folders its chains may skip hold
        `folder`, the one way the folder matters when every module involved resolves
        alike from everywhere. None: something resolves from the folder itself (only its
        own answer holds)."""
        if ref.level or not folder:
            return None
        key = (ref.module, ref.kind, ref.names)
        try:
            prefixes = self._known[key]
        except KeyError:
            prefixes = self._known[key] = self._package_folders(ref, path, resolver, outcomes)
        if prefixes is None:
            return None
        inside = folder + os.sep
        return tuple([inside.startswith(prefix) for prefix in prefixes])

    def _package_folders(
        self, ref: ImportRef, path: Path, resolver: Resolver, outcomes: ImportOutcomes
    ) -> tuple[str, ...] | None:
        """The package folders (with a trailing separator, each once) of the modules
        `check_chain` follows for `ref`: the module, the names of a `from` import that are
        submodules or that a lazy-import table names, and the parent packages of each (a
        module file is never skipped). None unless all of them resolve alike from
        everywhere."""
        module = ref.module
        shared = resolver.shared_resolution(module)
        if shared is None or shared.status is not ResolutionStatus.PROJECT:
            return None
        targets = [module]
        if ref.kind == "from":
            for name in ref.names:
                found, alike = outcomes.scoped_name_target(module, name, path)
                if not alike:
                    return None
                if found is not None:
                    targets.append(found[0])
        prefixes: dict[str, None] = {}
        for target in targets:
            try:
                known = self._modules[target]
            except KeyError:
                known = self._modules[target] = _module_folders(target, resolver)
            if known is None:
                return None
            prefixes.update(dict.fromkeys(known))
        return tuple(prefixes)


def _module_folders(module: str, resolver: Resolver) -> tuple[str, ...] | None:
    """The package folders of `module` and its parents, None unless each resolves alike
    from everywhere."""
    parts = module.split(".")
    prefixes: list[str] = []
    for index in range(1, len(parts) + 1):
        found = resolver.shared_resolution(".".join(parts[:index]))
        if found is None:
            return None
        if _is_package_folder(found):
            prefixes.append(f"{found.location}{os.sep}")
    return tuple(prefixes)


def _is_package_folder(resolution: Resolution) -> bool:
    location = resolution.location
    return resolution.status in _FOLLOWED and location is not None and suffix_of(location) == ""
