"""Create a project's `.venv` from a base interpreter and install the project into it.

`plan_create_env` decides everything up front (folder, creator, install commands, what
the user must confirm); `create_env` runs it and leaves either a working environment or
the project as it was: a failed or cancelled creation removes the half-made folder and,
in "recreate" mode, puts the previous environment back.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from envsense.core.environment import Environment, EnvKind, bin_dir_name
from envsense.core.install.plan import (
    Command,
    IndexOptions,
    InstallerSetting,
    InstallPlan,
    InstallRequest,
    PackageRequest,
    Refusal,
    Which,
    plan_install_into,
)
from envsense.core.install.runner import InstallResult, OnLine, run_command, run_plan
from envsense.core.install.target import InstallTarget, has_ensurepip
from envsense.core.project_manager import Manager, read_project_layout
from envsense.core.toml_compat import TOMLDecodeError, load_toml

log = logging.getLogger(__name__)

CreateMode = Literal["new", "recreate"]
InstallWhat = Literal["nothing", "project", "requirements"]
# What uv and VS Code put there too: the environment never ends up in version control.
GITIGNORE_TEXT = "*\n"


@dataclass(frozen=True, slots=True)
class CreateContents:
    """What goes into the new environment: nothing, the project (with these extras and
    dependency groups, through its manager when `use_manager`), or requirements files."""

    what: InstallWhat = "project"
    extras: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    requirement_files: tuple[Path, ...] = ()
    # Requirements of the chosen dependency groups, for installers without --group.
    group_requirements: tuple[str, ...] = ()
    # Requirements of the chosen extras, for a project that can't be built (`-e .[x]`).
    extra_requirements: tuple[str, ...] = ()
    use_manager: bool = True


@dataclass(frozen=True, slots=True)
class EnvCreateRequest:
    """Create `<project_root>/<folder_name>` from `base`, then install the project.

    `requirements` (declared by the caller) replace the project's own dependencies; without
    them the project is installed as `install_project` in install_plan describes.
    """

    base: Environment
    project_root: Path
    requirements: tuple[str, ...] = ()
    requirement_files: tuple[Path, ...] = ()
    mode: CreateMode = "new"
    folder_name: str = ".venv"
    installer_setting: InstallerSetting = "auto"
    uv_path: Path | None = None
    trusted: bool = False
    index: IndexOptions = field(default_factory=IndexOptions)
    # None: the project as `install_project` describes (what a quick fix with only a URI gets).
    contents: CreateContents | None = None


@dataclass(frozen=True, slots=True)
class EnvCreatePlan:
    """`environment` describes the environment-to-be; `aside` is where recreate parks the old one."""

    title: str
    target: Path
    aside: Path | None
    create: Command
    install: InstallPlan | None
    environment: Environment
    needs_confirmation: bool = False
    confirmation_text: str | None = None


@dataclass(frozen=True, slots=True)
class EnvCreateResult:
    ok: bool
    cancelled: bool
    message: str
    environment: Environment | None = None
    install: InstallResult | None = None
    last_lines: tuple[str, ...] = ()


def plan_create_env(
    request: EnvCreateRequest, *, which: Which = shutil.which
) -> EnvCreatePlan | Refusal:
    """Decide the folder, the creator (uv or venv) and the install; nothing runs here."""
    base = request.base
    if not request.trusted:
        return Refusal("workspace is not trusted: envsense creates no environment for it")
    if base.kind.is_virtual:
        return Refusal(f"{base.label} is itself a virtual environment; pick a base interpreter")
    if not base.is_usable or base.executable is None:
        return Refusal(f"{base.label} can't be used: {base.error or 'no executable'}")
    mismatch = _requires_python_mismatch(request.project_root, base)
    if mismatch is not None:
        return Refusal(mismatch)

    uv = _uv(request, which)
    ensurepip = has_ensurepip(base)
    if request.installer_setting == "uv" and uv is None:
        return Refusal("the installer setting is 'uv' but uv was not found on PATH")
    use_uv = uv is not None and request.installer_setting != "pip"
    if not use_uv and not ensurepip:
        if uv is None:
            return Refusal(
                f"{base.label} has no ensurepip (on Debian/Ubuntu: install python3-venv) "
                "and uv is not available to install packages instead"
            )
        use_uv = True  # the only installer that can work without pip in the environment

    target, aside = _folders(request)
    python = target / bin_dir_name() / ("python.exe" if bin_dir_name() == "Scripts" else "python")
    kind = EnvKind.UV if use_uv else EnvKind.VENV
    environment = Environment(
        kind, target, python, base.version, name=target.name, project=request.project_root
    )
    if request.contents is not None:
        install = _contents_plan(request, request.contents, environment, use_uv=use_uv, which=which)
    else:
        install = _install_plan(request, environment, use_uv=use_uv, which=which)
    if isinstance(install, Refusal):
        return install
    if use_uv and uv is not None:
        # --no-config: a uv.toml in the checkout must not steer what envsense runs (#11).
        argv: tuple[str, ...] = (
            uv,
            "venv",
            "--no-config",
            "--python",
            str(base.executable),
            str(target),
        )
    else:
        # Seeding pip costs ~5 s; it is only worth it when pip is about to install something.
        without_pip = () if install is not None else ("--without-pip",)
        argv = (str(base.executable), "-I", "-m", "venv", *without_pip, str(target))
    create = Command(
        argv, f"{'uv' if use_uv else 'venv'}: create {target.name}", request.project_root
    )
    short = base.version.short if base.version else "?"
    what = _what(request.contents) if install is not None else ""
    return EnvCreatePlan(
        title=f"Create {target.name} with Python {short}{what}",
        target=target,
        aside=aside,
        create=create,
        install=install,
        environment=environment,
        needs_confirmation=install.needs_confirmation if install else False,
        confirmation_text=install.confirmation_text if install else None,
    )


async def create_env(
    plan: EnvCreatePlan, on_line: OnLine, cancel: asyncio.Event | None = None
) -> EnvCreateResult:
    """Run the plan; on failure or cancel the project folder is left as it was."""
    cancel = cancel or asyncio.Event()
    if plan.aside is not None:
        try:
            plan.target.rename(plan.aside)
        except OSError as error:
            return EnvCreateResult(False, False, f"could not move {plan.target} aside: {error}")
        on_line(f"moved {plan.target.name} aside to {plan.aside.name}")
    on_line(f"$ {' '.join(plan.create.argv)}")
    outcome = await run_command(plan.create, on_line, cancel)
    if outcome.cancelled or outcome.returncode != 0:
        _undo(plan, on_line)
        verb = "cancelled" if outcome.cancelled else f"failed (exit {outcome.returncode})"
        return EnvCreateResult(
            False, outcome.cancelled, f"{plan.title}: creating the environment {verb}",
            last_lines=outcome.last_lines,
        )  # fmt: skip
    _write_gitignore(plan.target)
    installed: InstallResult | None = None
    if plan.install is not None:
        installed = await run_plan(plan.install, on_line, cancel)
        if not installed.ok:
            _undo(plan, on_line)
            return EnvCreateResult(
                False, installed.cancelled, f"{plan.title}: {installed.message}",
                install=installed, last_lines=installed.last_lines,
            )  # fmt: skip
    if plan.aside is not None:
        shutil.rmtree(plan.aside, ignore_errors=True)
    return EnvCreateResult(
        True, False, f"{plan.title}: done ({plan.environment.label})", plan.environment, installed
    )


def _uv(request: EnvCreateRequest, which: Which) -> str | None:
    if request.uv_path is not None:
        return str(request.uv_path) if request.uv_path.is_file() else None
    return which("uv")


def _requires_python_mismatch(root: Path, base: Environment) -> str | None:
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return None
    try:
        project = load_toml(pyproject).get("project")
    except (OSError, UnicodeDecodeError, TOMLDecodeError) as error:
        log.info("cannot read %s: %s", pyproject, error)
        return None
    spec = project.get("requires-python") if isinstance(project, dict) else None
    if not isinstance(spec, str):
        return None
    try:
        specifiers = SpecifierSet(spec)
    except InvalidSpecifier:
        return None
    if base.version is None:
        return (
            f"the version of {base.label} is unknown, so requires-python {spec!r} can't be checked"
        )
    if not specifiers.contains(str(base.version), prereleases=True):
        return f"{base.label} does not satisfy the project's requires-python {spec!r}"
    return None


def _folders(request: EnvCreateRequest) -> tuple[Path, Path | None]:
    """The new environment's folder, and where recreate moves the existing one."""
    wanted = request.project_root / request.folder_name
    if not wanted.exists() and not wanted.is_symlink():
        return wanted, None
    if request.mode == "recreate":
        return wanted, _free(request.project_root, f"{request.folder_name}.envsense-old")
    return _free(request.project_root, request.folder_name), None


def _free(root: Path, stem: str) -> Path:
    number = 1
    while (root / f"{stem}-{number}").exists():
        number += 1
    return root / f"{stem}-{number}"


def _install_plan(
    request: EnvCreateRequest,
    environment: Environment,
    *,
    use_uv: bool,
    which: Which,
) -> InstallPlan | Refusal | None:
    prefix = environment.prefix
    assert prefix is not None and environment.executable is not None
    short = environment.version.short if environment.version else "3"
    site = prefix / "lib" / f"python{short}" / "site-packages"
    if bin_dir_name() == "Scripts":
        site = prefix / "Lib" / "site-packages"
    # `python -m venv` seeds pip whenever something will be installed with it.
    target = InstallTarget(environment.executable, prefix, (site,), not use_uv, True, None)
    packages = tuple(PackageRequest(r, allow_url=True) for r in request.requirements)
    install_request = InstallRequest(
        environment,
        packages=packages,
        project_root=request.project_root,
        requirement_files=request.requirement_files,
        install_project=not packages and not request.requirement_files,
        installer_setting="uv" if use_uv else "pip",
        uv_path=request.uv_path,
        trusted=request.trusted,
        index=request.index,
    )
    plan = plan_install_into(install_request, target, which=which)
    if isinstance(plan, Refusal) and (
        plan.reason == "nothing to install" or "declares no dependencies" in plan.reason
    ):
        return None
    return plan


def _write_gitignore(target: Path) -> None:
    gitignore = target / ".gitignore"
    if gitignore.exists():
        return
    try:
        gitignore.write_text(GITIGNORE_TEXT, encoding="utf-8")
    except OSError as error:
        log.warning("could not write %s: %s", gitignore, error)


def _undo(plan: EnvCreatePlan, on_line: OnLine) -> None:
    shutil.rmtree(plan.target, ignore_errors=True)
    if plan.aside is not None and plan.aside.exists():
        try:
            plan.aside.rename(plan.target)
            on_line(f"restored the previous {plan.target.name}")
        except OSError as error:
            on_line(f"could not restore {plan.aside} to {plan.target}: {error}")
    else:
        on_line(f"removed the unfinished {plan.target.name}")


_QUIET = (("PIP_DISABLE_PIP_VERSION_CHECK", "1"), ("PIP_NO_INPUT", "1"), ("NO_COLOR", "1"))


def _what(contents: CreateContents | None) -> str:
    if contents is None:
        return " and install the project"
    if contents.what == "requirements":
        return " and install " + ", ".join(p.name for p in contents.requirement_files)
    extras = f"[{','.join(contents.extras)}]" if contents.extras else ""
    groups = f" with groups {', '.join(contents.groups)}" if contents.groups else ""
    return f" and install the project{extras}{groups}"


def summary(plan: EnvCreatePlan) -> list[str]:
    """What the plan will run, one line per command (shown before the user confirms)."""
    steps = [plan.create, *(plan.install.steps if plan.install else ())]
    lines = [f"$ {' '.join(step.argv)}" for step in steps]
    if plan.aside is not None:
        lines.insert(0, f"move the current {plan.target.name} aside (restored on failure)")
    return lines


def _target_of(environment: Environment, use_uv: bool) -> InstallTarget:
    prefix = environment.prefix
    assert prefix is not None and environment.executable is not None
    short = environment.version.short if environment.version else "3"
    site = prefix / "lib" / f"python{short}" / "site-packages"
    if bin_dir_name() == "Scripts":
        site = prefix / "Lib" / "site-packages"
    return InstallTarget(environment.executable, prefix, (site,), not use_uv, True, None)


def _contents_plan(
    request: EnvCreateRequest,
    contents: CreateContents,
    environment: Environment,
    *,
    use_uv: bool,
    which: Which,
) -> InstallPlan | Refusal | None:
    """The install step for what the user chose in the create flow."""
    if contents.what == "nothing":
        return None
    root = request.project_root
    target = _target_of(environment, use_uv)
    if contents.what == "project" and contents.use_manager:
        layout = read_project_layout(root)
        exe = which(layout.manager.value) if layout.manager is not None else None
        if layout.manager is not None and exe is not None:
            return _manager_plan(layout.manager, exe, contents, environment, request)
    found_uv = _uv(request, which) if use_uv else None
    uv_path = Path(found_uv) if found_uv else None
    wanted = contents.group_requirements
    if contents.what == "project" and not read_project_layout(root).buildable:
        wanted += contents.extra_requirements
    packages = tuple(PackageRequest(r, allow_url=True) for r in wanted)
    install_request = InstallRequest(
        environment,
        packages=packages,
        project_root=root,
        requirement_files=contents.requirement_files if contents.what == "requirements" else (),
        install_project=contents.what == "project",
        installer_setting="uv" if use_uv else "pip",
        # Named here because `no_manager` hides uv (a manager name too) from PATH lookups.
        uv_path=uv_path,
        trusted=request.trusted,
        index=request.index,
    )
    managers = {m.value for m in Manager}

    def no_manager(name: str) -> str | None:
        return None if name in managers else which(name)

    plan = plan_install_into(install_request, target, which=no_manager)
    if isinstance(plan, Refusal):
        if plan.reason == "nothing to install" or "declares no dependencies" in plan.reason:
            return None
        return plan
    if contents.extras:
        editable = str(root.absolute())
        extras = f"{editable}[{','.join(contents.extras)}]"
        steps = tuple(
            replace(step, argv=tuple(extras if a == editable else a for a in step.argv))
            for step in plan.steps
        )
        plan = replace(plan, steps=steps)
    return plan


def _manager_plan(
    manager: Manager,
    exe: str,
    contents: CreateContents,
    environment: Environment,
    request: EnvCreateRequest,
) -> InstallPlan:
    """`uv sync` / `poetry install` / `pdm install` / `pipenv install` into the new env."""
    prefix = str(environment.prefix)
    env: list[tuple[str, str]] = list(_QUIET)
    if manager is Manager.UV:
        argv = [exe, "sync"]
        for extra in contents.extras:
            argv += ["--extra", extra]
        for group in contents.groups:
            argv += ["--group", group]
        if request.index.offline:
            argv.append("--offline")
        env.append(("UV_PROJECT_ENVIRONMENT", prefix))
    elif manager is Manager.POETRY:
        argv = [exe, "install", "--no-interaction"]
        for extra in contents.extras:
            argv += ["--extras", extra]
        for group in contents.groups:
            argv += ["--with", group]
        env.append(("VIRTUAL_ENV", prefix))
    elif manager is Manager.PDM:
        argv = [exe, "install"]
        for name in (*contents.extras, *contents.groups):
            argv += ["-G", name]
        env.append(("PDM_PYTHON", str(environment.executable)))
    else:
        argv = [exe, "install"]
        if contents.groups:
            argv.append("--dev")
        env.append(("VIRTUAL_ENV", prefix))
    step = Command(
        tuple(argv), f"{manager.value}: install the project", request.project_root, tuple(env)
    )
    return InstallPlan(
        title=f"{manager.value}: install the project",
        environment_key=environment.key,
        installer=manager.value,
        steps=(step,),
    )
