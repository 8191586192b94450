"""poetry and pdm for the lock tests, installed once into tests/.cache/lock-tools/ (gitignored).

They come from the package registry with the dev environment's uv; a failed install fails
the test that needs them (never a silent skip). Every run gets a sandbox HOME and cache
folders under the test's tmp_path, so nothing is written to the real HOME.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

from tests.support.venvs import uv_executable

CACHE = Path(__file__).resolve().parent.parent / ".cache" / "lock-tools"
# pdm's newest release imports hishel.httpx2, which only the pin of its own [locked] extra has.
TOOLS = {
    "poetry": ("poetry==2.5.1",),
    "pdm": ("pdm==2.29.4", "hishel[httpx2]==1.4.0"),
    "pipenv": ("pipenv==2026.10.3",),
}


def tool(name: str) -> Path:
    """The executable of `name` (poetry or pdm), installing it on first use."""
    venv = CACHE / name
    exe = venv / "bin" / name
    stamp = venv / ".installed"
    wanted = " ".join(TOOLS[name])
    if stamp.is_file() and stamp.read_text() == wanted and exe.exists():
        return exe
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f"{name}.lock", "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        if stamp.is_file() and stamp.read_text() == wanted and exe.exists():
            return exe
        uv = uv_executable()
        env = {k: v for k, v in os.environ.items() if not k.startswith("UV_")}
        env["UV_PYTHON_DOWNLOADS"] = "never"
        env["UV_CACHE_DIR"] = str(CACHE / "uv-cache")  # never the real HOME's cache
        subprocess.run(
            [uv, "venv", "-q", "--allow-existing", "--python", sys.executable, str(venv)],
            check=True, capture_output=True, env=env,
        )  # fmt: skip
        result = subprocess.run(
            [uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), *TOOLS[name]],
            capture_output=True, text=True, env=env,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"installing {wanted} failed:\n{result.stderr[-2000:]}")
        stamp.write_text(wanted)
    return exe


def sandbox_env(home: Path, **extra: str) -> dict[str, str]:
    """Environment variables that keep poetry/pdm/uv inside `home` and off the network."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("UV_", "PIP_", "POETRY_", "PDM_", "VIRTUAL_ENV"))
    }
    env.update(
        HOME=str(home),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        POETRY_CACHE_DIR=str(home / ".cache" / "pypoetry"),
        POETRY_VIRTUALENVS_CREATE="false",
        PDM_HOME=str(home / ".pdm"),
        PDM_CACHE_DIR=str(home / ".cache" / "pdm"),
        PDM_CHECK_UPDATE="false",
        PDM_NON_INTERACTIVE="1",
        UV_CACHE_DIR=str(home / ".cache" / "uv"),
        UV_NO_CONFIG="1",
        UV_PYTHON_DOWNLOADS="never",
    )
    env.update(extra)
    return env
