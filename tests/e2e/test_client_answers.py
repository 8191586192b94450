"""A client's malformed answer to a server request fails that request instead of leaving
the server waiting for good (a null workspace/configuration result stopped discovery, so
no diagnostic ever came)."""

from __future__ import annotations

from pathlib import Path

from tests.support.lsp_wire import WireClient
from tests.support.venvs import make_venv


def test_a_null_configuration_answer_still_lets_diagnostics_come(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / ".git").mkdir(parents=True)
    make_venv(root / ".venv")
    source = root / "a.py"
    source.write_text("import not_a_module_anywhere\n")
    (tmp_path / "home").mkdir()
    client = WireClient(root, tmp_path / "home")
    try:
        msg_id = client.request(
            "initialize",
            {
                "processId": None,
                "rootUri": root.as_uri(),
                "capabilities": {"workspace": {"configuration": True}},
            },
        )
        assert "result" in client.response(msg_id)
        client.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        text = source.read_text()
        document = {"uri": source.as_uri(), "languageId": "python", "version": 1, "text": text}
        client.send(
            {
                "jsonrpc": "2.0",
                "method": "textDocument/didOpen",
                "params": {"textDocument": document},
            }
        )
        # The wire client answers workspace/configuration with null (not a list).
        published = client.notification(
            "textDocument/publishDiagnostics", lambda params: params["diagnostics"], timeout=20
        )
        assert published["params"]["diagnostics"][0]["code"] == "missing-import"
    finally:
        client.close()
