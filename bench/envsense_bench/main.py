"""`bash bench/run.sh [--quick] [--repeats N] [--only SUITE ...]`: generate, measure, report.

Prints one table (measurement | envsense | peer | peer figure | ratio), the budgets with
pass/fail, the scaling table, and writes bench/.work/report.md and results.json. Always exits 0
when the harness itself works: figures are information, not the test suite's pass/fail.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from envsense_bench import (
    check_suite,
    corpus_suite,
    create_install,
    discovery_suite,
    locks_suite,
    lsp_latency,
    lsp_real,
    scaling,
)
from envsense_bench.harness import BENCH_DIR, Bench
from envsense_bench.interpreters import real_pythons
from envsense_bench.report import (
    Figure,
    Report,
    Row,
    budget_rows,
    render_report_markdown,
    render_text,
    table_rows,
    write_json,
)
from envsense_bench.workloads import Sizes, build_all

SUITES: dict[str, Callable[[Bench], None]] = {
    "discovery": discovery_suite.run,
    "check": check_suite.run,
    "lsp": lsp_latency.run,
    "create": create_install.run,
    "scaling": scaling.run,
    "locks": locks_suite.run,
    "corpus": corpus_suite.run,
    "lsp-real": lsp_real.run,
}
PEER_PACKAGES = (
    "uv",
    "python-discovery",
    "findpython",
    "basedpyright",
    "deptry",
    "ty",
    "pyrefly",
    "virtualenv",
    "pip",
    "pyinstrument",
    "envsense",
)
PROFILE_LINES = 45


def describe_machine() -> dict[str, str]:
    meminfo = Path("/proc/meminfo").read_text().splitlines()[0].split()
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    versions = []
    for name in PEER_PACKAGES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    commit = subprocess.run(
        ["git", "-C", str(BENCH_DIR), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{os.cpu_count()} cores ({cpu})",
        "memory": f"{int(meminfo[1]) / 1024 / 1024:.1f} GiB",
        "os": f"{platform.system()} {platform.release()}",
        "python (bench, envsense)": f"{platform.python_implementation()} {platform.python_version()}",
        "tools": ", ".join(versions),
        "envsense commit": commit or "unknown",
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run.sh", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="2 repeats, 20 LSP edits, fewer peer runs (about 6 minutes)",
    )
    parser.add_argument(
        "--repeats", type=int, help="measured runs per figure (default 5; --quick 2)"
    )
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured runs first (default 1)")
    parser.add_argument(
        "--lsp-edits", type=int, help="didChange edits to time (default 60; --quick 20)"
    )
    parser.add_argument("--only", nargs="+", choices=sorted(SUITES), help="run only these suites")
    parser.add_argument(
        "--no-profile", action="store_true", help="skip pyinstrument on missed budgets"
    )
    parser.add_argument("--work", type=Path, default=BENCH_DIR / ".work", help="workload folder")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    repeats = args.repeats or (2 if args.quick else 5)
    work: Path = args.work.resolve()
    started = time.perf_counter()
    print(f"generating workloads under {work} ...", flush=True)
    pythons = real_pythons()
    workloads = build_all(work / "workloads", pythons, Sizes())
    print(
        f"  done in {time.perf_counter() - started:.1f} s; real interpreters: {', '.join(p.full for p in pythons)}"
    )
    report = Report(describe_machine())
    bench = Bench(
        workloads=workloads,
        work=work,
        pythons=pythons,
        report=report,
        repeats=repeats,
        warmup=args.warmup,
        quick=args.quick,
        lsp_edits=args.lsp_edits or (20 if args.quick else 60),
    )
    report.notes.append(
        f"medians of {repeats} runs after {args.warmup} warm-up run(s) unless a row says otherwise; "
        "ratio = envsense figure / peer figure, as issue 14 states them (below 1x: envsense is "
        "faster or smaller); `(CPU ...)` is the same ratio of CPU time (user + system of the "
        "process tree), steadier than wall time on a shared machine."
    )
    for name in args.only or list(SUITES):
        print(f"== {name}", flush=True)
        suite_started = time.perf_counter()
        try:
            SUITES[name](bench)
        except Exception as error:  # one broken suite must not hide the others' figures
            traceback.print_exc()
            report.add(
                Row(f"{name} suite", Figure.na(f"harness error: {type(error).__name__}: {error}"))
            )
        print(f"   {time.perf_counter() - suite_started:.1f} s", flush=True)
    if not args.no_profile:
        run_profiles(bench)
    print()
    print(render_text(table_rows(report)))
    print()
    print(render_text(budget_rows(report)))
    if report.scaling:
        print()
        print(render_text(report.scaling))
    work.mkdir(parents=True, exist_ok=True)
    (work / "report.md").write_text(render_report_markdown(report))
    write_json(report, work / "results.json")
    print(f"\nfull report: {work / 'report.md'} ({time.perf_counter() - started:.0f} s in all)")
    return 0


def run_profiles(bench: Bench) -> None:
    """pyinstrument for every envsense figure that missed its budget (the report shows the top)."""
    done: dict[int, str] = {}
    for row in bench.report.rows:
        budget = row.budget
        if budget is None or not budget.verdict(row.envsense).startswith("FAIL"):
            continue
        profiler = bench.profilers.get(budget.name)
        if profiler is None or budget.name in bench.report.profiles:
            continue
        if id(profiler) in done:  # cold and warm workspace checks share one profile
            bench.report.profiles[budget.name] = f"same run as: {done[id(profiler)]}"
            continue
        print(f"   profiling: {budget.name}", flush=True)
        try:
            text = profiler()
        except Exception as error:  # a failed profile is a note, not a crash
            text = f"profile failed: {error}"
        done[id(profiler)] = budget.name
        bench.report.profiles[budget.name] = "\n".join(text.splitlines()[:PROFILE_LINES])


if __name__ == "__main__":
    sys.exit(main())
