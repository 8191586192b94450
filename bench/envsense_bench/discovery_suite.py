"""Discovery: envsense in process and whole process, against uv, python-discovery, findpython."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from envsense_bench import peers
from envsense_bench.harness import Bench
from envsense_bench.measure import MeasureError, Stats, repeat, run_process, timed_process
from envsense_bench.report import Budget, Figure, Row

DISCOVERY_BUDGET = Budget("discovery over 50 envs, in process", 0.020)
ENVS_BUDGET = Budget("`envsense envs --json`, whole process", 0.150)
ENVS_20_BUDGET = Budget("`envsense envs --json`, whole process, 20 envs", 0.150)
# The reference machine for `envs --json`: about 20 environments.
MACHINE_20_ENVS = 20
SPAWN_BUDGET = Budget("interpreter spawns during `envs --json`", 0, "count")


def workspaces(bench: Bench, machine_projects: Path) -> list[str]:
    """Every project folder of the fake machine: where in-project environments live."""
    return sorted(str(p) for p in machine_projects.iterdir() if p.is_dir())


def inproc_figure(result: dict[str, Any], of: int | None = None) -> Figure:
    if "unavailable" in result:
        return Figure.na(f"not built yet: {result['unavailable']}")
    if "error" in result:
        return Figure.na(f"failed: {result['error']}")
    stats = Stats(tuple(result["samples"]))
    found = result.get("found")
    detail = f"(found {found}{f' of {of}' if of else ''})" if found is not None else ""
    return Figure(stats.median, detail=detail)


def run(bench: Bench) -> None:
    machine = bench.workloads.machine
    env = machine.environ()
    folders = workspaces(bench, machine.projects)
    args = {"workspaces": folders, "repeats": bench.repeats * 4, "warmup": bench.warmup}
    result = bench.inproc("discovery", args, env)
    figure = inproc_figure(result, len(machine.envs))
    bench.report.add(
        Row("discovery, 50 envs, in process (median)", figure, budget=DISCOVERY_BUDGET)
    )
    if figure.value is not None:
        bench.report.notes.append(
            f"discovery found by kind: {result.get('kinds')}; spawns during one pass: {result.get('spawns')}"
        )
        bench.profilers[DISCOVERY_BUDGET.name] = lambda: profile_discovery(bench, env, folders)

    site_env = bench.workloads.site_env
    inventory_args = {
        "prefix": str(site_env.prefix),
        "python": str(site_env.python),
        "version": site_env.version,
        "repeats": bench.repeats * 4,
        "warmup": bench.warmup,
    }
    inventory = bench.inproc("inventory", inventory_args, env)
    label = f"inventory of the {len(site_env.dists)}-dist env, in process (`read_inventory`)"
    bench.report.add(Row(label, inproc_figure(inventory, len(site_env.dists))))

    whole = envs_whole_process(bench, env, folders[0])
    measurement = "discovery, whole process (`envsense envs --json`)"
    peer_rows = [
        ("uv python list --only-installed", peer_uv(bench, env)),
        ("python-discovery, cold cache", peer_python_discovery(bench, env, cold=True)),
        ("python-discovery, warm cache", peer_python_discovery(bench, env, cold=False)),
        ("findpython -a", peer_findpython(bench, env)),
    ]
    for index, (name, peer_figure) in enumerate(peer_rows):
        budget = ENVS_BUDGET if index == 0 else None
        bench.report.add(Row(measurement, whole, name, peer_figure, budget))
    run_20_envs(bench)
    bench.report.add(
        Row(
            "interpreter spawns, `envs --json` (audit hook)",
            spawn_figure(bench, env, folders[0], result),
            budget=SPAWN_BUDGET,
        )
    )


def run_20_envs(bench: Bench) -> None:
    """`envs --json` on a ~20-env machine beside `uv python list` on the same one, same run."""
    from envsense_bench.machine import build_machine

    machine = build_machine(bench.work / "machine-20", bench.pythons, MACHINE_20_ENVS, 0)
    env = machine.environ()
    folders = workspaces(bench, machine.projects)
    whole = envs_whole_process(bench, env, folders[0])
    bench.report.add(
        Row(
            f"`envsense envs --json`, whole process, {len(machine.envs)} envs",
            whole,
            "uv python list --only-installed",
            peer_uv(bench, env),
            ENVS_20_BUDGET,
        )
    )


def envs_whole_process(bench: Bench, env: dict[str, str], project: str) -> Figure:
    missing = bench.missing_command("envs")
    if missing:
        return Figure.na(missing)
    argv = bench.envsense("envs", project, "--json")
    try:
        stats = repeat(timed_process(argv, env), bench.repeats, bench.warmup)
    except MeasureError as error:
        return Figure.na(f"failed: {error}")
    bench.profilers[ENVS_BUDGET.name] = lambda: profile_cli(bench, ["envs", project, "--json"], env)
    return Figure(stats.median)


def spawn_figure(
    bench: Bench, env: dict[str, str], project: str, discovery: dict[str, Any]
) -> Figure:
    result = bench.inproc("envs-cli", {"paths": [project]}, env)
    if "spawns" in result:
        spawned = _spawned(result)
        return Figure(float(result["spawns"]), "count", detail=f"({spawned})" if spawned else "")
    if "spawns" in discovery:
        # No CLI yet: the discovery pass is what `envs` would run, so audit that instead.
        return Figure(
            float(discovery["spawns"]),
            "count",
            detail=f"(`envs` not built yet: counted in discover() {_spawned(discovery)})".replace(
                " )", ")"
            ),
        )
    return Figure.na(f"not built yet: {result.get('unavailable') or result.get('error')}")


def _spawned(result: dict[str, Any]) -> str:
    commands = result.get("spawned") or []
    return f"e.g. {commands[0]}" if commands else ""


def _count_lines(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.strip())


def _peer(
    bench: Bench,
    argv: list[str | Path],
    env: dict[str, str],
    count: bool = True,
    before_each: Any = None,
) -> Figure:
    try:
        probe = run_process(argv, env)
        found = _count_lines(probe.stdout) if count else int(probe.stdout.strip() or 0)
        stats = repeat(timed_process(argv, env), bench.repeats, bench.warmup, before_each)
    except (MeasureError, ValueError) as error:
        return Figure.na(f"failed: {error}")
    return Figure(stats.median, detail=f"(found {found})")


def peer_uv(bench: Bench, env: dict[str, str]) -> Figure:
    return _peer(bench, peers.uv_python_list(bench), env)


def peer_findpython(bench: Bench, env: dict[str, str]) -> Figure:
    return _peer(bench, peers.findpython_all(bench), env)


def peer_python_discovery(bench: Bench, env: dict[str, str], cold: bool) -> Figure:
    cache = bench.scratch("python-discovery-cache")
    argv = peers.python_discovery(bench, cache)

    def fresh_cache() -> None:
        bench.scratch("python-discovery-cache")

    return _peer(bench, argv, env, count=False, before_each=fresh_cache if cold else None)


def profile_discovery(bench: Bench, env: dict[str, str], folders: list[str]) -> str:
    out = bench.work / "profiles" / "discovery.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    result = bench.inproc(
        "profile", {"target": "discovery", "workspaces": folders, "out": str(out)}, env
    )
    return out.read_text() if out.exists() else f"profile failed: {result}"


def profile_cli(bench: Bench, args: list[str], env: dict[str, str], cwd: Path | None = None) -> str:
    """pyinstrument over one whole `envsense ...` run; returns its text report."""
    where = cwd.name if cwd is not None else Path(args[1]).name
    out = bench.work / "profiles" / f"{args[0]}-{where}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    argv: list[str | Path] = [
        bench.tool("pyinstrument"),
        "-r",
        "text",
        "-o",
        out,
        "-m",
        "envsense",
        *args,
    ]
    run = run_process(argv, env, cwd)
    return out.read_text() if out.exists() else f"profile failed: exit {run.returncode}"
