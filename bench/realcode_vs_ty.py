"""envsense check vs ty check on real sdists (the realcode test's projects), whole process.

Run from the repository root after `bash tests/setup.sh`:

    .venv/bin/python bench/realcode_vs_ty.py

ty is pinned and installed into tests/.cache/realcode/ty-venv (gitignored), never into the
project's dependencies. Each tool checks the unpacked sdist against the same venv holding
the project's runtime dependencies; medians of 5 runs after 1 warm-up. Figures go to
docs/performance.md by hand (this is a measurement, not a test).
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.realcode.sdists import CACHE, fetch, make_env, uv_env
from tests.support.venvs import uv_executable

TY = "ty==0.0.108"
PROJECTS = {"requests": "2.32.3", "rich": "13.9.4", "celery": "5.4.0"}
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


def median_seconds(args: list[str], cwd: Path) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) of the whole process."""
    subprocess.run(args, cwd=cwd, capture_output=True)  # warm-up (file cache, imports)
    walls = []
    cpus = []
    for _ in range(RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(args, cwd=cwd, capture_output=True, text=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    ty = ty_executable()
    print("| project | files | envsense wall (cpu) | ty wall (cpu) | ty / envsense, wall (cpu) |")
    print("|---|---|---|---|---|")
    for name, version in PROJECTS.items():
        sdist = fetch(name, version)
        venv = CACHE / "bench" / f"{name}-venv"
        python = venv / "bin" / "python"
        if not python.exists():
            make_env(venv, sdist.requires)
        files = sum(1 for _ in sdist.root.rglob("*.py"))
        envsense = [sys.executable, "-m", "envsense", "check", "--no-cache", "--python"]
        ours, our_cpu = median_seconds([*envsense, str(python), "."], sdist.root)
        theirs, their_cpu = median_seconds(
            [str(ty), "check", "--python", str(python), "--exit-zero", "."], sdist.root
        )
        print(
            f"| {name} {version} | {files} | {ours * 1000:.0f} ms ({our_cpu * 1000:.0f} ms) "
            f"| {theirs * 1000:.0f} ms ({their_cpu * 1000:.0f} ms) "
            f"| {theirs / ours:.1f}x ({their_cpu / our_cpu:.1f}x) |"
        )


if __name__ == "__main__":
    main()
