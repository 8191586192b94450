"""pyvenv.cfg: the file every venv, virtualenv and uv environment writes at its root."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from envsense.core.discovery import fs

PYVENV_CFG = "pyvenv.cfg"


@dataclass(frozen=True, slots=True)
class PyvenvCfg:
    """The keys discovery cares about; unknown keys are ignored."""

    home: str | None
    version: str | None
    version_info: str | None
    prompt: str | None
    uv: str | None
    virtualenv: str | None
    executable: str | None


def read_pyvenv_cfg(prefix: Path) -> PyvenvCfg | None:
    """Parse `<prefix>/pyvenv.cfg`; None when the file is absent or unreadable."""
    text = fs.read_text(prefix / PYVENV_CFG)
    if text is None:
        return None
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip().lower()] = value.strip()
    prompt = values.get("prompt")
    if prompt and len(prompt) >= 2 and prompt[0] == prompt[-1] and prompt[0] in "'\"":
        prompt = prompt[1:-1]  # virtualenv quotes the prompt
    return PyvenvCfg(
        home=values.get("home") or None,
        version=values.get("version") or None,
        version_info=values.get("version_info") or None,
        prompt=prompt or None,
        uv=values.get("uv") or None,
        virtualenv=values.get("virtualenv") or None,
        executable=values.get("executable") or values.get("base-executable") or None,
    )


def has_pyvenv_cfg(prefix: Path) -> bool:
    return fs.is_file(prefix / PYVENV_CFG)
