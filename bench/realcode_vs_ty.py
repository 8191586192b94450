"""envsense check vs ty check on real sdists (the realcode test's projects), whole process.

Run from the repository root after `bash tests/setup.sh`:

    .venv/bin/python bench/realcode_vs_ty.py

ty is pinned and installed into tests/.cache/realcode/ty-venv (gitignored), never into the
project's dependencies. Each tool checks the unpacked sdist against the same venv holding
the project's runtime dependencies; medians of 5 runs after 1 warm-up. Figures go to
docs/performance.md by hand (this is a measurement, not a test).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.realcode.sdists import CACHE, fetch, make_env, uv_env
from tests.support.venvs import uv_executable

TY = "ty==0.0.108"
PROJECTS = {"requests": "2.32.3", "rich": "13.9.4"}
RUNS = 5


def ty_executable() -> Path:
    venv = CACHE / "ty-venv"
    exe = venv / "bin" / "ty"
    if not exe.exists():
        subprocess.run([uv_executable(), "venv", str(venv)], check=True, env=uv_env())
        subprocess.run(
            [uv_executable(), "pip", "install", "--python", str(venv / "bin" / "python"), TY],
            check=True,
            env=uv_env(),
        )
    return exe


def median_seconds(args: list[str], cwd: Path) -> tuple[float, str]:
    subprocess.run(args, cwd=cwd, capture_output=True)  # warm-up (file cache, imports)
    times = []
    output = ""
    for _ in range(RUNS):
        start = time.perf_counter()
        result = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        output = result.stdout
    return statistics.median(times), output


def main() -> None:
    ty = ty_executable()
    print("| project | files | envsense check | ty check | ty / envsense |")
    print("|---|---|---|---|---|")
    for name, version in PROJECTS.items():
        sdist = fetch(name, version)
        venv = CACHE / "bench" / f"{name}-venv"
        python = venv / "bin" / "python"
        if not python.exists():
            make_env(venv, sdist.requires)
        files = sum(1 for _ in sdist.root.rglob("*.py"))
        envsense = [sys.executable, "-m", "envsense", "check", "--no-cache", "--python"]
        ours, _ = median_seconds([*envsense, str(python), "."], sdist.root)
        theirs, _ = median_seconds(
            [str(ty), "check", "--python", str(python), "--exit-zero", "."], sdist.root
        )
        print(
            f"| {name} {version} | {files} | {ours * 1000:.0f} ms | {theirs * 1000:.0f} ms "
            f"| {theirs / ours:.1f}x |"
        )


if __name__ == "__main__":
    main()
