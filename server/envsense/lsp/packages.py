"""The packages of a project's environment over LSP, and the view's uninstall/upgrade.

- `envsense/packages {uri}` -> {environment, packages: [PACKAGE], error}: every
  distribution with version, editable, declared (where) and mismatch (read from files).
- `envsense/validatePackageName {name}` -> {error}: what an install box checks per keystroke.
- `envsense.installAndDeclare {<installPackages arguments>, manifest}`: install, then add
  the distribution to `manifest` pinned to the version that was installed, in the file's own
  style (`==` or `>=`), through workspace/applyEdit.
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
from packaging.requirements import Requirement
from pygls.exceptions import JsonRpcInvalidParams

from envsense.core.environment import Environment
from envsense.core.environment.packages import list_packages
from envsense.core.install.package_changes import plan_uninstall, plan_upgrade, validate_name
from envsense.core.install.plan import IndexOptions, Refusal
from envsense.lsp.command_guards import outside_workspace
from envsense.lsp.environments import env_json
from envsense.lsp.install_flow import InstallService, Outcome
from envsense.lsp.server import EnvsenseServer, uri_to_path  # pygls reads handler hints at run time

PACKAGES = "envsense/packages"
VALIDATE_NAME = "envsense/validatePackageName"
UNINSTALL_PACKAGE = "envsense.uninstallPackage"
UPGRADE_PACKAGE = "envsense.upgradePackage"
INSTALL_AND_DECLARE = "envsense.installAndDeclare"


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

    register_install_and_declare(server)

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
        # Commands change an environment: only for a project where the user works (#11).
        if (outside := outside_workspace(ls, path)) is not None:
            service.show(types.MessageType.Error, outside)
            return Outcome(False, outside).to_json()
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
        outcome = await service.run_plan(plan, env, path)
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


def installed_version(ls: EnvsenseServer, environment: Environment, name: str) -> str | None:
    """The version of `name` in `environment` now (blocking)."""
    ls.session.invalidate(list(_site_dirs(environment)))
    inventory = ls.session.inventory(environment)
    dist = inventory.distribution(name) if inventory is not None else None
    return dist.version if dist is not None else None


def _site_dirs(environment: Environment) -> tuple[Path, ...]:
    from envsense.core.install.target import InstallTarget

    target = InstallTarget.read(environment)
    return target.site_packages if target is not None else ()


def register_install_and_declare(server: EnvsenseServer) -> None:
    """envsense.installAndDeclare: the "Install X and add it to <manifest>" quick fix."""
    from envsense.lsp.commands import (
        InstallPackagesArgs,
        _path,
        environment_for,
        package_requests,
    )
    from envsense.lsp.manifest_edits import declare_requirement

    service = InstallService.shared(server)

    @server.command(INSTALL_AND_DECLARE)
    async def install_and_declare(ls: EnvsenseServer, *args: Any) -> dict[str, Any]:
        """Install {packages} like envsense.installPackages, then declare them in {manifest}."""
        raw = _plain(args[0]) if len(args) == 1 else None
        if not isinstance(raw, dict) or not isinstance(raw.get("manifest"), str):
            raise JsonRpcInvalidParams(f"{INSTALL_AND_DECLARE} takes {{..., manifest}}")
        manifest = Path(raw.pop("manifest"))
        parsed = InstallPackagesArgs.parse((raw,))
        path = _path({"uri": parsed.uri}, INSTALL_AND_DECLARE)
        if (outside := outside_workspace(ls, path)) is not None:
            service.show(types.MessageType.Error, outside)
            return Outcome(False, outside).to_json()
        if not manifest.resolve().is_relative_to(ls.session.project_for(path).root.resolve()):
            raise JsonRpcInvalidParams(f"{INSTALL_AND_DECLARE}: {manifest} is not in the project")
        await ls.discovered.wait()
        environment = await asyncio.to_thread(environment_for, ls, path, parsed.environment)
        requests = await asyncio.to_thread(package_requests, ls, parsed)
        outcome = await service.install(environment, requests, path=path)
        if not outcome.ok or environment is None:
            return outcome.to_json()
        for text in parsed.packages:
            name = Requirement(text).name
            version = await asyncio.to_thread(installed_version, ls, environment, name)
            edit = declare_requirement(ls.workspace, manifest, text, version)
            if edit is not None:
                await ls.workspace_apply_edit_async(
                    types.ApplyWorkspaceEditParams(
                        edit=edit, label=f"Add {text} to {manifest.name}"
                    )
                )
        return outcome.to_json()
