"""What an install changed in site-packages, and putting it back when the install fails.

Before an install the whole of site-packages is recorded: every top-level entry (package
folders, modules, .pth files, *.dist-info) and the version of every distribution. That
record is what "the environment as it was" means; it covers every version an install
could change, which is what a resolver's dry run would list, without a second resolve.

After a failed or cancelled install, `restore` puts it back in three moves:
1. distributions that are new are uninstalled with the installer (pip itself stays: it
   may just have been bootstrapped and is needed for the next try);
2. distributions whose version changed or that disappeared are reinstalled at exactly
   the recorded version (`--no-deps`, from the cache / local links first);
3. top-level entries that were not there before and are still there (a package folder
   without metadata left by a killed or out-of-space installer, pip's `~name` stash
   folders) are deleted, and so are new files inside folders that were there (a
   namespace package such as `google/` that a half-installed distribution wrote into).
Then the record is compared again, and whatever still differs is named, entry by entry.
Files are compared by path inside package folders (not inside *.dist-info, which the
versions cover, and not in __pycache__, which installers write or skip as they like).
"""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from envsense.core.install.plan import Command, Rollback
from envsense.core.install.requirement_safety import dist_name_from_dist_info

OnLine = Callable[[str], None]
RunCommand = Callable[[Command, OnLine, asyncio.Event], Awaitable[int | None]]
# Distributions a rollback never uninstalls (see the module docstring).
KEEP = frozenset({"pip"})


@dataclass(frozen=True, slots=True)
class SiteState:
    """site-packages at one moment: top-level entry names and distribution versions."""

    present: bool
    entries: dict[Path, frozenset[str]]
    versions: dict[str, frozenset[str]]  # canonical name -> version(s) of its dist-info
    # Files inside top-level package folders, relative to site-packages (None: too many).
    files: dict[Path, frozenset[str]] | None = None

    def version_text(self, name: str) -> str:
        return ", ".join(sorted(self.versions.get(name, ()))) or "not installed"


def snapshot(rollback: Rollback | None) -> SiteState:
    """Read the target's site-packages now (an empty record when there is no rollback)."""
    if rollback is None:
        return SiteState(True, {}, {})
    entries: dict[Path, frozenset[str]] = {}
    versions: dict[str, set[str]] = {}
    for folder in rollback.site_packages:
        try:
            names = frozenset(entry.name for entry in os.scandir(folder))
        except OSError:
            continue
        entries[folder] = names
        for name in names:
            dist = dist_name_from_dist_info(Path(name))
            if dist is not None:
                versions.setdefault(dist, set()).add(_version_of(name))
    present = _present(rollback, entries)
    files = _files_inside(entries)
    if rollback.scripts is not None:
        # Console scripts a half-done install wrote (bin/flask without flask's metadata).
        try:
            entries[rollback.scripts] = frozenset(e.name for e in os.scandir(rollback.scripts))
        except OSError:
            pass
    return SiteState(present, entries, {k: frozenset(v) for k, v in versions.items()}, files)


MAX_FILES = 300_000


def _files_inside(entries: dict[Path, frozenset[str]]) -> dict[Path, frozenset[str]] | None:
    """Relative paths of the files in each package folder (see the module docstring)."""
    found: dict[Path, frozenset[str]] = {}
    count = 0
    for folder, names in entries.items():
        paths: list[str] = []
        for name in names:
            if name.endswith(".dist-info") or name == "__pycache__":
                continue
            top = folder / name
            if top.is_symlink() or not top.is_dir():
                continue
            for root, dirs, filenames in os.walk(top):
                dirs[:] = [d for d in dirs if d != "__pycache__"]
                base = os.path.relpath(root, folder)
                paths += [os.path.join(base, f) for f in filenames]
                count += len(filenames)
                if count > MAX_FILES:
                    return None  # a huge environment: top-level entries and versions only
        found[folder] = frozenset(paths)
    return found


def _version_of(dist_info: str) -> str:
    stem = dist_info[: -len(".dist-info")]
    return stem.split("-", 1)[1] if "-" in stem else ""


def _present(rollback: Rollback, entries: dict[Path, frozenset[str]]) -> bool:
    """False once the environment itself is gone (its folder, interpreter or site-packages)."""
    if rollback.prefix is not None and not os.path.isdir(rollback.prefix):
        return False
    if rollback.executable is not None and not os.path.lexists(rollback.executable):
        return False
    return bool(entries) or not rollback.site_packages


@dataclass(frozen=True, slots=True)
class Change:
    """Distributions new / gone / at another version, and top-level entries new / gone."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    new_entries: tuple[Path, ...]
    lost_entries: tuple[Path, ...]
    # Files inside package folders that were there before and after.
    new_files: tuple[Path, ...] = ()
    lost_files: tuple[Path, ...] = ()

    @property
    def none(self) -> bool:
        return not (
            self.added or self.removed or self.changed or self.new_entries or self.lost_entries
            or self.new_files or self.lost_files
        )  # fmt: skip


def compare(before: SiteState, after: SiteState) -> Change:
    added = sorted(set(after.versions) - set(before.versions))
    removed = sorted(set(before.versions) - set(after.versions))
    changed = sorted(
        n
        for n in set(before.versions) & set(after.versions)
        if before.versions[n] != after.versions[n]
    )
    new: list[Path] = []
    lost: list[Path] = []
    for folder in sorted(set(before.entries) | set(after.entries)):
        was = before.entries.get(folder, frozenset())
        now = after.entries.get(folder, frozenset())
        new += [folder / name for name in sorted(now - was)]
        lost += [folder / name for name in sorted(was - now)]
    new_files, lost_files = _file_changes(before, after)
    return Change(
        tuple(added), tuple(removed), tuple(changed), tuple(new), tuple(lost),
        new_files, lost_files,
    )  # fmt: skip


def _file_changes(before: SiteState, after: SiteState) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    """Files new / gone inside package folders present both times (whole folders aside)."""
    if before.files is None or after.files is None:
        return (), ()
    new: list[Path] = []
    lost: list[Path] = []
    for folder in sorted(set(before.files) & set(after.files)):
        both = before.entries.get(folder, frozenset()) & after.entries.get(folder, frozenset())
        was, now = before.files[folder], after.files[folder]
        new += [folder / p for p in sorted(now - was) if _top(p) in both]
        lost += [folder / p for p in sorted(was - now) if _top(p) in both]
    return tuple(new), tuple(lost)


def _top(relative: str) -> str:
    return relative.split(os.sep, 1)[0]


@dataclass(frozen=True, slots=True)
class Restored:
    """What `restore` did, and what it could not undo (each item says what is left)."""

    uninstalled: tuple[str, ...]
    reinstalled: tuple[str, ...]  # "markupsafe 3.0.2"
    deleted: tuple[str, ...]  # top-level entries without metadata, removed
    left: tuple[str, ...]  # human sentences: what still differs from before
    after: SiteState


async def restore(
    rollback: Rollback, before: SiteState, on_line: OnLine, run: RunCommand
) -> Restored:
    """Undo a failed install as far as possible; see the module docstring."""
    now = await _snapshot(rollback)
    change = compare(before, now)
    uninstalled: tuple[str, ...] = ()
    leftovers = [name for name in change.added if name not in KEEP]
    if leftovers:
        await _run(Command((*rollback.uninstall, *leftovers), "roll back: uninstall"), on_line, run)
        now = await _snapshot(rollback)
        uninstalled = tuple(name for name in leftovers if name not in now.versions)
    reinstalled = await _reinstall(rollback, before, on_line, run)
    now = await _snapshot(rollback)
    deleted, notes = await asyncio.to_thread(_delete_new_entries, before, now)
    for note in notes:
        on_line(note)
    now = await _snapshot(rollback)
    return Restored(uninstalled, reinstalled, deleted, _still_different(before, now), now)


async def _reinstall(
    rollback: Rollback, before: SiteState, on_line: OnLine, run: RunCommand
) -> tuple[str, ...]:
    """Put back every distribution whose recorded version is no longer (only) there."""
    done: list[str] = []
    for argv in rollback.reinstall:
        now = await _snapshot(rollback)
        wanted = _to_reinstall(before, now)
        if not wanted:
            break
        pins = [f"{name}=={next(iter(before.versions[name]))}" for name in wanted]
        await _run(Command((*argv, *pins), "roll back: reinstall what was there"), on_line, run)
        after = await _snapshot(rollback)
        done += [
            f"{name} {before.version_text(name)}"
            for name in wanted
            if after.versions.get(name) == before.versions[name]
        ]
    return tuple(done)


def _to_reinstall(before: SiteState, now: SiteState) -> list[str]:
    return sorted(
        name
        for name, versions in before.versions.items()
        if name not in KEEP and len(versions) == 1 and now.versions.get(name) != versions
    )


def _delete_new_entries(before: SiteState, now: SiteState) -> tuple[tuple[str, ...], list[str]]:
    """Blocking (a worker thread): delete what is new; the names, and lines for the log."""
    deleted: list[str] = []
    notes: list[str] = []
    on_line = notes.append
    for path in compare(before, now).new_entries:
        dist = dist_name_from_dist_info(path)
        # A restored distribution's metadata may be spelt differently (MarkupSafe/markupsafe).
        if _kept(path) or (dist is not None and dist in before.versions):
            continue
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError as error:
            on_line(f"could not remove {path}: {error}")
            continue
        on_line(f"removed {path.name} from site-packages (left by the failed install)")
        deleted.append(path.name)
    # Files inside package folders that were there before (their top-level folder is not
    # new, so the loop above left them): a namespace package written into, say.
    new_files = compare(before, now).new_files
    held = _folders_with_files(before) if new_files else set()
    for path in new_files:
        site = _site_of(path, before)
        try:
            path.unlink()
        except OSError as error:
            on_line(f"could not remove {path}: {error}")
            continue
        _remove_empty_parents(path, site, held)
        relative = str(path.relative_to(site))
        on_line(f"removed {relative} (left by the failed install)")
        deleted.append(relative)
    return tuple(deleted), notes


async def _snapshot(rollback: Rollback) -> SiteState:
    """snapshot() in a worker thread: a big site-packages takes a while to walk."""
    return await asyncio.to_thread(snapshot, rollback)


def _site_of(path: Path, state: SiteState) -> Path:
    return next((f for f in state.entries if f in path.parents), path.parent)


def _folders_with_files(state: SiteState) -> set[Path]:
    """Every folder that held a file in the record (absolute paths)."""
    held: set[Path] = set()
    for site, files in (state.files or {}).items():
        for relative in files:
            held.update((site / relative).parents)
    return held


def _remove_empty_parents(path: Path, site: Path, held: set[Path]) -> None:
    """rmdir the folders a removed file leaves empty, below its top-level package folder."""
    folder = path.parent
    while folder.parent != site and site in folder.parents and folder not in held:
        try:
            folder.rmdir()
        except OSError:
            break  # not empty: something else lives there
        folder = folder.parent


def _kept(path: Path) -> bool:
    """pip's own files, and its scripts (pip, pip3, pip3.12) when ensurepip just made them."""
    dist = dist_name_from_dist_info(path)
    if path.name in KEEP or (dist is not None and dist in KEEP):
        return True
    return path.parent.name in ("bin", "Scripts") and path.name.startswith("pip")


def _still_different(before: SiteState, now: SiteState) -> tuple[str, ...]:
    change = compare(before, now)
    left: list[str] = []
    for name in change.added:
        if name not in KEEP:
            left.append(f"{name} {now.version_text(name)} is still installed")
    for name in change.changed:
        left.append(f"{name} is at {now.version_text(name)} (was {before.version_text(name)})")
    for name in change.removed:
        left.append(f"{name} {before.version_text(name)} is no longer installed")
    # Metadata folders are judged by the versions above; the rest entry by entry.
    for path in change.new_entries:
        if not _kept(path) and dist_name_from_dist_info(path) is None:
            left.append(f"{path.name} is left in {path.parent}")
    for path in change.lost_entries:
        if dist_name_from_dist_info(path) is None:
            left.append(f"{path.name} is missing from {path.parent}")
    for path in change.new_files:
        left.append(f"{path} is left behind")
    for path in change.lost_files:
        left.append(f"{path} is missing")
    return tuple(left)


async def _run(command: Command, on_line: OnLine, run: RunCommand) -> int | None:
    on_line(f"$ {shlex.join(command.argv)}")
    # Not cancellable by the user (a half-done rollback leaves things worse), but bounded.
    stop = asyncio.Event()
    handle = asyncio.get_running_loop().call_later(ROLLBACK_TIMEOUT, stop.set)
    try:
        return await run(command, on_line, stop)
    finally:
        handle.cancel()


ROLLBACK_TIMEOUT = 120.0
