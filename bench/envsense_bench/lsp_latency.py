"""Language-server latency and memory over a real stdio connection to `python -m envsense serve`.

A minimal JSON-RPC client on asyncio subprocess pipes: initialize, initialized, didOpen the
5,000-line file and wait for its publishDiagnostics, then N didChange edits each waiting for the
next publishDiagnostics; and, on the 10,000-file workspace, the server's RSS once it is quiet.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envsense_bench.harness import Bench
from envsense_bench.measure import Stats, rss_mb, tail
from envsense_bench.report import Budget, Figure, Row

CHANGE_BUDGET = Budget("didChange -> diagnostics p95, 5,000-line file", 0.015)
RSS_BUDGET = Budget("server RSS on the 10,000-file workspace", 80.0, "MB")
FIRST_DIAGNOSTICS_TIMEOUT = 30.0
CHANGE_TIMEOUT = 10.0


class LspTimeout(Exception):
    """The server did not answer / publish in time."""


class ServerExited(Exception):
    """The server process ended (crashed or refused to start)."""


@dataclass(slots=True)
class Published:
    uri: str
    version: int | None
    count: int
    at: float


@dataclass(slots=True)
class LspClient:
    """Just enough of an LSP client to time diagnostics."""

    process: asyncio.subprocess.Process
    next_id: int = 0
    pending: dict[int, asyncio.Future[Any]] = field(default_factory=dict)
    published: asyncio.Queue[Published | None] = field(default_factory=asyncio.Queue)
    reader_task: asyncio.Task[None] | None = None
    stderr_path: Path | None = None
    exited: str | None = None
    # workspace/configuration answers by section; unknown sections get null ("no settings").
    configuration: dict[str, Any] = field(default_factory=dict)

    @classmethod
    async def start(
        cls, argv: list[str], env: dict[str, str] | None, cwd: Path, stderr_path: Path
    ) -> LspClient:
        stderr_path.parent.mkdir(parents=True, exist_ok=True)
        with stderr_path.open("wb") as stderr:
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
                env=env,
                cwd=cwd,
                limit=2**24,
            )
        client = cls(process, stderr_path=stderr_path)
        client.reader_task = asyncio.create_task(client._read_loop())
        return client

    async def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        await self.process.stdin.drain()

    async def request(self, method: str, params: Any, timeout: float = 60) -> Any:
        self.next_id += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        await self._send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        try:
            return await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            raise LspTimeout(f"no answer to {method} within {timeout:.0f} s") from None

    async def notify(self, method: str, params: Any) -> None:
        await self._send({"jsonrpc": "2.0", "method": method, "params": params})

    async def _read_loop(self) -> None:
        try:
            await self._read_messages()
        finally:
            code = await self.process.wait()
            stderr = self.stderr_path.read_text(errors="replace") if self.stderr_path else ""
            self.exited = f"server exited {code}: {tail(stderr, 1)}"
            for future in self.pending.values():
                if not future.done():
                    future.set_exception(ServerExited(self.exited))
            self.published.put_nowait(None)

    async def _read_messages(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        while True:
            length = 0
            while True:
                line = await stdout.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            message = json.loads(await stdout.readexactly(length))
            await self._dispatch(message)

    async def _dispatch(self, message: dict[str, Any]) -> None:
        if "id" in message and "method" not in message:
            future = self.pending.pop(message["id"], None)
            if future is not None and not future.done():
                future.set_result(message.get("result"))
            return
        method = message.get("method")
        if method == "textDocument/publishDiagnostics":
            params = message["params"]
            self.published.put_nowait(
                Published(
                    params["uri"],
                    params.get("version"),
                    len(params["diagnostics"]),
                    time.perf_counter(),
                )
            )
        elif "id" in message:
            # Server-to-client requests: configuration by section, everything else null.
            result: Any = None
            if method == "workspace/configuration":
                items = message["params"].get("items", [])
                result = [self.configuration.get(item.get("section", "")) for item in items]
            await self._send({"jsonrpc": "2.0", "id": message["id"], "result": result})

    async def wait_published(self, uri: str, min_version: int | None, timeout: float) -> Published:
        deadline = time.perf_counter() + timeout
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise LspTimeout(f"no publishDiagnostics within {timeout:.0f} s")
            try:
                item = await asyncio.wait_for(self.published.get(), remaining)
            except asyncio.TimeoutError:
                continue
            if item is None:
                raise ServerExited(self.exited or "server exited")
            if item.uri != uri:
                continue
            if min_version is not None and item.version is not None and item.version < min_version:
                continue
            return item

    async def initialize(self, root: Path, options: dict[str, Any]) -> dict[str, Any]:
        result = await self.request(
            "initialize",
            {
                "processId": None,
                "rootUri": root.as_uri(),
                "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
                "capabilities": {
                    "textDocument": {
                        "publishDiagnostics": {"versionSupport": True},
                        "synchronization": {"didSave": True},
                    },
                    "workspace": {"configuration": True, "workspaceFolders": True},
                },
                "initializationOptions": options,
            },
        )
        await self.notify("initialized", {})
        return result or {}

    async def close(self) -> None:
        if self.exited:
            return
        with contextlib.suppress(Exception):
            await self.request("shutdown", None, timeout=5)
            await self.notify("exit", None)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.process.wait(), 5)
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        if self.reader_task is not None:
            self.reader_task.cancel()


def _sync_kind(capabilities: dict[str, Any]) -> int:
    sync = capabilities.get("textDocumentSync", 1)
    return int(sync.get("change", 1)) if isinstance(sync, dict) else int(sync)


@dataclass(frozen=True, slots=True)
class ServerSpec:
    """How to start one language server and configure it for the 150-distribution env."""

    name: str
    argv: list[str]
    options: dict[str, Any]
    configuration: dict[str, Any]


def envsense_server(bench: Bench) -> ServerSpec:
    python = str(bench.workloads.site_env.python)
    options = {"interpreter": python, "debounceMs": 0}
    argv = [str(bench.python), "-m", "envsense", "serve"]
    return ServerSpec("envsense", argv, options, {"envsense": options})


def basedpyright_server(bench: Bench) -> ServerSpec:
    python = str(bench.workloads.site_env.python)
    analysis = {"typeCheckingMode": "off", "diagnosticMode": "openFilesOnly"}
    return ServerSpec(
        "basedpyright-langserver",
        [str(bench.tool("basedpyright-langserver")), "--stdio"],
        {},
        {
            "python": {"pythonPath": python},
            "basedpyright.analysis": analysis,
            "basedpyright": {"analysis": analysis},
        },
    )


async def edit_latency(
    bench: Bench, env: dict[str, str], server: ServerSpec, edits: int
) -> tuple[Figure, Figure, Figure]:
    """(didOpen -> diagnostics, didChange p50, didChange p95) on the 5,000-line file."""
    path = bench.workloads.edit_file
    uri = path.as_uri()
    options = server.options
    stderr_path = bench.work / f"lsp-edit-{server.name}.stderr"
    client = await LspClient.start(server.argv, env, path.parent, stderr_path)
    client.configuration = server.configuration
    try:
        init = await client.initialize(path.parent, options)
        sync = _sync_kind(init.get("capabilities", {}))
        lines = path.read_text().splitlines(keepends=True)
        opened = time.perf_counter()
        await client.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": uri,
                    "languageId": "python",
                    "version": 1,
                    "text": "".join(lines),
                }
            },
        )
        first = await client.wait_published(uri, 1, FIRST_DIAGNOSTICS_TIMEOUT)
        open_figure = Figure(first.at - opened, detail=f"({first.count} diagnostics)")
        samples = []
        target = next(
            i for i in range(len(lines) // 2, len(lines)) if lines[i].strip() == "total = 0"
        )
        for number in range(edits):
            version = number + 2
            old = lines[target]
            lines[target] = f"    total = {number % 7}\n"
            change: dict[str, Any] = {"text": "".join(lines)}
            if sync == 2:
                change = {
                    "range": {
                        "start": {"line": target, "character": 0},
                        "end": {"line": target, "character": len(old.rstrip("\n"))},
                    },
                    "text": lines[target].rstrip("\n"),
                }
            sent = time.perf_counter()
            await client.notify(
                "textDocument/didChange",
                {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
            )
            got = await client.wait_published(uri, version, CHANGE_TIMEOUT)
            samples.append(got.at - sent)
        stats = Stats(tuple(samples))
        return open_figure, Figure(stats.median), Figure(stats.p95, detail=f"(n={len(samples)})")
    finally:
        await client.close()


async def workspace_rss(bench: Bench, env: dict[str, str]) -> Figure:
    """VmRSS of the server after it opened and checked the 10,000-file workspace and went quiet."""
    root = bench.workloads.workspace.root
    opened_file = next(iter(sorted((root / "src").rglob("mod_010.py"))))
    uri = opened_file.as_uri()
    server = envsense_server(bench)
    options = server.options
    client = await LspClient.start(server.argv, env, root, bench.work / "lsp-workspace.stderr")
    client.configuration = server.configuration
    try:
        await client.initialize(root, options)
        await client.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": uri,
                    "languageId": "python",
                    "version": 1,
                    "text": opened_file.read_text(),
                }
            },
        )
        await client.wait_published(uri, 1, 120)
        # Workspace-wide checks publish for other files too: wait until 2 s pass without any.
        deadline = time.perf_counter() + 120
        while time.perf_counter() < deadline:
            try:
                await asyncio.wait_for(client.published.get(), 2)
            except asyncio.TimeoutError:
                break
            if client.exited:
                raise ServerExited(client.exited)
        rss, hwm = rss_mb(client.process.pid)
        return Figure(rss, "MB", detail=f"(peak {hwm:.0f} MB)")
    finally:
        await client.close()


def other_servers(bench: Bench, env: dict[str, str]) -> list[tuple[str, tuple[Figure, ...]]]:
    """`ty server` and `pyrefly lsp` on the same generated file, as lsp_real drives them.

    Their edits are the real-file suite's (insert/delete a character, add/remove an import
    line), not envsense's `total = N` edit here: each server's p50/p95 is over its own run.
    """
    from envsense_bench import lsp_real  # lsp_real builds on this module's client

    site_env = bench.workloads.site_env
    path = bench.workloads.edit_file
    target = lsp_real.Target(path.parent, path, site_env.python, site_env.prefix)
    found: list[tuple[str, tuple[Figure, ...]]] = []
    for server in lsp_real.servers(bench, target)[1:3]:
        edits = max(4, bench.lsp_edits - bench.lsp_edits % 4)
        try:
            figures = asyncio.run(lsp_real.measure_server(bench, target, server, env, edits))
            found.append((server.name, (figures.opened, figures.p50, figures.p95)))
        except (LspTimeout, ServerExited, OSError, StopIteration, ValueError) as error:
            found.append((server.name, (_failure(error),) * 3))
    return found


def _failure(error: Exception) -> Figure:
    if isinstance(error, LspTimeout):
        return Figure.na(f"not built yet: {error}")
    return Figure.na(f"failed: {error}")


def run(bench: Bench) -> None:
    env = bench.workloads.machine.environ({"XDG_CACHE_HOME": str(bench.scratch("lsp-cache"))})
    label = f"LSP, {bench.workloads.edit_lines:,}-line file"
    server_broken: Figure | None = None
    try:
        opened, p50, p95 = asyncio.run(
            edit_latency(bench, env, envsense_server(bench), bench.lsp_edits)
        )
    except (LspTimeout, ServerExited, OSError, StopIteration, ValueError) as error:
        opened = p50 = p95 = _failure(error)
        if isinstance(error, ServerExited) or "initialize" in str(error):
            server_broken = opened
    peer = "basedpyright-langserver (mode off)"
    try:
        peer_figures = asyncio.run(
            edit_latency(
                bench, bench.base_env(), basedpyright_server(bench), max(5, bench.lsp_edits // 4)
            )
        )
    except (LspTimeout, ServerExited, OSError, StopIteration, ValueError) as error:
        peer_figures = (_failure(error),) * 3
    rows = [(peer, peer_figures)] + other_servers(bench, env)
    for index, (name, figures) in enumerate(rows):
        budget = CHANGE_BUDGET if index == 0 else None
        bench.report.add(Row(f"{label}: didOpen -> diagnostics", opened, name, figures[0]))
        bench.report.add(Row(f"{label}: didChange -> diagnostics p50", p50, name, figures[1]))
        bench.report.add(
            Row(f"{label}: didChange -> diagnostics p95", p95, name, figures[2], budget)
        )
    if server_broken is not None:
        rss = server_broken  # the same server will not do better on a bigger workspace
    else:
        try:
            rss = asyncio.run(workspace_rss(bench, env))
        except (LspTimeout, ServerExited, OSError, StopIteration, ValueError) as error:
            rss = _failure(error)
    bench.report.add(Row("LSP server RSS, 10,000-file workspace open", rss, budget=RSS_BUDGET))
    bench.report.notes.append(
        "LSP figures use initializationOptions debounceMs=0 so they time the work, not the debounce "
        "(the default debounce adds its delay to every didChange -> diagnostics)."
    )
