"""The inventory of one environment: what is installed and what its interpreter accepts.

Read from files only (os.scandir, METADATA headers, RECORD heads): no importlib.metadata
and no subprocess, so reading a 150-distribution environment costs milliseconds.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from envsense.core.environment import Environment
from envsense.core.environment.distinfo import (
    Distribution,
    read_dist_info,
    read_egg_info,
    read_egg_link,
)
from envsense.core.environment.editables import finder_mappings
from envsense.core.environment.sitepackages import (
    Layout,
    detect_layout,
    extension_suffixes,
    marker_environment,
    pth_directories,
)
from envsense.core.environment.stdlib import stdlib_modules, stdlib_modules_from_disk
from envsense.core.versions import PythonVersion

__all__ = ["Distribution", "Inventory", "read_inventory"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, eq=False)
class Inventory:
    """Everything about an environment that import resolution and checks need."""

    environment: Environment
    version: PythonVersion
    # sys.path order: site dirs, each followed by the folders its .pth files add.
    site_packages: tuple[Path, ...]
    editable_mapping: Mapping[str, Path]
    distributions: tuple[Distribution, ...]
    stdlib_modules: frozenset[str]
    extension_suffixes: tuple[str, ...]
    externally_managed: bool
    layout: Layout
    _by_name: dict[str, Distribution] = field(init=False, repr=False)
    _by_module: dict[str, tuple[Distribution, ...]] = field(init=False, repr=False)
    _by_stub: dict[str, tuple[Distribution, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_module: dict[str, list[Distribution]] = {}
        by_stub: dict[str, list[Distribution]] = {}
        for dist in self.distributions:
            for module in dist.top_level:
                by_module.setdefault(module, []).append(dist)
            for module in dist.stubs:
                by_stub.setdefault(module, []).append(dist)
        object.__setattr__(self, "_by_name", {d.canonical_name: d for d in self.distributions})
        object.__setattr__(self, "_by_module", {k: tuple(v) for k, v in by_module.items()})
        object.__setattr__(self, "_by_stub", {k: tuple(v) for k, v in by_stub.items()})

    @property
    def platform(self) -> str:
        """sys.platform of the target interpreter ("linux", "darwin", "win32")."""
        return self.layout.platform

    def distribution(self, name: str) -> Distribution | None:
        """The installed distribution called `name` (any spelling: PyYAML, pyyaml, py_yaml)."""
        return self._by_name.get(canonicalize_name(name))

    def providers(self, top_level_module: str) -> tuple[Distribution, ...]:
        """Distributions that install runtime code under this top-level name."""
        return self._by_module.get(top_level_module.partition(".")[0], ())

    def stub_providers(self, top_level_module: str) -> tuple[Distribution, ...]:
        """Distributions that install only `<name>-stubs` for this top-level name."""
        return self._by_stub.get(top_level_module.partition(".")[0], ())

    def marker_environment(self) -> dict[str, str]:
        """PEP 508 marker variables of the target interpreter (not the server's)."""
        return marker_environment(self.layout, self.extension_suffixes)

    def state_key(self) -> str:
        """A cheap fingerprint of the site dirs; it changes when anything is (un)installed."""
        parts = []
        for path in (*self.layout.site_dirs, self.layout.prefix / "pyvenv.cfg"):
            try:
                parts.append(f"{os.stat(path).st_mtime_ns:x}")
            except OSError:
                parts.append("-")
        return ":".join(parts)


def _version_key(version: str) -> Version:
    try:
        return Version(version)
    except InvalidVersion:
        return Version("0")


def _read_site_dir(site_dir: Path) -> list[Distribution]:
    found: list[Distribution] = []
    try:
        with os.scandir(site_dir) as entries:
            names = sorted(entry.name for entry in entries)
    except OSError as exc:
        log.warning("cannot list %s: %s", site_dir, exc)
        return found
    for name in names:
        dist: Distribution | None = None
        try:
            if name.endswith(".dist-info"):
                dist = read_dist_info(site_dir / name)
            elif name.endswith(".egg-info"):
                dist = read_egg_info(site_dir / name)
            elif name.endswith(".egg-link"):
                dist = read_egg_link(site_dir / name)
        except (OSError, ValueError, UnicodeError) as exc:
            log.warning("skipping %s: %s", site_dir / name, exc)
            continue
        if dist is not None:
            found.append(dist)
    return found


def _dedupe(dists: list[Distribution]) -> tuple[Distribution, ...]:
    """One record per project: the first site dir wins, like importlib.metadata.

    Two versions in the SAME folder is a broken install (an interrupted upgrade); the
    newer one is usually what the files on disk belong to.
    """
    chosen: dict[str, Distribution] = {}
    for dist in dists:
        seen = chosen.get(dist.canonical_name)
        if seen is None:
            chosen[dist.canonical_name] = dist
            continue
        log.info("%s is installed twice (%s and %s)", dist.name, seen.dist_info, dist.dist_info)
        if seen.location == dist.location and _version_key(dist.version) > _version_key(
            seen.version
        ):
            chosen[dist.canonical_name] = dist
    return tuple(chosen.values())


def read_inventory(env: Environment) -> Inventory:
    """Read the inventory of `env` from its files. Raises OSError only when there is no prefix."""
    layout = detect_layout(env)
    search: list[Path] = []
    dists: list[Distribution] = []
    mapping: dict[str, Path] = {}
    for site_dir in layout.site_dirs:
        search.append(site_dir)
        for extra in pth_directories(site_dir):
            if extra not in search:
                search.append(extra)
        dists += _read_site_dir(site_dir)
        for module, path in finder_mappings(site_dir).items():
            mapping.setdefault(module, path)
    stdlib: frozenset[str] | None = None
    if layout.stdlib_dir is not None:
        stdlib = stdlib_modules_from_disk(layout.stdlib_dir, layout.version)
    if stdlib is None:
        stdlib = stdlib_modules(layout.version)
    managed = (
        not layout.is_venv
        and layout.stdlib_dir is not None
        and (layout.stdlib_dir / "EXTERNALLY-MANAGED").is_file()
    )
    return Inventory(
        environment=env,
        version=layout.version,
        site_packages=tuple(search),
        editable_mapping=mapping,
        distributions=_dedupe(dists),
        stdlib_modules=stdlib,
        extension_suffixes=extension_suffixes(layout),
        externally_managed=managed,
        layout=layout,
    )
