"""Would `import x.y.z` work in this environment, and if not, why not.

The search mirrors CPython's path-based import: in each folder a regular package wins,
then a module (compiled ones only when the target interpreter accepts their suffix),
then a namespace portion; portions from several folders (several distributions) merge.
Every folder is listed once (one os.scandir) and kept while its mtime holds, so
resolving tens of thousands of imports costs dictionary look-ups; once a second at most
the listed folders are looked at again, and results are recomputed when one changed (a
module file created while the server runs).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from packaging.utils import canonicalize_name

from envsense.core import folder_memo
from envsense.core.environment.import_listing import (
    NATIVE_EXTS,
    ImportListing,
    read_import_listing,
)
from envsense.core.environment.inventory import Distribution, Inventory
from envsense.core.environment.modulemap import curated_entry
from envsense.core.environment.stdlib import (
    StdlibChange,
    added_module,
    removed_module,
    stdlib_modules,
)
from envsense.core.versions import PythonVersion

# Origin of names found through a setuptools editable finder's MAPPING (not a folder).
_EDITABLE_ORIGIN = Path("<editable finder>")


class ResolutionStatus(str, Enum):
    """Why an import works or fails; the checks turn each into a finding (or none)."""

    STDLIB = "stdlib"
    INSTALLED = "installed"
    PROJECT = "project"
    STUB_ONLY = "stub-only"
    INCOMPATIBLE_EXTENSION = "incompatible-extension"
    STDLIB_REMOVED = "stdlib-removed"
    STDLIB_NOT_YET = "stdlib-not-yet"
    MISSING = "missing"

    def __str__(self) -> str:
        return self.value

    @property
    def ok(self) -> bool:
        return self in (
            ResolutionStatus.STDLIB,
            ResolutionStatus.INSTALLED,
            ResolutionStatus.PROJECT,
        )


@dataclass(frozen=True, slots=True)
class Resolution:
    """The outcome for one absolute module name."""

    module: str
    status: ResolutionStatus
    distributions: tuple[Distribution, ...] = ()
    location: Path | None = None
    change: StdlibChange | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status.ok


@dataclass(frozen=True, slots=True)
class _Hit:
    """One place a name was found: a package folder, a module file or a namespace portion."""

    kind: str  # "package" | "module" | "namespace"
    path: Path
    origin: Path  # the sys.path-level entry the top-level name was found under


def _tag_of(suffix: str) -> str:
    """.cpython-39-x86_64-linux-gnu.so -> cpython-39-x86_64-linux-gnu."""
    inner = suffix.strip(".")
    for ext in NATIVE_EXTS:
        if inner.endswith(ext):
            inner = inner[: -len(ext)]
    return inner.strip(".") or suffix


class Resolver:
    """Resolves absolute module names against one environment and one project."""

    def __init__(
        self,
        inventory: Inventory | None,
        project_roots: Sequence[Path],
        extra_paths: Sequence[Path] = (),
        *,
        version: PythonVersion | None = None,
    ) -> None:
        self.inventory = inventory
        self.project_roots = tuple(project_roots)
        if inventory is not None:
            self.version = inventory.version
            self.stdlib = inventory.stdlib_modules
            self.suffixes = inventory.extension_suffixes
            self._site = tuple(inventory.site_packages)
        else:
            self.version = version or PythonVersion(sys.version_info.major, sys.version_info.minor)
            self.stdlib = stdlib_modules(self.version)
            self.suffixes = ()
            self._site = ()
        project: list[Path] = []
        for root in self.project_roots:
            project.append(root)
            if (root / "src").is_dir():
                project.append(root / "src")
        project += list(extra_paths)
        self._project = tuple(project)
        # The search path proper: the project's folders, then site-packages and .pth dirs.
        self._path = tuple((p, p) for p in (*self._project, *self._site))
        self._installed_origins = frozenset((*self._site, _EDITABLE_ORIGIN)) - set(self._project)
        self._installed_prefixes = tuple(
            str(p) + os.sep for p in self._installed_origins if p != _EDITABLE_ORIGIN
        )
        self._inside_installed: dict[str, bool] = {}
        self._listings: folder_memo.FolderMemo[ImportListing | None] = folder_memo.FolderMemo(
            read_import_listing
        )
        self._listings_version = 0
        # Moves whenever results were forgotten: caches built on resolutions follow it.
        self.generation = 0
        self._swept = time.monotonic()
        self._results: dict[tuple[str, str], Resolution] = {}
        self._on_path: dict[str, tuple[Resolution | None, tuple[Path, ...]]] = {}
        self._chains: dict[str, tuple[Path, ...]] = {}
        self._inits: dict[str, Path | None] = {}
        # A top-level name's hits on sys.path proper, and each descent step's (see _descend).
        self._tops: dict[str, tuple[list[_Hit], tuple[Path, ...]]] = {}
        self._steps: dict[tuple[str, str], tuple[list[_Hit], list[Path]]] = {}

    # -- folder listings -------------------------------------------------------------

    def _listing(self, folder: Path | str) -> ImportListing | None:
        return self._listings.get(str(folder))

    def has_init_py(self, folder: Path | str) -> bool:
        """Whether `folder/__init__.py` is a file (read from the folder's listing)."""
        listing = self._listing(folder)
        return listing is not None and listing.init_py

    def lists_entry(self, folder: Path, name: str) -> bool:
        """Whether `folder`'s listing has an entry `import` could take for `name` (a
        folder, a source or an extension module; True when it can't be listed). Without
        one, `package.name` for the regular package in `folder` resolves to nothing, which
        is cheaper to tell here than by resolving it."""
        listing = self._listing(folder)
        return (
            listing is None
            or name in listing.dirs
            or name in listing.sources
            or name in listing.natives
        )

    def package_init(self, folder: Path) -> Path | None:
        """`folder/__init__.py` when it is a file, else None (kept like the listings)."""
        key = str(folder)
        if key in self._inits:
            return self._inits[key]
        listing = self._listing(key)
        found = folder / "__init__.py" if listing is not None and listing.init_py else None
        self._inits[key] = found
        return found

    @property
    def listings_version(self) -> int:
        """Moves when a folder listed again gave another listing (the generation follows
        at the next revalidation)."""
        return self._listings.version

    def revalidate(self) -> None:
        """What `resolve` does first: look at the listed folders again, at most once a
        second (for callers that keep answers built on resolutions without resolving)."""
        if time.monotonic() - self._swept >= folder_memo.REVALIDATE_SECONDS:
            self._revalidate()

    def _revalidate(self) -> None:
        """At most once a second: forget results if a folder they were read from changed."""
        now = time.monotonic()
        if now - self._swept < folder_memo.REVALIDATE_SECONDS:
            return
        self._swept = now
        self._listings.sweep()
        version = self._listings.version
        if version != self._listings_version:
            self._listings_version = version
            self.generation += 1
            self._results.clear()
            self._on_path.clear()
            self._chains.clear()
            self._inits.clear()
            self._tops.clear()
            self._steps.clear()

    def _accepts(self, suffix: str) -> bool:
        # Without an inventory we know nothing of the interpreter: accept every build.
        return not self.suffixes or suffix in self.suffixes

    def _find_in(self, folder: Path, name: str, origin: Path, rejected: list[Path]) -> _Hit | None:
        listing = self._listing(folder)
        if listing is None:
            return None
        if name in listing.dirs:
            # The Path is made for a hit only: most folders searched are not it.
            inner = self._listing(os.path.join(folder, name))
            if inner is not None and (
                "__init__" in inner.sources
                or any(self._accepts(s) for s in inner.natives.get("__init__", ()))
            ):
                return _Hit("package", folder / name, origin)
        natives = listing.natives.get(name, ())
        for suffix in natives:
            if self._accepts(suffix):
                return _Hit("module", folder / (name + suffix), origin)
        if name in listing.sources:
            return _Hit("module", folder / f"{name}.py", origin)
        rejected.extend(folder / (name + suffix) for suffix in natives)
        if name in listing.dirs:
            return _Hit("namespace", folder / name, origin)
        return None

    def _search(
        self, entries: Sequence[tuple[Path, Path]], name: str, rejected: list[Path]
    ) -> list[_Hit]:
        """The first package/module in the (folder, origin) entries, else every namespace
        portion: like CPython, a portion only counts when no regular one exists anywhere."""
        portions: list[_Hit] = []
        for entry, origin in entries:
            hit = self._find_in(entry, name, origin, rejected)
            if hit is None:
                continue
            if hit.kind != "namespace":
                return [hit]
            portions.append(hit)
        return portions

    # -- resolution ------------------------------------------------------------------

    def _chain(self, importing_file: Path | None) -> tuple[Path, ...]:
        """The folder Python puts on sys.path for the importing file, when not a source root.

        A script run directly has its own folder there. A module of a package never has
        its own folder (`eventlet.py` importing `eventlet` does not find itself): only the
        folder its top-level package sits in, the first folder upward without
        `__init__.py`, which is where `python -m` or pytest run it from.
        """
        if importing_file is None:
            return ()
        folder = importing_file.parent
        while self.has_init_py(folder) and folder.parent != folder:
            folder = folder.parent
        return () if folder in self._project else (folder,)

    def resolve(self, module: str, importing_file: Path | None = None) -> Resolution:
        """Resolve an absolute dotted name (the caller has already made relative imports absolute)."""
        if time.monotonic() - self._swept >= folder_memo.REVALIDATE_SECONDS:
            self._revalidate()
        # Most names resolve the same from every file; only names found nowhere else
        # depend on the importing file's own sys.path entry, the last place searched.
        resolution, rejected = self._on_path_entry(module)
        if resolution is not None:
            return resolution
        folder = "" if importing_file is None else os.path.dirname(str(importing_file))
        key = (module, folder)
        cached = self._results.get(key)
        if cached is None:
            seen = (self.generation, self._listings.version)
            chain = self._chains.get(folder)
            if chain is None:
                chain = self._chain(importing_file)
                self._chains[folder] = chain
            cached = self._resolve_in_chain(module, chain, list(rejected))
            if (self.generation, self._listings.version) == seen:
                self._results[key] = cached
        return cached

    def shared_resolution(self, module: str) -> Resolution | None:
        """`resolve(module, f)` when it is the same for every importing file `f` (found in
        the stdlib or on the search path proper), else None (it depends on `f`'s folder)."""
        if time.monotonic() - self._swept >= folder_memo.REVALIDATE_SECONDS:
            self._revalidate()
        return self._on_path_entry(module)[0]

    def uses_editable_finder(self, top: str) -> bool:
        """Whether the top-level name may come from an editable finder's mapping (found
        anywhere on disk, not in a folder of the search path)."""
        return self.inventory is not None and top in self.inventory.editable_mapping

    def inside_installed_folder(self, folder: str) -> bool:
        """Whether `folder` is (or is below) a folder installed code is found in."""
        known = self._inside_installed.get(folder)
        if known is None:
            probe = folder + os.sep
            known = self._inside_installed[folder] = probe.startswith(self._installed_prefixes)
        return known

    def _on_path_entry(self, module: str) -> tuple[Resolution | None, tuple[Path, ...]]:
        # A result worked out while another thread saw a folder change is not kept.
        on_path = self._on_path.get(module)
        if on_path is None:
            seen = (self.generation, self._listings.version)
            on_path = self._resolve_on_path(module)
            if (self.generation, self._listings.version) == seen:
                self._on_path[module] = on_path
        return on_path

    def _resolve_on_path(self, module: str) -> tuple[Resolution | None, tuple[Path, ...]]:
        """The result from the stdlib, project, site-packages and editables, or None."""
        parts = module.split(".")
        top = parts[0]
        if top in self.stdlib or top == "__future__":
            return Resolution(module, ResolutionStatus.STDLIB), ()
        if top == "distutils" and self._distutils_shim():
            owners = self._providers("_distutils_hack")
            detail = "provided by setuptools' distutils shim (distutils-precedence.pth)"
            return Resolution(module, ResolutionStatus.INSTALLED, owners, detail=detail), ()
        found = self._tops.get(top)
        if found is None:
            rejected: list[Path] = []
            hits = self._search(self._path, top, rejected)
            if not hits:
                editable = self._editable_hit(top)
                hits = [editable] if editable is not None else []
            found = self._tops[top] = (hits, tuple(rejected))
        if found[0]:
            return self._descend(module, parts, found[0], ""), ()
        return None, found[1]

    def _resolve_in_chain(
        self, module: str, chain: tuple[Path, ...], rejected: list[Path]
    ) -> Resolution:
        parts = module.split(".")
        hits = self._search([(p, p) for p in chain], parts[0], rejected)
        if hits:
            return self._descend(module, parts, hits, "\0".join(map(str, chain)))
        return self._not_found(module, rejected)

    def _editable_hit(self, top: str) -> _Hit | None:
        if self.inventory is None:
            return None
        target = self.inventory.editable_mapping.get(top)
        if target is None:
            return None
        try:
            if target.is_dir():
                return _Hit("package", target, _EDITABLE_ORIGIN)
            if target.is_file():
                return _Hit("module", target, _EDITABLE_ORIGIN)
        except OSError:
            pass
        return None

    def _descend(self, module: str, parts: list[str], hits: list[_Hit], scope: str) -> Resolution:
        """Down from the top-level name's hits; each step's search is kept per dotted
        prefix and `scope` (the search path: "" for sys.path proper, else the importing
        file's folder), since `pkg.mod.A`, `pkg.mod.B`, ... all search `pkg` for `mod`."""
        # Found in the project's folders (or beside the importing file): the project's
        # own code; anywhere else (site-packages, .pth dirs, editable finders): installed.
        installed = hits[0].origin in self._installed_origins
        status = ResolutionStatus.INSTALLED if installed else ResolutionStatus.PROJECT
        owners = self._providers(module) if installed else ()
        for index, part in enumerate(parts[1:], start=1):
            if hits[0].kind == "module":
                # Attribute-style submodules (six.moves, os.path) are created at run time:
                # a file cannot be checked further, so accept it.
                break
            key = (scope, ".".join(parts[: index + 1]))
            step = self._steps.get(key)
            if step is None:
                inner: list[Path] = []
                step = (self._search([(h.path, h.origin) for h in hits], part, inner), inner)
                self._steps[key] = step
            found, inner_rejected = step
            if not found:
                parent = ".".join(parts[:index])
                if inner_rejected:
                    return self._incompatible(module, inner_rejected, owners)
                return Resolution(
                    module,
                    ResolutionStatus.MISSING,
                    owners,
                    hits[0].path,
                    detail=f"{parent} is found at {hits[0].path}, but it has no {part}",
                )
            hits = found
        return Resolution(module, status, owners, hits[0].path)

    def _providers(self, module: str) -> tuple[Distribution, ...]:
        if self.inventory is None:
            return ()
        providers = self.inventory.providers(module)
        if len(providers) < 2 or "." not in module:
            return providers
        # A namespace shared by several distributions: name the owner of the dotted path,
        # from the curated table, else by name (acme.one -> acme-one, jaraco.text).
        entry = curated_entry(module)
        wanted = {canonicalize_name(d) for d in entry.distributions} if entry else set()
        parts = module.split(".")
        wanted |= {canonicalize_name(".".join(parts[:k])) for k in range(2, len(parts) + 1)}
        narrowed = tuple(d for d in providers if d.canonical_name in wanted)
        return narrowed or providers

    def _incompatible(
        self, module: str, rejected: list[Path], owners: tuple[Distribution, ...]
    ) -> Resolution:
        found = rejected[0]
        suffix = found.name[found.name.index(".") :]
        accepted = ", ".join(self.suffixes)
        return Resolution(
            module,
            ResolutionStatus.INCOMPATIBLE_EXTENSION,
            owners or self._providers(module),
            found,
            detail=f"built for {_tag_of(suffix)}, this environment takes {accepted}",
        )

    def _not_found(self, module: str, rejected: list[Path]) -> Resolution:
        removed = removed_module(module, self.version)
        if removed is not None:
            return Resolution(
                module,
                ResolutionStatus.STDLIB_REMOVED,
                change=removed,
                detail=f"removed from the standard library in Python {removed.removed_label}",
            )
        added = added_module(module, self.version)
        if added is not None:
            return Resolution(
                module,
                ResolutionStatus.STDLIB_NOT_YET,
                change=added,
                detail=f"in the standard library only from Python {added.added_label}",
            )
        if rejected:
            return self._incompatible(module, rejected, ())
        stubs = self._stub_location(module.partition(".")[0])
        if stubs is not None:
            owners = self.inventory.stub_providers(module) if self.inventory else ()
            return Resolution(
                module,
                ResolutionStatus.STUB_ONLY,
                owners,
                stubs,
                detail="only type stubs are installed; the runtime package is missing",
            )
        return Resolution(module, ResolutionStatus.MISSING)

    def _stub_location(self, top: str) -> Path | None:
        for entry in self._site:
            listing = self._listing(entry)
            if listing is None:
                continue
            if f"{top}-stubs" in listing.dirs:
                return entry / f"{top}-stubs"
            if top in listing.stubs:
                return entry / f"{top}.pyi"
        return None

    def _distutils_shim(self) -> bool:
        """setuptools' .pth hook that makes `import distutils` work on 3.12+."""
        if self.inventory is None:
            return False
        for site in self.inventory.layout.site_dirs:
            listing = self._listing(site)
            if listing is None or "_distutils_hack" not in listing.dirs:
                continue
            if (site / "distutils-precedence.pth").is_file():
                return True
        return False
