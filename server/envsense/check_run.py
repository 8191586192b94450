"""`envsense check`: walk the paths, check every file, print findings, choose the exit code."""

from __future__ import annotations

import gc
import logging
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG
from typing import TYPE_CHECKING, NoReturn

from envsense.check_context import SourceStamps, folder_fingerprint
from envsense.check_file import checked_safely, not_checked, read_limit
from envsense.check_pool import (
    POOL_THRESHOLD,
    run_sharded,
    spare_core,
    warm_up_sample,
    worker_count,
)
from envsense.check_prefetch import ScanAhead, ScanPlan
from envsense.check_projects import lock_files_to_check, project_findings
from envsense.check_report import exit_status, write_report
from envsense.core.check_cache import (
    CheckCache,
    Encoded,
    StatKey,
    cache_path,
    content_digest,
    encode_findings,
    encoded_text,
    stat_key,
    valid_findings,
)
from envsense.core.checks.module_reading import DiskContent
from envsense.core.environment import Environment
from envsense.core.files import ListedFolder, iter_checkable_files
from envsense.core.safe_read import (
    read_bytes_and_stat,
)
from envsense.core.session import Session, SessionSettings
from envsense.error_text import describe_error
from envsense.fork_pool import flush_output

if TYPE_CHECKING:
    from envsense.core.checks.import_chain import ImportOutcomes

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Folder:
    """What every file of one folder shares: its project and the cache's context key."""

    root: Path
    context: str | None  # None: no cache, or the context could not be fingerprinted


# One checked file, as a worker hands it back: (digest or None when it could not be read,
# encoded findings, their JSON text for the cache when they are new to it, the file's stat
# as it was opened). The text is made where the file was checked: in a worker, it costs
# the parent nothing when saving.
_Checked = tuple[str | None, list[Encoded], str | None, StatKey | None]
# The context of a folder whose fingerprint is taken once its files' stats are known.
_LATER = ""


class _CheckRun:
    """The files of one `envsense check`, checked from the cache, serially or in a pool."""

    def __init__(
        self,
        session: Session,
        cache: CheckCache | None,
        paths: Sequence[Path],
        early: ScanAhead | None = None,
    ) -> None:
        self.session = session
        self.cache = cache
        self.paths = paths
        # A scanner the CLI started before the session existed (ScanAhead.start_early).
        self.early = early
        self.files: list[Path] = []
        self.stats: list[StatKey | None] = []
        self.folders: list[_Folder] = []
        self._by_folder: dict[str, _Folder] = {}
        self._stamps: SourceStamps | None = None
        self._fingerprints: dict[tuple[Path, Path], str] = {}
        # Without a cache entry to find by stat (no cache, or an empty one), the walk takes
        # no stat: each file's comes from where it is read, and the folders' fingerprints
        # (which fold the stats in) are taken after the check: a tenth of the walk.
        self._later: dict[int, tuple[_Folder, Path, Path | None]] | None = None

    def walk(self) -> None:
        _settle()  # the cache's entries
        listed: dict[str, ListedFolder] = {}
        since = time.monotonic()
        taken = None
        if self.early is not None and (self.cache is None or self.cache.empty):
            # The scanner the CLI started walked the same folders while this process was
            # importing: take its walk rather than walk again.
            taken = self.early.take_walk()
        if taken is not None:
            self.files, listed, since = taken
            self.stats = [None] * len(self.files)
            self._later = {} if self.cache is not None else None
        elif self.cache is None or self.cache.empty:
            self.files = list(iter_checkable_files(self.paths, listed))
            self.stats = [None] * len(self.files)
            self._later = {} if self.cache is not None else None
        else:
            for path in iter_checkable_files(self.paths, listed):
                self._add(path)
            self._stamps = SourceStamps(self.paths, self.files, self.stats)
        # Each folder's project is looked up from its files: the walk's listings serve it.
        self.session.take_walk(listed, since, self.paths)
        _settle()

    def _add(self, path: Path) -> None:
        """A file to check, with the stat its cache entry is trusted by (None: not regular)."""
        self.files.append(path)
        self.stats.append(_stat(path))

    def check_all(self, jobs: int | None) -> list[list[Encoded]]:
        """Each file's findings, in walk order, encoded (core/check_cache.py): what a worker
        or the cache gave goes to the output as it is (see `decoded` for Finding objects)."""
        results: list[list[Encoded] | None] = [None] * len(self.files)
        pending: list[int] = []
        # A cold run that will fork a pool: scan imports ahead on the other core from now
        # on, while this one prepares each folder and warms up.
        ahead = self._scan_ahead(jobs)
        try:
            for index, path in enumerate(self.files):
                folder = self.folder(path)
                self.folders.append(folder)
                stat = self.stats[index]
                if self.cache is None or folder.context is None or stat is None:
                    pending.append(index)
                    continue
                encoded = self.cache.get_by_stat(str(path), stat, folder.context)
                if encoded is None or not valid_findings(encoded):
                    pending.append(index)
                else:
                    results[index] = encoded
            workers = worker_count(jobs, len(pending))
            checked: list[_Checked] | None = None
            if workers > 1:
                checked = self._check_in_pool(pending, workers, ahead)
            elif ahead is not None:
                prepared = ahead.finish()
                for each in self._prepare_workers(pending):
                    each.prepared = prepared
            if checked is None:
                checked = self._check_indices(pending)
        finally:
            if ahead is not None:
                ahead.reap()
        _settle()
        if self._later is not None:
            self._fingerprint_later(pending, checked)
        for index, (digest, encoded, text, _) in zip(pending, checked, strict=True):
            results[index] = encoded
            self._store(index, digest, encoded, text)
        _settle()
        return [r if r is not None else [] for r in results]

    def check_one(self, path: Path) -> list[Encoded]:
        """A file outside the walk (a lock file), checked here."""
        self._add(path)
        self.folders.append(self.folder(path))
        index = len(self.files) - 1
        digest, encoded, text, _ = self._check_indices([index])[0]
        self._store(index, digest, encoded, text)
        return encoded

    def folder(self, path: Path) -> _Folder:
        # By string: a Path parent and its hash cost more than the lookup, per file.
        parent = os.path.dirname(str(path))
        known = self._by_folder.get(parent)
        if known is None:
            known = self._by_folder[parent] = self._new_folder(path)
        return known

    def _new_folder(self, path: Path) -> _Folder:
        root = self.session.project_for(path).root
        if self.cache is None:
            return _Folder(root, None)
        if self._later is not None:
            folder = _Folder(root, _LATER)
            try:  # its workspace folder now: the real paths it needs were just resolved
                boundary: Path | None = self.session.folder_for(path)
            except (ValueError, OSError):
                boundary = None  # met again when the context is taken
            self._later[id(folder)] = (folder, path, boundary)
            return folder
        return _Folder(root, self._context(path, root))

    def _context(self, path: Path, root: Path, boundary: Path | None = None) -> str | None:
        try:
            if boundary is None:
                boundary = self.session.folder_for(path)
            return self._fingerprint(path, root, boundary)
        except (RecursionError, MemoryError, ValueError, TypeError, LookupError, OSError) as error:
            # The check of its files meets the same trouble and reports it per file.
            log.debug("no cache context for %s: %s", path, describe_error(error))
            return None

    def _fingerprint_later(self, pending: Sequence[int], checked: Sequence[_Checked]) -> None:
        """The stats the checks took, then the fingerprints of the folders that waited for
        them (a file that could not be read is stat'ed here, as the walk would have)."""
        for index, (digest, _, _, stat) in zip(pending, checked, strict=True):
            self.stats[index] = stat if digest is not None else _stat(self.files[index])
        self._stamps = SourceStamps(self.paths, self.files, self.stats)
        later, self._later = self._later or {}, None
        for folder, path, boundary in later.values():
            folder.context = self._context(path, folder.root, boundary)

    def _fingerprint(self, path: Path, root: Path, boundary: Path) -> str:
        """The cache context of `path`'s folder: the same for every folder of a project
        (and workspace folder `boundary`), so computed once per pair."""
        key = (root, boundary)
        known = self._fingerprints.get(key)
        if known is None:
            context = self.session.context_for(path)
            known = folder_fingerprint(self.session, context, boundary, self._stamps)
            self._fingerprints[key] = known
        return known

    def _store(
        self, index: int, digest: str | None, encoded: list[Encoded], text: str | None
    ) -> None:
        context = self.folders[index].context
        stat = self.stats[index]
        if self.cache is not None and digest is not None and context is not None and stat:
            self.cache.put(str(self.files[index]), digest, context, stat, encoded, text)

    def _scan_ahead(self, jobs: int | None) -> ScanAhead | None:
        """The import scanner, started before the folders are prepared when the run is
        cold enough to need a pool (a warm run forks only if many files changed) and a
        core is spare (on a busy machine it would only add CPU time: 0.1 s on django).
        One the CLI started early is aimed at the interpreter, or ended."""
        early, self.early = self.early, None
        ahead = self._start_scan(jobs, early)
        if early is not None and ahead is not early:
            early.reap()
        return ahead

    def _start_scan(self, jobs: int | None, early: ScanAhead | None) -> ScanAhead | None:
        if not self.files or worker_count(jobs, len(self.files)) < 2 or not spare_core():
            return None
        if self.cache is not None and len(self.cache) > len(self.files) - POOL_THRESHOLD:
            return None
        try:
            context = self.session.context_for(self.files[0])
        except Exception as error:  # the check of that file meets it again and says so
            log.debug("no context for %s: %s", self.files[0], describe_error(error))
            return None
        if context.inventory is None:
            return None  # nothing is resolved, so nothing is scanned
        # First what the warm-up will read (cold: every file is pending), then the rest
        # from the far end (the warm-up's chains read the package itself, first in walk
        # order, rather than its tests).
        root = context.project.root
        plan = ScanPlan(
            first=warm_up_sample(range(len(self.files))),
            then=range(len(self.files) - 1, -1, -1),
            roots=(str(root / "src"), str(root)),
            site=tuple(map(str, context.inventory.site_packages)),
        )
        target = context.outcomes.target
        if early is not None and early.adoptable():
            early.aim(target, plan.roots, plan.site)
            return early
        return ScanAhead.start(self.files, plan, target)

    def _check_in_pool(
        self, pending: Sequence[int], workers: int, ahead: ScanAhead | None
    ) -> list[_Checked] | None:
        """Check a spread sample here first, so the caches every file needs (the chains
        of the most imported modules) are filled once and inherited, then fork for the
        rest. Meanwhile the scanner reads imports on the other core: the warm-up takes
        what it has scanned already, the workers the rest."""
        outcomes = self._prepare_workers(pending)
        sample = warm_up_sample(pending)
        chosen = set(sample)
        rest = [index for index in pending if index not in chosen]
        late = None
        if ahead is None and outcomes and spare_core():  # many changed files in a warm run
            late = ahead = ScanAhead.start(self.files, ScanPlan((), rest[::-1]), outcomes[0].target)
        try:
            if ahead is not None:
                # For the warm-up, the workers, and this process if the pool fails.
                for each in outcomes:
                    each.prepared = ahead.prepared
            warm = {index: self._check(index) for index in sample}
            if ahead is not None:
                ahead.finish()
        finally:
            if late is not None:
                late.reap()
        groups = [self.folders[index] for index in rest]
        done = run_sharded(self._check_encoded, rest, workers, groups)
        if done is None:
            return None
        forked = iter(done)
        return [warm[index] if index in warm else next(forked) for index in pending]

    def _prepare_workers(self, pending: Sequence[int]) -> list[ImportOutcomes]:
        """Build what every worker would otherwise build for itself, before forking; the
        projects' import outcomes (where the scans prepared ahead are handed to)."""
        samples = {self.folders[i].root: self.files[i] for i in reversed(pending)}
        outcomes: list[ImportOutcomes] = []
        for sample in samples.values():
            try:
                context = self.session.context_for(sample)
                context.resolver  # noqa: B018 (built lazily; built once here, not per worker)
                context.graph  # noqa: B018
                if context.inventory is not None:
                    outcomes.append(context.outcomes)
            except Exception as error:  # the workers meet it again and report it per file
                log.debug("preparing %s failed: %s", sample, describe_error(error))
        return outcomes

    def _check_encoded(self, indices: Sequence[int]) -> list[_Checked]:
        """In a worker: encoded findings (Finding objects cost more to send)."""
        return self._check_indices(indices)

    def _check_indices(self, indices: Sequence[int]) -> list[_Checked]:
        return [self._check(index) for index in indices]

    def _check(self, index: int) -> _Checked:
        path = self.files[index]
        try:
            data, opened = read_bytes_and_stat(path, read_limit(path))
        except OSError as error:
            log.warning("cannot read %s: %s", path, error)
            if isinstance(error.__cause__, FileNotFoundError):
                return None, [], None, None  # gone since the walk listed it
            return None, encode_findings(path, [not_checked(path, str(error))]), None, None
        raw = content_digest(data)
        digest = raw.hex()  # = content_hash(data)
        stat = stat_key(opened)
        context = self.folders[index].context
        cached = self.cache is not None and context is not None
        if self.cache is not None and context:
            encoded = self.cache.peek(str(path), digest, context)
            if encoded is not None and valid_findings(encoded):
                return digest, encoded, None, stat
        disk = DiskContent(raw, opened.st_mtime_ns, opened.st_size, b"sys.path" in data)
        encoded = encode_findings(path, checked_safely(self.session, path, data, disk))
        return digest, encoded, encoded_text(encoded) if cached else None, stat


def _stat(path: Path) -> StatKey | None:
    """The stat a cache entry is trusted by (None: not a regular file)."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return stat_key(st) if S_ISREG(st.st_mode) else None


def _settle() -> None:
    """Keep what exists now out of the collector's full passes: what a check run holds (the
    cache's entries, the walk's paths and stats, the findings) lives to its end, and each
    full pass went over all of it again (a tenth of the parent's time on 10,000 files).
    Garbage made afterwards is collected as before."""
    gc.freeze()


def run_check(
    paths: Sequence[Path],
    folders: Sequence[Path],
    *,
    python: Path | None = None,
    output_format: str = "text",
    use_cache: bool = True,
    locked: bool = False,
    jobs: int | None = None,
    early: ScanAhead | None = None,
    exit_process: bool = False,
) -> int:
    """Check `paths`; exit 1 when an error-severity finding exists (with `locked`, also
    when the environment drifts from a lock file), 2 on internal error.

    `jobs` caps the processes checking files (1: this one only; None: automatic); `early`
    is an import scanner started before this was called (ScanAhead.start_early).
    `exit_process`: this is the program, so the process ends here with that status (see
    `_exit_now`) instead of returning it."""
    # The CLI runs on checkouts it did not write (CI on a pull request): it never runs an
    # interpreter found inside them.
    session = Session(
        folders, settings=SessionSettings(interpreter=python, trusted=False), one_shot=True
    )
    cache = CheckCache(cache_path(folders, python)) if use_cache else None
    try:
        run = _CheckRun(session, cache, paths, early)
        run.walk()
        # Each file's findings as encoded (check_all): decoded only where needed.
        results = run.check_all(jobs)
        blocks: list[tuple[Path, list[Encoded]]] = list(zip(run.files, results, strict=True))
        files = len(run.files)
        # The first file of each project stands for it (in walk order, as files were seen).
        projects: dict[Path, Path] = {}
        for path, folder in zip(run.files, run.folders, strict=True):
            projects.setdefault(folder.root, path)
        for path in lock_files_to_check(session, paths, projects.keys(), run.files):
            files += 1
            blocks.append((path, run.check_one(path)))
        blocks += [
            (f.path, encode_findings(f.path, [f]))
            for f in project_findings(session, projects.values(), blocks)
        ]
        environment = _environment(session, paths)
        if cache is not None:
            cache.save()
    except Exception as error:  # an internal error must be told apart from findings
        log.exception("envsense check failed")
        print(f"envsense: internal error: {describe_error(error)}", file=sys.stderr)
        return 2
    finally:
        if early is not None:
            early.reap()  # ended already unless the walk or the session failed first
    write_report(blocks, environment, files, output_format)
    status = exit_status(blocks, locked=locked)
    if exit_process:
        _exit_now(status)
    return status


def _exit_now(status: int) -> NoReturn:
    """End the process without freeing what the check built: returning from run_check
    freed the session, the caches and the findings object by object (16 ms on django's
    0.85 s check, after the output was written), and the interpreter's own teardown more.
    Output is flushed first; nothing registered to run at exit is needed once a check is
    done (the cache is saved, the scanner and the workers are reaped)."""
    flush_output()
    logging.shutdown()
    os._exit(status)


def _environment(session: Session, paths: Sequence[Path]) -> Environment | None:
    if not paths:
        return None
    return session.selection(session.project_for(paths[0])).environment
