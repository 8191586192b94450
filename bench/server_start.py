"""How fast a language server is ready: spawn -> `initialize` answered, spawn -> first diagnostic.

    python bench/server_start.py [--runs 10] [--envsense CMD] [--peer CMD] [--envs]

Each run spawns the server as an editor does, writes `initialize` at once, then `initialized`
and `didOpen` of a small file (`import requests`) in a project with a venv that lacks it, and
records when the `initialize` answer and the first publishDiagnostics for the file arrive
(push), and, in a second set of runs, when the first `textDocument/diagnostic` answer arrives
(a client with pull diagnostics). Servers are run alternately, so load affects them alike;
medians are printed. `--envs` also times the whole `envsense envs --json` process.
Standard library only, so any Python can run it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_ENVSENSE = [str(HERE.parent / ".venv" / "bin" / "envsense"), "serve"]
DEFAULT_PEER = [str(HERE / ".venv" / "bin" / "basedpyright-langserver"), "--stdio"]
TIMEOUT = 30.0
# As editors start servers: .pyc files are read and written.
SERVER_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def capabilities(pull: bool) -> dict[str, Any]:
    """A VS Code-like client: configuration, progress, UTF-16; pull diagnostics on request."""
    text: dict[str, Any] = {
        "synchronization": {"didSave": True, "dynamicRegistration": True},
        "publishDiagnostics": {"relatedInformation": True, "versionSupport": True},
        "codeAction": {"codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["quickfix"]}}},
    }
    workspace: dict[str, Any] = {"configuration": True, "workspaceFolders": True}
    if pull:
        text["diagnostic"] = {"dynamicRegistration": True, "relatedDocumentSupport": False}
        workspace["diagnostics"] = {"refreshSupport": True}
    return {
        "textDocument": text,
        "workspace": workspace,
        "window": {"workDoneProgress": True},
        "general": {"positionEncodings": ["utf-16"]},
    }


class Client:
    """Just enough JSON-RPC to time one start."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.next_id = 0
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.diagnostics: asyncio.Queue[tuple[float, dict[str, Any]]] = asyncio.Queue()
        self.reader = asyncio.ensure_future(self._read())

    def _write(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def request(self, method: str, params: Any) -> asyncio.Future[Any]:
        self.next_id += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        self._write({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        return future

    def notify(self, method: str, params: Any) -> None:
        self._write({"jsonrpc": "2.0", "method": method, "params": params})

    async def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        while True:
            length = None
            while True:
                line = await stdout.readline()
                if not line:
                    return
                if line.strip() == b"":
                    break
                name, _, value = line.decode().partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if length is None:
                continue
            message = json.loads(await stdout.readexactly(length))
            now = time.perf_counter()
            if "method" in message and "id" in message:
                self._answer(message)
            elif "method" in message:
                if message["method"] == "textDocument/publishDiagnostics":
                    self.diagnostics.put_nowait((now, message["params"]))
            elif message.get("id") in self.pending:
                future = self.pending.pop(message["id"])
                if not future.done():
                    future.set_result((now, message))

    def _answer(self, message: dict[str, Any]) -> None:
        result: Any = None
        if message["method"] == "workspace/configuration":
            result = [None for _ in message["params"]["items"]]
        self._write({"jsonrpc": "2.0", "id": message["id"], "result": result})


def cpu_seconds(pid: int) -> float:
    """User + system CPU so far of a process and every process under it (a wrapper script's
    node or python child included; Linux, else nan)."""
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks = sum(int(v) for v in fields[11:13])
        stats[int(entry.name)] = (int(fields[1]), ticks / os.sysconf("SC_CLK_TCK"))
    if pid not in stats:
        return float("nan")
    family, total = {pid}, 0.0
    changed = True
    while changed:
        changed = False
        for child, (parent, _) in stats.items():
            if parent in family and child not in family:
                family.add(child)
                changed = True
    for member in family:
        total += stats[member][1]
    return total


async def one_start(argv: list[str], root: Path, pull: bool) -> tuple[float, float, float]:
    """(spawn -> initialize answered, spawn -> first diagnostic of the opened file, the
    server's CPU seconds at that point): CPU is the steadier figure on a busy machine."""
    source = root / "main.py"
    uri = source.as_uri()
    start = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        cwd=root,
        env=SERVER_ENV,
        limit=2**24,
    )
    client = Client(process)
    try:
        init = client.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": root.as_uri(),
                "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
                "capabilities": capabilities(pull),
                # What the VS Code extension sends (lsp/options.py parses it before answering).
                "initializationOptions": {"trusted": True, "installer": "auto"},
                "clientInfo": {"name": "server_start.py"},
            },
        )
        answered, _ = await asyncio.wait_for(init, TIMEOUT)
        client.notify("initialized", {})
        client.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": uri,
                    "languageId": "python",
                    "version": 1,
                    "text": source.read_text(),
                }
            },
        )
        if pull:
            report = client.request("textDocument/diagnostic", {"textDocument": {"uri": uri}})
            first, _ = await asyncio.wait_for(report, TIMEOUT)
        else:
            while True:
                first, params = await asyncio.wait_for(client.diagnostics.get(), TIMEOUT)
                if params["uri"] == uri and params["diagnostics"]:
                    break
        cpu = cpu_seconds(process.pid)
        shutdown = client.request("shutdown", None)
        await asyncio.wait_for(shutdown, TIMEOUT)
        client.notify("exit", None)
        return answered - start, first - start, cpu
    finally:
        try:
            await asyncio.wait_for(process.wait(), 5)
        except asyncio.TimeoutError:
            process.kill()
            await process.wait()
        client.reader.cancel()


def make_project(base: Path) -> Path:
    root = base / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "proj"\nversion = "0"\ndependencies = ["requests"]\n'
    )
    (root / "main.py").write_text("import json\nimport requests\n\nprint(json, requests)\n")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / ".venv")], check=True)
    return root


def envs_time(argv: list[str], root: Path) -> float:
    """The whole `envsense envs --json` process, in s."""
    start = time.perf_counter()
    subprocess.run(
        [*argv, "envs", "--json", str(root)], check=True, capture_output=True, env=SERVER_ENV
    )
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--envsense", default=shlex.join(DEFAULT_ENVSENSE))
    parser.add_argument(
        "--peer",
        action="append",
        help="another server command to run alike (repeatable; default basedpyright; '' for none)",
    )
    parser.add_argument("--envs", action="store_true", help="also time `envsense envs --json`")
    args = parser.parse_args()
    args.peer = [p for p in (args.peer or [shlex.join(DEFAULT_PEER)]) if p]
    servers = {"envsense": shlex.split(args.envsense)}
    for peer in args.peer:
        argv = shlex.split(peer)
        name = Path(argv[0]).name
        servers[name if name not in servers else argv[0]] = argv
    with tempfile.TemporaryDirectory() as tmp:
        # The servers' caches (envsense's code cache among them) live in the run's own
        # folder, never in the user's; the first start fills it, as a user's first start does.
        SERVER_ENV["XDG_CACHE_HOME"] = str(Path(tmp) / "cache")
        root = make_project(Path(tmp))
        results: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.runs):
            for name, argv in servers.items():
                for pull in (False, True):
                    mode = "pull" if pull else "push"
                    init, first, cpu = asyncio.run(one_start(argv, root, pull))
                    results.setdefault((name, f"initialize ({mode})"), []).append(init)
                    results.setdefault((name, f"first diagnostic ({mode})"), []).append(first)
                    results.setdefault((name, f"CPU to first diag ({mode})"), []).append(cpu)
        # Every envsense (the same executable lists environments), alternately.
        listers = {name: argv[:-1] for name, argv in servers.items() if argv[-1] == "serve"}
        for _ in range(args.runs if args.envs else 0):
            for name, argv in listers.items():
                results.setdefault((name, "envs --json"), []).append(envs_time(argv, root))
    print(f"{'server':34} {'what':26} {'median ms':>9} {'min':>6} {'max':>6}")
    for (name, what), times in results.items():
        ms = [t * 1000 for t in times]
        print(f"{name:28} {what:26} {statistics.median(ms):9.0f} {min(ms):6.0f} {max(ms):6.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
