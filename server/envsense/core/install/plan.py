"""Turn "install these packages / this project into that environment" into argument lists.

Planning is pure: it reads files and PATH, never runs anything. The plan either says
exactly which commands will run (and whether the user must confirm first), or refuses
with a reason. See docs/security.md for what runs when and why.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from envsense.core.environment import Environment
from envsense.core.findings import NameSource
from envsense.core.install.confirmation import config_confirmation_lines, confirmation_lines
from envsense.core.install.installer_config import (
    uv_project_settings,
    uv_user_settings,
)
from envsense.core.install.requirement_safety import (
    CheckedRequirement,
    RejectedRequirement,
    check_requirement,
)
from envsense.core.install.target import InstallTarget, global_description
from envsense.core.project_manager import (
    Manager,
    ProjectLayout,
    read_project_layout,
)

InstallerSetting = Literal["auto", "uv", "pip"]
Which = Callable[[str], "str | None"]

# Quiet, non-interactive, uncoloured output: every line goes to a log, nobody can answer a prompt.
_QUIET_ENV: tuple[tuple[str, str], ...] = (
    ("PIP_DISABLE_PIP_VERSION_CHECK", "1"),
    ("PIP_NO_INPUT", "1"),
    ("PIP_PROGRESS_BAR", "off"),
    ("NO_COLOR", "1"),
    ("PYTHONIOENCODING", "utf-8"),
)
_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True, slots=True)
class PackageRequest:
    """One requirement to install and how its distribution name was learnt."""

    requirement: str
    name_source: NameSource = "declared"
    # The import name that led here (for messages about guessed names).
    module: str | None = None
    # Direct URL references pass only when they come from a manifest the user wrote.
    allow_url: bool = False


@dataclass(frozen=True, slots=True)
class IndexOptions:
    """Offline/local-index settings, passed on to whichever installer runs."""

    find_links: tuple[str, ...] = ()
    no_index: bool = False
    offline: bool = False

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> IndexOptions:
        """Read PIP_FIND_LINKS/UV_FIND_LINKS, PIP_NO_INDEX/UV_NO_INDEX and UV_OFFLINE."""
        links: list[str] = []
        for key in ("PIP_FIND_LINKS", "UV_FIND_LINKS"):
            for item in environ.get(key, "").replace(",", " ").split():
                if item not in links:
                    links.append(item)
        no_index = any(environ.get(k, "").lower() in _TRUE for k in ("PIP_NO_INDEX", "UV_NO_INDEX"))
        offline = environ.get("UV_OFFLINE", "").lower() in _TRUE
        return cls(tuple(links), no_index, offline)


@dataclass(frozen=True, slots=True)
class InstallRequest:
    """What the user asked for. `trusted` is the workspace's trust; it defaults to no."""

    environment: Environment
    packages: tuple[PackageRequest, ...] = ()
    project_root: Path | None = None
    requirement_files: tuple[Path, ...] = ()
    # Install the project's own dependencies (manager sync, `-e .`, or its requirements).
    install_project: bool = False
    # Also declare `packages` through the project's manager (`uv add`, `poetry add`, ...).
    add_to_project: bool = False
    installer_setting: InstallerSetting = "auto"
    uv_path: Path | None = None
    trusted: bool = False
    index: IndexOptions = field(default_factory=IndexOptions)
    # The environment the installer inherits (None: this process's): read for config files.
    environ: Mapping[str, str] | None = None
    # The folders the user works in (workspace folders): a requirements file that installs
    # local code from elsewhere is shown. Empty: the project root stands in for them.
    workspace_roots: tuple[Path, ...] = ()

    @property
    def env_vars(self) -> Mapping[str, str]:
        return os.environ if self.environ is None else self.environ


@dataclass(frozen=True, slots=True)
class Command:
    """One subprocess: an argument list (never a shell line), its folder and extra env vars."""

    argv: tuple[str, ...]
    description: str
    cwd: Path | None = None
    env: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Rollback:
    """How to put the environment back as it was when an install fails or is cancelled."""

    site_packages: tuple[Path, ...]
    # Uninstall argument list; the canonical names of the leftovers are appended.
    uninstall: tuple[str, ...]
    # Install argument lists (tried in order) for `name==version` of what was there before:
    # from the cache / local links first, then with the install's own index options.
    reinstall: tuple[tuple[str, ...], ...] = ()
    # What must still exist afterwards for the environment to count as there at all.
    prefix: Path | None = None
    executable: Path | None = None
    # A virtual environment's own bin/ (Scripts on Windows): new files there are undone too.
    scripts: Path | None = None


@dataclass(frozen=True, slots=True)
class InstallPlan:
    """Commands to run in order, in one environment, plus what the user must confirm."""

    title: str
    environment_key: str
    installer: str
    steps: tuple[Command, ...]
    requirements: tuple[str, ...] = ()
    needs_confirmation: bool = False
    confirmation_text: str | None = None
    rollback: Rollback | None = None
    # Set when the target is a global interpreter shared by every project ("pyenv 3.13.0"):
    # the confirmation then offers to create a .venv instead.
    global_environment: str | None = None


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why nothing will run; `suggest_create_venv` offers "Create .venv" instead."""

    reason: str
    suggest_create_venv: bool = False


def plan_install(request: InstallRequest, *, which: Which = shutil.which) -> InstallPlan | Refusal:
    """Validate the request and build the commands; nothing is executed here."""
    env = request.environment
    if not request.trusted:
        return Refusal("workspace is not trusted: envsense runs no installer for it")
    if env.error is not None:
        return Refusal(f"{env.label} can't be used: {env.error}")
    target = InstallTarget.read(env)
    if target is None:
        return Refusal(f"{env.label} has no Python executable to install with")
    if target.externally_managed is not None:
        return Refusal(
            f"{env.label} is marked EXTERNALLY-MANAGED (PEP 668, {target.externally_managed}): "
            "install into a virtual environment instead, e.g. create a .venv for the project",
            suggest_create_venv=True,
        )
    plan = plan_install_into(request, target, which=which)
    shared = global_description(env, target)
    if isinstance(plan, Refusal) or shared is None:
        return plan
    # Issue #10: nothing installs into a global interpreter without the user naming it so.
    warning = (
        f"This installs into your global {shared}, shared by every project. Create a .venv instead?"
    )
    text = "\n".join([warning, *([plan.confirmation_text] if plan.confirmation_text else [])])
    return replace(plan, needs_confirmation=True, confirmation_text=text, global_environment=shared)


def plan_install_into(
    request: InstallRequest, target: InstallTarget, *, which: Which = shutil.which
) -> InstallPlan | Refusal:
    """Plan against known target facts (used directly for an environment not created yet)."""
    checked: list[CheckedRequirement] = []
    rejected: list[RejectedRequirement] = []
    for package in request.packages:
        result = check_requirement(package.requirement, allow_url=package.allow_url)
        if isinstance(result, CheckedRequirement):
            checked.append(result)
        else:
            rejected.append(result)
    if rejected:
        reasons = "; ".join(f"{r.text!r} {r.reason}" for r in rejected)
        return Refusal(f"refused to install: {reasons}")

    layout = read_project_layout(request.project_root) if request.project_root else None
    uv = _find_uv(request, which)
    if request.installer_setting == "uv" and uv is None:
        return Refusal("the installer setting is 'uv' but uv was not found on PATH")
    if request.installer_setting == "pip":
        uv = None

    steps = _manager_steps(request, target, layout, checked, which)
    direct: list[str] = []
    installer = steps[0].argv[0] if steps else ""
    if steps:
        installer = Path(installer).name
    else:
        project_args = _project_args(request, layout)
        if isinstance(project_args, Refusal):
            return project_args
        files = list(request.requirement_files) + project_args.files
        reqs = [c.text for c in checked] + project_args.requirements
        direct = [r for r in project_args.requirements if "@" in r or "://" in r]
        if not reqs and not files and not project_args.editable:
            return Refusal("nothing to install")
        installer, steps = _plain_steps(request, target, uv, reqs, files, project_args.editable)

    confirm = confirmation_lines(
        request, checked, list(request.requirement_files) + _files_of(steps)
    )
    confirm += config_confirmation_lines(request, target, installer)
    if direct:
        confirm.append("pyproject.toml dependencies download from a URL:")
        confirm += [f"  {text}" for text in direct]
    names = ", ".join(c.name for c in checked) or "project requirements"
    return InstallPlan(
        title=f"Install {names} into {request.environment.label}",
        environment_key=request.environment.key,
        installer=installer,
        steps=tuple(steps),
        requirements=tuple(c.text for c in checked),
        needs_confirmation=bool(confirm),
        confirmation_text="\n".join(confirm) if confirm else None,
        rollback=_rollback(request, target, installer, uv),
    )


def _find_uv(request: InstallRequest, which: Which) -> str | None:
    if request.uv_path is not None:
        return str(request.uv_path) if request.uv_path.is_file() else None
    return which("uv")


def _manager_steps(
    request: InstallRequest,
    target: InstallTarget,
    layout: ProjectLayout | None,
    checked: list[CheckedRequirement],
    which: Which,
) -> list[Command]:
    """Commands through the project's own manager, or [] to fall back to the plain installer."""
    if layout is None or layout.manager is None or request.requirement_files:
        return []
    if not (request.install_project or (request.add_to_project and checked)):
        return []
    exe = which(layout.manager.value)
    if exe is None:
        return []
    reqs = tuple(c.text for c in checked) if request.add_to_project else ()
    env = _manager_env(layout.manager, target)
    argv = _manager_argv(layout.manager, exe, reqs, request.index)
    verb = "add " + " ".join(reqs) if reqs else "install the project"
    return [Command(argv, f"{layout.manager.value}: {verb}", layout.root, env)]


def _manager_argv(
    manager: Manager, exe: str, reqs: tuple[str, ...], index: IndexOptions
) -> tuple[str, ...]:
    if manager is Manager.UV:
        extra = ("--offline",) if index.offline else ()
        return (exe, "add", *extra, *reqs) if reqs else (exe, "sync", *extra)
    if manager is Manager.POETRY:
        return (exe, "add", *reqs) if reqs else (exe, "install")
    if manager is Manager.PDM:
        return (exe, "add", *reqs) if reqs else (exe, "install")
    return (exe, "install", *reqs)


def _manager_env(manager: Manager, target: InstallTarget) -> tuple[tuple[str, str], ...]:
    """Point the manager at our environment rather than one it would pick itself."""
    env = list(_QUIET_ENV)
    if target.prefix is not None and target.is_virtual:
        if manager is Manager.UV:
            env.append(("UV_PROJECT_ENVIRONMENT", str(target.prefix)))
        else:
            # poetry, pdm and pipenv all use an activated virtual environment.
            env.append(("VIRTUAL_ENV", str(target.prefix)))
    return tuple(env)


@dataclass(frozen=True, slots=True)
class _ProjectArgs:
    requirements: list[str]
    files: list[Path]
    editable: Path | None


def _project_args(request: InstallRequest, layout: ProjectLayout | None) -> _ProjectArgs | Refusal:
    """What "install the project" means without a manager (documented in docs/security.md)."""
    if not request.install_project or layout is None:
        return _ProjectArgs([], [], None)
    if layout.buildable:
        return _ProjectArgs([], [], layout.root)
    if layout.dependencies is not None:
        reqs: list[str] = []
        for text in layout.dependencies:
            result = check_requirement(text, allow_url=True)
            if isinstance(result, RejectedRequirement):
                return Refusal(f"pyproject.toml dependency {result.text!r} {result.reason}")
            reqs.append(result.text)
        return _ProjectArgs(reqs, [], None)
    if request.requirement_files:
        return _ProjectArgs([], [], None)
    plain = layout.root / "requirements.txt"
    if plain.is_file():
        return _ProjectArgs([], [plain], None)
    return Refusal(
        f"{layout.root} declares no dependencies (no [project] table, no requirements.txt)"
    )


def _plain_steps(
    request: InstallRequest,
    target: InstallTarget,
    uv: str | None,
    reqs: list[str],
    files: list[Path],
    editable: Path | None,
) -> tuple[str, list[Command]]:
    exe = str(target.executable)
    sources: list[str] = []
    for path in files:
        sources += ["-r", str(path.absolute())]
    if editable is not None:
        sources += ["-e", str(editable.absolute())]
    cwd = _cwd(request, files)
    what = ", ".join(reqs) or "project requirements"
    if uv is not None:
        argv = (uv, "pip", "install", *_uv_common(request, exe, cwd), *reqs, *sources)
        return "uv", [Command(argv, f"uv: install {what}", cwd, _QUIET_ENV)]
    index_args = _pip_index_args(request)
    steps: list[Command] = []
    if not target.has_pip:
        steps.append(
            Command(
                (exe, "-I", "-m", "ensurepip", "--default-pip"),
                "ensurepip: bootstrap pip",
                cwd,
                _QUIET_ENV,
            )
        )
    # -I: a workspace folder named pip/ (or a pip.py) in cwd must not shadow the real pip.
    argv = (exe, "-I", "-m", "pip", "install", *index_args, *reqs, *sources)
    steps.append(Command(argv, f"pip: install {what}", cwd, _QUIET_ENV))
    return "pip", steps


def _cwd(request: InstallRequest, files: list[Path]) -> Path | None:
    return request.project_root or (files[0].parent if files else None)


def _uv_common(request: InstallRequest, exe: str, cwd: Path | None) -> list[str]:
    """`--no-config --python <exe>` and every index flag envsense decided to pass.

    --no-config: a uv.toml or [tool.uv] in the project (or above it) must not redirect the
    install unseen. Their index settings are passed explicitly instead, after the user
    confirmed them (confirmation.config_confirmation_lines); the user's uv.toml as it is.
    """
    args = ["--no-config", "--python", exe]
    project = uv_project_settings(cwd) if cwd is not None else ()
    # As uv merges them: a project setting replaces the user's setting of the same key.
    overridden = {setting.key for setting in project}
    for setting in uv_user_settings(request.env_vars):
        if setting.key not in overridden:
            args += setting.args
    for setting in project:
        args += setting.args
    index = request.index
    for link in index.find_links:
        args += ["--find-links", link]
    if index.no_index:
        args.append("--no-index")
    if index.offline:
        args.append("--offline")
    return args


def _pip_index_args(request: InstallRequest) -> list[str]:
    index = request.index
    args: list[str] = []
    for link in index.find_links:
        args += ["--find-links", link]
    if index.no_index or index.offline:
        args.append("--no-index")
    return args


def _files_of(steps: list[Command]) -> list[Path]:
    files: list[Path] = []
    for step in steps:
        args = step.argv
        files += [Path(args[i + 1]) for i, a in enumerate(args[:-1]) if a == "-r"]
    return files


def _rollback(
    request: InstallRequest, target: InstallTarget, installer: str, uv: str | None
) -> Rollback | None:
    if not target.site_packages:
        return None
    exe = str(target.executable)
    if installer == "uv" and uv is not None:
        common = _uv_common(request, exe, request.project_root)
        reinstall: tuple[tuple[str, ...], ...] = (
            (uv, "pip", "install", "--no-deps", *_offline(common)),
            (uv, "pip", "install", "--no-deps", *common),
        )
        uninstall: tuple[str, ...] = (uv, "pip", "uninstall", "--python", exe)
    else:
        pip = (exe, "-I", "-m", "pip", "install", "--no-deps", *_pip_index_args(request))
        reinstall = (pip,)
        uninstall = (exe, "-I", "-m", "pip", "uninstall", "-y")
        if uv is not None:
            # The user confirmed pip's sources, not the project's uv settings: leave them out.
            uv_common = _uv_common(request, exe, None)
            reinstall = ((uv, "pip", "install", "--no-deps", *_offline(uv_common)), pip)
    scripts = target.executable.parent if target.is_virtual else None
    return Rollback(
        target.site_packages, uninstall, reinstall, target.prefix, target.executable, scripts
    )


def _offline(args: list[str]) -> list[str]:
    return args if "--offline" in args else [*args, "--offline"]
