"""PDM: in-project `.venv` of a PDM project, and central envs `<dir>-<md5 hash8>-<name>`."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from envsense.core.discovery import fs
from envsense.core.discovery.pyvenv import PyvenvCfg
from envsense.core.discovery.scan import Scan, Tie, ToolPick
from envsense.core.discovery.tomlfiles import table
from envsense.core.environment import EnvKind


def venv_prefix(project_root: Path) -> str:
    """`<dir>-<hash8>-`: how PDM names every central env of a project (md5 of the root)."""
    digest = hashlib.md5(project_root.as_posix().encode(), usedforsecurity=False).digest()
    return f"{project_root.name}-{base64.urlsafe_b64encode(digest).decode()[:8]}-"


def venvs_dir(scan: Scan) -> Path:
    """`[venv] location` of PDM's global config, else `<pdm data dir>/venvs`."""
    ctx = scan.ctx
    config_dir = ctx.user_config_base / "pdm"
    configured = table(scan.toml(config_dir / "config.toml"), "venv").get("location")
    if isinstance(configured, str) and configured:
        return ctx.expand(configured)
    data = ctx.user_data_base / "pdm"
    if ctx.is_windows:
        data = data / "pdm"  # platformdirs' appauthor folder on Windows
    return data / "venvs"


def saved_python(project_root: Path, scan: Scan) -> ToolPick | None:
    """The interpreter PDM uses: PDM_PYTHON, else the path written in `.pdm-python`.

    Whatever it points to decides (an in-project `.venv`, a central venv, or a base
    interpreter); a relative path is taken from the project root.
    """
    value = scan.ctx.env("PDM_PYTHON")
    reason = "pdm: PDM_PYTHON"
    if value is None:
        text = fs.read_text(project_root / ".pdm-python")
        value = text.strip().splitlines()[0].strip() if text and text.strip() else None
        reason = "pdm: .pdm-python"
    if value is None:
        return None
    path = scan.ctx.expand(value)
    return ToolPick(path if path.is_absolute() else project_root / path, reason, EnvKind.PDM)


def is_pdm_project(folder: Path, scan: Scan) -> bool:
    """pdm.lock, .pdm-python, [tool.pdm] or pdm-backend as build backend."""
    if fs.is_file(folder / "pdm.lock") or fs.is_file(folder / ".pdm-python"):
        return True
    pyproject = scan.toml(folder / "pyproject.toml")
    backend = table(pyproject, "build-system").get("build-backend")
    return bool(table(pyproject, "tool", "pdm")) or (
        isinstance(backend, str) and backend.startswith("pdm")
    )


def _venv_prefixes(scan: Scan) -> list[tuple[str, Path]]:
    """`(venv_prefix(root), root)` of each known project, in order."""
    return [(venv_prefix(root), root) for root in scan.project_roots]


def pdm_tie(prefix: Path, cfg: PyvenvCfg | None, scan: Scan) -> Tie | None:
    if prefix.parent == scan.once(venvs_dir):
        owner = next(
            (root for start, root in scan.once(_venv_prefixes) if prefix.name.startswith(start)),
            None,
        )
        return Tie(EnvKind.PDM, project=owner)
    if prefix.name == ".venv" and is_pdm_project(prefix.parent, scan):
        return Tie(EnvKind.PDM, project=prefix.parent)
    return None
