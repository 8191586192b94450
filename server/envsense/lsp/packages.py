"""The packages of a project's environment over LSP, and the view's uninstall/upgrade.

- `envsense/packages {uri}` -> {environment, packages: [PACKAGE], error}: every
  distribution with version, editable, declared (where) and mismatch (read from files).
- `envsense/validatePackageName {name}` -> {error}: what an install box checks per keystroke.
- `envsense.uninstallPackage {uri, packages: [name]}` and
  `envsense.upgradePackage {uri, package: name}`: through the shared install queue, with
  the same progress, cancel and messages as installs. Installing uses envsense.installPackages.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from envsense.core.environment.packages import list_packages
from envsense.core.install.package_changes import plan_uninstall, plan_upgrade, validate_name
from envsense.core.install.plan import IndexOptions, Refusal
from envsense.lsp.environments import env_json
from envsense.lsp.install_flow import InstallService, Outcome
from envsense.lsp.server import EnvsenseServer, uri_to_path  # pygls reads handler hints at run time

PACKAGES = "envsense/packages"
VALIDATE_NAME = "envsense/validatePackageName"
UNINSTALL_PACKAGE = "envsense.uninstallPackage"
UPGRADE_PACKAGE = "envsense.upgradePackage"


def _plain(value: Any) -> Any:
    if hasattr(value, "_asdict"):
        value = value._asdict()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _path_of(raw: Any, what: str) -> Path:
    uri = raw.get("uri") if isinstance(raw, dict) else None
    path = uri_to_path(uri) if isinstance(uri, str) and uri else None
    if path is None:
        raise JsonRpcInvalidParams(f"{what}: expected {{uri}} with a file: URI")
    return path


def packages_payload(ls: EnvsenseServer, path: Path) -> dict[str, Any]:
    """What the packages view shows for `path`'s project (blocking; call in a thread)."""
    session = ls.session
    project = session.project_for(path)
    env = session.selection(project).environment
    if env is None:
        return {"environment": None, "packages": [], "error": "this project has no environment"}
    inventory = session.inventory(env)
    if inventory is None:
        error = env.error or "its packages could not be read"
        return {"environment": env_json(env), "packages": [], "error": error}
    rows = list_packages(inventory, session.declarations(project))
    return {"environment": env_json(env), "packages": [r.to_json() for r in rows], "error": None}


def register(server: EnvsenseServer) -> None:
    """Wire the packages request and the uninstall/upgrade commands."""
    service = InstallService.shared(server)

    @server.feature(PACKAGES)
    async def packages(ls: EnvsenseServer, params: Any) -> dict[str, Any]:
        """Every distribution of {uri}'s environment, joined with the project's declarations."""
        path = _path_of(_plain(params), PACKAGES)
        await ls.discovered.wait()
        return await asyncio.to_thread(packages_payload, ls, path)

    @server.feature(VALIDATE_NAME)
    def validate(ls: EnvsenseServer, params: Any) -> dict[str, Any]:
        """{error: null} for an installable requirement (`name`, `name>=1`), else why not."""
        raw = _plain(params)
        name = raw.get("name") if isinstance(raw, dict) else None
        if not isinstance(name, str):
            raise JsonRpcInvalidParams(f"{VALIDATE_NAME}: expected {{name}}")
        return {"error": validate_name(name)}

    async def change(ls: EnvsenseServer, raw: dict[str, Any], uninstall: bool) -> dict[str, Any]:
        command = UNINSTALL_PACKAGE if uninstall else UPGRADE_PACKAGE
        path = _path_of(raw, command)
        await ls.discovered.wait()
        env = ls.session.selection(ls.session.project_for(path)).environment
        if env is None:
            message = "envsense: this project has no environment"
            service.show(types.MessageType.Error, message)
            return Outcome(False, message).to_json()
        trusted = ls.options.trusted
        if uninstall:
            names = raw.get("packages")
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise JsonRpcInvalidParams(f"{command}: 'packages' must be a list of names")
            plan = await asyncio.to_thread(
                plan_uninstall,
                env,
                tuple(names),
                installer_setting=ls.options.installer,
                trusted=trusted,
            )
        else:
            name = raw.get("package")
            if not isinstance(name, str) or not name:
                raise JsonRpcInvalidParams(f"{command}: 'package' must be a name")
            rows = await asyncio.to_thread(packages_payload, ls, path)
            wanted = next(
                (p["upgradeRequirement"] for p in rows["packages"] if p["name"] == name), name
            )
            plan = await asyncio.to_thread(
                plan_upgrade,
                env,
                str(wanted),
                installer_setting=ls.options.installer,
                trusted=trusted,
                index=IndexOptions.from_environ(os.environ),
            )
        if isinstance(plan, Refusal):
            if not trusted:
                return service.untrusted().to_json()
            service.show(types.MessageType.Error, f"envsense: {plan.reason}")
            return Outcome(False, plan.reason, environment=env).to_json()
        outcome = await service.run_plan(plan, env)
        return outcome.to_json()

    @server.command(UNINSTALL_PACKAGE)
    async def uninstall_package(ls: EnvsenseServer, *args: Any) -> dict[str, Any]:
        """Uninstall {packages} from {uri}'s environment (queued, cancellable)."""
        raw = _plain(args[0]) if len(args) == 1 else None
        if not isinstance(raw, dict):
            raise JsonRpcInvalidParams(f"{UNINSTALL_PACKAGE} takes one object argument")
        return await change(ls, raw, uninstall=True)

    @server.command(UPGRADE_PACKAGE)
    async def upgrade_package(ls: EnvsenseServer, *args: Any) -> dict[str, Any]:
        """Upgrade {package} to the newest its declared specifier allows."""
        raw = _plain(args[0]) if len(args) == 1 else None
        if not isinstance(raw, dict):
            raise JsonRpcInvalidParams(f"{UPGRADE_PACKAGE} takes one object argument")
        return await change(ls, raw, uninstall=False)
