"""In-process measurements, run in a child whose environment IS the fake machine.

`python -m envsense_bench.inproc <what> <json args>` prints one JSON object: `samples` (seconds),
facts (`found`, `spawns`, ...), or `unavailable` with the reason when envsense lacks the piece.
Running in a child keeps os.environ, Path.home() and module caches of one measurement away
from the next, and lets an audit hook count every process the code under test would start.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Audit events that mean "a process was started" (Popen covers subprocess.run and friends).
SPAWN_EVENTS = frozenset(
    {
        "subprocess.Popen",
        "os.posix_spawn",
        "os.spawn",
        "os.exec",
        "os.fork",
        "os.forkpty",
        "os.system",
    }
)


class Unavailable(Exception):
    """The envsense piece this measurement needs does not exist (yet)."""


class SpawnCounter:
    """Counts process starts while armed; an audit hook cannot be removed, so it is gated."""

    def __init__(self) -> None:
        self.armed = False
        self.count = 0
        self.commands: list[str] = []
        sys.addaudithook(self._hook)

    def _hook(self, event: str, args: tuple[Any, ...]) -> None:
        if self.armed and event in SPAWN_EVENTS:
            self.count += 1
            if args:
                self.commands.append(repr(args[0])[:120])


def load(module: str, *names: str) -> list[Any]:
    """Import `module` and return its `names`, or raise Unavailable saying what is missing."""
    try:
        mod = importlib.import_module(module)
    except ImportError as error:
        raise Unavailable(f"no {module} ({error})") from None
    missing = [name for name in names if not hasattr(mod, name)]
    if missing:
        raise Unavailable(f"{module} has no {', '.join(missing)}")
    return [getattr(mod, name) for name in names]


def discovery_context(workspaces: list[str]) -> Any:
    """A DiscoveryContext of this process (whose HOME/PATH are the fake machine's)."""
    (cls,) = load("envsense.core.discovery", "DiscoveryContext")
    folders = tuple(Path(folder) for folder in workspaces)
    if hasattr(cls, "from_os"):
        return cls.from_os(workspace_folders=folders)
    # Fallback for a context without a constructor from the process: fill fields by name.
    known = {
        "home": Path.home(),
        "environ": dict(os.environ),
        "platform": sys.platform,
        "workspace_folders": folders,
    }
    params = inspect.signature(cls).parameters
    needed = [
        n for n, p in params.items() if p.default is inspect.Parameter.empty and n not in known
    ]
    if needed:
        raise Unavailable(
            f"DiscoveryContext needs {', '.join(needed)}, which the bench cannot fill"
        )
    return cls(**{name: value for name, value in known.items() if name in params})


def _timed(action: Callable[[], Any], repeats: int, warmup: int) -> tuple[list[float], Any]:
    samples: list[float] = []
    result: Any = None
    for index in range(warmup + repeats):
        started = time.perf_counter()
        result = action()
        elapsed = time.perf_counter() - started
        if index >= warmup:
            samples.append(elapsed)
    return samples, result


def measure_discovery(args: dict[str, Any], spawns: SpawnCounter) -> dict[str, Any]:
    """`discover(DiscoveryContext)` over the fake machine; counts spawns during one pass."""
    (discover,) = load("envsense.core.discovery", "discover")
    ctx = discovery_context(args["workspaces"])
    spawns.armed = True
    found = list(discover(ctx))
    spawns.armed = False
    samples, _ = _timed(
        lambda: list(discover(discovery_context(args["workspaces"]))),
        args["repeats"],
        args["warmup"],
    )
    return {
        "samples": samples,
        "found": len(found),
        "usable": sum(1 for env in found if getattr(env, "error", None) is None),
        "kinds": _kind_counts(found),
        "spawns": spawns.count,
        "spawned": spawns.commands[:5],
    }


def measure_envs_cli(args: dict[str, Any], spawns: SpawnCounter) -> dict[str, Any]:
    """`envsense envs PATH --json` through cli.main in this process, to audit its spawns."""
    (main,) = load("envsense.cli", "main")
    out = io.StringIO()
    spawns.armed = True
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            code = main(["envs", *args["paths"], "--json"])
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 2
    finally:
        spawns.armed = False
    if code == 2 and not out.getvalue():
        raise Unavailable("`envsense envs` is not a command yet")
    try:
        payload = json.loads(out.getvalue())
    except ValueError:
        raise Unavailable("`envsense envs --json` printed no JSON") from None
    envs = payload.get("environments", payload) if isinstance(payload, dict) else payload
    return {
        "found": len(envs) if isinstance(envs, list) else None,
        "spawns": spawns.count,
        "spawned": spawns.commands[:5],
    }


def measure_inventory(args: dict[str, Any], spawns: SpawnCounter) -> dict[str, Any]:
    """`read_inventory(Environment)` of the 150-distribution environment."""
    (read_inventory,) = load("envsense.core.environment.inventory", "read_inventory")
    env_cls, kind_cls = load("envsense.core.environment", "Environment", "EnvKind")
    (version_cls,) = load("envsense.core.versions", "PythonVersion")
    env = env_cls(
        kind=kind_cls.UV,
        prefix=Path(args["prefix"]),
        executable=Path(args["python"]),
        version=version_cls.parse(args["version"]),
    )
    spawns.armed = True
    first = read_inventory(env)
    spawns.armed = False
    samples, _ = _timed(lambda: read_inventory(env), args["repeats"], args["warmup"])
    return {
        "samples": samples,
        "found": len(getattr(first, "distributions", ())),
        "spawns": spawns.count,
    }


def profile(args: dict[str, Any], spawns: SpawnCounter) -> dict[str, Any]:
    """Run one in-process measurement under pyinstrument; write its text report to args['out']."""
    from pyinstrument import Profiler

    target = MEASUREMENTS[args["target"]]
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(args.get("loops", 20)):
        target({**args, "repeats": 1, "warmup": 0}, spawns)
    profiler.stop()
    Path(args["out"]).write_text(profiler.output_text(unicode=False, color=False, show_all=False))
    return {"profile": args["out"]}


def _kind_counts(envs: list[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for env in envs:
        kind = str(getattr(env, "kind", "?"))
        counts[kind] = counts.get(kind, 0) + 1
    return counts


MEASUREMENTS: dict[str, Callable[[dict[str, Any], SpawnCounter], dict[str, Any]]] = {
    "discovery": measure_discovery,
    "envs-cli": measure_envs_cli,
    "inventory": measure_inventory,
    "profile": profile,
}


def main(argv: list[str]) -> int:
    what, raw = argv[0], argv[1]
    args = json.loads(raw)
    spawns = SpawnCounter()
    try:
        result = MEASUREMENTS[what](args, spawns)
    except Unavailable as reason:
        result = {"unavailable": str(reason)}
    except Exception as error:  # the bench reports a broken piece instead of stopping
        result = {"error": f"{type(error).__name__}: {error}"}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
