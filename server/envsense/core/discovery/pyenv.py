"""pyenv and pyenv-virtualenv: `$PYENV_ROOT/versions/*`, never the shims."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from envsense.core.discovery import fs, ondisk
from envsense.core.discovery.conda import is_conda_env
from envsense.core.discovery.layout import prefix_interpreter
from envsense.core.discovery.pyvenv import has_pyvenv_cfg
from envsense.core.discovery.scan import Scan, Tie, ToolPick
from envsense.core.discovery.virtual import build_virtual
from envsense.core.environment import Environment, EnvKind


def pyenv_root(scan: Scan) -> Path:
    ctx = scan.ctx
    explicit = ctx.env_path("PYENV_ROOT")
    if explicit is not None:
        return explicit
    if ctx.is_windows:
        return ctx.env_path("PYENV") or ctx.home / ".pyenv" / "pyenv-win"
    return ctx.home / ".pyenv"


def find_pyenv_prefixes(scan: Scan) -> Iterator[Path]:
    """Each installed version and each pyenv-virtualenv env (versions/X/envs/NAME)."""
    for version in fs.subdirs(pyenv_root(scan) / "versions"):
        yield version
        yield from fs.subdirs(version / "envs")


def pyenv_kind(prefix: Path, scan: Scan) -> EnvKind | None:
    """PYENV for an install, PYENV_VIRTUALENV for a venv; conda installs go to conda."""
    versions = scan.once(pyenv_root) / "versions"
    direct = prefix.parent == versions
    nested = prefix.parent.name == "envs" and prefix.parent.parent.parent == versions
    if not (direct or nested) or is_conda_env(prefix):
        return None
    if nested or has_pyvenv_cfg(prefix):
        return EnvKind.PYENV_VIRTUALENV
    return EnvKind.PYENV


def pyenv_environment(prefix: Path, kind: EnvKind, scan: Scan) -> Environment:
    if kind is EnvKind.PYENV_VIRTUALENV:
        return build_virtual(prefix, scan, Tie(kind, name=prefix.name))
    interpreter = prefix_interpreter(prefix, scan.ctx.platform, root_too=scan.ctx.is_windows)
    version = (
        ondisk.from_install(prefix)
        or ondisk.from_folder_name(prefix.name)
        or ondisk.from_lib_dir(prefix)
    )
    return Environment(
        kind=kind,
        prefix=prefix,
        executable=interpreter.executable,
        version=version,
        name=prefix.name,
        error=interpreter.error,
    )


def is_shim_dir(folder: Path) -> bool:
    """pyenv, asdf and mise shims are scripts that pick a Python; never list or run them."""
    return folder.name == "shims" or "shims" in folder.parts


def version_file_names(path: Path) -> list[str]:
    """The version names in a `.python-version`/`version` file (comments and blanks dropped)."""
    text = fs.read_text(path)
    if not text:
        return []
    names: list[str] = []
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        names += line.split()
    return names


def local_version_file(start: Path, scan: Scan) -> Path | None:
    """The nearest `.python-version` at or above `start` (pyenv's and uv's search)."""
    folder = start
    while True:
        candidate = folder / ".python-version"
        if fs.is_file(candidate):
            return candidate
        if folder.parent == folder:
            return None
        folder = folder.parent


def resolve_version(name: str, scan: Scan) -> Path | None:
    """The `versions/` folder pyenv uses for a version name: exact, else the newest `3.12.*`."""
    if name == "system" or not name:
        return None
    versions = scan.once(pyenv_root) / "versions"
    exact = versions / name
    if fs.is_dir(exact):
        return exact
    matching = []
    for entry in fs.subdirs(versions):
        if entry.name.startswith(name + "."):
            version = ondisk.from_folder_name(entry.name)
            if version is not None:
                matching.append((version, entry))
    return max(matching)[1] if matching else None


def pyenv_picks(project_root: Path, scan: Scan) -> tuple[list[ToolPick], ToolPick | None]:
    """([the shell or local pick], the global pick): the version pyenv would run here.

    `PYENV_VERSION` (pyenv shell), else `.python-version` up the tree (pyenv local),
    else `$PYENV_ROOT/version` (pyenv global). A name may be an install (`3.12.1`,
    `3.12`) or a pyenv-virtualenv env (`p4-venv`). Names that resolve to nothing
    installed are skipped, as pyenv skips them in a multi-name file.
    """
    ctx = scan.ctx
    picks: list[ToolPick] = []
    shell = ctx.env("PYENV_VERSION")
    if shell is not None:
        for name in shell.replace(":", " ").split():
            found = resolve_version(name, scan)
            if found is not None:
                picks.append(ToolPick(found, f"pyenv shell {name} (PYENV_VERSION)"))
        return picks, None
    local = local_version_file(project_root, scan)
    if local is not None:
        for name in version_file_names(local):
            found = resolve_version(name, scan)
            if found is not None:
                picks.append(ToolPick(found, f"pyenv local {name} (.python-version)"))
        if picks:
            return picks, None
    root = scan.once(pyenv_root)
    for name in version_file_names(root / "version"):
        found = resolve_version(name, scan)
        if found is not None:
            return picks, ToolPick(found, f"pyenv global {name} ({root / 'version'})")
    return picks, None
