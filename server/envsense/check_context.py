"""The context key of `envsense check`'s results cache, per project: what a file's findings
depend on besides its own text (see core/check_cache.py for the cache itself)."""

from __future__ import annotations

import hashlib
import os
from bisect import bisect_left
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from envsense.core.check_cache import (
    StatKey,
    context_fingerprint,
    manifests_fingerprint,
)
from envsense.core.locks import find_lock_files
from envsense.core.session import Session

if TYPE_CHECKING:
    from envsense.core.checks.source import ProjectContext


class SourceStamps:
    """Each project's sources stamp (what ProjectContext.sources_stamp folds: every Python
    file the walk of the project finds, with its mtime and size) from the stats this walk
    already took, when it walked the project's folder; else None (the context walks).

    The walk entered a folder when it is a folder named to check or when the walk listed a
    file under it: inside, a walk decides the same whatever folder it started from."""

    def __init__(
        self, paths: Sequence[Path], files: Sequence[Path], stats: Sequence[StatKey | None]
    ) -> None:
        self._dirs = {p for p in paths if p.is_dir()}
        named = {p for p in paths if p not in self._dirs}
        texts = [str(path) for path in files]
        # Files named on the command line are no evidence: the walk may have skipped their folder.
        if named:
            texts = [text for text, path in zip(texts, files, strict=True) if path not in named]
        self._walked = sorted(texts)
        # By text, what Path.suffix == ".py" says (a file named ".py" has no suffix).
        rows = [
            (text, stat[0], stat[2])
            for text, stat in zip(map(str, files), stats, strict=True)
            if stat is not None and text.endswith(".py") and len(text) > 3 and text[-4] != os.sep
        ]
        rows.sort()
        self._rows = rows
        self._keys = [row[0] for row in rows]
        self._memo: dict[Path, str | None] = {}

    def stamp(self, root: Path) -> str | None:
        if root in self._memo:
            return self._memo[root]
        stamp = None
        inside = any(root == d or d in root.parents for d in self._dirs)
        if inside and (root in self._dirs or _any_under(self._walked, root)):
            low, high = _under(self._keys, root)
            # One update of the rows joined: the digest of the same bytes fed row by row.
            text = "".join(
                [f"{name}:{mtime}:{size}\n" for name, mtime, size in self._rows[low:high]]
            )
            digest = hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=16)
            stamp = "walk:" + digest.hexdigest()
        self._memo[root] = stamp
        return stamp


def _under(keys: Sequence[str], folder: Path) -> tuple[int, int]:
    """The run of sorted `keys` under `folder`: all share the prefix "folder/"."""
    prefix = os.path.join(str(folder), "")
    low = bisect_left(keys, prefix)
    high = bisect_left(keys, prefix[:-1] + chr(ord(os.sep) + 1))
    return low, high


def _any_under(keys: Sequence[str], folder: Path) -> bool:
    low, high = _under(keys, folder)
    return high > low


def folder_fingerprint(
    session: Session, context: ProjectContext, boundary: Path, stamps: SourceStamps | None
) -> str:
    environment = context.environment
    root = context.project.root
    sources = stamps.stamp(root) if stamps is not None else None
    return context_fingerprint(
        str(root),
        environment.key if environment else "",
        context.selection.reason,
        context.inventory.state_key() if context.inventory else "",
        manifests_fingerprint(context.declarations.manifests),
        # A manifest's lock summary changes with the lock files, not the manifest.
        manifests_fingerprint(tuple(find_lock_files(root, boundary))),
        repr(sorted((c.value, s) for c, s in session.settings.severity_overrides.items())),
        # Findings follow imports into other files of the project (import-chain-broken).
        sources if sources is not None else context.sources_stamp(),
    )
