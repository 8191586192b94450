"""The real server process under generated traffic: malformed JSON, wrong types, bad framing,
huge Content-Length. Every request with a readable id is answered, and after each case a
normal request is answered too (the stream is in sync and the server alive)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.lsp_wire import WireClient, frame

# Methods with no side effects outside the sandbox (no commands: they could install).
METHODS = [
    "textDocument/hover", "textDocument/codeAction", "textDocument/diagnostic",
    "envsense/environments", "workspace/configuration", "unknown/method", "$/cancelRequest",
    "textDocument/didOpen", "textDocument/didChange", "textDocument/didClose",
    "workspace/didChangeConfiguration", "workspace/didChangeWatchedFiles", "initialized",
]  # fmt: skip


class Server:
    """One server for the whole module, initialized once (hypothesis re-runs cases fast)."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="envsense-proto-")
        base = Path(self._folder.name)
        self.root = base / "ws"
        (self.root / ".git").mkdir(parents=True)
        (self.root / "a.py").write_text("import os\n")
        (base / "home").mkdir()
        self.client = WireClient(self.root, base / "home")
        self.client.initialize(self.root)

    def follow_up(self) -> None:
        msg_id = self.client.request(
            "envsense/environments", {"uri": (self.root / "a.py").as_uri()}
        )
        assert "result" in self.client.response(msg_id), "no answer after the bad input"

    def close(self) -> None:
        self.client.close()
        self._folder.cleanup()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    running = Server()
    yield running
    assert running.client.alive()
    status = Path(f"/proc/{running.client.process.pid}/status").read_text()
    rss_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    running.close()
    assert rss_kb < 300 * 1024, f"server RSS {rss_kb // 1024} MB after the fuzz run"


def _json_values() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=30)
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
        ),
        max_leaves=25,
    )


def _uri_params() -> st.SearchStrategy[Any]:
    document = st.fixed_dictionaries(
        {"uri": st.sampled_from(["file:///nowhere/a.py", "untitled:1", "", "file:///dev/zero"])},
        optional={
            "text": st.text(max_size=50),
            "version": _json_values(),
            "languageId": st.just("python"),
        },
    )
    return st.one_of(
        _json_values(),
        st.fixed_dictionaries({"textDocument": document}, optional={"position": _json_values()}),
    )


@st.composite
def messages(draw: st.DrawFn) -> tuple[bytes, Any]:
    """(bytes to send, id whose answer is owed or None)."""
    kind = draw(st.sampled_from(["request", "request", "notification", "junk", "framing", "huge"]))
    if kind in ("request", "notification"):
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": draw(st.sampled_from(METHODS))}
        msg_id = None
        if kind == "request":
            msg_id = draw(st.one_of(st.integers(1, 10**6), st.text(min_size=1, max_size=8)))
            message["id"] = msg_id
        if draw(st.booleans()):
            message["params"] = draw(_uri_params())
        return frame(json.dumps(message).encode()), msg_id
    if kind == "junk":
        body = draw(
            st.one_of(st.binary(max_size=100), _json_values().map(lambda v: json.dumps(v).encode()))
        )
        return frame(body), None
    if kind == "framing":
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "x"}).encode()
        delta = draw(st.integers(-len(body), 60))
        header = draw(
            st.sampled_from(
                [b"Content-Length: %d\r\n\r\n", b"content-length:%d\n\n", b"Content-Length: %d\r\n"]
            )
        )
        return header % max(len(body) + delta, 0) + body + draw(st.binary(max_size=20)), None
    size = draw(st.sampled_from([10**12, 2**63, 10**30, 33 * 1024 * 1024]))
    return b"Content-Length: %d\r\n\r\n" % size, None


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,  # nothing written into the tree; derandomized runs replay the same cases
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(messages())
def test_every_request_is_answered_and_the_server_stays_in_sync(
    server: Server, case: tuple[bytes, Any]
) -> None:
    data, owed = case
    server.client.send_raw(data)
    # A partial frame may be waiting for bytes that never come; a blank header and a
    # newline complete or discard it, as a real client's next message would.
    server.client.send_raw(b"\r\n\r\n")
    if owed is not None:
        answer = server.client.response(owed)
        assert "result" in answer or "error" in answer
    server.follow_up()
    assert server.client.alive()
