"""What an installer needs to know about the target environment, read from disk only.

No interpreter is started here: pip's presence, PEP 668 marks and site-packages folders
are all visible as files, and an untrusted workspace must never have its Python run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from envsense.core.environment import Environment, EnvKind
from envsense.core.environment.sitepackages import Layout, detect_layout


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
    def read(cls, env: Environment) -> InstallTarget | None:
        """None when the environment has no executable to install with."""
        if env.executable is None:
            return None
        prefix = env.prefix
        site = site_packages_dirs(env)
        virtual = env.kind.is_virtual or (prefix is not None and (prefix / "pyvenv.cfg").is_file())
        marker = None if virtual else externally_managed_marker(env)
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


def _layout(env: Environment) -> Layout | None:
    try:
        return detect_layout(env)
    except OSError:
        return None


def stdlib_dirs(env: Environment) -> tuple[Path, ...]:
    """The stdlib folder of the environment's base interpreter (where PEP 668 marks live)."""
    layout = _layout(env)
    return (layout.stdlib_dir,) if layout is not None and layout.stdlib_dir is not None else ()


def site_packages_dirs(env: Environment) -> tuple[Path, ...]:
    """The environment's own site-packages folders: where an install writes, so neither the
    user site nor a base interpreter's folders shared through include-system-site-packages."""
    layout = _layout(env)
    if layout is None:
        return ()
    prefix = layout.prefix
    return tuple(d for d in layout.site_dirs if prefix in d.parents)


def externally_managed_marker(env: Environment) -> Path | None:
    """PEP 668: an `EXTERNALLY-MANAGED` file in the stdlib folder of a base interpreter."""
    for folder in stdlib_dirs(env):
        marker = folder / "EXTERNALLY-MANAGED"
        if marker.is_file():
            return marker
    return None


def has_ensurepip(env: Environment) -> bool:
    """Whether a base interpreter ships `ensurepip` (Debian's python3 without -venv doesn't)."""
    return any((folder / "ensurepip").is_dir() for folder in stdlib_dirs(env))


def _has_pip(site_packages: Path) -> bool:
    if (site_packages / "pip" / "__init__.py").is_file():
        return True
    try:
        return any(site_packages.glob("pip-*.dist-info"))
    except OSError:
        return False


_GLOBAL_NAMES: dict[EnvKind, str] = {
    EnvKind.PYENV: "pyenv {version}",
    EnvKind.UV_PYTHON: "uv-managed Python {version}",
    EnvKind.HOMEBREW: "Homebrew Python {version}",
    EnvKind.SYSTEM: "system Python {version} ({executable})",
    EnvKind.WINDOWS_REGISTRY: "Python {version} ({executable})",
    EnvKind.WINDOWS_STORE: "Microsoft Store Python {version}",
    EnvKind.CONDA: "conda base environment (Python {version})",
}


def global_description(env: Environment, target: InstallTarget | None = None) -> str | None:
    """ "pyenv 3.13.0" for an interpreter shared by every project; None for a project's own.

    Global means a base interpreter (pyenv version, uv-managed, Homebrew, system, Windows
    registry/store) or conda's base environment; a named conda env or a pixi env belongs to
    its own project or purpose, and anything with a pyvenv.cfg is a virtual environment.
    """
    if env.kind.is_virtual or (target is not None and target.is_virtual):
        return None
    template = _GLOBAL_NAMES.get(env.kind)
    if template is None:
        return None
    if env.kind is EnvKind.CONDA and not _is_conda_base(env):
        return None
    version = str(env.version) if env.version else "(version unknown)"
    return template.format(version=version, executable=env.executable)


def _is_conda_base(env: Environment) -> bool:
    prefix = env.prefix
    if env.name == "base":
        return True
    return prefix is not None and ((prefix / "condabin").is_dir() or (prefix / "envs").is_dir())
