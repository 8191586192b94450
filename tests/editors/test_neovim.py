"""envsense in real Neovim (headless), end to end: the missing-import diagnostic at its place,
the install quick fix listed and run through workspace/executeCommand, the diagnostic gone
and the package really in the venv.

Neovim comes from Debian (tests/editors/nvim/install_nvim.sh installs it when missing). When
it can't be installed the test fails: a real-editor test is never skipped silently.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.venvs import make_venv
from tests.support.wheels import simple_wheel

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "nvim" / "envsense_check.lua"
INSTALL = HERE / "nvim" / "install_nvim.sh"
DIST = "envsense-demo-pkg"
MODULE = "envsense_demo_pkg"
PY = ".".join(map(str, sys.version_info[:3]))


def nvim_executable() -> str:
    """`nvim`, installed from Debian first when missing; fails the test when impossible."""
    found = shutil.which("nvim")
    if found:
        return found
    proc = subprocess.run(
        ["bash", str(INSTALL)], capture_output=True, text=True, timeout=300, check=False
    )
    found = shutil.which("nvim")
    if proc.returncode != 0 or not found:
        pytest.fail(f"Neovim is missing and could not be installed:\n{proc.stderr[-2000:]}")
    return found


def make_workspace(root: Path) -> Path:
    """A project declaring envsense-demo-pkg, whose .venv doesn't have it yet."""
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "proj"\nversion = "1"\ndependencies = ["{DIST}"]\n'
    )
    (root / "main.py").write_text(f"import json\nimport {MODULE}\n")
    make_venv(root / ".venv")
    return root


def editor_env(home: Path, wheels: Path) -> dict[str, str]:
    """Neovim's environment, which it passes on to the server: a fake HOME, the dev venv's
    bin on PATH (so `uv` is found) and installers kept on the local wheel folder."""
    (home / "bin").mkdir(parents=True, exist_ok=True)
    return {
        "HOME": str(home),
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "UV_FIND_LINKS": str(wheels),
        "PIP_FIND_LINKS": str(wheels),
        "UV_OFFLINE": "1",
        "PIP_NO_INDEX": "1",
        "UV_NO_CACHE": "1",
    }


def site_packages(venv: Path) -> Path:
    return next(venv.glob("lib/python*/site-packages"))


def lsp_log(home: Path) -> str:
    """The tail of Neovim's LSP log (server stderr and protocol errors), for failure reports."""
    logs = [*home.rglob("lsp.log")]
    return logs[0].read_text(errors="replace")[-3000:] if logs else "(none)"


def run_nvim(nvim: str, workspace: Path, env: dict[str, str], out: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "envsense", "serve"]
    proc = subprocess.run(
        [nvim, "--headless", "--clean", "-c", f"luafile {SCRIPT}", str(workspace / "main.py")],
        cwd=workspace,
        env={
            **env,
            "ENVSENSE_CMD": json.dumps(command),
            "ENVSENSE_ROOT": str(workspace),
            "ENVSENSE_OUT": str(out),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.is_file(), f"nvim wrote no result (exit {proc.returncode}): {proc.stderr[-2000:]}"
    result: dict[str, Any] = json.loads(out.read_text())
    result["exit_code"] = proc.returncode
    return result


@pytest.mark.editors
def test_neovim_shows_the_missing_import_and_its_install_fix_clears_it(tmp_path: Path) -> None:
    nvim = nvim_executable()
    workspace = make_workspace(tmp_path / "ws")
    wheels = tmp_path / "wheels"
    simple_wheel(wheels, DIST, version="1.2")
    venv = workspace / ".venv"
    assert not list(site_packages(venv).glob("envsense_demo_pkg*"))

    result = run_nvim(nvim, workspace, editor_env(tmp_path / "home", wheels), tmp_path / "r.json")

    assert result["errors"] == [], f"{result}\nnvim's LSP log:\n{lsp_log(tmp_path / 'home')}"
    assert result["ok"] is True and result["exit_code"] == 0, result
    (missing,) = [d for d in result["diagnostics"] if d["code"] == "missing-import"]
    assert (missing["lnum"], missing["col"], missing["end_lnum"], missing["end_col"]) == (
        1,
        7,
        1,
        7 + len(MODULE),
    )
    assert missing["source"] == "envsense"
    assert missing["severity"] == 1  # vim.diagnostic.severity.ERROR
    assert f"'{MODULE}' is not installed in .venv" in missing["message"]

    title = f"Install {DIST} into .venv ({PY}, venv)"
    assert title in result["code_actions"], result["code_actions"]
    assert result["chosen_action"] == title
    install = result["install_result"]
    assert install["ok"] is True, install
    assert install["added"] == [DIST], install

    # Only the missing import was wrong; after the install nothing is reported.
    assert not [d for d in result["diagnostics_after"] if d["code"] == "missing-import"]
    assert (site_packages(venv) / MODULE / "__init__.py").is_file()
    assert list(site_packages(venv).glob("envsense_demo_pkg-1.2.dist-info"))
    print(f"nvim {result['nvim']}: steps (ms) {result['steps']}, total {result['elapsed_ms']} ms")
