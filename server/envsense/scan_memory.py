"""The memory `envsense check`'s import scanner shares with the parent: where each word
lives, how a scan is framed, and how the interpreter a scan was made for is keyed.

The parent (check_prefetch.py) reads frames while the scanner (check_scanner.py) may still
write the next one; memory ordering between cores differs by CPU, so a frame is used only
when its own digest matches.
"""

from __future__ import annotations

import hashlib
import mmap
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from envsense.check_claims import Claims
from envsense.core.imports.conditions import Target
from envsense.core.versions import PythonVersion

# Shared memory for the scans (only the pages written are allocated): django's 2,823
# files encode to 0.9 MB; past this the scanner stops.
BUFFER_BYTES = 64 * 1024 * 1024
# Committed bytes (written after each whole frame), then the parent's stop flag.
COMMITTED = struct.Struct("<Q")
STOP_AT = 8
CURRENT_AT = 16  # the file the scanner is on (check_claims.py)
DATA_AT = 24
# The files the warm-up read itself, logged for the scanner to skip: the buffer's tail.
CLAIMS_AT = BUFFER_BYTES - 4 * 1024 * 1024
# The parent's word to a scanner started before the interpreter was known (`aim`): its
# length, then marshal((target key, roots, site)); before the claims.
AIM_AT = CLAIMS_AT - 64 * 1024
AIM_LENGTH = struct.Struct("<I")
# The walk of a scanner started before the parent walked (start_early), for the parent to
# take instead of walking again: its length (WALK_NONE: none published), a digest, then
# marshal((file paths, listings, when the walk started)); before the aim.
WALK_AT = AIM_AT - 16 * 1024 * 1024
WALK_LENGTH = struct.Struct("<Q8s")
WALK_NONE = 2**64 - 1
# The key of a scan during which no condition read the target: it holds on every target.
ANY_TARGET: tuple[Any, ...] = ("any",)
# A frame: path length, payload length, digest of the file's bytes, digest of its decoded
# text; a digest of all that, the path and the payload; the path; the payload. The parent
# reads frames while the scanner may still write the next one, and memory ordering
# between cores differs by CPU: a frame whose digest does not match is never used.
HEADER = struct.Struct("<II16s16s")
CHECK = struct.Struct("<8s")
FRAME_SIZE = HEADER.size + CHECK.size


def frame_digest(header: bytes, body: bytes) -> bytes:
    """The digest that tells a whole frame from one read while being written."""
    return payload_digest(header + body)


def payload_digest(data: bytes) -> bytes:
    """The digest that tells bytes read whole from bytes read while being written."""
    return hashlib.blake2b(data, digest_size=8).digest()


def target_key(target: Target) -> tuple[Any, ...]:
    """The interpreter a scan was made for, as marshal writes it."""
    version = target.version
    if version is None:
        return (None, target.platform)
    fields = (version.major, version.minor, version.micro, version.releaselevel, version.serial)
    return (*fields, version.exact, target.platform)


def target_of(key: tuple[Any, ...]) -> Target:
    """The Target `target_key` was given."""
    if key[0] is None:
        return Target(None, key[1])
    major, minor, micro, level, serial, exact, platform = key
    return Target(PythonVersion(major, minor, micro, level, serial, exact), platform)


def claims_in(memory: mmap.mmap) -> Claims:
    """Who reads which file (check_claims.py), in the words laid out here."""
    return Claims(memory, CURRENT_AT, CLAIMS_AT, len(memory))


@dataclass(frozen=True)
class ScanPlan:
    """What the scanner reads: `first` the files the warm-up checks (in its order), each
    followed through the modules it imports (the project's, named as under `roots`, to the
    end; installed ones, found in the `site` folders, MAX_DEPTH deep), then `then`."""

    first: Sequence[int]
    then: Sequence[int]
    roots: Sequence[str] = ()
    site: Sequence[str] = ()
