"""One workspace's analysis state: environments, each project's selection, and caches.

Both front ends use it: the CLI makes one per run, the language server one per
connection. It owns every cache, so a front end never decides when data is stale; it
only says what changed (`invalidate`) and asks for findings.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from envsense.core import folder_memo
from envsense.core.declarations import Declarations, parse_manifest, read_declarations
from envsense.core.declarations.installed import with_installed_metadata
from envsense.core.declarations.roles import with_pins_marked
from envsense.core.discovery import discover, fs, identify
from envsense.core.discovery.context import DiscoveryContext
from envsense.core.discovery.rules import CHOICE_FILES, project_rules
from envsense.core.environment import Environment
from envsense.core.files import ListedFolder, is_manifest
from envsense.core.findings import Code, Finding, Severity
from envsense.core.picks import PickStore
from envsense.core.projects import Project, ProjectFolders, enclosing_projects, find_project
from envsense.core.selection import Selection, select_environment

# The checks and the inventory reader are imported where they are used: `envsense envs`
# only discovers and selects, and importing them was a sixth of its start-up.
if TYPE_CHECKING:
    from envsense.core.checks.module_reading import DiskContent
    from envsense.core.checks.requirements import ManifestOptions
    from envsense.core.checks.source import ProjectContext
    from envsense.core.environment.inventory import Inventory
    from envsense.core.imports.incremental import IncrementalImports

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SessionSettings:
    """What the user configured; `severity_overrides[code] = None` turns a code off."""

    interpreter: Path | None = None
    extra_paths: tuple[Path, ...] = ()
    severity_overrides: Mapping[Code, Severity | None] = field(default_factory=dict)
    trusted: bool = True
    # Findings on imports that never run in the environment are hints instead of dropped.
    report_unreachable_imports: bool = False
    # Requirements of extras / dependency groups nobody installed: a hint instead of nothing.
    report_unrequested_extras: bool = False
    # Extras / groups to treat as installed even when none of their packages is.
    requested_extras: tuple[str, ...] = ()


class Session:
    """Environments of the machine and what each project of the workspace uses."""

    def __init__(
        self,
        folders: Sequence[Path],
        *,
        settings: SessionSettings | None = None,
        picks: PickStore | None = None,
        context: DiscoveryContext | None = None,
        one_shot: bool = False,
    ) -> None:
        """`one_shot`: the session checks a tree once (the CLI) and nothing it read of the
        environment changes meanwhile: each folder's context is worked out once, not
        looked up again (and the environment stat'ed) for every file."""
        self._folders = [f.resolve() for f in folders]
        self.settings = settings or SessionSettings()
        self._picks = picks if picks is not None else PickStore.default()
        self._context = context
        # Discovery runs in a worker thread while handlers read; one lock keeps it simple
        # and every critical section is short (no I/O while holding it except cache fills).
        self._lock = threading.RLock()
        self._environments: list[Environment] | None = None
        self._selections: dict[Path, Selection] = {}
        self._inventories: dict[str, tuple[str, Inventory]] = {}
        self._declarations: dict[Path, Declarations] = {}
        self._overlays: dict[Path, str] = {}
        # Per folder: the project its files belong to (finding it lists every ancestor).
        self._projects: dict[Path, Project] = {}
        # The same by the path asked about (a file): no stat to tell a file from a folder.
        self._path_projects: dict[Path, Project] = {}
        # Each folder's markers, listed once for all the files whose project climbs past it.
        self._project_folders = ProjectFolders()
        # Project roots whose enclosing projects were looked for (see `_scan_above`).
        self._scanned_above: set[Path] = set()
        # Interpreters identified (the explicit one, once per project otherwise), while
        # the discovery context they were identified in holds, for a moment (an env may be
        # made again in place: its files are read again, as folder_memo's listings are).
        self._identified: dict[Path, tuple[DiscoveryContext, float, Environment]] = {}
        # Canonical paths, each folder resolved once (kept for a second: links may change).
        self._realpaths = fs.RealpathCache()
        self._realpaths_since = time.monotonic()
        # Project roots above every workspace folder, scanned for environments too.
        self._scan_roots: list[Path] = []
        # Per project: the resolver and dependency graph, reused across files until the
        # declarations, the selection or the environment's packages change.
        self._contexts: dict[Path, tuple[tuple[str, str], Declarations, ProjectContext]] = {}
        # One-shot sessions: the context of each folder of checked files, by its path string.
        self._one_shot = one_shot
        self._folder_contexts: dict[str, ProjectContext] = {}

    # -- configuration -----------------------------------------------------------------

    @property
    def folders(self) -> list[Path]:
        return list(self._folders)

    def update_settings(self, settings: SessionSettings) -> None:
        with self._lock:
            self.settings = settings
            self._selections.clear()
            self._contexts.clear()
            self._folder_contexts.clear()

    def change_folders(self, *, added: Iterable[Path], removed: Iterable[Path]) -> None:
        with self._lock:
            gone = {p.resolve() for p in removed}
            self._folders = [f for f in self._folders if f not in gone]
            self._folders += [p.resolve() for p in added if p.resolve() not in self._folders]
            self._context = None
            self._selections.clear()
            self._folder_contexts.clear()
            self._scanned_above.clear()

    def discovery_context(self) -> DiscoveryContext:
        if self._context is None:
            self._context = DiscoveryContext.from_os(
                workspace_folders=(*self._folders, *self._scan_roots)
            )
        return self._context

    # -- environments ------------------------------------------------------------------

    def refresh_environments(self) -> int:
        """Discover again (blocking); returns how many environments were found."""
        # Interpreters whose version no file tells are asked once (cached on disk, never
        # through a shim, never inside an untrusted workspace).
        found = discover(self.discovery_context(), allow_spawn=True, trusted=self.settings.trusted)
        with self._lock:
            self._environments = found
            self._selections.clear()
            self._inventories.clear()
            self._folder_contexts.clear()
            self._identified.clear()
        return len(found)

    def environments(self) -> list[Environment]:
        with self._lock:
            if self._environments is not None:
                return list(self._environments)
        self.refresh_environments()
        with self._lock:
            return list(self._environments or ())

    def folder_for(self, path: Path) -> Path:
        """The workspace folder holding `path` (the deepest one), else the file's folder."""
        # realpath, not resolve(): a symlink loop must not raise (issue #11).
        resolved = self._realpath(path)
        holders = [f for f in self._folders if fs.is_within(resolved, f)]
        if holders:
            return max(holders, key=lambda f: len(f.parts))
        return resolved if resolved.is_dir() else resolved.parent

    def _realpath(self, path: Path) -> Path:
        """`fs.realpath`, with the folders above resolved once (a file of a new folder
        was a lstat per component, twice, for every folder of the workspace)."""
        return self._realpath_cache()(path)

    def _realpath_cache(self) -> fs.RealpathCache:
        now = time.monotonic()
        with self._lock:
            if now - self._realpaths_since >= folder_memo.REVALIDATE_SECONDS:
                self._realpaths = fs.RealpathCache()
                self._realpaths_since = now
            return self._realpaths

    def take_walk(
        self, listed: Mapping[str, ListedFolder], since: float, starts: Sequence[Path]
    ) -> None:
        """The folders a check's walk from `starts` listed from `since` (time.monotonic())
        on: finding their files' projects reads their entries from these listings
        (workspace -> project) instead of listing or stat'ing them again, while a listing
        of that moment is trusted (core/folder_memo.py)."""
        self._project_folders.take_listings(listed, since)
        with self._lock:
            # The canonical paths known now are dropped a second after `since` at most.
            self._realpaths_since = min(self._realpaths_since, since)
            self._realpaths.take_listings(listed, starts)

    def project_for(self, path: Path) -> Project:
        with self._lock:
            cached = self._path_projects.get(path)
        if cached is not None:
            return cached
        # Listed as a plain file by the walk a moment ago: no stat to tell it from a folder.
        listed_file = self._realpath_cache().listed_file(path)
        # Keyed by the folder as given: resolving every file's path costs more than the rest.
        folder = path if not listed_file and path.is_dir() else path.parent
        with self._lock:
            cached = self._projects.get(folder)
        if cached is not None:
            if folder is not path:
                with self._lock:
                    self._path_projects[path] = cached
            return cached
        # From the file upwards, past the workspace folder: a client may open a sub-folder
        # of the project (eglot without VCS opens the file's own folder).
        home = self.discovery_context().home
        project = find_project(
            self._realpath(path),
            self.folder_for(path),
            home=home,
            folders=self._project_folders,
            is_dir=False if listed_file else None,
        )
        self._scan_above(project, home)
        with self._lock:
            self._projects[folder] = project
            if folder is not path:
                self._path_projects[path] = project
        return project

    def _scan_above(self, project: Project, home: Path) -> None:
        """A project (or one enclosing it) above every workspace folder is scanned too:
        its .venv is the project's even when the client opened a sub-folder or a member.
        Environments are discovered again, once per such root."""
        if not project.markers:
            return
        with self._lock:
            # Once per project: every folder of it shares the answer.
            if project.root in self._scanned_above:
                return
            self._scanned_above.add(project.root)
        enclosing = enclosing_projects(project, home=home, folders=self._project_folders)
        roots = [project.root, *(p.root for p in enclosing)]
        with self._lock:
            new = [
                root
                for root in roots
                if root not in self._scan_roots
                and not any(root == f or f in root.parents for f in self._folders)
            ]
            if not new:
                return
            self._scan_roots += new
            self._context = None
            self._environments = None
            self._selections.clear()
            self._folder_contexts.clear()

    def declarations(self, project: Project) -> Declarations:
        with self._lock:
            cached = self._declarations.get(project.root)
        if cached is not None:
            return cached
        declarations = read_declarations(project.root)
        for manifest, text in self._overlays_under(project.root):
            declarations = declarations.with_manifest(manifest, parse_manifest(manifest, text))
        with self._lock:
            self._declarations[project.root] = declarations
        return declarations

    def selection(self, project: Project) -> Selection:
        with self._lock:
            cached = self._selections.get(project.root)
        if cached is not None:
            return cached
        declarations = self.declarations(project)
        requires = declarations.requires_python.specifier if declarations.requires_python else None
        if self.settings.interpreter is not None:
            # An explicit interpreter needs no discovery of the whole machine (CI's --python).
            environment = self._environment_for_executable(self.settings.interpreter)
            selection = Selection(environment, "set explicitly (--python / envsense.interpreter)")
            with self._lock:
                self._selections[project.root] = selection
            return selection
        selection = select_environment(
            project,
            self.environments(),
            explicit=self.settings.interpreter,
            last_pick=self._picks.get(project.root),
            active=self._active_environment(),
            requires_python=requires,
            rules=project_rules(project.root, self.discovery_context()),
        )
        with self._lock:
            self._selections[project.root] = selection
        return selection

    def select(self, path: Path, executable: Path) -> Selection:
        """The user picked an interpreter for the project of `path`: remember it."""
        project = self.project_for(path)
        environment = self._environment_for_executable(executable)
        self._picks.set(project.root, executable)
        selection = Selection(environment, "picked by you")
        with self._lock:
            self._selections[project.root] = selection
            self._folder_contexts.clear()
        return selection

    def inventory(self, environment: Environment | None) -> Inventory | None:
        """The environment's packages, re-read only when its site-packages changed."""
        return self._inventory_and_state(environment)[0]

    def _inventory_and_state(self, environment: Environment | None) -> tuple[Inventory | None, str]:
        """The inventory and the state key it was checked against (one look at the disk)."""
        if environment is None or not environment.is_usable:
            return None, ""
        with self._lock:
            cached = self._inventories.get(environment.key)
        if cached is not None:
            if self._one_shot:
                return cached[1], cached[0]  # nothing is installed during the run
            state = cached[1].state_key()
            if state == cached[0]:
                return cached[1], state
        from envsense.core.environment.inventory import read_inventory

        try:
            inventory = read_inventory(environment)
        except OSError as error:
            log.warning("cannot read %s: %s", environment.prefix, error)
            return None, ""
        state = inventory.state_key()
        with self._lock:
            self._inventories[environment.key] = (state, inventory)
        return inventory, state

    # -- changes -----------------------------------------------------------------------

    def set_overlay(self, path: Path, text: str | None) -> None:
        """The editor's unsaved text of a manifest (None when closed: disk is the truth)."""
        resolved = path.resolve()
        with self._lock:
            if text is None:
                self._overlays.pop(resolved, None)
            else:
                self._overlays[resolved] = text
            self._forget_project_of(resolved)
            self._folder_contexts.clear()

    def invalidate(self, paths: Iterable[Path]) -> bool:
        """Files changed on disk; returns True when environments must be discovered again."""
        rediscover = False
        with self._lock:
            self._folder_contexts.clear()
            self._scanned_above.clear()
            for path in paths:
                if is_manifest(path) or path.name == "setup.py":
                    self._forget_project_of(path.resolve())
                    # A manifest that appeared or vanished moves project boundaries.
                    self._projects.clear()
                    self._path_projects.clear()
                    self._project_folders.clear()
                    self._scanned_above.clear()
                if path.name == "pyvenv.cfg" or "conda-meta" in path.parts:
                    rediscover = True
                if path.name in CHOICE_FILES:
                    self._selections.clear()  # the project's tool may now pick another env
                if "site-packages" in path.parts or path.suffix == ".pth":
                    self._inventories.clear()
        return rediscover

    # -- findings ----------------------------------------------------------------------

    def context_for(self, path: Path) -> ProjectContext:
        """Everything a check of a file in this project needs, resolved once."""
        from envsense.core.checks.source import ProjectContext

        project = self.project_for(path)
        selection = self.selection(project)
        declarations = self.declarations(project)
        inventory, state = self._inventory_and_state(selection.environment)
        key = (selection.environment.key if selection.environment else "", state)
        with self._lock:
            cached = self._contexts.get(project.root)
        if cached is not None and cached[0] == key and cached[1] is declarations:
            return cached[2]
        context = ProjectContext(
            project=project,
            # What the files can't say (dynamic dependencies), the installed project can.
            declarations=with_pins_marked(
                with_installed_metadata(declarations, project.root, inventory)
            ),
            selection=selection,
            inventory=inventory,
            extra_paths=self.settings.extra_paths,
            report_unreachable=self.settings.report_unreachable_imports,
            steady=self._one_shot,
        )
        with self._lock:
            self._contexts[project.root] = (key, declarations, context)
        return context

    def _file_context(self, path: Path) -> ProjectContext:
        """`context_for` a file being checked (never a folder): in a one-shot session,
        worked out once per folder."""
        if not self._one_shot:
            return self.context_for(path)
        folder = os.path.dirname(str(path))
        known = self._folder_contexts.get(folder)
        if known is None:
            known = self.context_for(path)
            with self._lock:
                self._folder_contexts[folder] = known
        return known

    def check_source(
        self,
        path: Path,
        text: str,
        imports: IncrementalImports | None = None,
        disk: DiskContent | None = None,
    ) -> list[Finding]:
        """Findings of a Python file; `imports` is an open document's incremental scan,
        `disk` what `text` was decoded from when it was just read from the file."""
        from envsense.core.checks.project import environment_findings
        from envsense.core.checks.source import source_findings

        context = self._file_context(path)
        findings = source_findings(path, text, context, imports, disk)
        findings += environment_findings(path, context, source_text=text)
        if path.name == "setup.py" and path.parent == context.project.root:
            # setup.py is a manifest too: its requirement strings get their own findings.
            from envsense.core.checks.requirements import manifest_findings

            declared = parse_manifest(path, text)
            findings += manifest_findings(path, declared, context, self._manifest_options())
        return self._apply_settings(findings)

    def check_notebook(self, path: Path, cells: Sequence[str]) -> list[list[Finding]]:
        from envsense.core.checks.source import notebook_findings

        context = self._file_context(path)
        return [self._apply_settings(f) for f in notebook_findings(path, cells, context)]

    def check_manifest(self, path: Path, text: str) -> list[Finding]:
        from envsense.core.checks.project import environment_findings
        from envsense.core.checks.requirements import manifest_findings

        context = self.context_for(path)
        findings = manifest_findings(
            path, parse_manifest(path, text), context, self._manifest_options()
        )
        findings += environment_findings(path, context, source_text=text)
        findings = self._with_lock_findings(path, text, context, findings)
        return self._apply_settings(findings)

    def check_project(self, path: Path) -> list[Finding]:
        """Findings about the project of `path` as a whole (its one no-environment
        finding, on its manifest), for front ends that report per project."""
        from envsense.core.checks.project import project_findings

        return self._apply_settings(project_findings(self.context_for(path)))

    def check_lock(self, path: Path, text: str | None = None) -> list[Finding]:
        """Findings on a lock file (uv.lock, poetry.lock, pylock.toml, ...): the environment
        against each entry. `text` is the editor's unsaved content (None: read the file)."""
        from envsense.core.checks.lock import lock_file_findings

        context = self.context_for(path)
        findings = lock_file_findings(path, context, self.folder_for(path), text)
        return self._apply_settings(findings)

    def _with_lock_findings(
        self, path: Path, text: str, context: ProjectContext, findings: list[Finding]
    ) -> list[Finding]:
        from envsense.core.checks.lock import manifest_lock_findings, prefer_lock_findings

        extra = manifest_lock_findings(path, text, context, self.folder_for(path))
        return prefer_lock_findings(findings + extra) if extra else findings

    # -- internals ---------------------------------------------------------------------

    def _manifest_options(self) -> ManifestOptions:
        from envsense.core.checks.requirements import ManifestOptions

        return ManifestOptions(
            report_unrequested=self.settings.report_unrequested_extras,
            requested=self.settings.requested_extras,
        )

    def _apply_settings(self, findings: list[Finding]) -> list[Finding]:
        result: list[Finding] = []
        for finding in findings:
            if finding.code in self.settings.severity_overrides:
                severity = self.settings.severity_overrides[finding.code]
                if severity is None:
                    continue
                finding = replace(finding, severity=severity)
            result.append(finding)
        return sorted(result, key=Finding.sort_key)

    def _overlays_under(self, root: Path) -> list[tuple[Path, str]]:
        with self._lock:
            return [(p, t) for p, t in self._overlays.items() if p.parent == root]

    def _forget_project_of(self, path: Path) -> None:
        for root in list(self._declarations):
            if path == root or root in path.parents:
                del self._declarations[root]
                self._selections.pop(root, None)

    def _active_environment(self) -> Environment | None:
        from envsense.core.discovery import active_environment

        return active_environment(self.discovery_context(), self.environments())

    def _environment_for_executable(self, executable: Path) -> Environment:
        with self._lock:
            known = list(self._environments or ())
        for environment in known:
            if environment.executable is not None and _same_file(
                environment.executable, executable
            ):
                return environment
        context = self.discovery_context()
        now = time.monotonic()
        with self._lock:
            identified = self._identified.get(executable)
        if (
            identified is not None
            and identified[0] is context
            and now - identified[1] < folder_memo.REVALIDATE_SECONDS
        ):
            return identified[2]
        found = identify(executable, context)
        with self._lock:
            if self._environments is not None:
                self._environments.append(found)
            if found.error is None:
                self._identified[executable] = (context, now, found)
        return found


def _same_file(a: Path, b: Path) -> bool:
    """Same interpreter path; the last link is not followed, since every venv's python
    links to the same base binary."""
    try:
        return a == b or a.parent.resolve() / a.name == b.parent.resolve() / b.name
    except OSError:
        return False
