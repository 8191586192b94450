"""`envsense check` cold and warm on the 90-file project and the 10,000-file workspace, against
basedpyright and deptry on the same project and environment."""

from __future__ import annotations

import json
from pathlib import Path

from envsense_bench import peers
from envsense_bench.discovery_suite import profile_cli
from envsense_bench.harness import Bench
from envsense_bench.measure import (
    MeasureError,
    ProcessRun,
    Stats,
    repeat,
    run_process,
    tail,
    timed_process,
)
from envsense_bench.report import Budget, Figure, Row

PROJECT_BUDGET = Budget("`envsense check` 90 files / 20k lines vs 150 dists, cold", 0.3)
WORKSPACE_COLD_BUDGET = Budget("`envsense check` 10,000-file workspace, cold", 10.0)
WORKSPACE_WARM_BUDGET = Budget("`envsense check` 10,000-file workspace, warm", 1.0)
SLOW_RUN = 10.0  # seconds; slower checks are measured once each
OK_CODES = (0, 1)  # 1 = an error-severity finding exists, which these workloads have


def check_argv(bench: Bench, project: Path) -> list[str | Path]:
    python = bench.workloads.site_env.python
    return bench.envsense("check", project, "--python", python, "--format", "json")


def printed_json(run: ProcessRun) -> bool:
    """`check --format json` ran to the end (a traceback also exits 1, but prints no JSON)."""
    try:
        json.loads(run.stdout)
    except ValueError:
        return False
    return True


def findings_count(stdout: str) -> str:
    """`(N findings)` from `check --format json`, whatever its top-level shape."""
    try:
        data = json.loads(stdout)
    except ValueError:
        return ""
    if isinstance(data, dict):
        for key in ("findings", "diagnostics", "results"):
            if isinstance(data.get(key), list):
                return f"({len(data[key])} findings)"
        return ""
    return f"({len(data)} findings)" if isinstance(data, list) else ""


def check_cold_warm(bench: Bench, project: Path, repeats: int) -> tuple[Figure, Figure]:
    """Cold: a fresh, empty envsense cache (XDG_CACHE_HOME) each run; warm: the same one reused."""
    missing = bench.missing_command("check")
    if missing:
        return Figure.na(missing), Figure.na(missing)
    argv = check_argv(bench, project)
    cache = bench.work / "scratch" / "envsense-cache"
    env = bench.workloads.machine.environ({"XDG_CACHE_HOME": str(cache)})

    def fresh_cache() -> None:
        bench.scratch("envsense-cache")

    try:
        fresh_cache()
        first = run_process(argv, env, cwd=project)
        if first.returncode not in OK_CODES or not printed_json(first):
            raise MeasureError(f"envsense check exited {first.returncode}: {tail(first.stderr)}")
        detail = findings_count(first.stdout)
        if first.seconds > SLOW_RUN:
            # One figure each keeps the whole bench under ~10 minutes when check is slow.
            repeats = 1
        action = timed_process(argv, env, project, OK_CODES, valid=printed_json)
        # The first run filled the cache: warm runs follow it directly, cold ones empty it first.
        warm = repeat(action, repeats, 0)
        cold = repeat(action, repeats, 0, fresh_cache)
    except MeasureError as error:
        return Figure.na(f"failed: {error}"), Figure.na(f"failed: {error}")
    return Figure(cold.median, detail=detail), Figure(warm.median, detail=detail)


def run(bench: Bench) -> None:
    w = bench.workloads
    project = w.project.root
    cold, warm = check_cold_warm(bench, project, bench.repeats)
    if cold.value is not None:
        env = w.machine.environ()
        bench.profilers[PROJECT_BUDGET.name] = lambda: profile_cli(
            bench, [str(a) for a in check_argv(bench, project)[1:]], env, project
        )
    label = f"check {w.project.files} files / {w.project.lines:,} lines vs {len(w.site_env.dists)} dists"
    bench.report.add(
        Row(
            f"{label}, cold",
            cold,
            "basedpyright (mode off + reportMissingImports)",
            peer_basedpyright(bench),
            PROJECT_BUDGET,
        )
    )
    bench.report.add(Row(f"{label}, cold", cold, "deptry", peer_deptry(bench, project)))
    bench.report.add(Row(f"{label}, warm", warm))

    workspace = w.workspace.root
    ws_repeats = 1 if bench.quick else max(1, min(bench.repeats, 3))
    ws_cold, ws_warm = check_cold_warm(bench, workspace, ws_repeats)
    if ws_cold.value is not None:
        env = w.machine.environ()
        argv = [str(a) for a in check_argv(bench, workspace)[1:]]
        bench.profilers[WORKSPACE_COLD_BUDGET.name] = lambda: profile_cli(
            bench, argv, env, workspace
        )
        bench.profilers[WORKSPACE_WARM_BUDGET.name] = bench.profilers[WORKSPACE_COLD_BUDGET.name]
    ws_label = f"check {w.workspace.files:,}-file workspace"
    bench.report.add(
        Row(
            f"{ws_label}, cold",
            ws_cold,
            "deptry",
            peer_deptry(bench, workspace, ws_repeats),
            WORKSPACE_COLD_BUDGET,
        )
    )
    bench.report.add(Row(f"{ws_label}, warm", ws_warm, budget=WORKSPACE_WARM_BUDGET))
    bench.report.notes.append(
        "basedpyright is not run on the 10,000-file workspace: at ~30 ms a file it would take minutes per run."
    )


def peer_basedpyright(bench: Bench) -> Figure:
    w = bench.workloads
    argv = peers.basedpyright(bench, w.project.root, w.site_env.python)
    env = bench.base_env()
    try:
        probe = run_process(argv, env)
        data = json.loads(probe.stdout)
        missing = sum(
            1 for d in data.get("generalDiagnostics", []) if d.get("rule") == "reportMissingImports"
        )
        stats = repeat(
            timed_process(argv, env, ok_codes=OK_CODES), max(1, min(bench.repeats, 3)), bench.warmup
        )
    except (MeasureError, ValueError) as error:
        return Figure.na(f"failed: {error}")
    return Figure(
        stats.median, detail=f"({missing} missing imports, peak {probe.max_rss_mb:.0f} MB)"
    )


def peer_deptry(bench: Bench, project: Path, repeats: int | None = None) -> Figure:
    argv = peers.deptry(bench, bench.workloads.site_env.site_packages)
    env = bench.base_env()
    try:
        probe = run_process(argv, env, cwd=project)
        issues = (probe.stdout + probe.stderr).count("DEP00")
        stats: Stats = repeat(
            timed_process(argv, env, project, OK_CODES),
            repeats or bench.repeats,
            bench.warmup,
        )
    except MeasureError as error:
        return Figure.na(f"failed: {error}")
    return Figure(stats.median, detail=f"({issues} issues)")
