"""Plans that make an environment match its lock file, or bring the lock up to date.

Each goes through the project's own tool (`uv sync --frozen`, `poetry sync`, `pdm sync`,
`pipenv sync`, `uv pip sync` for pylock.toml and pinned requirements, pip `--no-deps -r`
without uv) and returns the same InstallPlan the installer queue and runner take, so
progress, cancel, one-install-per-environment and rollback work as for any install.
Planning is pure: it reads files and PATH and runs nothing.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from envsense.core.environment import Environment
from envsense.core.install.plan import (
    Command,
    IndexOptions,
    InstallerSetting,
    InstallPlan,
    Refusal,
    Rollback,
)
from envsense.core.install.requirement_options import source_options
from envsense.core.install.target import InstallTarget
from envsense.core.locks.project_config import pdm_sources
from envsense.core.locks.records import LockFile

SyncAction = Literal["sync", "lock"]
Which = Callable[[str], "str | None"]

_QUIET_ENV: tuple[tuple[str, str], ...] = (
    ("PIP_DISABLE_PIP_VERSION_CHECK", "1"),
    ("PIP_NO_INPUT", "1"),
    ("NO_COLOR", "1"),
    ("PYTHONIOENCODING", "utf-8"),
    ("PIPENV_VERBOSITY", "-1"),
    ("PIPENV_YES", "1"),
)
_MANAGER = {"uv": "uv", "poetry": "poetry", "pdm": "pdm", "pipfile": "pipenv"}
MAX_SOURCES_SHOWN = 10


@dataclass(frozen=True, slots=True)
class SyncRequest:
    """Sync `environment` with `lock` (or, with action "lock", update the lock itself)."""

    environment: Environment
    lock: LockFile
    project_root: Path
    action: SyncAction = "sync"
    installer_setting: InstallerSetting = "auto"
    uv_path: Path | None = None
    trusted: bool = False
    index: IndexOptions = field(default_factory=IndexOptions)


def sync_title(environment: Environment, lock: LockFile, action: SyncAction) -> str:
    """The action's title, the same in the quick fix and the progress report."""
    if action == "lock":
        return f"Update {lock.path.name} ({update_command(lock)})"
    return f"Sync {environment.display_name} with {lock.path.name}"


def update_command(lock: LockFile) -> str:
    return f"{_MANAGER.get(lock.format, lock.tool)} lock"


def can_update(lock: LockFile) -> bool:
    return lock.format in _MANAGER


def plan_sync(request: SyncRequest, *, which: Which = shutil.which) -> InstallPlan | Refusal:
    """The commands that sync the environment with the lock; nothing is executed here."""
    env = request.environment
    lock = request.lock
    if not request.trusted:
        return Refusal("workspace is not trusted: envsense runs no installer for it")
    if lock.problem is not None:
        return Refusal(lock.problem.message)
    if env.error is not None:
        return Refusal(f"{env.label} can't be used: {env.error}")
    target = InstallTarget.read(env)
    if target is None:
        return Refusal(f"{env.label} has no Python executable to install with")
    uv = _find_uv(request, which)
    title = sync_title(env, lock, request.action)
    if request.action == "lock":
        return _update_plan(request, title, uv, which)
    if lock.format in _MANAGER:
        if not target.is_virtual or target.prefix is None:
            return Refusal(
                f"{env.label} is not a virtual environment: {_MANAGER[lock.format]} syncs only "
                "virtual environments (it would remove what else is installed)",
                suggest_create_venv=True,
            )
        plan = _manager_plan(request, target, title, uv, which)
    else:
        if target.externally_managed is not None:
            return Refusal(
                f"{env.label} is marked EXTERNALLY-MANAGED (PEP 668): sync a virtual "
                "environment instead",
                suggest_create_venv=True,
            )
        plan = _file_plan(request, target, title, uv)
    if isinstance(plan, Refusal):
        return plan
    sources = lock_sources(lock)
    if lock.format == "pdm":
        sources += [f"index {url}" for url in pdm_sources(lock.path.parent)
                    if not url.startswith("https://")]  # fmt: skip
    if sources:
        shown = sources[:MAX_SOURCES_SHOWN]
        if len(sources) > MAX_SOURCES_SHOWN:
            shown.append(f"... and {len(sources) - MAX_SOURCES_SHOWN} more")
        text = f"{lock.path.name} installs packages from:\n" + "\n".join(f"  {s}" for s in shown)
        plan = _confirming(plan, text)
    return plan


def _find_uv(request: SyncRequest, which: Which) -> str | None:
    if request.installer_setting == "pip":
        return None
    if request.uv_path is not None:
        return str(request.uv_path) if request.uv_path.is_file() else None
    return which("uv")


def _confirming(plan: InstallPlan, text: str) -> InstallPlan:
    return InstallPlan(
        title=plan.title,
        environment_key=plan.environment_key,
        installer=plan.installer,
        steps=plan.steps,
        requirements=plan.requirements,
        needs_confirmation=True,
        confirmation_text=text,
        rollback=plan.rollback,
    )


def _manager_env(lock: LockFile, target: InstallTarget) -> tuple[tuple[str, str], ...]:
    """Point the manager at the environment envsense selected, not one it would pick."""
    assert target.prefix is not None
    if lock.format == "uv":
        return (*_QUIET_ENV, ("UV_PROJECT_ENVIRONMENT", str(target.prefix)))
    env = (*_QUIET_ENV, ("VIRTUAL_ENV", str(target.prefix)))
    if lock.format == "pdm":
        # pdm prefers the interpreter saved in .pdm-python over an active venv.
        env += (("PDM_PYTHON", str(target.executable)),)
    return env


def _manager_plan(
    request: SyncRequest, target: InstallTarget, title: str, uv: str | None, which: Which
) -> InstallPlan | Refusal:
    lock = request.lock
    tool = _MANAGER[lock.format]
    exe = uv if tool == "uv" else which(tool)
    if exe is None:
        return Refusal(f"{lock.path.name} is synced with {tool}, which was not found on PATH")
    argv: tuple[str, ...]
    if tool == "uv":
        argv = (exe, "sync", "--frozen")
        if request.index.offline:
            argv += ("--offline",)
    elif tool == "poetry":
        major = poetry_major(exe, lock)
        argv = (exe, "sync") if major >= 2 else (exe, "install", "--sync")
        argv += ("--no-interaction",)
    elif tool == "pdm":
        argv = (exe, "sync")
    else:
        argv = (exe, "sync")
    # Run where the manager finds the project (a uv workspace member syncs itself).
    cwd = request.project_root if tool == "uv" else lock.path.parent
    command = Command(argv, f"{tool}: sync with {lock.path.name}", cwd, _manager_env(lock, target))
    return InstallPlan(
        title=title,
        environment_key=request.environment.key,
        installer=tool,
        steps=(command,),
        rollback=_rollback(target, uv),
    )


def _file_plan(
    request: SyncRequest, target: InstallTarget, title: str, uv: str | None
) -> InstallPlan | Refusal:
    """pylock.toml and pinned requirements: `uv pip sync`, else pip `--no-deps -r`."""
    lock = request.lock
    exe = str(target.executable)
    index = request.index
    cwd = lock.path.parent
    if request.installer_setting == "uv" and uv is None:
        return Refusal("the installer setting is 'uv' but uv was not found on PATH")
    links: list[str] = []
    for link in index.find_links:
        links += ["--find-links", link]
    if uv is not None:
        args = [*links]
        if index.no_index:
            args.append("--no-index")
        if index.offline:
            args.append("--offline")
        argv = (uv, "pip", "sync", "--python", exe, *args, str(lock.path))
        steps = (Command(argv, f"uv: sync with {lock.path.name}", cwd, _QUIET_ENV),)
        installer = "uv"
    else:
        if lock.format == "pylock":
            return Refusal(
                f"installing from {lock.path.name} needs uv (pip can't read PEP 751 locks yet)"
            )
        if not target.has_pip:
            return Refusal(f"{request.environment.label} has no pip and uv was not found on PATH")
        if index.no_index or index.offline:
            links.append("--no-index")
        argv = (exe, "-I", "-m", "pip", "install", "--no-deps", *links, "-r", str(lock.path))
        steps = (Command(argv, f"pip: install {lock.path.name}", cwd, _QUIET_ENV),)
        installer = "pip"
    return InstallPlan(
        title=title,
        environment_key=request.environment.key,
        installer=installer,
        steps=steps,
        rollback=_rollback(target, uv),
    )


def _update_plan(
    request: SyncRequest, title: str, uv: str | None, which: Which
) -> InstallPlan | Refusal:
    lock = request.lock
    tool = _MANAGER.get(lock.format)
    if tool is None:
        return Refusal(f"{lock.path.name} is not written by a project manager envsense can run")
    exe = uv if tool == "uv" else which(tool)
    if exe is None:
        return Refusal(f"{lock.path.name} is written by {tool}, which was not found on PATH")
    argv: tuple[str, ...] = (exe, "lock")
    if tool == "uv" and request.index.offline:
        argv += ("--offline",)
    if tool == "poetry":
        argv += (
            ("--no-interaction",)
            if poetry_major(exe, lock) >= 2
            else ("--no-update", "--no-interaction")
        )
    cwd = request.project_root if tool == "uv" else lock.path.parent
    command = Command(argv, f"{tool}: update {lock.path.name}", cwd, _QUIET_ENV)
    # Keyed by the lock, not the environment: updating it installs nothing.
    return InstallPlan(title=title, environment_key=f"lock:{lock.path}", installer=tool,
                       steps=(command,))  # fmt: skip


def _rollback(target: InstallTarget, uv: str | None) -> Rollback | None:
    if not target.site_packages:
        return None
    exe = str(target.executable)
    if uv is not None:
        return Rollback(target.site_packages, (uv, "pip", "uninstall", "--python", exe))
    return Rollback(target.site_packages, (exe, "-I", "-m", "pip", "uninstall", "-y"))


def poetry_major(exe: str, lock: LockFile) -> int:
    """poetry's major version from its own install (a venv next to the executable), else
    from the lock's header; poetry 2 renamed `install --sync` to `sync`."""
    try:
        prefix = Path(os.path.realpath(exe)).parent.parent
        for info in sorted(prefix.glob("lib/python*/site-packages/poetry-[0-9]*.dist-info")):
            version = info.name[len("poetry-") : -len(".dist-info")]
            return int(version.split(".")[0])
    except (OSError, ValueError):
        pass
    if lock.tool_version:
        try:
            return int(lock.tool_version.split(".")[0])
        except ValueError:
            pass
    return 2


def lock_sources(lock: LockFile) -> list[str]:
    """Where the lock sends the installer besides one HTTPS package index: other indexes,
    direct URLs, git repositories and paths outside the project. These need the user's
    confirmation, like index options in a requirements file."""
    if lock.format == "requirements":
        return [o.describe() for o in source_options(lock.path, roots=(lock.path.parent,))]
    found: dict[str, None] = {}
    registries: dict[str, None] = {}
    for url in lock.indexes:
        registries[url] = None
    for package in lock.packages:
        source = package.source
        if source is None or source.location is None:
            continue
        location = source.location
        if source.kind == "registry":
            if lock.format == "pipfile" and not _looks_like_url(location):
                continue  # Pipfile.lock names its index; _meta.sources holds the URL
            registries[location] = None
        elif source.kind in ("editable", "virtual", "directory", "path"):
            if _outside_project(location):
                found[f"{package.name}: {location}"] = None
        else:
            found[f"{package.name}: {location}"] = None
    https = [r for r in registries if r.startswith("https://")]
    other = [r for r in registries if not r.startswith("https://")]
    listed = [*other, *(https if len(https) > 1 else [])]
    return [f"index {r}" for r in listed] + list(found)


def _looks_like_url(text: str) -> bool:
    return "://" in text


def _outside_project(location: str) -> bool:
    if "://" in location:
        return True  # a file:// or remote URL is never the project's own folder
    path = Path(location)
    return path.is_absolute() or ".." in path.parts
