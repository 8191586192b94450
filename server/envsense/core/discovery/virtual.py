"""venv and virtualenv, and the record-building shared by every pyvenv.cfg-based kind."""

from __future__ import annotations

from pathlib import Path

from envsense.core.discovery import fs, ondisk
from envsense.core.discovery.layout import prefix_interpreter
from envsense.core.discovery.pyvenv import PyvenvCfg, read_pyvenv_cfg
from envsense.core.discovery.scan import Scan, Tie, in_project_holder
from envsense.core.environment import Environment, EnvKind, bin_dir_name

_ACTIVATE_NAMES = ("activate", "activate.bat", "activate.ps1", "activate.fish", "Activate.ps1")
# Global interpreter folders happen to hold no activate script, but never call them virtual.
_NEVER_VIRTUAL = ("/bin", "/usr/bin", "/usr/local/bin")


def looks_virtual(prefix: Path, scan: Scan) -> bool:
    """pyvenv.cfg at the root, or an activate script next to the interpreter."""
    if fs.is_file(prefix / "pyvenv.cfg"):
        return True
    bin_dir = prefix / bin_dir_name(scan.ctx.platform)
    if bin_dir in scan.once(_never_virtual_bins):
        return False
    return any(fs.is_file(bin_dir / name) for name in _ACTIVATE_NAMES)


def _never_virtual_bins(scan: Scan) -> set[Path]:
    return {scan.ctx.system(folder) for folder in _NEVER_VIRTUAL}


def venv_tie(prefix: Path, cfg: PyvenvCfg | None) -> Tie:
    """The fallback of the chain: virtualenv writes `virtualenv =` into pyvenv.cfg."""
    kind = EnvKind.VIRTUALENV if cfg is None or cfg.virtualenv else EnvKind.VENV
    return Tie(kind, project=in_project_holder(prefix))


def build_virtual(prefix: Path, scan: Scan, tie: Tie, cfg: PyvenvCfg | None = None) -> Environment:
    """An Environment for a pyvenv.cfg-style prefix, with broken parts spelled out."""
    cfg = cfg if cfg is not None else read_pyvenv_cfg(prefix)
    interpreter = prefix_interpreter(prefix, scan.ctx.platform)
    version = ondisk.from_pyvenv_cfg(cfg) if cfg else None
    if cfg is not None and cfg.home and (version is None or not version.exact):
        short = version.short if version else None
        version = ondisk.from_home(scan.ctx.expand(cfg.home), short) or version
    if version is None:
        version = ondisk.from_install(prefix) or ondisk.from_lib_dir(prefix)
    error = interpreter.error
    if error is None and cfg is not None and cfg.home:
        home = scan.ctx.expand(cfg.home)
        if not fs.is_dir(home):
            error = f"pyvenv.cfg points to a base Python that is gone: home = {cfg.home}"
    name = tie.name or (cfg.prompt if cfg and cfg.prompt and cfg.prompt != "." else None)
    return Environment(
        kind=tie.kind,
        prefix=prefix,
        executable=interpreter.executable,
        version=version,
        name=name,
        project=tie.project,
        error=error,
    )
