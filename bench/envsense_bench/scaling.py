"""Scaling: discovery at 5/50/500 environments and check at 9/90/900 files; cost per unit.

"Linear or better" means the marginal cost per unit at the largest size is not above the
per-unit cost at the middle size by more than noise (25 %): fixed costs may make it fall.
"""

from __future__ import annotations

from envsense_bench.discovery_suite import inproc_figure, workspaces
from envsense_bench.harness import Bench
from envsense_bench.peer_checks import envsense_cold_warm
from envsense_bench.report import Figure, format_value

HEADER = ["workload", "size", "median", "per unit", "marginal per unit", "verdict"]
NOISE = 1.25


def _series(name: str, unit: str, points: list[tuple[int, Figure]]) -> list[list[str]]:
    rows = []
    previous: tuple[int, float] | None = None
    per_unit_mid: float | None = None
    for index, (size, figure) in enumerate(points):
        if figure.value is None:
            rows.append([name, f"{size} {unit}", figure.text(), "", "", ""])
            previous = None
            continue
        per_unit = figure.value / size
        marginal = ""
        verdict = ""
        if previous is not None and size > previous[0]:
            slope = (figure.value - previous[1]) / (size - previous[0])
            marginal = format_value(max(slope, 0.0), "s") + f"/{unit}"
            if index == len(points) - 1 and per_unit_mid is not None:
                verdict = "linear or better" if slope <= per_unit_mid * NOISE else "SUPERLINEAR"
        if index == len(points) - 2:
            per_unit_mid = per_unit
        rows.append(
            [
                name,
                f"{size} {unit}",
                figure.text(),
                format_value(per_unit, "s") + f"/{unit}",
                marginal,
                verdict,
            ]
        )
        previous = (size, figure.value)
    return rows


def run(bench: Bench) -> None:
    w = bench.workloads
    discovery_points = []
    for machine in w.scaled_machines:
        args = {
            "workspaces": workspaces(bench, machine.projects),
            "repeats": bench.repeats,
            "warmup": bench.warmup,
        }
        result = bench.inproc("discovery", args, machine.environ())
        discovery_points.append((len(machine.envs), inproc_figure(result, len(machine.envs))))
    check_points = []
    for project in w.scaled_projects:
        cold, _ = envsense_cold_warm(
            bench, project.root, w.site_env.python, w.machine.environ(), bench.repeats
        )
        check_points.append((project.files, cold))
    bench.report.scaling = [
        HEADER,
        *_series("discovery, in process", "envs", discovery_points),
        *_series("check, whole process, cold", "files", check_points),
    ]
