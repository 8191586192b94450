"""The real `envsense serve` process against malformed traffic: every request is answered,
the stream resynchronises, and the server keeps answering afterwards (issue 11)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.lsp_wire import WireClient, encode, frame
from tests.support.venvs import make_venv

SERVER_NOT_INITIALIZED = -32002
INVALID_REQUEST = -32600
INVALID_PARAMS = -32602
PARSE_ERROR = -32700


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / ".git").mkdir(parents=True)
    (root / "a.py").write_text("import os\n")
    return root


@pytest.fixture
def client(workspace: Path, tmp_path: Path) -> Iterator[WireClient]:
    home = tmp_path / "home"
    home.mkdir()
    wire = WireClient(workspace, home)
    yield wire
    wire.close()


def _follow_up(client: WireClient, workspace: Path) -> dict[str, object]:
    """A real request after the bad input: proves the server is alive and in sync."""
    msg_id = client.request("envsense/environments", {"uri": (workspace / "a.py").as_uri()})
    answer = client.response(msg_id)
    assert "result" in answer, answer
    return answer


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def test_requests_before_initialize_get_server_not_initialized(client: WireClient) -> None:
    msg_id = client.request("textDocument/hover", {"textDocument": {"uri": "file:///a.py"}})
    assert client.response(msg_id)["error"]["code"] == SERVER_NOT_INITIALIZED


def test_initialize_with_wrong_types_gets_invalid_params_then_works(
    client: WireClient, workspace: Path
) -> None:
    msg_id = client.request("initialize", {"processId": "not a number", "capabilities": []})
    error = client.response(msg_id)["error"]
    assert error["code"] == INVALID_PARAMS
    assert "process_id" in error["message"] or "processId" in error["message"]
    assert "capabilities" in client.initialize(workspace)["result"]
    again = client.request("initialize", {"processId": None, "capabilities": {}})
    assert client.response(again)["error"]["code"] == INVALID_REQUEST
    _follow_up(client, workspace)


def test_invalid_params_are_answered(client: WireClient, workspace: Path) -> None:
    client.initialize(workspace)
    for method, params in (
        ("textDocument/codeAction", {"textDocument": 5}),
        ("textDocument/codeAction", None),
        ("workspace/executeCommand", {"command": 7}),
    ):
        answer = client.response(client.request(method, params))
        assert answer["error"]["code"] == INVALID_PARAMS, (method, answer)
    # Notifications with bad params can't be answered; they must not hurt.
    client.send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"x": 1}})
    _follow_up(client, workspace)


def test_bad_json_and_non_objects_get_errors_with_null_id(
    client: WireClient, workspace: Path
) -> None:
    client.initialize(workspace)
    client.send_raw(frame(b"{not json"))
    client.send_raw(frame(b"[1, 2]"))
    client.send_raw(frame(b"\xff\xfe"))
    client.send_raw(frame(b"[" * 100_000 + b"]" * 100_000))
    _follow_up(client, workspace)
    codes = sorted(e["error"]["code"] for e in client.errors_with_null_id())
    assert codes == [PARSE_ERROR, PARSE_ERROR, PARSE_ERROR, INVALID_REQUEST]


def test_absurd_content_length_is_refused_without_allocating(
    client: WireClient, workspace: Path
) -> None:
    client.initialize(workspace)
    client.send_raw(b"Content-Length: 1000000000000\r\n\r\n")
    client.send_raw(b"Content-Length: 99999999999999999999999999\r\n\r\n")
    _follow_up(client, workspace)
    assert client.alive()
    assert _rss_mb(client.process.pid) < 300


def test_wrong_content_lengths_and_garbage_resynchronise(
    client: WireClient, workspace: Path
) -> None:
    client.initialize(workspace)
    body = json.dumps({"jsonrpc": "2.0", "id": 77, "method": "envsense/unknown"}).encode()
    client.send_raw(b"Content-Length: %d\r\n\r\n" % (len(body) + 40) + body)  # too long
    _follow_up(client, workspace)
    client.send_raw(b"Content-Length: 5\r\n\r\n" + body)  # too short
    _follow_up(client, workspace)
    client.send_raw(b"garbage\r\nX-Other: 1\r\n\r\n\r\n" + b"x" * 20_000 + b"\r\n")
    _follow_up(client, workspace)
    # A request with no header at all still gets an answer naming the problem.
    client.send_raw(json.dumps({"jsonrpc": "2.0", "id": 88, "method": "x"}).encode() + b"\r\n")
    assert client.response(88)["error"]["code"] == INVALID_REQUEST
    _follow_up(client, workspace)


def test_requests_after_shutdown_get_invalid_request(client: WireClient, workspace: Path) -> None:
    client.initialize(workspace)
    assert client.response(client.request("shutdown"))["result"] is None
    answer = client.response(client.request("envsense/environments", {}))
    assert answer["error"]["code"] == INVALID_REQUEST
    client.send({"jsonrpc": "2.0", "method": "exit"})
    assert client.process.wait(timeout=20) == 0


def test_fifo_pyvenv_cfg_does_not_stall_requests(workspace: Path, tmp_path: Path) -> None:
    venv = workspace / ".venv"
    (venv / "bin").mkdir(parents=True)
    os.mkfifo(venv / "pyvenv.cfg")
    (venv / "bin" / "python").symlink_to(sys.executable)
    home = tmp_path / "home2"
    home.mkdir()
    client = WireClient(workspace, home)
    try:
        client.initialize(workspace)
        answer = _follow_up(client, workspace)
        assert isinstance(answer["result"], dict)
    finally:
        client.close()


def test_hostile_manifest_does_not_blind_the_project(workspace: Path, tmp_path: Path) -> None:
    """A pyproject nested 900 deep and a `-r /dev/zero` are findings of their own; the
    project's Python file still gets its diagnostics."""
    make_venv(workspace / ".venv")
    (workspace / "pyproject.toml").write_text(
        "[project]\nname = 'x'\na = " + "[" * 900 + "]" * 900 + "\n"
    )
    (workspace / "requirements.txt").write_text("-r /dev/zero\n")
    source = "import os\nimport surely_not_installed_anywhere\n"
    (workspace / "a.py").write_text(source)
    home = tmp_path / "home3"
    home.mkdir()
    client = WireClient(workspace, home)
    try:
        client.initialize(workspace)
        uri = (workspace / "a.py").as_uri()
        client.send(
            {
                "jsonrpc": "2.0",
                "method": "textDocument/didOpen",
                "params": {
                    "textDocument": {
                        "uri": uri,
                        "languageId": "python",
                        "version": 1,
                        "text": source,
                    }
                },
            }
        )
        published = client.notification(
            "textDocument/publishDiagnostics",
            lambda p: p["uri"] == uri and p["diagnostics"],
            timeout=60,
        )
        codes = [d["code"] for d in published["params"]["diagnostics"]]
        assert "missing-import" in codes
    finally:
        client.close()


def test_requests_about_unopened_fifo_and_device_files_are_answered(
    client: WireClient, workspace: Path
) -> None:
    """pygls reads a document the editor never opened from disk with a plain open(): a FIFO
    blocked a worker thread for good (ten such requests would exhaust the pool)."""
    os.mkfifo(workspace / "fifo.py")
    (workspace / "zero.py").symlink_to("/dev/zero")
    client.initialize(workspace)
    diagnostic = {
        "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 5}},
        "message": "m",
        "source": "envsense",
        "code": "missing-import",
        "data": {"module": "yaml", "distribution": "PyYAML", "name_source": "curated"},
    }
    ids = []
    for name in ["fifo.py", "zero.py"] * 6:
        ids.append(
            client.request(
                "textDocument/codeAction",
                {
                    "textDocument": {"uri": (workspace / name).as_uri()},
                    "range": diagnostic["range"],
                    "context": {"diagnostics": [diagnostic]},
                },
            )
        )
    for msg_id in ids:
        assert "result" in client.response(msg_id)
    _follow_up(client, workspace)
    assert _rss_mb(client.process.pid) < 300


def test_unsaved_requirements_buffer_including_dev_zero(
    client: WireClient, workspace: Path
) -> None:
    """The issue's 5.8 GB in 8 s: an unsaved buffer with `-r /dev/zero`."""
    client.initialize(workspace)
    uri = (workspace / "requirements.txt").as_uri()
    client.send(
        {
            "jsonrpc": "2.0",
            "method": "textDocument/didOpen",
            "params": {
                "textDocument": {
                    "uri": uri,
                    "languageId": "pip-requirements",
                    "version": 1,
                    "text": "-r /dev/zero\n-r " + "x" * 5000 + "\n",
                }
            },
        }
    )
    published = client.notification(
        "textDocument/publishDiagnostics", lambda p: p["uri"] == uri and p["diagnostics"]
    )
    messages = [d["message"] for d in published["params"]["diagnostics"]]
    assert any("a device" in m for m in messages), messages
    assert _rss_mb(client.process.pid) < 300
    _follow_up(client, workspace)


def test_encode_helper_round_trips() -> None:
    data = encode({"a": 1})
    assert data.startswith(b"Content-Length: 8\r\n\r\n")
