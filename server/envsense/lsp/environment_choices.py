"""Which other environments a quick fix may offer to switch to (blocking; call in a thread)."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from packaging.specifiers import SpecifierSet

from envsense.core.environment import Environment, EnvKind
from envsense.core.probe import ProbeRefused, probe_interpreter
from envsense.core.projects import Project
from envsense.core.selection import is_foreign, recommended_order
from envsense.core.session import Session

log = logging.getLogger(__name__)

# Looking for "another environment that has the module" reads inventories: bounded.
MAX_ENVS_LOOKED_AT = 8
SEARCH_SECONDS = 1.5


def other_environments(
    project: Project, environments: Sequence[Environment], current: Environment | None
) -> list[Environment]:
    """Usable environments the project may use instead of `current`, recommended first."""
    return [
        env
        for env in recommended_order(project, environments)
        if env.is_usable
        and env.executable is not None
        and (current is None or env.key != current.key)
        and not is_foreign(env, project)
    ]


def fitting(
    environments: Sequence[Environment], requires: SpecifierSet | None
) -> list[Environment]:
    """Those whose Python version satisfies requires-python."""
    return [
        env
        for env in environments
        if env.version is not None
        and (requires is None or requires.contains(str(env.version), prereleases=True))
    ]


def with_module(
    session: Session, candidates: Sequence[Environment], module: str, limit: int
) -> list[Environment]:
    """Up to `limit` of the first MAX_ENVS_LOOKED_AT candidates that install `module`'s
    top-level package; broken ones are skipped and the search stops after SEARCH_SECONDS."""
    top = module.split(".")[0]
    deadline = time.monotonic() + SEARCH_SECONDS
    found: list[Environment] = []
    for env in candidates[:MAX_ENVS_LOOKED_AT]:
        if len(found) >= limit or time.monotonic() > deadline:
            break
        try:
            inventory = session.inventory(env)
        except Exception:  # a broken environment is skipped, never fatal
            log.info("skipping %s while looking for %s", env.key, module, exc_info=True)
            continue
        if inventory is not None and inventory.providers(top):
            found.append(env)
    return found


# -- names and validation of what the picker shows ---------------------------------------

# Environments people know by a name (the folder); the rest by their tool and version.
_NAMED_BASE_KINDS = frozenset({EnvKind.CONDA, EnvKind.PIXI})


def title(env: Environment) -> str:
    """The one name used in pickers and action titles, without repeating itself.

    `.venv (3.12.1, venv)`, `myenv (3.11.4, conda)`, `pyenv 3.13.0 (global)`,
    `system 3.11.2 (/usr/bin/python3)`.
    """
    version = str(env.version) if env.version else "version unknown"
    if env.kind.is_virtual or env.kind in _NAMED_BASE_KINDS:
        return f"{env.display_name} ({version}, {env.kind})"
    text = f"{env.kind} {version}"
    if env.kind is EnvKind.PYENV and _is_pyenv_global(env):
        return f"{text} (global)"
    if env.kind is EnvKind.SYSTEM and env.executable is not None:
        return f"{text} ({env.executable})"
    if env.display_name not in (version, str(env.kind)) and env.display_name not in text:
        return f"{text} ({env.display_name})"
    return text


def _is_pyenv_global(env: Environment) -> bool:
    """Whether `env` is the version named in pyenv's global `version` file."""
    if env.prefix is None or env.prefix.parent.name != "versions":
        return False
    try:
        text = (env.prefix.parent.parent / "version").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return env.prefix.name in text.split()


def interpreter_problem(
    env: Environment, path: Path, *, trusted: bool, workspace_roots: Sequence[Path]
) -> tuple[Environment, str | None]:
    """Check a typed or browsed interpreter: it exists, is executable, its version is known.

    The version comes from files; only in a trusted workspace is the interpreter run to
    ask it. Returns the (possibly completed) environment and what is wrong, if anything.
    """
    if not path.exists():
        return env, f"{path} does not exist"
    if path.is_file() and not os.access(path, os.X_OK):
        return env, f"{path} is not executable"
    if env.error is not None:
        return env, env.error
    if env.executable is None:
        return env, f"{path} is not a Python interpreter"
    if env.version is not None:
        return env, None
    if not trusted:
        return env, (
            f"the Python version of {path} is not written in any file, and the workspace "
            "is not trusted, so envsense does not run it to ask"
        )
    try:
        probed = probe_interpreter(env.executable, trusted=trusted, workspace_roots=workspace_roots)
    except ProbeRefused as refused:
        return env, str(refused)
    if probed is None:
        return env, f"{path} did not answer as a Python interpreter"
    return replace(env, version=probed.version), None
