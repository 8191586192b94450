"""Run `envsense` in this process with an audit hook that records every process it starts.

Used as `python -m tests.realtools.spawncount envs --json PATH`: stdout is envsense's,
and the last stderr line is `SPAWNS=<json list>` naming each spawn attempt.
"""

from __future__ import annotations

import json
import sys
from typing import Any

_SPAWN_EVENTS = frozenset(
    {
        "subprocess.Popen",
        "os.system",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
        "os.fork",
        "os.forkpty",
        "pty.spawn",
    }
)
spawns: list[str] = []


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event in _SPAWN_EVENTS:
        spawns.append(f"{event} {args!r}"[:300])


def main() -> int:
    sys.addaudithook(_hook)
    from envsense.cli import main as envsense_main

    try:
        code = envsense_main(sys.argv[1:])
    finally:
        sys.stdout.flush()
        sys.stderr.write("\nSPAWNS=" + json.dumps(spawns) + "\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
