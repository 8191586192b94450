"""Lock comparison on a 300-package uv.lock written by the real `uv lock`, beside
`uv sync --locked --dry-run` on the same lock and environment (issue 13).

The environment is made by `uv sync --frozen`, then 10 packages are put back to an older
version, so both tools have the same drift to find. envsense is timed in process: reading
and parsing uv.lock, then the comparison itself (the environment's inventory is read once
beforehand, as the language server's session caches it). `python -m envsense_bench.locks_suite`
runs this suite alone.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import statistics
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from envsense_bench.harness import BENCH_DIR, Bench
from envsense_bench.measure import MeasureError, repeat, timed_process
from envsense_bench.report import Budget, Figure, Report, Row, render_text, table_rows

PARSE_BUDGET = Budget(
    "uv.lock read + parse, 300 packages with 12 wheels + sdist each (in process)", 0.05
)
COMPARE_BUDGET = Budget("lock comparison after parse, 300 packages (in process)", 0.02)
PACKAGES = 300
DRIFTED = 10


@dataclass(frozen=True, slots=True)
class LockWorkload:
    project: Path
    lock: Path
    venv: Path
    wheels: Path
    env: dict[str, str]


def _wheel(dest: Path, name: str, version: str, requires: list[str]) -> None:
    module = name.replace("-", "_")
    info = f"{module}-{version}.dist-info"
    files = {f"{module}/__init__.py": f'__version__ = "{version}"\n'.encode()}
    metadata = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    metadata += [f"Requires-Dist: {r}" for r in requires]
    files[f"{info}/METADATA"] = ("\n".join(metadata) + "\n").encode()
    files[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: envsense-bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    with zipfile.ZipFile(dest / f"{module}-{version}-py3-none-any.whl", "w") as archive:
        for path, data in files.items():
            archive.writestr(zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0)), data)


def package_name(index: int) -> str:
    return f"lockbench-{index:03d}"


def requirements_of(index: int, count: int) -> list[str]:
    """A binary tree (every package reachable from the first); every 10th leaf edge is
    for Windows only, so the walk has markers to evaluate and entries to leave out."""
    found = []
    for child in (2 * index + 1, 2 * index + 2):
        if child < count:
            marker = (
                ' ; sys_platform == "win32"' if child % 10 == 0 and 2 * child + 1 >= count else ""
            )
            found.append(f"{package_name(child)}>=1{marker}")
    return found


def _run(argv: list[str | Path], cwd: Path, env: dict[str, str]) -> None:
    result = subprocess.run(
        [str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise MeasureError(f"{Path(str(argv[0])).name} {argv[1]} failed: {result.stderr[-500:]}")


def build_lock_workload(root: Path, uv: Path, python: Path, count: int = PACKAGES) -> LockWorkload:
    """Wheels, a project, its real uv.lock and a synced .venv with DRIFTED packages older."""
    wheels = root / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        requires = requirements_of(index, count)
        _wheel(wheels, package_name(index), "1.0", requires)
        if index < DRIFTED:
            _wheel(wheels, package_name(index), "2.0", requires)
    project = root / "project"
    project.mkdir(parents=True, exist_ok=True)
    (project / "pyproject.toml").write_text(
        '[project]\nname = "lockbench"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
        f'dependencies = ["{package_name(0)}"]\n'
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("UV_", "VIRTUAL_ENV"))},
        "UV_CACHE_DIR": str(root / "uv-cache"),
        "UV_NO_CONFIG": "1",
        "UV_PYTHON": str(python),
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_FIND_LINKS": str(wheels),
        "UV_NO_INDEX": "1",
        "UV_OFFLINE": "1",
    }
    _run([uv, "lock", "--quiet"], project, env)
    _run([uv, "sync", "--frozen", "--quiet"], project, env)
    venv = project / ".venv"
    old = [f"{package_name(i)}==1.0" for i in range(DRIFTED)]
    _run(
        [uv, "pip", "install", "--quiet", "--no-deps", "--python", venv / "bin" / "python", *old],
        project,
        env,
    )
    return LockWorkload(project, project / "uv.lock", venv, wheels, env)


_ONE_WHEEL = re.compile(r'^wheels = \[\n    \{ path = "([^"]+?)-[^"]*" \},\n\]$', re.MULTILINE)
WHEELS_PER_PACKAGE = 12


def inflate(text: str) -> str:
    """The lock as a registry-backed project's looks: an sdist and 12 wheels per package,
    each with URL, hash, size and upload time (a 300-package lock grows to ~1.4 MB)."""

    def artifacts(match: re.Match[str]) -> str:
        name = match.group(1)
        lines = []
        for number in range(WHEELS_PER_PACKAGE):
            digest = hashlib.sha256(f"{name}{number}".encode()).hexdigest()
            lines.append(
                f'    {{ url = "https://files.example.org/packages/{digest[:2]}/{digest[2:4]}/'
                f'{digest}/{name}-1.0-cp3{number}-cp3{number}-manylinux_2_17_x86_64.whl", '
                f'hash = "sha256:{digest}", size = 123456, upload-time = "2024-01-01T00:00:00.000Z" }},'
            )
        digest = hashlib.sha256(name.encode()).hexdigest()
        sdist = (
            f'sdist = {{ url = "https://files.example.org/{name}-1.0.tar.gz", '
            f'hash = "sha256:{digest}", size = 4321, upload-time = "2024-01-01T00:00:00.000Z" }}'
        )
        return sdist + "\nwheels = [\n" + "\n".join(lines) + "\n]"

    return _ONE_WHEEL.sub(artifacts, text)


def measure(work: Path, uv: Path, python: Path, repeats: int, warmup: int) -> list[Row]:
    from envsense.core.checks.lock import compare_lock
    from envsense.core.declarations import read_declarations
    from envsense.core.discovery import identify
    from envsense.core.discovery.context import DiscoveryContext
    from envsense.core.environment.inventory import read_inventory
    from envsense.core.locks.project_config import project_config
    from envsense.core.locks.uv_lock import parse_uv_lock

    workload = build_lock_workload(work / "locks", uv, python)
    lock_path = workload.lock

    def parse() -> float:
        started = time.perf_counter()
        parse_uv_lock(lock_path, lock_path.read_text(encoding="utf-8"))
        return time.perf_counter() - started

    big_path = workload.project.parent / "inflated" / "uv.lock"
    big_path.parent.mkdir(exist_ok=True)
    big_path.write_text(inflate(lock_path.read_text(encoding="utf-8")), encoding="utf-8")

    def parse_big() -> float:
        started = time.perf_counter()
        parse_uv_lock(big_path, big_path.read_text(encoding="utf-8"))
        return time.perf_counter() - started

    lock = parse_uv_lock(lock_path, lock_path.read_text(encoding="utf-8"))
    if lock.problem is not None or len(lock.packages) != PACKAGES + 1:
        raise MeasureError(f"uv.lock has {len(lock.packages)} entries: {lock.problem}")
    environment = identify(workload.venv / "bin" / "python", DiscoveryContext.from_os())
    inventory = read_inventory(environment)
    declarations = read_declarations(workload.project)
    config = project_config(workload.project, declarations)
    comparison = compare_lock(lock, inventory, config, declarations)
    if len(comparison.mismatched) != DRIFTED:
        raise MeasureError(f"expected {DRIFTED} drifted packages, found {len(comparison.drift)}")

    def compare() -> float:
        started = time.perf_counter()
        compare_lock(lock, inventory, config, declarations)
        return time.perf_counter() - started

    runs = max(repeats, 20)  # milliseconds: more samples for a stable median
    parsed = repeat(parse, runs, warmup)
    parsed_big = repeat(parse_big, runs, warmup)
    big = parse_uv_lock(big_path, big_path.read_text(encoding="utf-8"))
    if [(p.name, p.version, p.dependencies) for p in big.packages] != [
        (p.name, p.version, p.dependencies) for p in lock.packages
    ]:
        raise MeasureError("the inflated uv.lock does not read as the same packages")
    compared = repeat(compare, runs, warmup)
    peer_env = {**workload.env, "UV_PROJECT_ENVIRONMENT": str(workload.venv)}
    peer = repeat(
        timed_process([uv, "sync", "--locked", "--dry-run"], env=peer_env, cwd=workload.project),
        repeats,
        warmup,
    )
    size = lock_path.stat().st_size // 1024
    total = statistics.median(a + b for a, b in zip(parsed.samples, compared.samples, strict=True))
    detail = f"({len(lock.packages)} entries, {size} KiB, {DRIFTED} drifted found)"
    return [
        Row(
            "lock check, 300-package uv.lock: parse + compare (in process)",
            Figure(total, detail=detail),
            peer="uv sync --locked --dry-run",
            peer_figure=Figure(peer.median),
        ),
        Row(
            "uv.lock read + parse, 300 packages as uv wrote it (in process)",
            Figure(parsed.median, detail=f"({size} KiB)"),
        ),
        Row(
            PARSE_BUDGET.name,
            Figure(parsed_big.median, detail=f"({big_path.stat().st_size // 1024} KiB)"),
            budget=PARSE_BUDGET,
        ),
        Row(COMPARE_BUDGET.name, Figure(compared.median), budget=COMPARE_BUDGET),
    ]


def run(bench: Bench) -> None:
    for row in measure(
        bench.work, bench.tool("uv"), bench.python311.executable, bench.repeats, bench.warmup
    ):
        bench.report.add(row)


def main() -> int:
    """This suite alone, with the running interpreter's uv (`python -m envsense_bench.locks_suite`)."""
    uv = Path(sys.executable).parent / "uv"
    report = Report({})
    for row in measure(BENCH_DIR / ".work", uv, Path(sys.executable), 5, 1):
        report.add(row)
    print(render_text(table_rows(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
