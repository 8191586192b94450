"""Which optional extras and dependency groups the user asked for in an environment.

A requirement of an extra or of a non-default group is expected in the environment only
when that extra/group was installed there. Nothing records which extras were asked for,
so the environment is read as evidence: a member of the extra/group is installed *for its
own sake* (no other installed distribution requires it and the project's runtime does not
declare it), or a setting lists it. Groups a tool installs by default count as asked for
in an environment made by that tool: `dev` (and `tool.uv.dev-dependencies`) for uv, every
non-optional group for poetry, `tool.pdm.dev-dependencies` for pdm (when the project has
that tool's lock file and the environment is the tool's).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from envsense.core.declarations import Declarations, DeclaredRequirement
from envsense.core.environment import Environment, EnvKind
from envsense.core.environment.inventory import Inventory
from envsense.core.safe_read import METADATA_LIMIT, read_text

# Bounded: one entry per environment state seen recently.
_NEEDED_CACHE: dict[tuple[int, str, str | None], tuple[Inventory, frozenset[str]]] = {}


@dataclass(frozen=True, slots=True)
class OptionalGroup:
    """An extra or dependency group a requirement belongs to, as users name it."""

    kind: str  # "extra" | "dependency group"
    name: str
    # Installed by its tool's plain install command (uv sync, poetry install, pdm install).
    tool_default: bool = False

    def describe(self) -> str:
        return f"{self.kind} `{self.name}`"


def syncing_tools(env: Environment, project_root: Path) -> frozenset[str]:
    """Tools whose plain sync made this environment for this project: the tool's lock
    file is in the project and the environment is the tool's (a uv venv says so in its
    pyvenv.cfg). A venv made by pip in a poetry project is not poetry's."""
    tools: set[str] = set()
    prefix = env.prefix
    if (project_root / "uv.lock").is_file() and prefix is not None:
        try:
            config = read_text(prefix / "pyvenv.cfg", METADATA_LIMIT)
        except OSError:
            config = ""
        if any(line.partition("=")[0].strip() == "uv" for line in config.splitlines()):
            tools.add("uv")
    if (project_root / "poetry.lock").is_file() and env.kind is EnvKind.POETRY:
        tools.add("poetry")
    if (project_root / "pdm.lock").is_file() and env.kind is EnvKind.PDM:
        tools.add("pdm")
    return frozenset(tools)


def optional_group(
    declared: DeclaredRequirement,
    tools: frozenset[str] = frozenset(),
    uv_defaults: tuple[str, ...] | None = None,
) -> OptionalGroup | None:
    """The extra/group `declared` belongs to, or None for runtime and requirements files.

    `tools` are those whose default sync made the environment (see syncing_tools);
    `uv_defaults` is [tool.uv] default-groups."""
    label = declared.group
    kind, _, name = label.partition(":")
    if kind == "optional":
        return OptionalGroup("extra", name or "(none)")
    if kind == "group":
        defaults = uv_defaults if uv_defaults is not None else ("dev",)
        synced = "*" in defaults or canonicalize_name(name) in defaults
        return OptionalGroup("dependency group", name, synced and "uv" in tools)
    if label == "dev":  # [tool.uv] dev-dependencies
        return OptionalGroup("dependency group", "dev", "uv" in tools)
    if kind == "poetry":
        return OptionalGroup("dependency group", name, "poetry" in tools)
    if kind == "poetry-optional":
        return OptionalGroup("dependency group", name)
    if kind == "pdm":
        return OptionalGroup("dependency group", name, "pdm" in tools)
    if kind == "pipenv":  # Pipfile [dev-packages]: `pipenv install --dev` only
        return OptionalGroup("dependency group", "dev-packages")
    if kind == "setup" and name == "tests":
        return OptionalGroup("tests_require", "tests")
    return None


def group_is_installed(
    group: OptionalGroup,
    members: Iterable[DeclaredRequirement],
    inventory: Inventory,
    declarations: Declarations,
    requested: Iterable[str] = (),
) -> tuple[bool, str | None]:
    """Whether `group` counts as asked for here, and the installed member that shows it."""
    if group.tool_default:
        return True, None
    wanted = {canonicalize_name(n) for n in requested}
    if canonicalize_name(group.name) in wanted:
        return True, None
    needed = _needed_anyway(inventory, declarations)
    for member in members:
        if not member.canonical or member.canonical == declarations.project_name:
            continue
        dist = inventory.distribution(member.canonical)
        if dist is not None and member.canonical not in needed:
            return True, dist.name
    return False, None


def _needed_anyway(inventory: Inventory, declarations: Declarations) -> frozenset[str]:
    """Distributions whose presence says nothing about extras: required by another
    installed distribution, or declared as the project's runtime requirements."""
    key = (id(inventory), inventory.state_key(), declarations.project_name)
    cached = _NEEDED_CACHE.get(key)
    if cached is not None and cached[0] is inventory:
        base = cached[1]
    else:
        environment = {**inventory.marker_environment(), "extra": ""}
        names: set[str] = set()
        for dist in inventory.distributions:
            if dist.canonical_name == declarations.project_name:
                continue
            for raw in dist.requires:
                name = _applying_name(raw, environment)
                if name is not None and name != dist.canonical_name:
                    names.add(name)
        base = frozenset(names)
        if len(_NEEDED_CACHE) > 16:
            _NEEDED_CACHE.clear()
        _NEEDED_CACHE[key] = (inventory, base)
    runtime = {r.canonical for r in declarations.requirements if r.group == "main"}
    return base | runtime


def _applying_name(raw: str, environment: dict[str, str]) -> str | None:
    try:
        requirement = Requirement(raw)
    except InvalidRequirement:
        return None
    if requirement.marker is not None:
        try:
            if not requirement.marker.evaluate(environment):
                return None
        except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName, ValueError):
            pass
    return canonicalize_name(requirement.name)
