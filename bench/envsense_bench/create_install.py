"""Creating an environment and installing one cached wheel: uv (what envsense's actions run)
against `python -m venv`, virtualenv and pip, each into a fresh folder every time."""

from __future__ import annotations

import shutil
from pathlib import Path

from envsense_bench import peers
from envsense_bench.harness import Bench
from envsense_bench.measure import MeasureError, repeat, run_process, timed_process
from envsense_bench.report import Budget, Figure, Row
from envsense_bench.workloads import WHEEL_NAME

CREATE_BUDGET = Budget("Create .venv with uv", 0.3)
INSTALL_BUDGET = Budget("install one cached wheel with uv", 0.5)


def run(bench: Bench) -> None:
    python = bench.python311.executable
    dest = bench.work / "scratch" / "create" / ".venv"
    env = bench.base_env({"UV_CACHE_DIR": str(bench.work / "uv-cache")})

    def remove() -> None:
        if dest.exists():
            shutil.rmtree(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)

    figures: dict[str, Figure] = {}
    for name, argv in peers.create_commands(bench, python, dest).items():
        try:
            stats = repeat(timed_process(argv, env), bench.repeats, bench.warmup, remove)
            figures[name] = Figure(stats.median)
        except MeasureError as error:
            figures[name] = Figure.na(f"failed: {error}")
    uv = figures.pop("uv venv")
    label = "create .venv (envsense's action runs `uv venv`)"
    for index, (name, figure) in enumerate(figures.items()):
        bench.report.add(Row(label, uv, name, figure, CREATE_BUDGET if index == 0 else None))

    uv_install, pip_install = measure_installs(bench, env)
    bench.report.add(
        Row(
            "install 1 cached wheel into a fresh venv (envsense runs `uv pip install --offline`)",
            uv_install,
            "pip install --no-index --find-links",
            pip_install,
            INSTALL_BUDGET,
        )
    )


def measure_installs(bench: Bench, env: dict[str, str]) -> tuple[Figure, Figure]:
    wheels = bench.workloads.wheel.parent
    python = bench.python311.executable
    target = bench.work / "scratch" / "install" / ".venv"
    target_python = target / "bin" / "python"

    def fresh_venv() -> None:
        if target.exists():
            shutil.rmtree(target)
        made = run_process(
            [bench.tool("uv"), "venv", "--quiet", "--offline", "-p", python, target], env
        )
        if made.returncode != 0:
            raise MeasureError(f"uv venv failed: {made.stderr[-200:]}")

    results = []
    for argv in (
        peers.uv_install(bench, target_python, wheels, WHEEL_NAME),
        peers.pip_install(bench, target_python, wheels, WHEEL_NAME),
    ):
        try:
            stats = repeat(timed_process(argv, env), bench.repeats, bench.warmup, fresh_venv)
            installed = _installed(target, WHEEL_NAME)
            results.append(
                Figure(stats.median) if installed else Figure.na("failed: nothing installed")
            )
        except MeasureError as error:
            results.append(Figure.na(f"failed: {error}"))
    return results[0], results[1]


def _installed(prefix: Path, name: str) -> bool:
    return any(prefix.glob(f"lib/python*/site-packages/{name}/__init__.py"))
