"""Create the e2e example workspace: a no-pip .venv, a file importing a package that is not
installed, and a local wheel for it (the install must work offline).

Usage: python make_workspace.py ROOT  -> ROOT/ws (the folder VS Code opens), ROOT/wheels.
Prints one JSON line: {"workspace", "wheels", "python_version", "status_text", "site_packages"}.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))

from tests.support.wheels import simple_wheel  # noqa: E402

MODULE = "envsense_demo_pkg"
DIST = "envsense-demo-pkg"


def main(root: Path) -> dict[str, str]:
    """Build the workspace under `root` and describe it."""
    ws = root / "ws"
    ws.mkdir(parents=True)
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(ws / ".venv")],
        check=True,
        capture_output=True,
    )
    (ws / "app.py").write_text(
        f'"""envsense e2e sample."""\nimport json\n\nimport {MODULE}\n\nprint(json, {MODULE})\n'
    )
    (ws / "pyproject.toml").write_text(
        f'[project]\nname = "e2e-app"\nversion = "0.1"\ndependencies = ["{DIST}"]\n'
    )
    wheels = root / "wheels"
    simple_wheel(wheels, DIST, module=MODULE, version="1.0")
    version = ".".join(str(part) for part in sys.version_info[:3])
    minor = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    return {
        "workspace": str(ws),
        "wheels": str(wheels),
        "python_version": version,
        "status_text": f"{version} (.venv: venv)",
        "site_packages": str(ws / ".venv" / "lib" / minor / "site-packages"),
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
