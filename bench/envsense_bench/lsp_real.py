"""`--only lsp-real`: four language servers on one real file of the real corpus.

envsense, `ty server`, `pyrefly lsp` and basedpyright-langserver each open django's
db/models/query.py (2,764 lines) in the corpus with its venv, over stdio:

- initialize: spawn -> the initialize answer;
- first diagnostic: spawn -> the first diagnostics of the opened file (and didOpen -> them);
- didChange p50/p95: the issue's edit kinds in turn (insert a character, delete it, add an
  import line, remove it), each timed from the didChange to the diagnostics of that version;
- RSS: the server's process tree (VmRSS) after the edits and 2 s without a message.

How each server's diagnostics are obtained: envsense, pyrefly and basedpyright push them
(textDocument/publishDiagnostics; the client declares no pull support). ty advertises pull
diagnostics (diagnosticProvider) and its editors ask for them, so ty gets a client that declares
pull support and each figure is the time to the answer of a textDocument/diagnostic request
sent right after the didOpen/didChange.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from envsense_bench.corpus import Corpus
from envsense_bench.corpus_suite import get_corpus
from envsense_bench.harness import Bench
from envsense_bench.lsp_latency import LspClient, LspTimeout, ServerExited, _sync_kind
from envsense_bench.measure import Stats, run_process, tail, tree_cpu_seconds, tree_rss_mb
from envsense_bench.report import Budget, Figure, Row

INITIALIZE_BUDGET = Budget("initialize answered, from spawn (real corpus)", 0.3)
FIRST_DIAGNOSTIC_BUDGET = Budget("spawn -> first diagnostic (real corpus)", 0.5)
REAL_CHANGE_BUDGET = Budget("didChange -> diagnostics p95, real 2,764-line file", 0.015)
OPEN_TIMEOUT = 120.0
CHANGE_TIMEOUT = 30.0
QUIET_SECONDS = 2.0
EDIT_KINDS = ("insert a character", "delete a character", "add an import line", "remove it")
ADDED_IMPORT = "import json\n"


@dataclass(frozen=True, slots=True)
class RealServer:
    """One language server set up for the corpus: argv, settings, push or pull diagnostics."""

    name: str
    argv: list[str]
    options: dict[str, Any]
    configuration: dict[str, Any]
    pull: bool = False
    # Peers that take seconds per edit get fewer edits (still a multiple of the 4 kinds).
    slow: bool = False


@dataclass(frozen=True, slots=True)
class Target:
    """The file every server opens, its workspace folder and the venv it runs in."""

    root: Path
    path: Path
    python: Path
    venv: Path

    @classmethod
    def of(cls, corpus: Corpus) -> Target:
        return cls(corpus.root, corpus.edit_file, corpus.python, corpus.venv)


@dataclass(frozen=True, slots=True)
class Edit:
    """One incremental change: replace lines [start, end) of the document by `text`."""

    kind: str
    start: int
    end: int
    text: str


@dataclass(slots=True)
class RealFigures:
    initialize: Figure
    first: Figure
    opened: Figure
    p50: Figure
    p95: Figure
    rss: Figure


def servers(bench: Bench, target: Target) -> list[RealServer]:
    python = str(target.python)
    venv = str(target.venv)
    envsense_options = {"interpreter": python, "debounceMs": 0}
    analysis = {"typeCheckingMode": "off", "diagnosticMode": "openFilesOnly"}
    ty_settings = {
        "configuration": {
            "environment": {"python": venv},
            "rules": {"all": "ignore", "import-not-found": "error"},
        }
    }
    return [
        RealServer(
            "envsense",
            [str(bench.python), "-m", "envsense", "serve"],
            envsense_options,
            {"envsense": envsense_options},
        ),
        RealServer(
            "ty server",
            [str(bench.tool("ty")), "server"],
            {"settings": ty_settings},
            {"ty": ty_settings},
            pull=True,
        ),
        RealServer(
            "pyrefly lsp",
            [str(bench.tool("pyrefly")), "lsp", "--indexing-mode", "none"],
            {},
            {"python": {"pythonPath": python}},
        ),
        RealServer(
            "basedpyright-langserver",
            [str(bench.tool("basedpyright-langserver")), "--stdio"],
            {},
            {
                "python": {"pythonPath": python},
                "basedpyright.analysis": analysis,
                "basedpyright": {"analysis": analysis},
            },
            slow=True,
        ),
    ]


def edit_plan(lines: list[str], count: int) -> list[Edit]:
    """`count` edits cycling through the issue's four kinds; every 4 edits restore the text.

    The character goes at the end of a `return <name>` line in the second half of the file
    (typing in code, still valid syntax); the import line goes before the first top-level
    import other than `from __future__` (which must stay first).
    """
    middle = len(lines) // 2
    target = next(
        (i for i in range(middle, len(lines)) if re.fullmatch(r"\s+return \w+\n?", lines[i])),
        None,
    )
    first_import = next(
        (
            i
            for i, line in enumerate(lines)
            if line.startswith(("import ", "from ")) and not line.startswith("from __future__")
        ),
        None,
    )
    if target is None or first_import is None:
        raise ValueError("the file has no `return <name>` line or no top-level import")
    plain = lines[target].rstrip("\n")
    cycle = [
        Edit(EDIT_KINDS[0], target, target + 1, plain + "x\n"),
        Edit(EDIT_KINDS[1], target, target + 1, plain + "\n"),
        Edit(EDIT_KINDS[2], first_import, first_import, ADDED_IMPORT),
        Edit(EDIT_KINDS[3], first_import, first_import + 1, ""),
    ]
    return [cycle[i % 4] for i in range(count)]


def per_kind(plan: list[Edit], samples: list[float]) -> str:
    """Median latency of each edit kind, in ms, in the order of EDIT_KINDS."""
    parts = []
    for kind, short in zip(EDIT_KINDS, ("char+", "char-", "import+", "import-"), strict=True):
        times = [s for e, s in zip(plan, samples, strict=True) if e.kind == kind]
        if times:
            parts.append(f"{short} {Stats(tuple(times)).median * 1000:.0f}")
    return ", ".join(parts) + " ms"


def apply_edit(lines: list[str], edit: Edit) -> list[str]:
    replacement = edit.text.splitlines(keepends=True)
    return lines[: edit.start] + replacement + lines[edit.end :]


def change_event(lines: list[str], edit: Edit, sync: int) -> dict[str, Any]:
    """The contentChanges item for `edit` on `lines` (before the edit): a range, or full text."""
    if sync != 2:
        return {"text": "".join(apply_edit(lines, edit))}
    return {
        "range": {
            "start": {"line": edit.start, "character": 0},
            "end": {"line": edit.end, "character": 0},
        },
        "text": edit.text,
    }


class _Client(LspClient):
    """LspClient that also counts every message, to tell when the server has gone quiet."""

    __slots__ = ("messages",)

    async def _dispatch(self, message: dict[str, Any]) -> None:
        self.messages = getattr(self, "messages", 0) + 1
        await super()._dispatch(message)


async def _diagnostics(client: LspClient, server: RealServer, uri: str, version: int) -> int:
    """Wait for the diagnostics of `version` (push) or ask for them (pull); their count."""
    if server.pull:
        result = await client.request(
            "textDocument/diagnostic", {"textDocument": {"uri": uri}}, CHANGE_TIMEOUT
        )
        return len((result or {}).get("items", []))
    published = await client.wait_published(uri, version, CHANGE_TIMEOUT)
    return published.count


async def _quiet(client: _Client) -> None:
    deadline = time.perf_counter() + 60
    while time.perf_counter() < deadline:
        seen = getattr(client, "messages", 0)
        await asyncio.sleep(QUIET_SECONDS)
        if getattr(client, "messages", 0) == seen:
            return


async def measure_server(
    bench: Bench, target: Target, server: RealServer, env: dict[str, str], edits: int
) -> RealFigures:
    path = target.path
    uri = path.as_uri()
    root = target.root
    stderr_path = bench.work / f"lsp-real-{server.name.split()[0]}.stderr"
    spawned = time.perf_counter()
    client = cast(_Client, await _Client.start(server.argv, env, root, stderr_path))
    client.configuration = server.configuration
    try:
        capabilities: dict[str, Any] = {
            "textDocument": {
                "publishDiagnostics": {"versionSupport": True},
                "synchronization": {"didSave": True},
            },
            "workspace": {"configuration": True, "workspaceFolders": True},
        }
        if server.pull:
            capabilities["textDocument"]["diagnostic"] = {"dynamicRegistration": False}
        init = await client.request(
            "initialize",
            {
                "processId": None,
                "rootUri": root.as_uri(),
                "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
                "capabilities": capabilities,
                "initializationOptions": server.options,
            },
        )
        initialized = time.perf_counter()
        await client.notify("initialized", {})
        sync = _sync_kind((init or {}).get("capabilities", {}))
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
        if server.pull:
            result = await client.request(
                "textDocument/diagnostic", {"textDocument": {"uri": uri}}, OPEN_TIMEOUT
            )
            count = len((result or {}).get("items", []))
        else:
            count = (await client.wait_published(uri, 1, OPEN_TIMEOUT)).count
        first_at = time.perf_counter()
        first_cpu = tree_cpu_seconds(client.process.pid)
        samples: list[float] = []
        plan = edit_plan(lines, edits)
        for number, edit in enumerate(plan):
            version = number + 2
            change = change_event(lines, edit, sync)
            lines = apply_edit(lines, edit)
            sent = time.perf_counter()
            await client.notify(
                "textDocument/didChange",
                {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
            )
            await _diagnostics(client, server, uri, version)
            samples.append(time.perf_counter() - sent)
        await _quiet(client)
        rss = tree_rss_mb(client.process.pid)
        stats = Stats(tuple(samples))
        return RealFigures(
            Figure(initialized - spawned),
            Figure(
                first_at - spawned,
                detail=f"({count} diagnostics; server CPU {first_cpu:.2f} s)",
                cpu=first_cpu,
            ),
            Figure(first_at - opened),
            Figure(stats.median, detail=f"(p50 by kind: {per_kind(plan, samples)})"),
            Figure(stats.p95, detail=f"(n={len(samples)})"),
            Figure(rss, "MB"),
        )
    finally:
        await client.close()


def profile_envsense(bench: Bench, target: Target, server: RealServer) -> str:
    """pyinstrument over a whole envsense server session (start-up, open, 20 edits, exit)."""
    out = bench.work / "profiles" / "lsp-real-envsense.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    argv = [
        str(bench.tool("pyinstrument")),
        "-r",
        "text",
        "-o",
        str(out),
        "-m",
        "envsense",
        "serve",
    ]
    profiled = RealServer(server.name, argv, server.options, server.configuration)
    env = server_env(bench, bench.work / "scratch" / "lsp-real-cache")
    try:
        asyncio.run(measure_server(bench, target, profiled, env, 20))
    except (LspTimeout, ServerExited, OSError, ValueError) as error:
        return f"profile failed: {error}"
    deadline = time.monotonic() + 10
    while not out.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    if not out.exists():
        return "profile failed: pyinstrument wrote no report"
    # Wall-clock samples of the main thread: start-up and dispatch show; checks that the server
    # runs in a worker thread (run_in_executor) do not, and idle time shows as epoll.poll.
    return "(main thread only: work done in executor threads is not sampled)\n" + out.read_text()


def server_env(bench: Bench, cache: Path) -> dict[str, str]:
    """The servers' environment: the run's user cache dir, and bytecode read and written as
    editors run servers (a shell's PYTHONDONTWRITEBYTECODE would make every start of a Python
    server compile its modules from source)."""
    env = bench.base_env({"XDG_CACHE_HOME": str(cache)})
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _measure(
    bench: Bench, target: Target, server: RealServer, env: dict[str, str], edits: int
) -> RealFigures:
    try:
        return asyncio.run(measure_server(bench, target, server, env, edits))
    except (LspTimeout, ServerExited, OSError, ValueError) as error:
        failed = Figure.na(f"failed: {error}")
        return RealFigures(*(failed,) * 6)


# The server's path to the first diagnostic, step by step in one process (CPU seconds), in
# the order `envsense serve` takes it: lsp/first_diagnostics.py checks the opened file before
# the protocol layer is loaded, so lsprotocol, pygls and the feature modules come after it.
_STAGES = """
import cProfile, io, pstats, sys, time
from pathlib import Path
clock = time.process_time
marks = [("start", clock())]
from envsense.lsp import codegen_cache, options
codegen_cache.install()
marks.append(("options + codegen cache (cattrs, saved code)", clock()))
from envsense.core.imports.incremental import IncrementalImports
from envsense.core.session import Session, SessionSettings
root, path, python = (Path(arg) for arg in sys.argv[1:4])
session = Session([root], settings=SessionSettings(interpreter=python))
session.refresh_environments()
marks.append(("session + discovery", clock()))
session.context_for(path)
marks.append(("project, selection, inventory (context_for)", clock()))
profile = cProfile.Profile()
profile.enable()
session.check_source(path, path.read_text(), IncrementalImports())
profile.disable()
marks.append(("check_source of the opened file (under cProfile)", clock()))
first = clock()
import lsprotocol.types
marks.append(("after it: import lsprotocol.types", clock()))
import pygls.lsp.server
marks.append(("after it: import pygls", clock()))
from envsense.lsp.server import create_server
create_server()
marks.append(("after it: feature modules (create_server)", clock()))
for (_, before), (name, after) in zip(marks, marks[1:]):
    print(f"{name:48} {(after - before) * 1000:7.1f} ms CPU")
print(f"{'to the first diagnostic (profiled; no interpreter start)':48} {first * 1000:7.1f} ms CPU")
out = io.StringIO()
pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(30)
print(out.getvalue())
"""


def profile_stages(bench: Bench, target: Target) -> str:
    """CPU of each step between spawn and the first diagnostic, with the check's profile."""
    env = server_env(bench, bench.work / "scratch" / "lsp-real-cache")
    run = run_process(
        [bench.python, "-c", _STAGES, target.root, target.path, target.python], env=env
    )
    if run.returncode != 0:
        return f"stage profile failed: {tail(run.stderr)}"
    return run.stdout


def _edits_for(bench: Bench, server: RealServer) -> int:
    edits = bench.lsp_edits
    if server.slow:
        edits = max(8, edits // 4)
    return max(4, edits - edits % 4)


def run(bench: Bench) -> None:
    try:
        corpus = get_corpus(bench)
    except Exception as error:  # no corpus: every row says why
        bench.report.add(Row("LSP on the real corpus", Figure.na(f"corpus not prepared: {error}")))
        return
    results: dict[str, RealFigures] = {}
    target = Target.of(corpus)
    ours_spec = servers(bench, target)[0]

    def profile() -> str:
        stages = profile_stages(bench, target)
        return f"{profile_envsense(bench, target, ours_spec)}\n{stages}"

    for profiled in (INITIALIZE_BUDGET, FIRST_DIAGNOSTIC_BUDGET, REAL_CHANGE_BUDGET):
        bench.profilers[profiled.name] = profile
    # One user cache dir for every start of the run: the first-ever start of envsense (empty
    # cache: no saved generated code) is measured and reported on its own, the measured one is
    # a second start, as an editor's every start after the first.
    env = server_env(bench, bench.scratch("lsp-real-cache"))
    first_ever = _measure(bench, target, ours_spec, env, 4)
    for server in servers(bench, target):
        if bench.quick and server.slow:
            skipped = Figure.na("skipped in --quick: seconds per edit")
            results[server.name] = RealFigures(*(skipped,) * 6)
            continue
        print(f"   {server.name}", flush=True)
        results[server.name] = _measure(bench, target, server, env, _edits_for(bench, server))
    ours = results.pop("envsense")
    label = (
        f"LSP, real file {corpus.name}/{corpus.edit_file.relative_to(corpus.root / corpus.name)}"
    )
    rows: list[tuple[str, str, Budget | None]] = [
        ("initialize, from spawn", "initialize", INITIALIZE_BUDGET),
        ("spawn -> first diagnostic", "first", FIRST_DIAGNOSTIC_BUDGET),
        ("didOpen -> diagnostics", "opened", None),
        ("didChange -> diagnostics p50", "p50", None),
        ("didChange -> diagnostics p95", "p95", REAL_CHANGE_BUDGET),
        ("server RSS after 2 s quiet", "rss", None),
    ]
    for title, attr, budget in rows:
        for index, (name, theirs) in enumerate(results.items()):
            bench.report.add(
                Row(
                    f"{label}: {title}",
                    getattr(ours, attr),
                    name,
                    getattr(theirs, attr),
                    budget if index == 0 else None,
                )
            )
    for title, attr in (
        ("initialize, from spawn", "initialize"),
        ("spawn -> first diagnostic", "first"),
    ):
        bench.report.add(
            Row(f"{label}: {title}, first-ever start (empty cache)", getattr(first_ever, attr))
        )
    based = results.get("basedpyright-langserver")
    if based is not None:
        below = Budget("initialize below basedpyright-langserver's (real corpus)", 1.0, "x")
        if ours.initialize.value is not None and based.initialize.value:
            ratio = Figure(ours.initialize.value / based.initialize.value, "x")
        else:
            ratio = Figure.na("no figure")
        bench.report.add(Row(below.name, ratio, budget=below))
    bench.report.notes.append(
        "LSP on the real file: edits cycle insert a character / delete it / add an import line / "
        "remove it. envsense, pyrefly lsp and basedpyright-langserver push diagnostics; ty server is "
        "asked for them (pull, textDocument/diagnostic, as its editors do) after each change. ty is "
        "configured with every rule off but import-not-found and the corpus venv; pyrefly lsp gets "
        "the venv's interpreter (python.pythonPath) and `--indexing-mode none`, and keeps its own "
        "default error kinds (no per-kind setting reaches it over LSP without writing a config "
        "into the project); basedpyright-langserver runs typeCheckingMode off, openFilesOnly. "
        "RSS is the server's process tree (basedpyright runs node under a Python wrapper). "
        "Servers run with bytecode (PYTHONDONTWRITEBYTECODE unset) and share one user cache "
        "dir; envsense's measured start is a second start (its first-ever start, with an "
        "empty cache, has its own rows)."
    )
