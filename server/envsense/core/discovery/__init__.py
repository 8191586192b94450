"""Environment discovery: every Python environment on the machine, found by reading files.

`discover(ctx)` lists them all; `identify(path, ctx)` types one path a user gave.
Neither starts an interpreter: versions come from pyvenv.cfg, conda-meta, headers
and folder names (see envsense.core.probe for the opt-in last resort).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from envsense.core.discovery import conda, fs, hatch, homebrew, pyenv, rules, system, uv, windows
from envsense.core.discovery.active import active_environment, active_prefixes
from envsense.core.discovery.chain import classify_executable, classify_prefix, is_base_kind
from envsense.core.discovery.context import DiscoveryContext
from envsense.core.discovery.global_dirs import global_prefixes
from envsense.core.discovery.scan import Scan
from envsense.core.discovery.workspace import workspace_prefixes
from envsense.core.environment import Environment, EnvKind

__all__ = ["DiscoveryContext", "active_environment", "discover", "identify"]

_log = logging.getLogger(__name__)
_T = TypeVar("_T")
# How far above a workspace folder an enclosing project (monorepo or uv workspace root) is
# looked for: packages/group/name is three levels.
_MAX_ENCLOSING = 4


def make_scan(ctx: DiscoveryContext) -> Scan:
    """The context plus every project root of its workspace folders (for tool hashes),
    and the projects enclosing each folder (a member opened alone still sees its root's env)."""
    # Imported here: core.projects reads folders through discovery.fs, so importing it at
    # the top made `import envsense.core.projects` on its own a circular import.
    from envsense.core.projects import find_projects

    roots: list[Path] = []
    for folder in ctx.workspace_folders:
        roots.append(folder)
        roots += [project.root for project in find_projects(folder)]
    markers: dict[Path, bool] = {}  # sibling workspace folders share their parents
    for folder in ctx.workspace_folders:
        roots += enclosing_projects(folder, ctx, markers)
    return Scan(ctx, tuple(dict.fromkeys(roots)))


def enclosing_projects(
    folder: Path, ctx: DiscoveryContext, known: dict[Path, bool] | None = None
) -> list[Path]:
    """Folders above `folder` holding project markers, nearest first, never home or above."""
    from envsense.core.projects import project_markers

    known = {} if known is None else known
    found: list[Path] = []
    current = folder
    for _ in range(_MAX_ENCLOSING):
        parent = current.parent
        if parent == current or parent == ctx.home or fs.is_within(ctx.home, parent):
            break
        if parent not in known:
            known[parent] = bool(project_markers(parent))
        if known[parent]:
            found.append(parent)
        current = parent
    return found


def discover(
    ctx: DiscoveryContext, *, allow_spawn: bool = False, trusted: bool = False
) -> list[Environment]:
    """Every environment found, deduplicated by canonical prefix (or executable), never raising.

    Order is stable: workspace environments first, then the active one, then each
    tool's locations, then Homebrew, Windows places and PATH. Only with
    `allow_spawn` is an interpreter whose version no file tells run (see
    envsense.core.probe); `trusted` says whether workspace interpreters may be.
    """
    found = _discover(ctx)
    if allow_spawn:
        # A project enclosing a workspace folder is part of the same checkout: just as
        # untrusted as the folder itself.
        roots = list(ctx.workspace_folders)
        for folder in ctx.workspace_folders:
            roots += enclosing_projects(folder, ctx)
        found = [_probed(env, ctx, trusted, tuple(roots)) for env in found]
    return found


def _probed(
    env: Environment, ctx: DiscoveryContext, trusted: bool, roots: tuple[Path, ...]
) -> Environment:
    """Fill in an unknown version by running the interpreter, where policy allows it."""
    if env.version is not None or not env.is_usable or env.executable is None:
        return env
    from envsense.core.probe import ProbeRefused, probe_interpreter

    try:
        result = probe_interpreter(env.executable, trusted=trusted, workspace_roots=roots)
    except ProbeRefused as refused:
        _log.info("not probing: %s", refused)
        return env
    return env if result is None else replace(env, version=result.version)


def _discover(ctx: DiscoveryContext) -> list[Environment]:
    try:
        scan = make_scan(ctx)
    except Exception:  # a bug must not cost the user every environment
        _log.exception("project scan failed; discovering without workspace projects")
        scan = Scan(ctx)
    found: dict[str, Environment] = {}
    prefix_sources: list[Callable[[Scan], Iterable[Path]]] = [
        workspace_prefixes,
        lambda s: active_prefixes(s.ctx),
        pyenv.find_pyenv_prefixes,
        conda.find_conda_prefixes,
        hatch.find_central_envs,
        rules.tool_prefixes,
        global_prefixes,
    ]
    for source in prefix_sources:
        for prefix in _guarded(source, scan):
            _add(found, _guarded_classify(prefix, scan), scan)
    env_sources: list[Callable[[Scan], Iterable[Environment]]] = [
        uv.find_managed_pythons,
        homebrew.find_homebrew,
    ]
    if ctx.is_windows:
        env_sources += [
            windows.find_registered_pythons,
            windows.find_default_installs,
            windows.find_store_pythons,
        ]
    for env_source in env_sources:
        for env in _guarded(env_source, scan):
            _add(found, env, scan)
    for folder in system.search_dirs(scan):
        for executable in system.python_executables(folder, ctx.platform):
            _add(found, _guarded_classify_executable(executable, scan), scan)
    return list(found.values())


def identify(path: Path, ctx: DiscoveryContext) -> Environment:
    """The environment of an interpreter path or env folder a user typed; errors as text.

    Never raises: a path that is no environment comes back with `error` set.
    """
    path = ctx.expand(str(path))
    try:
        scan = make_scan(ctx)
        if fs.is_dir(path):
            env = classify_prefix(path, scan)
            if env is None:
                return Environment(
                    kind=EnvKind.VENV,
                    prefix=path,
                    executable=None,
                    version=None,
                    error=f"not a Python environment: no pyvenv.cfg, conda-meta or python in {path}",
                )
            return env
        if fs.lexists(path):
            env = classify_executable(path, scan)
            if env is None:
                return _unusable(
                    path, f"{path} is a shim that picks another Python; choose that one"
                )
            if env.error is None and env.executable != path and fs.is_file(path):
                env = replace(env, executable=path)  # keep the exact interpreter the user chose
            return env
        return _unusable(path, f"no such file or folder: {path}")
    except Exception as exc:
        _log.exception("identifying %s failed", path)
        return _unusable(path, f"cannot read {path}: {exc}")


def _unusable(path: Path, error: str) -> Environment:
    return Environment(kind=EnvKind.SYSTEM, prefix=None, executable=path, version=None, error=error)


def _key(env: Environment, scan: Scan) -> str:
    if env.prefix is not None and not is_base_kind(env):
        return str(scan.realpath(env.prefix))
    if env.executable is not None:
        return str(scan.realpath(env.executable))
    return str(env.prefix or "")


def _add(found: dict[str, Environment], env: Environment | None, scan: Scan) -> None:
    if env is not None:
        found.setdefault(_key(env, scan), env)


def _guarded(source: Callable[[Scan], Iterable[_T]], scan: Scan) -> Iterator[_T]:
    """Run one source; a bug in it is logged and ends that source only."""
    try:
        yield from source(scan)
    except Exception:
        _log.exception("environment source %s failed", getattr(source, "__name__", source))


def _guarded_classify(prefix: Path, scan: Scan) -> Environment | None:
    try:
        return classify_prefix(prefix, scan)
    except Exception:
        _log.exception("identifying %s failed", prefix)
        return None


def _guarded_classify_executable(executable: Path, scan: Scan) -> Environment | None:
    try:
        return classify_executable(executable, scan)
    except Exception:
        _log.exception("identifying %s failed", executable)
        return None
