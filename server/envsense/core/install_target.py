"""What an installer needs to know about the target environment, read from disk only.

No interpreter is started here: pip's presence, PEP 668 marks and site-packages folders
are all visible as files, and an untrusted workspace must never have its Python run.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from envsense.core.environment import Environment


@dataclass(frozen=True, slots=True)
class InstallTarget:
    """The on-disk facts about one environment that decide how to install into it."""

    executable: Path
    prefix: Path | None
    site_packages: tuple[Path, ...]
    has_pip: bool
    is_virtual: bool
    externally_managed: Path | None  # the EXTERNALLY-MANAGED file, when present

    @classmethod
    def read(cls, env: Environment, platform: str = sys.platform) -> InstallTarget | None:
        """None when the environment has no executable to install with."""
        if env.executable is None:
            return None
        prefix = env.prefix
        site = site_packages_dirs(env, platform)
        virtual = env.kind.is_virtual or (prefix is not None and (prefix / "pyvenv.cfg").is_file())
        marker = None if virtual else externally_managed_marker(env, platform)
        return cls(
            executable=env.executable,
            prefix=prefix,
            site_packages=site,
            has_pip=any(_has_pip(folder) for folder in site),
            is_virtual=virtual,
            externally_managed=marker,
        )

    def dist_info_dirs(self) -> frozenset[Path]:
        """Every `*.dist-info` folder in site-packages now (for before/after comparisons)."""
        found: set[Path] = set()
        for folder in self.site_packages:
            try:
                found.update(p for p in folder.iterdir() if p.name.endswith(".dist-info"))
            except OSError:
                continue
        return frozenset(found)


def stdlib_dirs(env: Environment, platform: str = sys.platform) -> tuple[Path, ...]:
    """Candidate stdlib folders of a (non-virtual) environment's prefix."""
    if env.prefix is None:
        return ()
    if platform == "win32":
        return (env.prefix / "Lib",)
    lib = env.prefix / "lib"
    if env.version is not None:
        short = env.version.short
        return (lib / f"python{short}", lib / f"python{short}t")
    try:
        return tuple(sorted(p for p in lib.glob("python3*") if p.is_dir()))
    except OSError:
        return ()


def site_packages_dirs(env: Environment, platform: str = sys.platform) -> tuple[Path, ...]:
    """Existing site-packages folders of the environment (purelib and, if separate, platlib)."""
    if env.prefix is None:
        return ()
    if platform == "win32":
        candidates = [env.prefix / "Lib" / "site-packages"]
    else:
        candidates = [
            base / "site-packages" for base in stdlib_dirs(env, platform) + _lib64(env, platform)
        ]
    seen: list[Path] = []
    for candidate in candidates:
        try:
            if candidate.is_dir() and candidate.resolve() not in {s.resolve() for s in seen}:
                seen.append(candidate)
        except OSError:
            continue
    return tuple(seen)


def _lib64(env: Environment, platform: str) -> tuple[Path, ...]:
    if env.prefix is None or env.version is None:
        return ()
    return (env.prefix / "lib64" / f"python{env.version.short}",)


def externally_managed_marker(env: Environment, platform: str = sys.platform) -> Path | None:
    """PEP 668: an `EXTERNALLY-MANAGED` file in the stdlib folder of a base interpreter."""
    for folder in stdlib_dirs(env, platform):
        marker = folder / "EXTERNALLY-MANAGED"
        if marker.is_file():
            return marker
    return None


def has_ensurepip(env: Environment, platform: str = sys.platform) -> bool:
    """Whether a base interpreter ships `ensurepip` (Debian's python3 without -venv doesn't)."""
    return any((folder / "ensurepip").is_dir() for folder in stdlib_dirs(env, platform))


def _has_pip(site_packages: Path) -> bool:
    if (site_packages / "pip" / "__init__.py").is_file():
        return True
    try:
        return any(site_packages.glob("pip-*.dist-info"))
    except OSError:
        return False
