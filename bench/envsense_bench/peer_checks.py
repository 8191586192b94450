"""`envsense check` and the peers users run for the same question (ty, pyrefly, basedpyright,
deptry) on one project and venv: wall, CPU (user + system of the process tree), peak RSS.

Each peer is restricted to unresolved-import reports where it can be (peers.py says how), so
the figures compare the cost of the job envsense does, at each peer's cheapest setting.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from envsense_bench import peers
from envsense_bench.harness import Bench
from envsense_bench.measure import MeasureError, ProcessRun, Sampled, sample_process
from envsense_bench.report import Budget, Figure, Row

OK_CODES = (0, 1)  # 1 = findings / import errors exist, which every workload has
SLOW_RUN = 10.0  # seconds; slower envsense checks are measured once each


@dataclass(frozen=True, slots=True)
class PeerCheck:
    """One peer's command on one workload, and how to read its result count from the output."""

    name: str
    argv: list[str | Path]
    count: Callable[[ProcessRun], str]
    timeout: float = 600
    # Runs that take minutes are measured once, without a warm-up.
    slow: bool = False


def printed_json(run: ProcessRun) -> bool:
    """`check --format json` ran to the end (a traceback also exits 1, but prints no JSON)."""
    try:
        json.loads(run.stdout)
    except ValueError:
        return False
    return True


def findings_count(stdout: str) -> str:
    """`N findings` from `check --format json`, whatever its top-level shape."""
    try:
        data = json.loads(stdout)
    except ValueError:
        return ""
    if isinstance(data, dict):
        for key in ("findings", "diagnostics", "results"):
            if isinstance(data.get(key), list):
                return f"{len(data[key])} findings"
        return ""
    return f"{len(data)} findings" if isinstance(data, list) else ""


def figure(sampled: Sampled, what: str) -> Figure:
    """Median wall time, with the CPU median and the peak RSS of the same runs."""
    parts = [what] if what else []
    parts += [f"CPU {sampled.cpu.median:.2f} s", f"peak {sampled.peak_rss_mb:.0f} MB"]
    if len(sampled.wall.samples) == 1:
        parts.append("1 run")
    return Figure(sampled.wall.median, detail=f"({', '.join(parts)})", cpu=sampled.cpu.median)


def envsense_cold_warm(
    bench: Bench, root: Path, python: Path, env: dict[str, str], repeats: int
) -> tuple[Figure, Figure]:
    """Cold: a fresh, empty envsense cache (XDG_CACHE_HOME) each run; warm: the same one reused."""
    missing = bench.missing_command("check")
    if missing:
        return Figure.na(missing), Figure.na(missing)
    argv = bench.envsense("check", root, "--python", python, "--format", "json")
    cache = bench.work / "scratch" / "envsense-cache"
    env = {**env, "XDG_CACHE_HOME": str(cache)}

    def fresh_cache() -> None:
        bench.scratch("envsense-cache")

    try:
        first = sample_process(argv, 1, 0, env, root, OK_CODES, printed_json, fresh_cache)
        if first.last.seconds > SLOW_RUN:
            repeats = 1  # keeps the whole bench within minutes when check is slow
        # The first run filled the cache: warm runs follow it directly, cold ones empty it first.
        warm = sample_process(argv, repeats, 0, env, root, OK_CODES, printed_json)
        cold = sample_process(argv, repeats, 0, env, root, OK_CODES, printed_json, fresh_cache)
    except MeasureError as error:
        return Figure.na(f"failed: {error}"), Figure.na(f"failed: {error}")
    what = findings_count(first.last.stdout)
    return figure(cold, what), figure(warm, what)


def measure_peer(bench: Bench, peer: PeerCheck, cwd: Path, env: dict[str, str]) -> Figure:
    repeats = 1 if peer.slow else max(1, min(bench.repeats, 3))
    # --quick: one cold run each (keeps the whole quick bench within ~6 minutes).
    warmup = 0 if peer.slow or bench.quick else bench.warmup
    try:
        sampled = sample_process(
            peer.argv, repeats, warmup, env, cwd, OK_CODES, timeout=peer.timeout
        )
        what = peer.count(sampled.last)
    except MeasureError as error:
        reason = str(error)
        if "did not finish" in reason:
            return Figure.na(f"timed out: {reason}")
        return Figure.na(f"failed: {reason}")
    except ValueError as error:
        return Figure.na(f"failed: unreadable output: {error}")
    return figure(sampled, what)


def standard_peers(
    bench: Bench,
    root: Path,
    python: Path,
    site_packages: Path,
    deptry_args: tuple[str, ...] = (),
    basedpyright_timeout: float | None = None,
) -> list[PeerCheck]:
    """deptry, ty check, pyrefly check, basedpyright; basedpyright only with a timeout."""
    found: list[PeerCheck] = [
        PeerCheck(
            "deptry",
            peers.deptry(bench, site_packages, *deptry_args),
            lambda run: f"{peers.count_deptry(run.stdout + run.stderr)} issues",
        ),
        PeerCheck(
            f"ty check (`{peers.TY_IMPORT_RULE}` only)",
            peers.ty_check(bench, python),
            lambda run: f"{peers.count_ty(run.stdout)} unresolved imports",
        ),
        PeerCheck(
            f"pyrefly check (`{peers.PYREFLY_IMPORT_KIND}` only)",
            peers.pyrefly_check(bench, python),
            lambda run: f"{peers.count_pyrefly(run.stdout)} missing imports",
        ),
    ]
    if basedpyright_timeout is not None:
        found.append(
            PeerCheck(
                "basedpyright (mode off + reportMissingImports)",
                peers.basedpyright(bench, root, python),
                lambda run: f"{peers.count_basedpyright(run.stdout)} missing imports",
                timeout=basedpyright_timeout,
                slow=True,
            )
        )
    return found


def ratio_budget_rows(
    label: str, envsense: Figure, peer_figures: list[tuple[str, Figure]], limit: float = 1.0
) -> list[Row]:
    """`envsense / peer <= limit` for each peer, as budget rows (wall ratio, CPU ratio as detail)."""
    rows = []
    for name, peer in peer_figures:
        short = name.split(" (")[0]
        budget = Budget(f"{label}: envsense / {short}, wall", limit, "x")
        if envsense.value is None or peer.value is None or peer.value <= 0:
            reason = envsense.missing if envsense.value is None else f"{short}: {peer.missing}"
            rows.append(Row(budget.name, Figure.na(reason or "no figure"), budget=budget))
            continue
        detail = ""
        if envsense.cpu is not None and peer.cpu:
            detail = f"(CPU {envsense.cpu / peer.cpu:.2f}x)"
        ratio = Figure(envsense.value / peer.value, "x", detail=detail)
        rows.append(Row(budget.name, ratio, budget=budget))
    return rows
