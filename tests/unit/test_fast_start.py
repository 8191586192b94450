"""`envsense serve` answers initialize before pygls and lsprotocol are imported: the early
answer is byte for byte the real server's, for real clients' capabilities and generated ones;
anything it can't be sure of is left, unread, to the real server."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envsense.lsp.fast_answer import answer
from envsense.lsp.fast_answer_build import DATA, build, real_answer, render
from envsense.lsp.fast_start import early_answer, read_first_message
from tests.support.lsp_wire import WireClient, encode
from tests.support.venvs import make_venv

CLIENTS = Path(pytest_lsp.__file__).parent / "clients"
RECORDED = {p.stem: json.loads(p.read_text()) for p in sorted(CLIENTS.glob("*.json"))}
PULL = {"textDocument": {"diagnostic": {"dynamicRegistration": True}}}
PULL_REFRESH = {"workspace": {"diagnostics": {"refreshSupport": True}}}


@pytest.fixture(autouse=True)
def sandbox_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # The real server's initialize creates a session (its picks live in the data dir).
    for name, sub in (("HOME", ""), ("XDG_DATA_HOME", "d"), ("XDG_CACHE_HOME", "c")):
        monkeypatch.setenv(name, str(tmp_path / "home" / sub))
    yield


def merged(base: dict[str, Any], *others: dict[str, Any]) -> dict[str, Any]:
    result = json.loads(json.dumps(base))
    for other in others:
        # A copy: the result is mutated by callers, and `other` may be a shared constant
        # (PULL), which Hypothesis then saw change between examples.
        stack = [(result, json.loads(json.dumps(other)))]
        while stack:
            into, extra = stack.pop()
            for key, value in extra.items():
                if isinstance(value, dict) and isinstance(into.get(key), dict):
                    stack.append((into[key], value))
                else:
                    into[key] = value
    return result


def request(params: dict[str, Any], msg_id: int | str = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": msg_id, "method": "initialize", "params": params}


def assert_same_as_real(params: dict[str, Any], msg_id: int | str = 1) -> None:
    early = answer(request(params, msg_id))
    real, others = real_answer(params, msg_id)
    assert others == []
    assert early == real


def test_recorded_answers_are_those_of_the_current_server() -> None:
    assert DATA.read_text() == render(build()), (
        "stale: run python -m envsense.lsp.fast_answer_build"
    )


def client_cases() -> list[Any]:
    cases = []
    root = {"processId": 4242, "rootUri": "file:///tmp/project", "trace": "off"}
    for name, recorded in {**RECORDED, "minimal": {"capabilities": {}}}.items():
        params = {**recorded, **root}
        cases.append(pytest.param(params, id=name))
        with_pull = {"capabilities": merged(recorded["capabilities"], PULL, PULL_REFRESH)}
        cases.append(pytest.param({**params, **with_pull}, id=f"{name}+pull"))
        pull_only = {"capabilities": merged(recorded["capabilities"], PULL)}
        cases.append(pytest.param({**params, **pull_only}, id=f"{name}+pull-no-refresh"))
        for encodings in (["utf-8", "utf-16"], ["utf-32"], ["x-unknown"], []):
            general = {"capabilities": merged(params["capabilities"], {"general": {}})}
            general["capabilities"]["general"]["positionEncodings"] = encodings
            cases.append(pytest.param({**params, **general}, id=f"{name}+{encodings}"))
    return cases


@pytest.mark.parametrize("params", client_cases())
def test_early_answer_is_the_real_servers_for_real_clients(params: dict[str, Any]) -> None:
    assert answer(request(params)) is not None, "a real client's initialize went the slow way"
    assert_same_as_real(params)


def test_every_capability_that_changes_the_answer_at_once() -> None:
    capabilities = merged(
        RECORDED["visual_studio_code_v1.65.2"]["capabilities"],
        PULL,
        PULL_REFRESH,
        {"general": {"positionEncodings": ["utf-8"]}},
        {"notebookDocument": {"synchronization": {"executionSummarySupport": True}}},
        {"textDocument": {"synchronization": {"willSave": True, "willSaveWaitUntil": False}}},
    )
    params = {
        "processId": None,
        "capabilities": capabilities,
        "workspaceFolders": [{"uri": "file:///tmp/a", "name": "a"}],
        "initializationOptions": {"trusted": False, "debounceMs": 300},
        "clientInfo": {"name": "Visual Studio Code", "version": "1.99"},
        "locale": "en",
        "workDoneToken": "t",
    }
    assert_same_as_real(params, "string-id")


def _json() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-3, 2**32),
        st.floats(allow_nan=False),
        st.sampled_from(["", "utf-8", "utf-32", "off", "quickfix", "plaintext", "markdown"]),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.dictionaries(
                st.sampled_from(["a", "synchronization", "valueSet"]), inner, max_size=2
            ),
        ),
        max_leaves=6,
    )


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    return found


@st.composite
def mutated_params(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(st.sampled_from(sorted(RECORDED)))
    params: dict[str, Any] = {"processId": 1, **json.loads(json.dumps(RECORDED[name]))}
    if draw(st.booleans()):
        params = merged(params, {"capabilities": merge_pull(draw)})
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(params)
        path = draw(st.sampled_from(paths))
        node = params
        for key in path[:-1]:
            node = node[key]
        action = draw(st.sampled_from(["set", "delete"]))
        if action == "delete":
            del node[path[-1]]
        else:
            node[path[-1]] = draw(_json())
    return params


def merge_pull(draw: st.DrawFn) -> dict[str, Any]:
    return merged(
        PULL if draw(st.booleans()) else {},
        PULL_REFRESH if draw(st.booleans()) else {},
        {
            "general": {
                "positionEncodings": draw(st.lists(st.sampled_from(["utf-8", "utf-32", "?"])))
            }
        },
    )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(params=mutated_params())
def test_params_the_early_path_accepts_are_answered_alike_by_the_real_server(
    params: dict[str, Any],
) -> None:
    """Whatever the early path answers, the real server answers the same bytes (so it also
    accepts those params); what it refuses costs time only, never a different answer."""
    early = answer(request(params))
    if early is not None:
        assert early == real_answer(params)[0]


@pytest.mark.parametrize(
    ("params", "refused"),
    [
        # cattrs reads "1" as 1; the strict schema does not: slower, never different.
        pytest.param({"processId": "1", "capabilities": {}}, False, id="processId-string"),
        pytest.param({"processId": None, "capabilities": 5}, True, id="capabilities-number"),
        pytest.param({"processId": None, "capabilities": "x"}, False, id="capabilities-string"),
        pytest.param(
            {"capabilities": {"general": ["positionEncodings"]}}, True, id="list-naming-a-key"
        ),
        pytest.param({"processId": None}, True, id="no-capabilities"),
        pytest.param(
            {"capabilities": {"notebookDocument": {}}}, True, id="notebook-no-synchronization"
        ),
        pytest.param({"capabilities": {}, "trace": "loud"}, True, id="unknown-trace"),
    ],
)
def test_params_outside_the_strict_schema_are_left_to_the_real_server(
    params: dict[str, Any], refused: bool
) -> None:
    assert answer(request(params)) is None
    real, _ = real_answer(params)
    assert (b'"error"' in real) is refused


@pytest.mark.parametrize(
    "capabilities",
    [[], [{}], {"general": [1]}, {"textDocument": {"callHierarchy": [{"dynamicRegistration": 1}]}}],
)
def test_lists_cattrs_reads_as_empty_classes_are_answered_alike(capabilities: Any) -> None:
    """Neovim 0.9 sends `callHierarchy: [{...}]`; cattrs reads it as an empty class."""
    params = {"processId": None, "capabilities": capabilities}
    assert answer(request(params)) is not None
    assert_same_as_real(params)


def test_other_messages_are_not_answered_early() -> None:
    good = request({"processId": None, "capabilities": {}})
    assert answer(good) is not None
    for bad in (
        {**good, "method": "shutdown"},
        {**good, "jsonrpc": "1.0"},
        {**good, "id": True},
        {**good, "id": None},
        {**good, "error": {}},
        {k: v for k, v in good.items() if k != "params"},
    ):
        assert answer(bad) is None, bad


def framed_initialize(params: dict[str, Any] | None = None) -> bytes:
    return encode(request(params or {"processId": None, "capabilities": {}}))


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b'Content-Length: 5\r\n\r\n{"a":', id="short-body"),
        pytest.param(b"Content-Type: x\r\nContent-Length: 2\r\n\r\n{}", id="type-first"),
        pytest.param(b"garbage\r\n" + framed_initialize(), id="junk-first"),
        pytest.param(b"Content-Length: 3\r\n\r\n\xef\xbb\xbf{}", id="bom"),
        pytest.param(b"Content-Length: 2\r\ncontent-length: 2\r\n\r\n{}", id="two-lengths"),
        pytest.param(b"Content-Length: 99999999999\r\n\r\n", id="huge"),
        pytest.param(b"Content-Length: 2\r\n" + b"x" * 9000, id="overlong-header"),
        pytest.param(encode({"jsonrpc": "2.0", "id": 1, "method": "shutdown"}), id="shutdown"),
        pytest.param(encode({"jsonrpc": "2.0", "method": "exit"}), id="exit"),
        pytest.param(b"", id="eof"),
    ],
)
def test_anything_odd_first_is_pushed_back_unread_and_unanswered(data: bytes) -> None:
    stream = io.BytesIO(data + b"NEXT")
    early = early_answer(stream)
    assert early.answer is None
    # Everything taken from the stream is handed to the real reader, in order.
    assert early.consumed + stream.read() == data + b"NEXT"


def test_a_clean_initialize_is_read_exactly_and_answered() -> None:
    data = (
        b"Content-Length: %d\r\nContent-Type: application/vscode-jsonrpc\r\n\r\n"
        % len(json.dumps(request({"capabilities": {}})))
        + json.dumps(request({"capabilities": {}})).encode()
    )
    stream = io.BytesIO(data + b"Content-Length: 2\r\n\r\n{}")
    early = early_answer(stream)
    assert early.consumed == data and early.message == request({"capabilities": {}})
    assert early.answer == real_answer({"capabilities": {}})[0]
    assert read_first_message(io.BytesIO(stream.read()))[1] == {}


@pytest.mark.parametrize(
    "params",
    [
        pytest.param(
            {"capabilities": {}, "initializationOptions": {"debounceMs": "soon"}},
            id="bad-option-types",
        ),
        pytest.param({"capabilities": {}, "initializationOptions": [1]}, id="options-not-object"),
        pytest.param({"capabilities": {}, "rootUri": "file:///a\x00b"}, id="nul-in-root"),
        pytest.param(
            {"capabilities": {}, "workspaceFolders": [{"uri": "file:///x\x00", "name": "x"}]},
            id="nul-in-folder",
        ),
    ],
)
def test_initialize_the_handler_would_warn_about_or_fail_on_is_left_to_the_real_server(
    params: dict[str, Any],
) -> None:
    assert early_answer(io.BytesIO(framed_initialize(params))).answer is None


def test_the_early_answer_imports_neither_pygls_protocol_nor_lsprotocol_nor_the_session() -> None:
    params = {**RECORDED["visual_studio_code_v1.65.2"], "processId": 1, "rootUri": "file:///tmp"}
    params["initializationOptions"] = {"trusted": True, "diagnosticScope": "openFiles"}
    script = (
        "import io, sys\n"
        "from envsense.lsp.fast_start import early_answer\n"
        "early = early_answer(io.BytesIO(sys.stdin.buffer.read()))\n"
        "assert early.answer is not None\n"
        "heavy = ['lsprotocol.types', 'pygls.protocol', 'envsense.core.session', 'packaging.requirements']\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script],
        input=framed_initialize(params),
        capture_output=True,
        check=True,
        env={**os.environ},
    )
    assert run.stdout.decode().strip() == "[]"


def test_the_server_process_answers_early_and_then_works_as_if_it_had_answered(
    tmp_path: Path,
) -> None:
    """Over the wire: the early answer is the real one, the replay sets the position encoding
    (UTF-8 columns after a non-ASCII prefix) and the server logs no mismatch."""
    root = tmp_path / "ws"
    (root / ".git").mkdir(parents=True)
    make_venv(root / ".venv")
    source = root / "a.py"
    source.write_text("é = 1; import not_a_module_anywhere\n")
    (tmp_path / "home").mkdir()
    capabilities = merged(
        RECORDED["neovim_v0.11.0"]["capabilities"],
        {"general": {"positionEncodings": ["utf-8", "utf-16"]}},
    )
    # (The wire client answers every server request with null, which no configuration is.)
    capabilities["workspace"].pop("configuration")
    client = WireClient(root, tmp_path / "home")
    try:
        params = {
            **RECORDED["neovim_v0.11.0"],
            "processId": None,
            "rootUri": root.as_uri(),
            "capabilities": capabilities,
        }
        msg_id = client.request("initialize", params)
        reply = client.response(msg_id)
        expected = json.loads(real_answer(params, msg_id)[0].partition(b"\r\n\r\n")[2])
        assert reply == expected
        assert reply["result"]["capabilities"]["positionEncoding"] == "utf-8"
        client.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        text = source.read_text()
        client.send(
            {
                "jsonrpc": "2.0",
                "method": "textDocument/didOpen",
                "params": {
                    "textDocument": {
                        "uri": source.as_uri(),
                        "languageId": "python",
                        "version": 1,
                        "text": text,
                    }
                },
            }
        )
        published = client.notification(
            "textDocument/publishDiagnostics", lambda params: params["diagnostics"]
        )
        start = published["params"]["diagnostics"][0]["range"]["start"]
        # "é = 1; import " is 14 characters and 15 UTF-8 bytes.
        assert text[:14] == "é = 1; import "
        assert start == {"line": 0, "character": 15}
    finally:
        client.close()
    assert "differs" not in client.stderr_path.read_text()


def test_another_pygls_or_lsprotocol_installed_means_no_early_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The data was recorded with the installed pygls/lsprotocol; another version (a pip
    install resolves them afresh) gets the real server's answer, never a stale one."""
    from envsense.lsp import fast_answer

    params = {"processId": None, "capabilities": {}}
    assert answer(request(params)) is not None
    recorded = fast_answer.fingerprint()
    changed = [(name, size + 1 if "types.py" in name else size) for name, size in recorded]
    monkeypatch.setattr(fast_answer, "fingerprint", lambda: changed)
    assert answer(request(params)) is None


@pytest.mark.parametrize("blocking", [True, False])
def test_the_timed_reader_returns_what_came_by_the_deadline_and_keeps_the_rest(
    blocking: bool,
) -> None:
    """Reads wait for data (a non-blocking stdin too); at a deadline a read returns what it
    has and says so; bytes read ahead are handed on (`leftover`), never lost."""
    import threading
    import time

    from envsense.lsp.fast_start import TimedReader

    read_end, write_end = os.pipe()
    os.set_blocking(read_end, blocking)
    reader = TimedReader(read_end)
    writer = threading.Timer(0.1, os.write, (write_end, b"first line\nsecond"))
    writer.start()
    try:
        assert reader.readline() == b"first line\n"
        reader.deadline = time.monotonic() + 0.05
        assert reader.read(3) == b"sec"
        assert reader.readline() == b"ond"
        assert reader.timed_out
        os.write(write_end, b"more\n")
        assert reader.leftover() == b""
        assert os.read(read_end, 100) == b"more\n"  # unread by the reader, still in the pipe
    finally:
        writer.join()
        os.close(read_end)
        os.close(write_end)
