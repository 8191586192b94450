"""Uninstall and upgrade plans for the packages view, run through the same queue and runner
as installs (so they take turns per environment, report progress and can be cancelled).

Names are validated with `packaging` before they reach an installer; an upgrade asks for
the newest version the project's declared specifier allows.
"""

from __future__ import annotations

import shutil
from dataclasses import replace

from packaging.utils import canonicalize_name

from envsense.core.environment import Environment
from envsense.core.install.plan import Command as Step
from envsense.core.install.plan import (
    IndexOptions,
    InstallerSetting,
    InstallPlan,
    InstallRequest,
    PackageRequest,
    Refusal,
    Rollback,
    Which,
    plan_install,
)
from envsense.core.install.requirement_safety import CheckedRequirement, check_requirement
from envsense.core.install.target import InstallTarget

_QUIET = (("PIP_DISABLE_PIP_VERSION_CHECK", "1"), ("PIP_NO_INPUT", "1"), ("NO_COLOR", "1"))


def validate_name(text: str) -> str | None:
    """Why `text` is no installable requirement (name and optional specifier), or None."""
    result = check_requirement(text.strip(), allow_url=False)
    if isinstance(result, CheckedRequirement):
        return None
    return f"{result.text!r} {result.reason}"


def _plain_name_problem(text: str) -> str | None:
    """Uninstall takes bare distribution names: no version, extras, marker or URL."""
    problem = validate_name(text)
    if problem is not None:
        return problem
    checked = check_requirement(text.strip())
    assert isinstance(checked, CheckedRequirement)
    if checked.text != checked.requirement.name:
        return f"{text!r} is not a bare distribution name"
    return None


def plan_uninstall(
    environment: Environment,
    names: tuple[str, ...],
    *,
    installer_setting: InstallerSetting = "auto",
    trusted: bool,
    which: Which = shutil.which,
) -> InstallPlan | Refusal:
    """`uv pip uninstall` (or `pip uninstall -y`) of `names` from `environment`."""
    if not trusted:
        return Refusal("workspace is not trusted: envsense runs no installer for it")
    if environment.error is not None:
        return Refusal(f"{environment.label} can't be used: {environment.error}")
    problems = [p for p in (_plain_name_problem(n) for n in names) if p]
    if problems or not names:
        return Refusal("refused to uninstall: " + ("; ".join(problems) or "no package named"))
    target = InstallTarget.read(environment)
    if target is None:
        return Refusal(f"{environment.label} has no Python executable")
    if target.externally_managed is not None:
        return Refusal(f"{environment.label} is marked EXTERNALLY-MANAGED (PEP 668)")
    canonical = tuple(canonicalize_name(n) for n in names)
    exe = str(target.executable)
    uv = which("uv") if installer_setting != "pip" else None
    if uv is not None:
        argv: tuple[str, ...] = (uv, "pip", "uninstall", "--python", exe, *canonical)
        installer = "uv"
    elif target.has_pip:
        argv = (exe, "-I", "-m", "pip", "uninstall", "-y", *canonical)
        installer = "pip"
    else:
        return Refusal(f"{environment.label} has no pip, and uv was not found on PATH")
    what = ", ".join(names)
    return InstallPlan(
        title=f"Uninstall {what} from {environment.label}",
        environment_key=environment.key,
        installer=installer,
        steps=(Step(argv, f"{installer}: uninstall {what}", None, _QUIET),),
        requirements=(),
        # Listed so that the runner reports what was removed; nothing is added to undo.
        rollback=Rollback(target.site_packages, argv[: len(argv) - len(canonical)]),
    )


def plan_upgrade(
    environment: Environment,
    requirement: str,
    *,
    installer_setting: InstallerSetting = "auto",
    trusted: bool,
    index: IndexOptions | None = None,
    which: Which = shutil.which,
) -> InstallPlan | Refusal:
    """Install `requirement` (name + declared specifier) allowing an upgrade of that one."""
    problem = validate_name(requirement)
    if problem is not None:
        return Refusal(f"refused to upgrade: {problem}")
    request = InstallRequest(
        environment,
        packages=(PackageRequest(requirement, name_source="installed"),),
        installer_setting=installer_setting,
        trusted=trusted,
        index=index or IndexOptions(),
    )
    plan = plan_install(request, which=which)
    if isinstance(plan, Refusal):
        return plan
    checked = check_requirement(requirement, allow_url=False)
    assert isinstance(checked, CheckedRequirement)
    name = checked.canonical_name
    steps = tuple(_with_upgrade(step, name) for step in plan.steps)
    return replace(plan, title=f"Upgrade {checked.text} in {environment.label}", steps=steps)


def _with_upgrade(step: Step, name: str) -> Step:
    """Add the installer's upgrade flag right after `install` (only that package moves)."""
    argv = list(step.argv)
    if "install" not in argv or "ensurepip" in argv:
        return step
    at = argv.index("install") + 1
    flag = ["--upgrade-package", name] if "pip" in argv[:at] and _is_uv(argv[0]) else ["--upgrade"]
    return replace(step, argv=tuple(argv[:at] + flag + argv[at:]))


def _is_uv(executable: str) -> bool:
    return executable.rsplit("/", 1)[-1].split("\\")[-1].startswith("uv")
