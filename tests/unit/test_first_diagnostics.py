"""`envsense serve` publishes the first opened file's diagnostics before the protocol layer
is loaded: the bytes are the real server's, the settings those the real server ends up with
(configuration answer, didChangeConfiguration), the real server doesn't send them twice, and
anything else first leaves every message to the real server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from hypothesis import given, settings
from hypothesis import strategies as st

from envsense.core.findings import Code, Finding, FixData, Severity, Span
from envsense.lsp.first_diagnostics import (
    encode_diagnostics,
    publish_bytes,
    report_bytes,
)
from tests.support.lsp_wire import WireClient, encode
from tests.support.venvs import make_venv

CLIENTS = Path(pytest_lsp.__file__).parent / "clients"
NEOVIM = json.loads((CLIENTS / "neovim_v0.11.0.json").read_text())
PUBLISH = "textDocument/publishDiagnostics"
SOURCE = "é = '😀'; import requests\nimport not_a_module_anywhere\n"


@pytest.fixture(autouse=True)
def sandbox_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, sub in (("HOME", ""), ("XDG_DATA_HOME", "d"), ("XDG_CACHE_HOME", "c")):
        monkeypatch.setenv(name, str(tmp_path / "home" / sub))
    yield


@pytest.fixture(scope="module")
def real_server() -> Any:
    from envsense.lsp.server import create_server

    return create_server()


def real_bytes(
    server: Any, findings: list[Finding], text: str, encoding: str, version: int
) -> bytes:
    """What the real server writes for these findings (lsp/diagnostics.py's path)."""
    from lsprotocol import types
    from pygls.workspace import TextDocument
    from pygls.workspace.position_codec import PositionCodec

    from envsense.lsp.diagnostics import to_diagnostic
    from envsense.lsp.protocol import CapturingWriter

    document = TextDocument(
        "file:///w/a.py",
        text,
        version=version,
        position_codec=PositionCodec(types.PositionEncodingKind(encoding)),
    )
    lines = document.lines
    capture = CapturingWriter()
    writer = server.protocol.writer
    server.protocol.set_writer(capture)
    try:
        server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=document.uri,
                version=version,
                diagnostics=[to_diagnostic(f, document, lines) for f in findings],
            )
        )
    finally:
        server.protocol.set_writer(writer)
    (data,) = capture.data
    return data


def finding(span: Span, code: Code, severity: Severity, message: str, fix: FixData) -> Finding:
    return Finding(Path("/w/a.py"), span, code, severity, message, fix)


FIXES = [
    FixData(),
    FixData(module="requests", distribution="requests", name_source="guessed"),
    FixData(module="yaml", alternatives=("PyYAML", "types-PyYAML"), specifier=">=1"),
    FixData(requirement="django>=5", manifest="/w/pyproject.toml", lock="/w/uv.lock"),
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
def test_the_published_bytes_are_the_real_servers(real_server: Any, encoding: str) -> None:
    text = "é = '😀'; import requests\r\n\tfrom ünï import x  # ✓\nlast line without end"
    findings = [
        finding(Span(0, 16, 0, 24), Code.MISSING_IMPORT, Severity.ERROR, "plain", FIXES[1]),
        finding(Span(1, 6, 1, 9), Code.TRANSITIVE_IMPORT, Severity.WARNING, 'ünï 😀 "q"', FIXES[2]),
        finding(
            Span(2, 0, 2, 99), Code.STDLIB_UNAVAILABLE, Severity.HINT, "past the end", FIXES[0]
        ),
        # Beyond the last line: pygls' IndexError answer (the line count, column 0).
        finding(Span(3, 0, 7, 2), Code.UNDECLARED_IMPORT, Severity.INFORMATION, "x", FIXES[3]),
    ]
    expected = real_bytes(real_server, findings, text, encoding, 7)
    assert publish_bytes("file:///w/a.py", 7, encode_diagnostics(findings, text, encoding)) == (
        expected
    )
    assert publish_bytes("file:///w/a.py", 7, []) == real_bytes(real_server, [], text, encoding, 7)


def real_report_bytes(server: Any, msg_id: int | str, findings: list[Finding], text: str) -> bytes:
    """The real server's answer to a textDocument/diagnostic request with these findings."""
    from lsprotocol import types

    from envsense.lsp.diagnostics import to_diagnostic
    from envsense.lsp.protocol import CapturingWriter

    request = {
        "jsonrpc": "2.0",
        "id": msg_id,
        "method": "textDocument/diagnostic",
        "params": {"textDocument": {"uri": "file:///w/a.py"}},
    }
    server.protocol.structure_message(request)  # registers the id's result type, as pygls does
    report = types.FullDocumentDiagnosticReport(items=[to_diagnostic(f, None) for f in findings])
    capture = CapturingWriter()
    writer = server.protocol.writer
    server.protocol.set_writer(capture)
    try:
        server.protocol._send_response(msg_id, result=report)
    finally:
        server.protocol.set_writer(writer)
    (data,) = capture.data
    return data


@pytest.mark.parametrize("msg_id", [3, "vscode-7"])
def test_the_pull_answer_bytes_are_the_real_servers(real_server: Any, msg_id: int | str) -> None:
    text = "import requests\n"
    findings = [
        finding(Span(0, 7, 0, 15), Code.MISSING_IMPORT, Severity.ERROR, "é 😀", FIXES[1]),
        finding(Span(0, 0, 0, 15), Code.UNDECLARED_IMPORT, Severity.HINT, "x", FIXES[2]),
    ]
    # No document: columns as they are (utf-32 is the identity), the envelope is the point.
    ours = report_bytes(msg_id, encode_diagnostics(findings, text, "utf-32"))
    assert ours == real_report_bytes(real_server, msg_id, findings, text)
    assert report_bytes(msg_id, []) == real_report_bytes(real_server, msg_id, [], text)


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(st.characters(blacklist_categories=("Cs",)), max_size=60),
    spans=st.lists(st.tuples(*[st.integers(0, 8)] * 4), max_size=4),
    encoding=st.sampled_from(["utf-8", "utf-16", "utf-32"]),
)
def test_any_text_and_span_is_converted_as_pygls_does(
    real_server: Any, text: str, spans: list[tuple[int, int, int, int]], encoding: str
) -> None:
    findings = [
        finding(Span(*span), Code.MISSING_IMPORT, Severity.ERROR, text, FIXES[i % 4])
        for i, span in enumerate(spans)
    ]
    ours = publish_bytes("file:///w/a.py", 1, encode_diagnostics(findings, text, encoding))
    assert ours == real_bytes(real_server, findings, text, encoding, 1)


# -- over the wire ---------------------------------------------------------------------


def project(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / ".git").mkdir(parents=True)
    make_venv(root / ".venv")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "ws"\nversion = "0"\ndependencies = ["requests"]\n'
    )
    (root / "a.py").write_text(SOURCE)
    (tmp_path / "home").mkdir(exist_ok=True)
    return root


def did_open(path: Path, version: int = 1) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "method": "textDocument/didOpen",
        "params": {
            "textDocument": {
                "uri": path.as_uri(),
                "languageId": "python",
                "version": version,
                "text": path.read_text(),
            }
        },
    }


def session(
    root: Path,
    home: Path,
    *,
    early: bool,
    capabilities: dict[str, Any],
    options: dict[str, Any] | None = None,
    configuration: dict[str, Any] | None = None,
    before_open: list[bytes] = (),  # type: ignore[assignment]
) -> tuple[list[dict[str, Any]], WireClient]:
    """Start, open a.py, edit it; (every publish of version 1, the client)."""
    env = {} if early else {"ENVSENSE_NO_EARLY_DIAGNOSTICS": "1"}
    client = WireClient(root, home, extra_env=env)
    client.configuration = configuration
    source = root / "a.py"
    try:
        params = {
            **NEOVIM,
            "processId": None,
            "rootUri": root.as_uri(),
            "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
            "capabilities": capabilities,
            "initializationOptions": options,
        }
        client.response(client.request("initialize", params))
        # What an editor does: everything at once, right after the answer.
        data = encode({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        client.send_raw(data + b"".join(before_open) + encode(did_open(source)))
        client.notification(PUBLISH, lambda p: p["uri"] == source.as_uri())
        client.send(
            {
                "jsonrpc": "2.0",
                "method": "textDocument/didChange",
                "params": {
                    "textDocument": {"uri": source.as_uri(), "version": 2},
                    "contentChanges": [{"text": SOURCE + "import json\n"}],
                },
            }
        )
        client.notification(PUBLISH, lambda p: p["version"] == 2)
    finally:
        client.close()
    published = [
        m["params"]
        for m in client.seen
        if m.get("method") == PUBLISH and m["params"]["version"] == 1
    ]
    return published, client


def capabilities_with(**extra: Any) -> dict[str, Any]:
    capabilities = json.loads(json.dumps(NEOVIM["capabilities"]))
    capabilities.setdefault("general", {})["positionEncodings"] = ["utf-8", "utf-16"]
    capabilities["workspace"].update(extra)
    return capabilities


def published_early(client: WireClient) -> bool:
    """The first publish came before the real server's first status ("discovering": the
    real server checks no file before its discovery)."""
    for message in client.seen:
        if message.get("method") == PUBLISH:
            return True
        if message.get("method") == "envsense/status":
            return False
    return False


@pytest.mark.parametrize(
    "case",
    ["configuration answer", "didChangeConfiguration first", "no configuration capability"],
)
def test_the_early_publish_is_what_the_real_server_publishes(tmp_path: Path, case: str) -> None:
    """Settings that change the findings (a severity from the configuration answer, a code
    turned off by didChangeConfiguration) are applied as the real server applies them."""
    root = project(tmp_path)
    home = tmp_path / "home"
    kwargs: dict[str, Any] = {"capabilities": capabilities_with(configuration=True)}
    if case == "configuration answer":
        kwargs["configuration"] = {
            "envsense": {"diagnostics": {"missing-import": {"severity": "hint"}}}
        }
    elif case == "didChangeConfiguration first":
        settings = {"envsense": {"diagnostics": {"missing-import": {"severity": "information"}}}}
        kwargs["before_open"] = [
            encode(
                {
                    "jsonrpc": "2.0",
                    "method": "workspace/didChangeConfiguration",
                    "params": {"settings": settings},
                }
            )
        ]
    else:
        kwargs["capabilities"] = capabilities_with(configuration=False)
        kwargs["options"] = {"diagnostics": {"missing-import": {"severity": "warning"}}}
    early, early_client = session(root, home, early=True, **kwargs)
    late, late_client = session(root, home, early=False, **kwargs)
    assert published_early(early_client)
    assert not published_early(late_client)
    # Sent once each, the same, and with findings whose columns depend on the encoding.
    assert len(early) == 1 and len(late) == 1
    assert early == late
    assert early[0]["diagnostics"]
    assert "differs" not in early_client.stderr_path.read_text()


def pull_session(
    root: Path, home: Path, *, early: bool, other_first: bool = False
) -> tuple[dict[str, Any], WireClient]:
    """A VS Code-like pull client: configuration pushed by didChangeConfiguration, another
    file opened, then the first file's diagnostics asked for (after the other file's, with
    `other_first`); (the answer, the client)."""
    env = {} if early else {"ENVSENSE_NO_EARLY_DIAGNOSTICS": "1"}
    client = WireClient(root, home, extra_env=env)
    client.configuration = {"envsense": {"diagnostics": {"missing-import": {"severity": "hint"}}}}
    (root / "b.py").write_text("import json\n")
    capabilities = capabilities_with(configuration=True, diagnostics={"refreshSupport": True})
    capabilities["textDocument"]["diagnostic"] = {"dynamicRegistration": True}
    try:
        params = {
            "processId": None,
            "rootUri": root.as_uri(),
            "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
            "capabilities": capabilities,
        }
        client.response(client.request("initialize", params))
        settings = {"envsense": {"diagnostics": {"missing-import": {"severity": "hint"}}}}
        uri = (root / "a.py").as_uri()
        client.send_raw(
            encode({"jsonrpc": "2.0", "method": "initialized", "params": {}})
            + encode(
                {
                    "jsonrpc": "2.0",
                    "method": "workspace/didChangeConfiguration",
                    "params": {"settings": settings},
                }
            )
            + encode(did_open(root / "a.py"))
            + encode(did_open(root / "b.py"))
            + (
                encode(
                    {
                        "jsonrpc": "2.0",
                        "id": "pull-b",
                        "method": "textDocument/diagnostic",
                        "params": {"textDocument": {"uri": (root / "b.py").as_uri()}},
                    }
                )
                if other_first
                else b""
            )
            + encode(
                {
                    "jsonrpc": "2.0",
                    "id": "pull-1",
                    "method": "textDocument/diagnostic",
                    "params": {"textDocument": {"uri": uri}, "identifier": "envsense"},
                }
            )
        )
        answer = client.response("pull-1")
        if other_first:
            # Answered in either order: read the other one too before closing (the check
            # of its arrival raced the close when pull-1 came first).
            client.response("pull-b")
    finally:
        client.close()
    return answer, client


def answered_early(client: WireClient, msg_id: str) -> bool:
    for message in client.seen:
        if message.get("id") == msg_id and "method" not in message:
            return True
        if message.get("method") == "envsense/status":
            return False
    return False


def test_a_pull_clients_first_request_is_answered_as_the_real_server_answers(
    tmp_path: Path,
) -> None:
    root = project(tmp_path)
    home = tmp_path / "home"
    early, early_client = pull_session(root, home, early=True)
    late, late_client = pull_session(root, home, early=False)
    assert answered_early(early_client, "pull-1")
    assert not answered_early(late_client, "pull-1")
    assert early == late
    items = early["result"]["items"]
    assert items and {item["severity"] for item in items if item["code"] == "missing-import"} == {4}


def test_a_pull_request_for_another_file_first_leaves_both_to_the_real_server(
    tmp_path: Path,
) -> None:
    """The first file was checked, but another request came first: the real server answers
    both (with the session the early check built), as it would have."""
    root = project(tmp_path)
    home = tmp_path / "home"
    early, early_client = pull_session(root, home, early=True, other_first=True)
    late, _ = pull_session(root, home, early=False, other_first=True)
    assert not answered_early(early_client, "pull-1")
    assert any(m.get("id") == "pull-b" and "result" in m for m in early_client.seen)
    assert early == late and early["result"]["items"]


def test_anything_else_before_the_open_is_left_to_the_real_server(tmp_path: Path) -> None:
    """A request before the first didOpen: no early publish; the request is answered and the
    diagnostics are the real server's, once."""
    root = project(tmp_path)
    home = tmp_path / "home"
    request = encode(
        {
            "jsonrpc": "2.0",
            "id": 77,
            "method": "workspace/executeCommand",
            "params": {"command": "envsense.noSuchCommand", "arguments": []},
        }
    )
    capabilities = capabilities_with(configuration=True)
    early, client = session(
        root, home, early=True, capabilities=capabilities, before_open=[request]
    )
    late, _ = session(root, home, early=False, capabilities=capabilities)
    assert not published_early(client)
    assert any(m.get("id") == 77 and "method" not in m for m in client.seen)
    assert early == late and len(early) == 1


def test_the_early_path_loads_neither_lsprotocol_nor_pygls_protocol(tmp_path: Path) -> None:
    """The point: the first publish is written before the protocol layer is imported, and
    every message but the configuration answer is handed on, in order."""
    root = project(tmp_path)
    source = root / "a.py"
    initialize = encode(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {"processId": None, "rootUri": root.as_uri(), "capabilities": {}},
        }
    )
    rest = encode({"jsonrpc": "2.0", "method": "initialized", "params": {}}) + encode(
        did_open(source)
    )
    code = (
        "import io, json, os, sys\n"
        "from envsense.lsp.fast_start import TimedReader, early_answer\n"
        "from envsense.lsp.first_diagnostics import publish_first\n"
        "r, w = os.pipe()\n"
        "os.write(w, sys.stdin.buffer.read())\n"
        "reader = TimedReader(r)\n"
        "early = early_answer(reader)\n"
        "out = io.BytesIO()\n"
        "early = publish_first(reader, out, early)\n"
        "loaded = [m for m in sys.modules if m.startswith(('lsprotocol', 'pygls.protocol', "
        "'pygls.lsp', 'envsense.lsp.server'))]\n"
        "print(json.dumps([early.published is not None, loaded, early.after.hex(), "
        "out.getvalue().decode()]))\n"
    )
    env = {**os.environ, "HOME": str(tmp_path / "home")}
    run = subprocess.run(
        [sys.executable, "-c", code],
        input=initialize + rest,
        capture_output=True,
        env=env,
        cwd=root,
        check=True,
        timeout=60,
    )
    published, loaded, after, written = json.loads(run.stdout)
    assert published and loaded == []
    assert bytes.fromhex(after) == rest
    assert '"method": "textDocument/publishDiagnostics"' in written


def test_an_editor_that_opens_nothing_at_once_gets_the_real_server(tmp_path: Path) -> None:
    """No didOpen within WAIT of `initialized`: the real server starts as it always did."""
    root = project(tmp_path)
    client = WireClient(root, tmp_path / "home")
    source = root / "a.py"
    try:
        params = {
            "processId": None,
            "rootUri": root.as_uri(),
            "capabilities": capabilities_with(configuration=True),
        }
        client.response(client.request("initialize", params))
        client.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        time.sleep(0.5)
        client.send(did_open(source))
        published = client.notification(PUBLISH, lambda p: p["uri"] == source.as_uri())
    finally:
        client.close()
    assert published["params"]["diagnostics"]
    assert not published_early(client)
