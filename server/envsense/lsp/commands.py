"""workspace/executeCommand: install, install the project, create or select an environment.

Every command takes ONE JSON object and answers {ok, message, cancelled, environment,
added, changed}; any editor can run them, and the quick fixes are built on them:

- envsense.installPackages {uri, packages?: [str], nameSource?: str, module?: str,
  all?: bool, environment?: executable}: `all` installs every missing package of the file.
- envsense.installProject {uri}: the project's dependencies (a requirements file's own
  requirements when `uri` is one).
- envsense.createEnvironment {uri, python?: executable, recreate?: bool, install?:
  "nothing" | "project" | "requirements", extras?: [str], groups?: [str],
  requirementFiles?: [path], useManager?: bool, dryRun?: bool}: only `uri` is needed
  (the project's manager and defaults are used); `dryRun` answers {ok, message, summary}.
- envsense.selectEnvironment {uri, executable}
- envsense.explain {message}: shows the text (window/showMessage).

The server decides where each name came from (declared, installed, or one of its own
findings); a client's `nameSource`/`module` are accepted for compatibility but never
trusted. A name only guessed from an import, any other name nothing vouches for, or a
trap name is installed only after the user confirms; an untrusted workspace gets a
refusal. `uri` must lie inside a workspace folder or an open document's project, and an
interpreter must be a Python environment envsense can identify (docs/security.md).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from lsprotocol import types
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from pygls.exceptions import JsonRpcInvalidParams

from envsense.core.environment import Environment
from envsense.core.files import is_manifest
from envsense.core.findings import Code, NameSource
from envsense.core.install.envcreate import CreateContents, summary
from envsense.core.install.plan import PackageRequest
from envsense.core.install.requirement_safety import dist_name_from_dist_info
from envsense.core.install.target import InstallTarget
from envsense.lsp.command_guards import (
    bad_interpreter_name,
    interpreter_problem,
    outside_workspace,
)
from envsense.lsp.install_flow import InstallService, Outcome
from envsense.lsp.server import EnvsenseServer, uri_to_path

log = logging.getLogger(__name__)

INSTALL_PACKAGES = "envsense.installPackages"
INSTALL_PROJECT = "envsense.installProject"
CREATE_ENVIRONMENT = "envsense.createEnvironment"
SELECT_ENVIRONMENT = "envsense.selectEnvironment"
EXPLAIN = "envsense.explain"

_NAME_SOURCES: tuple[str, ...] = get_args(NameSource)
# Names typed into a command (not learnt from a diagnostic) are the user's explicit choice,
# but trap names still need confirmation: "curated" gets exactly that treatment.
_EXPLICIT_SOURCE: NameSource = "curated"


# -- arguments -----------------------------------------------------------------------


def _object(args: tuple[Any, ...], command: str) -> dict[str, Any]:
    """The one JSON object a command takes (a dict, or pygls' namedtuple form of one)."""
    if len(args) != 1:
        raise JsonRpcInvalidParams(f"{command} takes one object argument, got {len(args)}")
    value = _plain(args[0])
    if not isinstance(value, dict):
        raise JsonRpcInvalidParams(f"{command} takes one object argument")
    return value


def _plain(value: Any) -> Any:
    if hasattr(value, "_asdict"):
        value = value._asdict()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _text(raw: dict[str, Any], key: str, command: str, *, required: bool = False) -> str | None:
    value = raw.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise JsonRpcInvalidParams(f"{command}: '{key}' must be a non-empty string")
    return value


def _flag(raw: dict[str, Any], key: str, command: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise JsonRpcInvalidParams(f"{command}: '{key}' must be true or false")
    return value


def _path(raw: dict[str, Any], command: str) -> Path:
    uri = _text(raw, "uri", command, required=True)
    path = uri_to_path(uri) if uri else None
    if path is None:
        raise JsonRpcInvalidParams(f"{command}: 'uri' must be a file: URI")
    return path


@dataclass(frozen=True, slots=True)
class InstallPackagesArgs:
    """{uri, packages?, nameSource?, module?, all?, environment?}"""

    uri: str
    packages: tuple[str, ...] = ()
    name_source: NameSource = _EXPLICIT_SOURCE
    module: str | None = None
    all: bool = False
    environment: str | None = None

    @classmethod
    def parse(cls, args: tuple[Any, ...]) -> InstallPackagesArgs:
        raw = _object(args, INSTALL_PACKAGES)
        _path(raw, INSTALL_PACKAGES)
        packages = raw.get("packages", [])
        if not isinstance(packages, list) or not all(isinstance(p, str) for p in packages):
            raise JsonRpcInvalidParams(f"{INSTALL_PACKAGES}: 'packages' must be a list of strings")
        everything = _flag(raw, "all", INSTALL_PACKAGES)
        if not packages and not everything:
            raise JsonRpcInvalidParams(f"{INSTALL_PACKAGES}: give 'packages' or 'all': true")
        source = raw.get("nameSource", _EXPLICIT_SOURCE)
        if source not in _NAME_SOURCES:
            raise JsonRpcInvalidParams(
                f"{INSTALL_PACKAGES}: 'nameSource' must be one of {', '.join(_NAME_SOURCES)}"
            )
        return cls(
            uri=raw["uri"],
            packages=tuple(packages),
            name_source=source,
            module=_text(raw, "module", INSTALL_PACKAGES),
            all=everything,
            environment=_text(raw, "environment", INSTALL_PACKAGES),
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"uri": self.uri}
        if self.packages:
            data["packages"] = list(self.packages)
            data["nameSource"] = self.name_source
        if self.module:
            data["module"] = self.module
        if self.all:
            data["all"] = True
        if self.environment:
            data["environment"] = self.environment
        return data


# -- what the commands act on ----------------------------------------------------------


def environment_for(ls: EnvsenseServer, path: Path, executable: str | None) -> Environment | None:
    """The named interpreter's environment, else the one selected for the file's project."""
    session = ls.session
    if executable is None:
        return session.selection(session.project_for(path)).environment
    wanted = Path(executable)
    for env in session.environments():
        if env.executable is not None and _same_file(env.executable, wanted):
            return env
    from envsense.core.discovery import identify

    return identify(wanted, session.discovery_context())


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a == b or a.parent.resolve() / a.name == b.parent.resolve() / b.name
    except OSError:
        return False


def declared_texts(ls: EnvsenseServer, path: Path) -> frozenset[str]:
    """The project's requirements as written: only these may carry a URL."""
    declarations = ls.session.declarations(ls.session.project_for(path))
    return frozenset(r.raw.strip() for r in declarations.requirements)


def missing_packages(ls: EnvsenseServer, uri: str, path: Path) -> tuple[PackageRequest, ...]:
    """Every missing-import of the document with a known distribution, once each."""
    document = ls.workspace.get_text_document(uri)
    findings = ls.session.check_source(path, document.source)
    found: dict[str, PackageRequest] = {}
    for finding in findings:
        fix = finding.fix
        if finding.code is not Code.MISSING_IMPORT or not fix.distribution:
            continue
        key = canonicalize_name(fix.distribution)
        if key in found:
            continue
        source: NameSource = fix.name_source or "guessed"
        found[key] = PackageRequest(
            fix.requirement or fix.distribution,
            name_source=source,
            module=fix.module,
            allow_url=fix.requirement is not None,
        )
    return tuple(found.values())


def package_requests(
    ls: EnvsenseServer, args: InstallPackagesArgs, environment: Environment | None = None
) -> tuple[PackageRequest, ...]:
    """The requested names with their name source worked out here, never taken from the client.

    A client's `nameSource` (or any other claim that a name is safe) is ignored: a command
    link in a notebook output or a markdown preview could send anything. The server asks
    its own records: declared by the project's manifests, already installed in the target,
    or named by one of its own findings for this file (curated map, alternatives). Anything
    else is "guessed" and needs the user's confirmation before it is installed.
    """
    path = uri_to_path(args.uri)
    if path is None:
        return ()
    try:
        declarations = ls.session.declarations(ls.session.project_for(path)).requirements
    except Exception:  # nothing declared can be vouched for: every name gets the question
        log.exception("reading the declarations for %s failed", path)
        declarations = ()
    declared_raw = frozenset(r.raw.strip() for r in declarations)
    declared_names = frozenset(r.canonical for r in declarations)
    try:
        installed = installed_names(environment)
    except OSError:
        installed = frozenset()
    known = _finding_sources(ls, args.uri, path)
    requests = []
    for text in args.packages:
        name = _canonical_of(text)
        source: NameSource = "guessed"
        module = None
        if name is not None and name in declared_names:
            source = "declared"
        elif name is not None and name in installed:
            source = "installed"
        elif name is not None and name in known:
            source, module = known[name]
        # A URL is allowed only for a requirement the project's manifest really declares.
        allow_url = text.strip() in declared_raw
        requests.append(
            PackageRequest(text, name_source=source, module=module, allow_url=allow_url)
        )
    return tuple(requests)


def _canonical_of(text: str) -> str | None:
    try:
        return canonicalize_name(Requirement(text.strip()).name)
    except InvalidRequirement:
        return None  # the install gate refuses it with the reason


def installed_names(environment: Environment | None) -> frozenset[str]:
    """Canonical names of the distributions in the environment's own site-packages."""
    if environment is None or not environment.is_usable:
        return frozenset()
    target = InstallTarget.read(environment)
    if target is None:
        return frozenset()
    names = (dist_name_from_dist_info(path) for path in target.dist_info_dirs())
    return frozenset(name for name in names if name is not None)


def _finding_sources(
    ls: EnvsenseServer, uri: str, path: Path
) -> dict[str, tuple[NameSource, str | None]]:
    """Distribution -> (how the server learnt the name, module) from this file's findings."""
    if path.suffix.lower() not in (".py", ".pyi", ".ipynb"):
        return {}
    try:
        document = ls.workspace.get_text_document(uri)
        findings = ls.session.check_source(path, document.source)
    except Exception:  # no findings means no name is vouched for: the prompt stays
        log.exception("re-deriving name sources for %s failed", path)
        return {}
    known: dict[str, tuple[NameSource, str | None]] = {}
    for finding in findings:
        fix = finding.fix
        if fix.backport:  # stdlib-unavailable: the backport comes from envsense's own table
            known.setdefault(canonicalize_name(fix.backport), ("curated", fix.module))
        if finding.code not in (Code.MISSING_IMPORT, Code.MISSING_MODULE_SOURCE):
            continue
        if fix.distribution:
            known.setdefault(
                canonicalize_name(fix.distribution), (fix.name_source or "guessed", fix.module)
            )
        for alternative in fix.alternatives:
            known.setdefault(canonicalize_name(alternative), ("curated", fix.module))
    return known


def is_requirements_file(path: Path) -> bool:
    return is_manifest(path) and path.suffix in (".txt", ".in")


def create_contents(ls: EnvsenseServer, raw: dict[str, Any], path: Path) -> CreateContents | None:
    """{install?, extras?, groups?, requirementFiles?, useManager?} of createEnvironment."""
    what = raw.get("install")
    if what is None:
        return None  # only a URI: the project's manager and the project, as quick fixes do
    if what not in ("nothing", "project", "requirements"):
        raise JsonRpcInvalidParams(
            f"{CREATE_ENVIRONMENT}: 'install' must be nothing, project or requirements"
        )
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("extras", "groups", "requirementFiles"):
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise JsonRpcInvalidParams(f"{CREATE_ENVIRONMENT}: '{key}' must be a list of strings")
        lists[key] = tuple(value)
    use_manager = raw.get("useManager", True)
    if not isinstance(use_manager, bool):
        raise JsonRpcInvalidParams(f"{CREATE_ENVIRONMENT}: 'useManager' must be true or false")
    project = ls.session.project_for(path)
    declarations = ls.session.declarations(project)
    for name in lists["requirementFiles"]:
        # Only files of this project: a path from elsewhere could name anything to install.
        if not Path(name).resolve().is_relative_to(project.root.resolve()):
            raise JsonRpcInvalidParams(f"{CREATE_ENVIRONMENT}: {name} is not in {project.root}")
    wanted = {f"group:{g}" for g in lists["groups"]} | {f"poetry:{g}" for g in lists["groups"]}
    group_requirements = tuple(
        r.raw.strip() for r in declarations.requirements if r.group in wanted and r.requirement
    )
    extras = {f"optional:{e}" for e in lists["extras"]}
    extra_requirements = tuple(
        r.raw.strip() for r in declarations.requirements if r.group in extras and r.requirement
    )
    return CreateContents(
        what=what,
        extras=lists["extras"],
        groups=lists["groups"],
        requirement_files=tuple(Path(f) for f in lists["requirementFiles"]),
        group_requirements=group_requirements,
        extra_requirements=extra_requirements,
        use_manager=use_manager,
    )


# -- registration ----------------------------------------------------------------------


def register(server: EnvsenseServer) -> None:
    """Wire the envsense.* commands."""
    service = InstallService.shared(server)

    def refuse(message: str) -> dict[str, Any]:
        service.show(types.MessageType.Error, message)
        return Outcome(False, message).to_json()

    @server.command(INSTALL_PACKAGES)
    async def install_packages(ls: EnvsenseServer, *args: Any) -> dict[str, Any]:
        """Install packages (or all missing ones of a file) into the file's environment."""
        parsed = InstallPackagesArgs.parse(args)
        path = _path({"uri": parsed.uri}, INSTALL_PACKAGES)
        if (outside := outside_workspace(ls, path)) is not None:
            return refuse(outside)
        if parsed.environment is not None and (wrong := bad_interpreter_name(parsed.environment)):
            return refuse(wrong)
        await ls.discovered.wait()
        environment = await asyncio.to_thread(environment_for, ls, path, parsed.environment)
        if parsed.environment is not None and (
            problem := interpreter_problem(parsed.environment, environment)
        ):
            return refuse(problem)
        requests = await asyncio.to_thread(package_requests, ls, parsed, environment)
        if parsed.all:
            requests += await asyncio.to_thread(missing_packages, ls, parsed.uri, path)
        if not requests:
            message = "envsense: this file has no missing package with a known distribution"
            service.show(types.MessageType.Info, message)
            return Outcome(False, message, environment=environment).to_json()
        outcome = await service.install(environment, requests, path=path)
        return outcome.to_json()

    @server.command(INSTALL_PROJECT)
    async def install_project(ls: EnvsenseServer, *args: Any) -> dict[str, Any]:
        """Install the project's dependencies (or a requirements file) into its environment."""
        raw = _object(args, INSTALL_PROJECT)
        path = _path(raw, INSTALL_PROJECT)
        if (outside := outside_workspace(ls, path)) is not None:
            return refuse(outside)
        await ls.discovered.wait()
        environment = await asyncio.to_thread(environment_for, ls, path, None)
        files = (path,) if is_requirements_file(path) else ()
        outcome = await service.install(
            environment, (), path=path, requirement_files=files, install_project=not files
        )
        return outcome.to_json()

    @server.command(CREATE_ENVIRONMENT)
    async def create_environment(ls: EnvsenseServer, *args: Any) -> dict[str, Any]:
        """Create (or with `recreate` replace) the project's .venv, install it, select it.

        With `dryRun` nothing runs: the answer's `summary` lists the commands instead.
        """
        raw = _object(args, CREATE_ENVIRONMENT)
        path = _path(raw, CREATE_ENVIRONMENT)
        python = _text(raw, "python", CREATE_ENVIRONMENT)
        recreate = _flag(raw, "recreate", CREATE_ENVIRONMENT)
        if (outside := outside_workspace(ls, path)) is not None:
            return refuse(outside)
        if python is not None:
            if (wrong := bad_interpreter_name(python)) is not None:
                return refuse(wrong)
            await ls.discovered.wait()
            base_env = await asyncio.to_thread(environment_for, ls, path, python)
            if (problem := interpreter_problem(python, base_env)) is not None:
                return refuse(problem)
        contents = create_contents(ls, raw, path)
        base = Path(python) if python else None
        if _flag(raw, "dryRun", CREATE_ENVIRONMENT):
            plan = await service.plan_create(path, base, recreate=recreate, contents=contents)
            if isinstance(plan, str):
                return {"ok": False, "message": plan, "summary": []}
            return {"ok": True, "message": plan.title, "summary": summary(plan)}
        outcome = await service.create(path, base, recreate=recreate, contents=contents)
        return outcome.to_json()

    @server.command(SELECT_ENVIRONMENT)
    async def select_environment(ls: EnvsenseServer, *args: Any) -> dict[str, Any]:
        """Use the given interpreter for the file's project (remembered), then re-check."""
        raw = _object(args, SELECT_ENVIRONMENT)
        path = _path(raw, SELECT_ENVIRONMENT)
        executable = _text(raw, "executable", SELECT_ENVIRONMENT, required=True)
        assert executable is not None
        if (outside := outside_workspace(ls, path)) is not None:
            return refuse(outside)
        if (wrong := bad_interpreter_name(executable)) is not None:
            return refuse(f"{wrong}; nothing was selected")
        await ls.discovered.wait()
        candidate = await asyncio.to_thread(environment_for, ls, path, executable)
        if (problem := interpreter_problem(executable, candidate)) is not None:
            return refuse(f"{problem}; nothing was selected")
        selection = await asyncio.to_thread(ls.session.select, path, Path(executable))
        ls.environments_changed()
        env = selection.environment
        if env is None or not env.is_usable:
            problem = env.error if env is not None and env.error else "it can't be used"
            message = f"envsense: selected {executable}, but {problem}"
            service.show(types.MessageType.Warning, message)
            return Outcome(False, message, environment=env).to_json()
        project = ls.session.project_for(path)
        message = f"{project.root.name} now uses {env.label}"
        ls.log(message)
        return Outcome(True, message, environment=env).to_json()

    @server.command(EXPLAIN)
    async def explain(ls: EnvsenseServer, *args: Any) -> dict[str, Any]:
        """Show an explanation (what replaces a removed stdlib module, ...)."""
        raw = _object(args, EXPLAIN)
        message = _text(raw, "message", EXPLAIN, required=True)
        assert message is not None
        service.show(types.MessageType.Info, message)
        return {"ok": True, "message": message}
