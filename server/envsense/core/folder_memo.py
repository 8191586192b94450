"""Facts read from a folder's entries, kept while the folder's entries stay the same.

Adding, removing or renaming an entry changes its folder's mtime, so what a listing says
(which files and sub-folders a folder holds) holds while the mtime does. A check asks
about the same few hundred folders tens of thousands of times, so the mtime is looked at
no more than once per REVALIDATE_SECONDS per folder: a file created while the server
runs is seen by the checks that start a moment later, and a CLI run lists each folder
once. File-system clocks tick coarsely (a jiffy, a second on some file systems), so a
folder read within RACY_SECONDS of its last change is not trusted: it is read again
at the next look (as git treats "racily clean" entries).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

REVALIDATE_SECONDS = 1.0
RACY_SECONDS = 2.0
# The mtime of a folder that could not be stat'ed (missing, unreadable).
_NO_FOLDER = -1
# A folder read too soon after its last change: read it again at the next look.
_UNTRUSTED = -2


def _mtime(folder: str) -> int:
    try:
        return os.stat(folder).st_mtime_ns
    except (OSError, ValueError):
        return _NO_FOLDER


class FolderMemo(Generic[T]):
    """`read(folder)` per folder, read again once the folder's mtime changes.

    `version` moves whenever a folder read again gives another value (a touched folder
    whose entries are the same does not move it): a cache built from several folders'
    values is stale once it moves (see `sweep`).
    """

    def __init__(self, read: Callable[[str], T]) -> None:
        self._read = read
        # folder -> (monotonic time the mtime was last looked at, mtime or a marker, value)
        self._entries: dict[str, tuple[float, int, T]] = {}
        self._swept = time.monotonic()
        self._lock = threading.Lock()
        self.version = 0
        # Values read elsewhere, and when (see `offer`).
        self._offered: tuple[Callable[[str], T | None], float] | None = None

    def get(self, folder: str) -> T:
        """The value for `folder`, read now if unknown or changed since it was read."""
        entry = self._entries.get(folder)
        now = time.monotonic()
        if entry is not None:
            if now - entry[0] < REVALIDATE_SECONDS:
                return entry[2]
            mtime = _mtime(folder)
            if mtime == entry[1]:
                self._entries[folder] = (now, mtime, entry[2])
                return entry[2]
            return self._fill(folder, now, entry)
        offered = self._offered
        if offered is not None and now - offered[1] < REVALIDATE_SECONDS:
            value = offered[0](folder)
            if value is not None:
                self._entries[folder] = (offered[1], _UNTRUSTED, value)
                return value
        return self._fill(folder, now, None)

    def offer(self, read: Callable[[str], T | None], since: float) -> None:
        """Values read elsewhere at `since` (time.monotonic()), without their folders'
        mtimes: `read(folder)` gives a folder's (None: not read there). A folder not known
        yet takes it while a read of that moment is trusted, as a read whose mtime was
        racy: read again at the first look REVALIDATE_SECONDS after `since`."""
        self._offered = (read, since)

    def sweep(self) -> None:
        """Look at every folder not looked at in the last REVALIDATE_SECONDS (at most once
        per that time) and read again those that changed."""
        now = time.monotonic()
        if now - self._swept < REVALIDATE_SECONDS:
            return
        self._swept = now
        for folder, entry in list(self._entries.items()):
            if now - entry[0] < REVALIDATE_SECONDS:
                continue
            if _mtime(folder) == entry[1]:
                self._entries[folder] = (now, entry[1], entry[2])
            else:
                self._fill(folder, now, entry)

    def clear(self) -> None:
        """Forget everything (a front end was told that files changed)."""
        self._entries.clear()
        self._offered = None
        with self._lock:
            self.version += 1

    def _fill(self, folder: str, now: float, old: tuple[float, int, T] | None) -> T:
        mtime = _mtime(folder)
        value = self._read(folder)
        if mtime >= 0 and time.time_ns() - mtime < RACY_SECONDS * 1e9:
            mtime = _UNTRUSTED
        self._entries[folder] = (now, mtime, value)
        if old is not None and old[2] != value:
            with self._lock:
                self.version += 1
        return value
