"""What every suite shares: the workloads, repeat counts, tool paths and envsense probes."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envsense_bench.interpreters import RealPython, pick
from envsense_bench.measure import run_process, tail
from envsense_bench.report import Report
from envsense_bench.workloads import Workloads

BENCH_DIR = Path(__file__).resolve().parents[1]


@dataclass(slots=True)
class Bench:
    """One benchmark run's settings and shared state."""

    workloads: Workloads
    work: Path
    pythons: list[RealPython]
    report: Report
    repeats: int = 5
    warmup: int = 1
    quick: bool = False
    lsp_edits: int = 60
    python: Path = field(default_factory=lambda: Path(sys.executable))
    # Budget name -> a function that profiles that measurement (run only when it fails).
    profilers: dict[str, Callable[[], str]] = field(default_factory=dict)
    _commands: dict[str, str | None] = field(default_factory=dict)

    @property
    def bin_dir(self) -> Path:
        return self.python.parent

    def tool(self, name: str) -> Path:
        """A peer's console script from the bench venv."""
        return self.bin_dir / name

    @property
    def python311(self) -> RealPython:
        return pick(self.pythons, "3.11")

    def envsense(self, *args: str | Path) -> list[str | Path]:
        return [self.tool("envsense"), *args]

    def scratch(self, name: str) -> Path:
        """A fresh empty folder under .work/scratch."""
        folder = self.work / "scratch" / name
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        return folder

    def base_env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """This process's environment minus anything that would point tools at another env."""
        env = {
            key: value
            for key, value in os.environ.items()
            if key
            not in {"VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH", "PYTHONHOME", "PYENV_VERSION"}
        }
        env.update(extra or {})
        return env

    def missing_command(self, name: str) -> str | None:
        """None when `envsense <name>` exists, else why not (cached per run)."""
        if name not in self._commands:
            run = run_process(self.envsense(name, "--help"), env=self.base_env(), timeout=60)
            self._commands[name] = (
                None
                if run.returncode == 0
                else f"not built yet: `envsense {name}` is not a command"
                if "invalid choice" in run.stderr
                else f"`envsense {name} --help` exited {run.returncode}: {tail(run.stderr)}"
            )
        return self._commands[name]

    def inproc(self, what: str, args: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
        """Run an in-process measurement (envsense_bench.inproc) in a child with `env`."""
        child_env = dict(env)
        child_env["PYTHONPATH"] = str(BENCH_DIR)
        run = run_process(
            [self.python, "-m", "envsense_bench.inproc", what, json.dumps(args)],
            env=child_env,
            timeout=600,
        )
        lines = run.stdout.strip().splitlines()
        if run.returncode != 0 or not lines:
            return {"error": f"worker exited {run.returncode}: {tail(run.stderr)}"}
        try:
            result: dict[str, Any] = json.loads(lines[-1])
        except ValueError:
            return {"error": f"worker printed no JSON: {tail(run.stdout)}"}
        return result
