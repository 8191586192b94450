"""The VS Code client's own unit tests (mocha, with a fake `vscode` module) in the default run.

`npm ci` (cached in client-vscode/node_modules) then `npm test`: tsc type-checks the client
and its tests, and mocha runs them. npm missing or failing fails this test loudly.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

CLIENT = Path(__file__).resolve().parents[2] / "client-vscode"


@pytest.mark.editors
def test_client_logic_unit_tests_pass() -> None:
    npm = shutil.which("npm")
    assert npm is not None, "npm is needed for the VS Code client's tests"
    if not (CLIENT / "node_modules" / "mocha").is_dir():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=CLIENT, check=True, capture_output=True
        )
    proc = subprocess.run(
        [npm, "test"], cwd=CLIENT, capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    passing = re.search(r"(\d+) passing", proc.stdout)
    assert passing is not None and int(passing.group(1)) >= 59, proc.stdout[-2000:]
    assert "failing" not in proc.stdout
