"""One folder's entries, classified for import look-ups (read with one os.scandir)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

SOURCE_SUFFIXES = (".py", ".pyc")
NATIVE_EXTS = (".so", ".pyd")


@dataclass(slots=True)
class ImportListing:
    """What a folder offers `import`: packages, modules, stubs and extension modules."""

    dirs: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)  # stems of .py / .pyc files
    stubs: set[str] = field(default_factory=set)  # stems of .pyi files
    natives: dict[str, list[str]] = field(default_factory=dict)  # stem -> [".cpython-312-x.so"]
    init_py: bool = False  # an `__init__.py` file (what runs when the package is imported)


def read_import_listing(folder: str) -> ImportListing | None:
    """The folder's entries classified, None when it can't be listed."""
    listing = ImportListing()
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                _classify(listing, entry)
    except OSError:
        return None
    return listing


def _classify(listing: ImportListing, entry: os.DirEntry[str]) -> None:
    name = entry.name
    stem, dot, rest = name.partition(".")
    if not dot:
        # Package folders, and `foo-stubs` folders (a dash: never importable).
        try:
            if entry.is_dir():
                listing.dirs.add(name)
        except OSError:
            pass
        return
    suffix = "." + rest
    if suffix in SOURCE_SUFFIXES:
        listing.sources.add(stem)
        if name == "__init__.py":
            try:
                listing.init_py = entry.is_file()
            except OSError:
                pass
    elif suffix == ".pyi":
        listing.stubs.add(stem)
    elif suffix.endswith(NATIVE_EXTS):
        listing.natives.setdefault(stem, []).append(suffix)
