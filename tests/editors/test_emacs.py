"""envsense in real Emacs + eglot (batch mode), end to end, in a folder without VCS (eglot
then starts the server with the file's own folder as root) and in a git checkout: the
missing-import diagnostic on its line, the install quick fix listed and run through
workspace/executeCommand, and the diagnostic gone without editing the buffer.

Emacs and eglot come from Debian (tests/editors/emacs/install_emacs.sh installs them when
missing). When they can't be installed the test fails: a real-editor test is never
skipped silently.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.editors.test_neovim import DIST, MODULE, PY, editor_env, site_packages
from tests.support.venvs import make_venv
from tests.support.wheels import simple_wheel

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "emacs" / "envsense_check.el"
INSTALL = HERE / "emacs" / "install_emacs.sh"
EGLOT = Path("/usr/share/emacs/site-lisp/elpa/")


def emacs_executable() -> str:
    """`emacs` with eglot, installed from Debian first when missing; fails when impossible."""
    found = shutil.which("emacs")
    if found and list(EGLOT.glob("eglot-*")):
        return found
    proc = subprocess.run(
        ["bash", str(INSTALL)], capture_output=True, text=True, timeout=600, check=False
    )
    found = shutil.which("emacs")
    if proc.returncode != 0 or not found or not list(EGLOT.glob("eglot-*")):
        pytest.fail(f"Emacs/eglot is missing and could not be installed:\n{proc.stderr[-2000:]}")
    return found


def make_project(root: Path, *, git: bool) -> Path:
    """A src-layout project declaring the demo package, whose .venv doesn't have it yet.
    Returns the file to open: src/app/main.py, two folders below the project root."""
    package = root / "src" / "app"
    package.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "app"\nversion = "1"\ndependencies = ["{DIST}"]\n'
    )
    (package / "__init__.py").write_text("")
    (package / "main.py").write_text(f"import json\nimport {MODULE}\n")
    make_venv(root / ".venv")
    if git:
        subprocess.run(["git", "init", "-q", str(root)], check=True, timeout=30)
    return package / "main.py"


def run_emacs(emacs: str, file: Path, env: dict[str, str], out: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "envsense", "serve"]
    proc = subprocess.run(
        [emacs, "-Q", "--batch", "-l", str(SCRIPT), str(file)],
        cwd=file.parent,
        env={**env, "ENVSENSE_CMD": json.dumps(command), "ENVSENSE_OUT": str(out)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.is_file(), f"emacs wrote no result (exit {proc.returncode}): {proc.stderr[-3000:]}"
    result: dict[str, Any] = json.loads(out.read_text())
    result["exit_code"] = proc.returncode
    result["stderr"] = proc.stderr[-3000:]
    return result


@pytest.mark.editors
@pytest.mark.parametrize("git", [False, True], ids=["no-vcs", "git"])
def test_emacs_eglot_install_fix_clears_the_diagnostic_without_an_edit(
    tmp_path: Path, git: bool
) -> None:
    emacs = emacs_executable()
    project = tmp_path / "proj"
    source = make_project(project, git=git)
    wheels = tmp_path / "wheels"
    simple_wheel(wheels, DIST, version="1.2")
    venv = project / ".venv"

    result = run_emacs(emacs, source, editor_env(tmp_path / "home", wheels), tmp_path / "r.json")

    assert result["errors"] == [], result
    assert result["ok"] is True and result["exit_code"] == 0, result
    # eglot's root: the git checkout, or without VCS the file's own folder (src/app); the
    # server still finds the project two levels up, with its .venv.
    expected_root = project if git else source.parent
    assert Path(result["root"]).resolve() == expected_root.resolve(), result["root"]
    (missing,) = [d for d in result["diagnostics"] if d["code"] == "missing-import"]
    assert (missing["line"], missing["column"]) == (2, 7), missing
    assert missing["type"] == "eglot-error"
    assert f"'{MODULE}' is not installed in .venv" in missing["text"]

    title = f"Install {DIST} into .venv ({PY}, venv)"
    assert title in result["code_actions"], result["code_actions"]
    assert result["chosen_action"] == title
    install = result["install_result"]
    assert install["ok"] is True and install["added"] == [DIST], install

    # Cleared by the server's own publish after the install: the buffer was never edited.
    assert result["buffer_modified"] is False
    assert not [d for d in result["diagnostics_after"] if d["code"] == "missing-import"]
    assert (site_packages(venv) / MODULE / "__init__.py").is_file()
    print(f"emacs {result['emacs']} {result['eglot']}: steps (ms) {result['steps']}")
