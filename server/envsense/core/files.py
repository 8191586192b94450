"""Which files of a workspace `envsense check` reads: bounded, never into environments."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

log = logging.getLogger(__name__)

MANIFEST_NAMES = frozenset({"pyproject.toml", "setup.cfg", "Pipfile"})


def is_manifest(path: Path) -> bool:
    """Files whose content declares requirements (and so get diagnostics of their own)."""
    name = path.name
    return (
        name in MANIFEST_NAMES
        or (name.startswith("requirements") and name.endswith(".txt"))
        or (path.parent.name == "requirements" and name.endswith(".txt"))
    )


# Folders that hold environments, caches or other people's code, never the project's own.
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".tox",
        ".nox",
        ".venv",
        "venv",
        ".conda",
        ".pixi",
        "node_modules",
        "__pycache__",
        "__pypackages__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "site-packages",
        "dist-packages",
        ".eggs",
        "build",
        "dist",
        ".ipynb_checkpoints",
        ".direnv",
        ".cache",
    }
)
SOURCE_SUFFIXES = (".py", ".pyi", ".ipynb")


def is_checkable(path: Path) -> bool:
    return path.suffix in SOURCE_SUFFIXES or is_manifest(path)


def _is_environment(folder: str) -> bool:
    return os.path.exists(os.path.join(folder, "pyvenv.cfg")) or os.path.isdir(
        os.path.join(folder, "conda-meta")
    )


def iter_checkable_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Python files, notebooks and manifests under `paths`, each once, in a stable order.

    Symlinked folders are not followed (no loops); unreadable folders are logged and
    skipped; environment folders are recognised by their marker files whatever their name.
    """
    seen: set[Path] = set()
    for start in paths:
        if start.is_file():
            if start not in seen:
                seen.add(start)
                yield start
            continue
        for root, dirs, files in os.walk(start, onerror=_log_error):
            dirs[:] = sorted(
                d
                for d in dirs
                if d not in SKIPPED_DIRS
                and not d.endswith(".egg-info")
                and not _is_environment(os.path.join(root, d))
            )
            for name in sorted(files):
                path = Path(root, name)
                if is_checkable(path) and path not in seen:
                    seen.add(path)
                    yield path


def _log_error(error: OSError) -> None:
    log.warning("skipping %s: %s", error.filename, error.strerror)
