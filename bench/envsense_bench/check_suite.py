"""`envsense check` cold and warm on the 90-file project and the 10,000-file workspace, against
deptry, ty check, pyrefly check and basedpyright on the same project and environment."""

from __future__ import annotations

from pathlib import Path

from envsense_bench.discovery_suite import profile_cli
from envsense_bench.harness import Bench
from envsense_bench.peer_checks import (
    envsense_cold_warm,
    measure_peer,
    ratio_budget_rows,
    standard_peers,
)
from envsense_bench.report import Budget, Figure, Row

PROJECT_BUDGET = Budget("`envsense check` 90 files / 20k lines vs 150 dists, cold", 0.3)
WORKSPACE_COLD_BUDGET = Budget("`envsense check` 10,000-file workspace, cold", 10.0)
WORKSPACE_WARM_BUDGET = Budget("`envsense check` 10,000-file workspace, warm", 1.0)
WORKSPACE_RSS_BUDGET = Budget("`envsense check` peak RSS, 10,000-file workspace, cold", 80.0, "MB")
# basedpyright takes ~30 ms a file: minutes on the workspace, so one run with a time limit.
PROJECT_BASEDPYRIGHT_TIMEOUT = 120.0
WORKSPACE_BASEDPYRIGHT_TIMEOUT = 300.0


def check_argv(bench: Bench, project: Path) -> list[str | Path]:
    python = bench.workloads.site_env.python
    return bench.envsense("check", project, "--python", python, "--format", "json")


def peak_rss(figure: Figure) -> Figure:
    """The `peak N MB` a check figure carries in its detail, as a figure of its own."""
    if figure.value is None:
        return Figure.na(figure.missing or "no figure")
    for part in figure.detail.strip("()").split(", "):
        if part.startswith("peak ") and part.endswith(" MB"):
            return Figure(float(part[5:-3]), "MB")
    return Figure.na("no peak RSS measured")


def run(bench: Bench) -> None:
    w = bench.workloads
    env = w.machine.environ()
    python = w.site_env.python
    site = w.site_env.site_packages

    project = w.project.root
    cold, warm = envsense_cold_warm(bench, project, python, env, bench.repeats)
    if cold.value is not None:
        bench.profilers[PROJECT_BUDGET.name] = lambda: profile_cli(
            bench, [str(a) for a in check_argv(bench, project)[1:]], env, project
        )
    label = f"check {w.project.files} files / {w.project.lines:,} lines vs {len(w.site_env.dists)} dists"
    peer_env = bench.base_env()
    for index, peer in enumerate(
        standard_peers(bench, project, python, site, (), PROJECT_BASEDPYRIGHT_TIMEOUT)
    ):
        bench.report.add(
            Row(
                f"{label}, cold",
                cold,
                peer.name,
                measure_peer(bench, peer, project, peer_env),
                PROJECT_BUDGET if index == 0 else None,
            )
        )
    bench.report.add(Row(f"{label}, warm", warm))

    workspace = w.workspace.root
    ws_repeats = 1 if bench.quick else max(1, min(bench.repeats, 3))
    ws_cold, ws_warm = envsense_cold_warm(bench, workspace, python, env, ws_repeats)
    ws_label = f"check {w.workspace.files:,}-file workspace"
    figures: list[tuple[str, Figure]] = []
    timeout = None if bench.quick else WORKSPACE_BASEDPYRIGHT_TIMEOUT
    for index, peer in enumerate(standard_peers(bench, workspace, python, site, (), timeout)):
        print(f"   {peer.name} on the workspace", flush=True)
        peer_figure = measure_peer(bench, peer, workspace, peer_env)
        figures.append((peer.name, peer_figure))
        budget = WORKSPACE_COLD_BUDGET if index == 0 else None
        bench.report.add(Row(f"{ws_label}, cold", ws_cold, peer.name, peer_figure, budget))
    if bench.quick:
        bench.report.add(
            Row(
                f"{ws_label}, cold",
                ws_cold,
                "basedpyright (mode off + reportMissingImports)",
                Figure.na("skipped in --quick: takes minutes"),
            )
        )
    bench.report.add(Row(f"{ws_label}, warm", ws_warm, budget=WORKSPACE_WARM_BUDGET))
    bench.report.add(
        Row(f"{ws_label}, cold: peak RSS", peak_rss(ws_cold), budget=WORKSPACE_RSS_BUDGET)
    )
    budget_rows = ratio_budget_rows(f"cold check, {ws_label[6:]}", ws_cold, figures[:3])
    for row in budget_rows:
        bench.report.add(row)
    if ws_cold.value is not None:
        argv = [str(a) for a in check_argv(bench, workspace)[1:]]
        cache = bench.scratch("profile-cache-ws")
        profile_env = {**env, "XDG_CACHE_HOME": str(cache)}

        def profile() -> str:
            return profile_cli(bench, argv, profile_env, workspace)

        names = [WORKSPACE_COLD_BUDGET.name, WORKSPACE_WARM_BUDGET.name, WORKSPACE_RSS_BUDGET.name]
        names += [row.budget.name for row in budget_rows if row.budget is not None]
        for name in names:
            bench.profilers[name] = profile
    bench.report.notes.append(
        "On the generated workloads ty and pyrefly get the 150-distribution env (`--python` / "
        "`--python-interpreter-path`), deptry its site-packages; basedpyright runs once on the "
        f"workspace with a {WORKSPACE_BASEDPYRIGHT_TIMEOUT:.0f} s limit (a timeout is reported as such)."
    )
