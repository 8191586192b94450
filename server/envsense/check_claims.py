"""Who reads a file's imports while the warm-up and the scanner run side by side.

The warm-up (in the parent) reads the files its import chains follow in the order the
scanner (check_prefetch.py) scans them. Once the warm-up catches up with the scanner, each
file it needs is one the scanner has not committed yet: it extracted the file itself, and
the scanner, not knowing, extracted it again later (django: 127 files, a tenth of all
extraction, done twice while the second core could have gone ahead). So, in memory both
processes share:

- the scanner publishes the file it is on (its path's hash; the fork keeps the hash seed)
  and the warm-up, needing that very file, waits the little while it takes to commit
  rather than read it too;
- the warm-up logs each file it reads itself, and the scanner skips the files logged.

Either side may miss the other's latest word (no lock, and memory ordering between cores
differs by CPU): that only costs a file read twice, as before; what a scan says is still
trusted only by its frame's digests.
"""

from __future__ import annotations

import mmap
import os
import struct
import time

# The hash of the path the scanner is extracting; 0 between files.
_CURRENT = struct.Struct("<q")
# The claim log: the bytes committed, then (length, path) entries.
_LOGGED = struct.Struct("<Q")
_ENTRY = struct.Struct("<I")
# How long the warm-up waits for the scanner to commit one file before reading it itself
# (a large module takes a few ms; a scanner that died must not hold the warm-up).
WAIT_SECONDS = 0.05
_PAUSE = 0.00002


class Claims:
    """The two shared words: `current_at` (the scanner's file) and the claim log from
    `log_at` to `log_end`, in `memory`."""

    def __init__(self, memory: mmap.mmap, current_at: int, log_at: int, log_end: int) -> None:
        self._memory = memory
        self._current_at = current_at
        self._log_at = log_at
        self._log_end = log_end
        # Writer (the parent): where the next entry goes. Reader (the scanner): how far
        # the log was read, and what it said.
        self._offset = log_at + _LOGGED.size
        self._claimed: set[str] = set()

    # -- in the scanner ------------------------------------------------------------------

    def begin(self, path: str) -> bool:
        """Say the scanner starts on `path`; False (and nothing said) when the warm-up has
        read it already."""
        if self.claimed(path):
            return False
        _CURRENT.pack_into(self._memory, self._current_at, hash(path) or 1)
        # Claimed between the look and the word: leave it to the warm-up.
        if self.claimed(path):
            self.end()
            return False
        return True

    def end(self) -> None:
        """The scanner is between files."""
        _CURRENT.pack_into(self._memory, self._current_at, 0)

    def claimed(self, path: str) -> bool:
        """Whether the warm-up logged `path` (reading the entries logged since last time)."""
        memory = self._memory
        (end,) = _LOGGED.unpack_from(memory, self._log_at)
        end = min(end, self._log_end)
        offset = self._offset
        while offset + _ENTRY.size <= end:
            (length,) = _ENTRY.unpack_from(memory, offset)
            following = offset + _ENTRY.size + length
            if following > end:
                break
            try:
                self._claimed.add(os.fsdecode(memory[offset + _ENTRY.size : following]))
            except UnicodeError:
                pass
            offset = following
        self._offset = offset
        return path in self._claimed

    # -- in the warm-up ------------------------------------------------------------------

    def scanning(self, path: str) -> bool:
        """Whether the scanner is on `path` now."""
        current: int = _CURRENT.unpack_from(self._memory, self._current_at)[0]
        return current != 0 and current == (hash(path) or 1)

    def claim(self, path: str) -> None:
        """Log `path` as read here (silently not, once the log is full)."""
        name = os.fsencode(path)
        end = self._offset + _ENTRY.size + len(name)
        if end > self._log_end:
            return
        memory = self._memory
        memory[self._offset : end] = _ENTRY.pack(len(name)) + name
        _LOGGED.pack_into(memory, self._log_at, end)
        self._offset = end


def pause() -> None:
    """A short wait for the other core."""
    time.sleep(_PAUSE)
