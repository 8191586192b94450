"""Create the e2e example: a two-folder workspace and the local wheels its installs use.

- `ws`: `.venv` (with pip) lacking a package `app.py` imports, holding `envsense-dep 2.0`;
  a second in-project env `venv` to switch to; `requirements/dev.txt` whose install
  downgrades `envsense-dep` to 1.0 and then spends seconds on a many-file wheel (the
  moment the e2e cancels it).
- `ws2`: a project with no environment (`dependencies` + an extra `yaml`), for the
  no-environment notification and the create flow.
- `wheels`: every distribution above (installs are offline).

Usage: python make_workspace.py ROOT -> prints one JSON line describing it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))

from tests.support.wheels import WheelSpec, build_wheel, simple_wheel  # noqa: E402

MODULE = "envsense_demo_pkg"
DIST = "envsense-demo-pkg"
# Files in the slow wheel: pip needs several seconds to install them on 2 cores.
BULK_FILES = 25000


def _venv(path: Path, *, pip: bool) -> None:
    args = [sys.executable, "-m", "venv", str(path)]
    if not pip:
        args.insert(3, "--without-pip")
    subprocess.run(args, check=True, capture_output=True)


def _wheels(wheels: Path) -> None:
    simple_wheel(wheels, DIST, module=MODULE, version="1.0")
    simple_wheel(wheels, "envsense-extra-pkg", version="1.0")
    simple_wheel(wheels, "envsense-dep", version="1.0")
    simple_wheel(wheels, "envsense-dep", version="2.0")
    files: dict[str, str | bytes] = {
        f"envsense_bulk/part{i // 1000}/m{i}.py": f"X = {i}\n" for i in range(BULK_FILES)
    }
    files["envsense_bulk/__init__.py"] = ""
    build_wheel(
        WheelSpec("envsense-bulk", "1.0", files=files, requires=["envsense-dep==1.0"]), wheels
    )


def main(root: Path) -> dict[str, str]:
    """Build the workspace under `root` and describe it."""
    wheels = root / "wheels"
    _wheels(wheels)
    ws = root / "ws"
    ws.mkdir(parents=True)
    _venv(ws / ".venv", pip=True)
    _venv(ws / "venv", pip=False)
    python = ws / ".venv" / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-index", "--find-links", str(wheels)]
        + ["envsense-dep==2.0"],
        check=True,
        capture_output=True,
    )
    (ws / "app.py").write_text(
        f'"""envsense e2e sample."""\nimport json\n\nimport {MODULE}\n\nprint(json, {MODULE})\n'
    )
    (ws / "pyproject.toml").write_text(
        f'[project]\nname = "e2e-app"\nversion = "0.1"\ndependencies = ["{DIST}"]\n'
    )
    (ws / "requirements").mkdir()
    (ws / "requirements" / "dev.txt").write_text("envsense-bulk==1.0\n")
    ws2 = root / "ws2"
    ws2.mkdir()
    (ws2 / "main.py").write_text(f"import {MODULE}\n\nprint({MODULE})\n")
    (ws2 / "pyproject.toml").write_text(
        '[project]\nname = "e2e-lib"\nversion = "0.1"\nrequires-python = ">=3.8"\n'
        f'dependencies = ["{DIST}"]\n\n'
        '[project.optional-dependencies]\nyaml = ["envsense-extra-pkg"]\n'
    )
    workspace = root / "e2e.code-workspace"
    # pip, not uv: its installs take long enough to be cancelled midway (the server reads
    # window-level settings, so this lives in the workspace file, not in a folder's).
    settings = {"envsense.installer": "pip"}
    workspace.write_text(
        json.dumps({"folders": [{"path": "ws"}, {"path": "ws2"}], "settings": settings})
    )
    version = ".".join(str(part) for part in sys.version_info[:3])
    minor = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    return {
        "workspace": str(ws),
        "workspace2": str(ws2),
        "workspace_file": str(workspace),
        "wheels": str(wheels),
        "python": sys.executable,
        "python_version": version,
        "status_text": f".venv ({version}, venv)",
        "site_packages": str(ws / ".venv" / "lib" / minor / "site-packages"),
        "site_packages2": str(ws2 / ".venv" / "lib" / minor / "site-packages"),
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
