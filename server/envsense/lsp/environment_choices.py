"""Which other environments a quick fix may offer to switch to (blocking; call in a thread)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from packaging.specifiers import SpecifierSet

from envsense.core.environment import Environment
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
