"""Homebrew: python* links in Homebrew's bin folders that resolve into the Cellar."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from envsense.core.discovery import fs
from envsense.core.discovery.scan import Scan
from envsense.core.environment import Environment, EnvKind
from envsense.core.versions import PythonVersion

_CELLAR_VERSION_RE = re.compile(r"/(\d+\.\d+\.\d+)(?:_\d+)?/")
_NAME_RE = re.compile(r"^python3(?:\.\d+)?$")


def bin_dirs(scan: Scan) -> list[Path]:
    ctx = scan.ctx
    found = [ctx.env_path("HOMEBREW_PREFIX")]
    found += [
        ctx.system("/opt/homebrew"),
        ctx.system("/usr/local"),
        ctx.system("/home/linuxbrew/.linuxbrew"),
        ctx.home / ".linuxbrew",
    ]
    return list(dict.fromkeys(prefix / "bin" for prefix in found if prefix is not None))


def homebrew_environment(executable: Path) -> Environment | None:
    """A Homebrew Python when the link resolves into a Cellar; prefix is left unknown on purpose.

    Homebrew's prefix (the Cellar's Frameworks folder on macOS) is not where the
    `bin/` link lives, and guessing wrong would mislead the inventory.
    """
    resolved = fs.realpath(executable)
    if "Cellar" not in resolved.parts or not fs.is_file(resolved):
        return None
    match = _CELLAR_VERSION_RE.search(resolved.as_posix())
    version = PythonVersion.parse(match.group(1)) if match else None
    return Environment(
        kind=EnvKind.HOMEBREW,
        prefix=None,
        executable=executable,
        version=version,
        name=executable.name,
    )


def find_homebrew(scan: Scan) -> Iterator[Environment]:
    for folder in bin_dirs(scan):
        for name in fs.list_names(folder):
            if _NAME_RE.match(name):
                env = homebrew_environment(folder / name)
                if env is not None:
                    yield env
