"""Which environment a project uses, and why, in words a user understands.

Order: the explicit setting, the user's last pick, the env the project's own tool
uses (Poetry's envs.toml, PDM's .pdm-python, uv's workspace root, Hatch's default
env, Pipenv's, pixi's, conda's environment.yml), an environment inside the project
(closest first), one its tool ties to it, the one active at launch, pyenv's version
(shell, local, then global), the `.python-version` request, the newest interpreter
satisfying requires-python, the newest system Python. An environment tied to
ANOTHER project is never recommended by the automatic rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from envsense.core.discovery import fs
from envsense.core.discovery.rules import ProjectRules
from envsense.core.discovery.scan import IN_PROJECT_NAMES, ToolPick
from envsense.core.environment import Environment, EnvKind
from envsense.core.projects import Project, project_markers

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

_SHARED_BIN_KINDS = frozenset(
    {EnvKind.SYSTEM, EnvKind.HOMEBREW, EnvKind.WINDOWS_STORE, EnvKind.WINDOWS_REGISTRY}
)
# How far above a project an enclosing project's env may be (packages/group/name).
_MAX_CLIMB = 4

# Kind order for pickers and ties between equally close environments (Zed's and
# vscode-python's, with tool-managed kinds before plain ones).
KIND_ORDER = (
    EnvKind.UV_WORKSPACE,
    EnvKind.UV,
    EnvKind.POETRY,
    EnvKind.PIPENV,
    EnvKind.PDM,
    EnvKind.HATCH,
    EnvKind.VIRTUALENVWRAPPER,
    EnvKind.VENV,
    EnvKind.VIRTUALENV,
    EnvKind.PYENV_VIRTUALENV,
    EnvKind.PIXI,
    EnvKind.CONDA,
    EnvKind.PYENV,
    EnvKind.UV_PYTHON,
    EnvKind.HOMEBREW,
    EnvKind.WINDOWS_REGISTRY,
    EnvKind.WINDOWS_STORE,
    EnvKind.SYSTEM,
)


@dataclass(frozen=True, slots=True)
class Selection:
    """The environment chosen for a project (None: nothing usable) and a sentence saying why."""

    environment: Environment | None
    reason: str
    # True when the project has no environment of its own and a global/base
    # interpreter stands in for now (the project layer decides whether to warn).
    fallback: bool = False


def select_environment(
    project: Project,
    environments: Sequence[Environment],
    *,
    explicit: Path | None = None,
    last_pick: Path | None = None,
    active: Environment | None = None,
    requires_python: SpecifierSet | None = None,
    rules: ProjectRules | None = None,
    requires_python_of: Callable[[], SpecifierSet | None] | None = None,
) -> Selection:
    """Choose the project's environment; the reason names the rule that decided.

    `rules` are what the project's own tools say (envsense.core.discovery.rules).
    `requires_python_of` computes requires-python only if a rule needs it (reading
    declarations costs `envsense envs` most of its start-up).
    """
    if explicit is not None:
        match = _find(environments, explicit)
        if match is None:
            return Selection(
                None, f"set by envsense.interpreter to {explicit}, which was not found"
            )
        return Selection(match, "set by envsense.interpreter")
    if last_pick is not None:
        match = _find(environments, last_pick)
        if match is not None:
            return Selection(match, "last picked by you")
    rules = rules or ProjectRules()
    for pick in rules.managers:
        chosen = _by_pick(environments, pick)
        if chosen is not None:
            return chosen
    candidates = [env for env in environments if not is_foreign(env, project)]
    inside = _in_project(project, candidates)
    if inside is not None:
        return inside
    tied = [env for env in candidates if env.project == project.root]
    if tied:
        best = sorted(tied, key=_preference)[0]
        return Selection(best, _tied_reason(best))
    if active is not None and not is_foreign(active, project) and active.is_usable:
        variable = "CONDA_PREFIX" if active.kind in (EnvKind.CONDA, EnvKind.PIXI) else "VIRTUAL_ENV"
        rule = f"active when the server started ({variable})"
        if is_global(active):
            return _fallback(active, rule)
        return Selection(active, rule)
    for pick in rules.pyenv:
        chosen = _by_pick(environments, pick)
        if chosen is not None:
            return chosen
    if requires_python is None and requires_python_of is not None:
        requires_python = requires_python_of()
    if rules.pyenv_global is not None:
        env = _match(environments, rules.pyenv_global.path)
        if env is not None and env.is_usable and _satisfies(env, requires_python):
            return _fallback(env, rules.pyenv_global.reason)
    base = [env for env in candidates if not env.kind.is_virtual and env.is_usable]
    if rules.version_request is not None:
        request = rules.version_request
        wanted = [env for env in base if _answers(env, request.text)]
        if wanted:
            return _fallback(_newest(wanted), f"{request.file.name} asks for {request.text}")
    if requires_python is not None:
        fitting = [
            env
            for env in base
            if env.version is not None
            and requires_python.contains(str(env.version), prereleases=True)
        ]
        if fitting:
            return _fallback(
                _newest(fitting), f"newest Python satisfying requires-python {requires_python}"
            )
    system = [env for env in base if env.kind is EnvKind.SYSTEM]
    unmet = f"; none satisfies requires-python {requires_python}" if requires_python else ""
    if system:
        return _fallback(_newest(system), f"newest system Python{unmet}")
    if base:
        return _fallback(_newest(base), f"newest Python found{unmet}")
    return Selection(None, "no usable Python environment was found")


def _by_pick(environments: Sequence[Environment], pick: ToolPick) -> Selection | None:
    """The env a tool's rule names, when discovery found it (broken ones say so)."""
    env = _match(environments, pick.path)
    if env is None:
        return None
    if is_global(env):
        return _fallback(env, pick.reason)
    reason = pick.reason if env.error is None else f"{pick.reason} (broken: {env.error})"
    return Selection(env, reason)


def _match(environments: Sequence[Environment], path: Path) -> Environment | None:
    """The env whose folder is `path` (links resolved), or whose interpreter it is."""
    if fs.is_dir(path):
        target = fs.realpath(path)
        for env in environments:
            if env.prefix is not None and (env.prefix == path or fs.realpath(env.prefix) == target):
                return env
        return None
    if fs.lexists(path):
        return _find(environments, path)
    return None


def _satisfies(env: Environment, requires_python: SpecifierSet | None) -> bool:
    if requires_python is None or env.version is None:
        return True
    return requires_python.contains(str(env.version), prereleases=True)


def _answers(env: Environment, request: str) -> bool:
    """`3.12` / `3.12.1` / `cpython@3.12` / `pypy3.10` asks for that version (prefix match)."""
    if env.version is None:
        return False
    text = request.strip().lower()
    for prefix in ("cpython@", "cpython-", "python@", "python"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    parts = text.split(".")
    if not parts or not all(part.isdigit() for part in parts) or len(parts) > 3:
        return False
    have = (env.version.major, env.version.minor, env.version.micro)
    return all(int(part) == have[index] for index, part in enumerate(parts))


def _tied_reason(env: Environment) -> str:
    if env.kind is EnvKind.VIRTUALENVWRAPPER:
        return f"virtualenvwrapper: workon {env.display_name} (.project)"
    return f"{env.kind} environment of this project"


def is_global(env: Environment) -> bool:
    """A base interpreter shared by every project (pyenv, uv-managed, system, conda base...)."""
    if env.kind.is_virtual:
        return False
    if env.kind in (EnvKind.CONDA, EnvKind.PIXI):
        # A named conda env or a pixi env belongs to whoever made it; only base is shared.
        return env.kind is EnvKind.CONDA and (env.name in (None, "base"))
    return True


def _fallback(env: Environment, rule: str) -> Selection:
    """A global interpreter standing in because the project has no environment of its own."""
    what = (
        f"{env.kind} {env.version}" if env.version is not None else f"{env.kind} {env.display_name}"
    )
    return Selection(env, f"no environment for this project; using {what} for now ({rule})", True)


def recommended_order(
    project: Project, environments: Sequence[Environment], selection: Selection | None = None
) -> list[Environment]:
    """Environments for a picker: the selected one first, then by kind and newest version.

    Broken ones and those of other projects go last, but stay listed.
    """
    selected = selection.environment if selection else None

    def key(env: Environment) -> tuple[bool, bool, bool, int, tuple[int, ...], str, str]:
        return (
            env != selected,
            env.error is not None,
            is_foreign(env, project),
            _kind_rank(env.kind),
            _version_desc(env),
            env.display_name,
            env.key,
        )

    return sorted(environments, key=key)


def is_foreign(env: Environment, project: Project) -> bool:
    """Tied to another project: neither this project nor a folder above it (a monorepo root)."""
    if env.project is None:
        return False
    return not fs.is_within(project.root, env.project)


def _in_project(project: Project, environments: Sequence[Environment]) -> Selection | None:
    """An env kept in the project folder, else in the nearest enclosing project folder.

    A broken one is still returned (with its error) when nothing in that folder
    works, so the user sees the broken `.venv` instead of a silent substitute.
    """
    folder = project.root
    for _ in range(_MAX_CLIMB + 1):
        held = [env for env in environments if _held_by(env, folder)]
        # Above the project only an enclosing project's env counts (a monorepo root):
        # a ~/.venv sits in a folder that is no project and is nobody's project env.
        if held and (folder == project.root or project_markers(folder)):
            usable = [env for env in held if env.is_usable]
            best = sorted(usable or held, key=_in_project_rank)[0]
            return Selection(best, _in_project_reason(best, folder, project))
        if folder.parent == folder:
            break
        folder = folder.parent
    return None


def _held_by(env: Environment, folder: Path) -> bool:
    prefix = env.prefix
    if prefix is None:
        return False
    if prefix.parent == folder and (prefix.name in IN_PROJECT_NAMES or env.project == folder):
        return True
    # pixi: <folder>/.pixi/envs/<name>; hatch custom dirs: <folder>/<dir>/<name>
    return env.project == folder and fs.is_within(prefix, folder)


def _in_project_reason(env: Environment, folder: Path, project: Project) -> str:
    where = env.prefix.name if env.prefix is not None else "environment"
    if env.prefix is not None and fs.is_within(env.prefix, folder):
        where = str(env.prefix.relative_to(folder))
    text = f"in-project environment {where}"
    if folder != project.root:
        text += f" of the enclosing project {folder}"
    if env.error:
        text += f" (broken: {env.error})"
    return text


def _in_project_rank(env: Environment) -> tuple[int, int, tuple[int, ...]]:
    name = env.prefix.name if env.prefix is not None else ""
    position = IN_PROJECT_NAMES.index(name) if name in IN_PROJECT_NAMES else len(IN_PROJECT_NAMES)
    return (position, _kind_rank(env.kind), _version_desc(env))


def _preference(env: Environment) -> tuple[bool, int, tuple[int, ...], str]:
    return (not env.is_usable, _kind_rank(env.kind), _version_desc(env), env.key)


def _newest(environments: Sequence[Environment]) -> Environment:
    return sorted(environments, key=lambda env: (_version_desc(env), _kind_rank(env.kind)))[0]


def _version_desc(env: Environment) -> tuple[int, ...]:
    """Sort key putting newer versions first and unknown versions last."""
    if env.version is None:
        return (1,)
    return (0, -env.version.major, -env.version.minor, -env.version.micro)


def _kind_rank(kind: EnvKind) -> int:
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


def _find(environments: Sequence[Environment], path: Path) -> Environment | None:
    """The environment whose executable or prefix is `path`, or whose bin/ holds it."""
    for env in environments:
        for candidate in (env.executable, env.prefix):
            if candidate is not None and _same_path(candidate, path):
                return env
    # bin/python3.12 of an env listed as bin/python: the folder decides, not the file,
    # since every venv's python links to the same base binary.
    # Not for global folders such as /usr/bin, where each python3.X is its own interpreter.
    for env in environments:
        if env.kind in _SHARED_BIN_KINDS or env.executable is None:
            continue
        if fs.realpath(env.executable.parent) == fs.realpath(path.parent):
            return env
    return None


def _same_path(left: Path, right: Path) -> bool:
    """Equal, or equal once their folders are resolved; the file itself is not followed,
    since every venv's python links to the same base binary."""
    if left == right:
        return True
    return left.name == right.name and fs.realpath(left.parent) == fs.realpath(right.parent)
