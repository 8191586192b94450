"""Hatch: `<data>/env/virtual/<project>/<id8>/<venv>`, or a project's `[dirs.env] virtual` folder."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from envsense.core.discovery import fs
from envsense.core.discovery.pyvenv import PyvenvCfg
from envsense.core.discovery.scan import Scan, Tie
from envsense.core.discovery.tomlfiles import project_name, table
from envsense.core.environment import EnvKind


def data_dir(scan: Scan) -> Path:
    """$HATCH_DATA_DIR, else platformdirs' user data dir for "hatch"."""
    return scan.ctx.env_path("HATCH_DATA_DIR") or scan.ctx.user_data_base / "hatch"


def virtual_root(scan: Scan) -> Path:
    return data_dir(scan) / "env" / "virtual"


def project_id(project_root: Path) -> str:
    """The 8-character folder Hatch files a project's envs under (sha256 of its root)."""
    digest = hashlib.sha256(str(project_root).encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode("utf-8")[:8]


def _hatch_config(project_root: Path, scan: Scan) -> tuple[dict[str, Any], dict[str, Any]]:
    """([tool.hatch] of pyproject.toml, hatch.toml): hatch.toml uses the same keys unprefixed."""
    pyproject = table(scan.toml(project_root / "pyproject.toml"), "tool", "hatch")
    return pyproject, scan.toml(project_root / "hatch.toml")


def custom_virtual_dir(project_root: Path, scan: Scan) -> Path | None:
    """`[tool.hatch.dirs.env] virtual = ".hatch"` (or hatch.toml `[dirs.env]`), made absolute."""
    for config in _hatch_config(project_root, scan):
        value = table(config, "dirs", "env").get("virtual")
        if isinstance(value, str) and value:
            path = Path(value)
            return path if path.is_absolute() else project_root / path
    return None


def declared_env_names(project_root: Path, scan: Scan) -> set[str]:
    """Env names Hatch would create: each `[envs.<name>]`, plus the default's folder names."""
    names = {"default"}
    for config in _hatch_config(project_root, scan):
        names.update(table(config, "envs"))
    name = project_name(scan.toml(project_root / "pyproject.toml"))
    if name:
        names.add(name)  # the default env's folder is named after the project
    return names


@dataclass(frozen=True, slots=True)
class _CustomDir:
    """A project's custom virtual dir and the env names Hatch would create in it."""

    root: Path
    folder: Path
    names: frozenset[str]


def _custom_dirs(scan: Scan) -> list[_CustomDir]:
    found: list[_CustomDir] = []
    for root in scan.project_roots:
        folder = custom_virtual_dir(root, scan)
        if folder is not None:
            found.append(_CustomDir(root, folder, frozenset(declared_env_names(root, scan))))
    return found


def _owners_by_id(scan: Scan) -> dict[str, Path]:
    """Each known project by its Hatch id, of the root as given and as resolved (first wins)."""
    owners: dict[str, Path] = {}
    for root in scan.project_roots:
        owners.setdefault(project_id(root), root)
        owners.setdefault(project_id(scan.realpath(root)), root)
    return owners


def find_custom_envs(scan: Scan) -> Iterator[Path]:
    """Env folders one level under each known project's custom virtual dir."""
    for custom in scan.once(_custom_dirs):
        for entry in fs.subdirs(custom.folder):
            if entry.name in custom.names:
                yield entry


def find_central_envs(scan: Scan) -> Iterator[Path]:
    """Every `<project>/<id>/<venv>` folder under the data dir."""
    for project_dir in fs.subdirs(virtual_root(scan)):
        for id_dir in fs.subdirs(project_dir):
            yield from fs.subdirs(id_dir)


def hatch_tie(prefix: Path, cfg: PyvenvCfg | None, scan: Scan) -> Tie | None:
    """Hatch's layout decides; the project is the known root whose id matches."""
    if len(prefix.parts) > 3 and prefix.parent.parent.parent == scan.once(virtual_root):
        return Tie(EnvKind.HATCH, project=scan.once(_owners_by_id).get(prefix.parent.name))
    for custom in scan.once(_custom_dirs):
        if prefix.parent == custom.folder and prefix.name in custom.names:
            return Tie(EnvKind.HATCH, project=custom.root)
    return None
