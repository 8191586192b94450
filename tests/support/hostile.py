"""Running the real CLI on hostile trees: bounded in time, with the child's peak memory.

Used by the regression tests of issue 11 and by the fuzz tests over generated trees.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Each run is bounded (a hang fails the test instead of stalling the suite), and the
# child's peak RSS must stay under this.
HANG_GUARD_SECONDS = 20
RSS_LIMIT_MB = 300

# The peak is VmHWM of the child's own address space: getrusage's ru_maxrss would carry over
# the RSS of the forking parent (Linux records the old mm's peak at execve), so a pytest
# process grown to 300 MB made every child look that big.
_WRAPPER = """\
import sys
from envsense.cli import main
try:
    code = main(sys.argv[2:])
finally:
    peak = "0"
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                peak = line.split()[1]
    with open(sys.argv[1], "w") as out:
        out.write(peak)
sys.exit(code)
"""


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    rss_mb: float

    def json(self) -> Any:
        return json.loads(self.stdout)

    def codes(self) -> list[str]:
        return [d["code"] for d in self.json()["diagnostics"]]

    def messages(self) -> list[str]:
        return [d["message"] for d in self.json()["diagnostics"]]

    def assert_sane(self) -> None:
        """No crash, no internal error, bounded memory."""
        assert self.returncode in (0, 1), (self.returncode, self.stderr[-2000:])
        assert "internal error" not in self.stderr, self.stderr[-2000:]
        assert "Traceback" not in self.stderr, self.stderr[-2000:]
        assert self.rss_mb < RSS_LIMIT_MB, f"peak RSS {self.rss_mb:.0f} MB"


def sandbox_env(home: Path) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
    }


def run_envsense(*args: str, cwd: Path, home: Path) -> Run:
    """`envsense ARGS` in a child process, killed after HANG_GUARD_SECONDS."""
    rss_file = home / f"rss-{time.monotonic_ns()}.txt"
    env = sandbox_env(home)
    start = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-c", _WRAPPER, str(rss_file), *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=HANG_GUARD_SECONDS,
        )
    except subprocess.TimeoutExpired as error:
        raise AssertionError(
            f"envsense {' '.join(args)} hung (> {HANG_GUARD_SECONDS} s) in {cwd}"
        ) from error
    seconds = time.monotonic() - start
    rss_kb = float(rss_file.read_text()) if rss_file.exists() else 0.0
    return Run(done.returncode, done.stdout, done.stderr, seconds, rss_kb / 1024)


def check(root: Path, home: Path, *extra: str) -> Run:
    return run_envsense("check", "--no-cache", "--format", "json", *extra, ".", cwd=root, home=home)


def envs(root: Path, home: Path) -> Run:
    return run_envsense("envs", "--json", ".", cwd=root, home=home)


def workspace(root: Path) -> Path:
    """A folder that is its own repository (the CLI's workspace folder)."""
    (root / ".git").mkdir(parents=True, exist_ok=True)
    return root


def deep_toml(levels: int) -> str:
    return "a = " + "[" * levels + "]" * levels + "\n"
