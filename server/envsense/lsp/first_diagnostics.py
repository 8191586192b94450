"""The first opened file's diagnostics, published before the protocol layer is loaded.

Editors send `initialized` and open their files right after the initialize answer, which
lsp/fast_start.py writes before pygls and lsprotocol are imported; loading those and the
feature modules then took about 0.25 s of CPU before the first document was even looked at.
This module (standard library and the core only) reads the messages that follow: the answer
to the configuration request the real server would send, `workspace/didChangeConfiguration`
and the first `textDocument/didOpen` of a Python file. It checks that file with the settings
the real server would end up with and writes the publishDiagnostics the real server would
write, byte for byte, or for a pull client the answer to its `textDocument/diagnostic`
request for that file (tests/unit/test_first_diagnostics.py compares them).

Every message read, but the configuration answer and that request, is then handed to the real
server unread, so its state is what it always was; it carries on with the session and the
file's import scan, and when its own first publish of that document is the same, it is not
sent twice (lsp/diagnostics.py). Anything else first (another request, another notification,
odd params, a manifest, nothing opened within WAIT) leaves the messages to the real server,
which handles them as it always did.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from envsense.lsp.fast_answer import _get
from envsense.lsp.fast_start import EarlyStart, TimedReader, folder_paths, read_first_message

if TYPE_CHECKING:
    from envsense.core.findings import Finding
    from envsense.core.imports.incremental import IncrementalImports
    from envsense.core.session import Session

log = logging.getLogger(__name__)

# Seconds without a message after which the editor is taken to open nothing yet.
WAIT = 0.05
# The id of the configuration request sent here; its answer never reaches the real server.
CONFIGURATION_ID = "envsense-first-configuration"
SOURCE = "envsense"  # lsp/diagnostics.py's SOURCE (this module can't import lsprotocol)
PUBLISH = "textDocument/publishDiagnostics"
CONTENT_TYPE = "Content-Type: application/vscode-jsonrpc; charset=utf-8"


@dataclass(frozen=True)
class FirstPublish:
    """What was published for the first document, as JSON values, and the state that
    computed it: the real server carries on with them, so its own first check of the
    document finds the project's context and the document's import scan ready."""

    uri: str
    version: int
    diagnostics: list[dict[str, Any]]
    session: Session
    imports: IncrementalImports
    sent: bool  # False: a pull client's request didn't come (the real server answers it)


@dataclass
class _Opening:
    """The messages after initialize, as far as they decide the first publish."""

    initialized: bool = False
    answered: bool = True  # the configuration request's answer (True: none was sent)
    # Options in the order the real server merges them (lifecycle.merge_options).
    options: list[Any] = field(default_factory=list)
    document: dict[str, Any] | None = None

    @property
    def ready(self) -> bool:
        return self.initialized and self.answered and self.document is not None


def _utf16_units(text: str) -> int:
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def _utf8_units(text: str) -> int:
    return len(text.encode("utf-8", errors="surrogatepass"))


# pygls' PositionCodec: columns in the client's units; any other encoding is UTF-16.
UNITS: dict[str, Callable[[str], int]] = {
    "utf-8": _utf8_units,
    "utf-16": _utf16_units,
    "utf-32": len,
}


def encode_diagnostics(
    findings: Sequence[Finding], text: str, encoding: str
) -> list[dict[str, Any]]:
    """Findings as lsp/diagnostics.py's to_diagnostic makes them, unstructured."""
    lines = text.splitlines(True)
    units = UNITS.get(encoding, _utf16_units)

    def position(line: int, column: int) -> dict[str, int]:
        # As PositionCodec.position_to_client_units, IndexError included.
        try:
            return {"line": line, "character": units(lines[line][:column])}
        except IndexError:
            return {"line": len(lines), "character": 0}

    return [
        {
            "range": {
                "start": position(f.span.line, f.span.column),
                "end": position(f.span.end_line, f.span.end_column),
            },
            "message": f.message,
            "severity": int(f.severity),
            "code": f.code.value,
            "codeDescription": {"href": f.code.docs_url},
            "source": SOURCE,
            "data": f.fix.to_json(),
        }
        for f in findings
    ]


def publish_bytes(uri: str, version: int, diagnostics: list[dict[str, Any]]) -> bytes:
    """The notification as pygls writes it (key order, separators, headers)."""
    params = {"uri": uri, "diagnostics": diagnostics, "version": version}
    body = json.dumps({"params": params, "method": PUBLISH, "jsonrpc": "2.0"})
    return f"Content-Length: {len(body)}\r\n{CONTENT_TYPE}\r\n\r\n{body}".encode()


def report_bytes(msg_id: int | str, diagnostics: list[dict[str, Any]]) -> bytes:
    """The answer to textDocument/diagnostic as pygls writes it (a full report)."""
    result = {"items": diagnostics, "kind": "full"}
    body = json.dumps({"id": msg_id, "jsonrpc": "2.0", "result": result})
    return f"Content-Length: {len(body)}\r\n{CONTENT_TYPE}\r\n\r\n{body}".encode()


def _write(stream: IO[bytes], message: dict[str, Any]) -> None:
    body = json.dumps(message)
    stream.write(f"Content-Length: {len(body)}\r\n{CONTENT_TYPE}\r\n\r\n{body}".encode())
    stream.flush()


def publish_first(reader: TimedReader, stdout: IO[bytes], early: EarlyStart) -> EarlyStart:
    """Publish the first document's diagnostics when that is certain to be what the real
    server would publish; `early` comes back with every byte the real server must read."""
    taken: list[bytes] = []
    # A pull request for the document read while waiting: (its place among `taken`, its
    # bytes, its id); put back in its place unless it was answered here.
    held: list[tuple[int, bytes, int | str]] = []
    published = None
    try:
        published = _publish(reader, stdout, early, taken, held)
    except Exception:  # the real server meets the same problem and reports it properly
        log.debug("no early diagnostics", exc_info=True)
    finally:
        reader.deadline = None
    for index, data, _ in reversed(held):
        taken.insert(index, data)
    if published is not None and published.sent:
        log.info("the first diagnostics of %s were sent before the server loaded", published.uri)
    after = early.after + b"".join(taken) + reader.leftover()
    return replace(early, after=after, published=published)


def _publish(
    reader: TimedReader,
    stdout: IO[bytes],
    early: EarlyStart,
    taken: list[bytes],
    held: list[tuple[int, bytes, int | str]],
) -> FirstPublish | None:
    assert early.message is not None and early.answer is not None
    params = early.message["params"]
    capabilities = params["capabilities"]
    # As diagnostics.enable_pull: such a client asks for them (textDocument/diagnostic).
    pull = _get(capabilities, ("textDocument", "diagnostic")) is not None and bool(
        _get(capabilities, ("workspace", "diagnostics", "refreshSupport"))
    )
    can_configure = bool(_get(capabilities, ("workspace", "configuration")))
    opening = _read_opening(reader, stdout, taken, can_configure, held if pull else None)
    if opening is None:
        return None
    from envsense.lsp.options import parse_options, session_settings

    options, error = parse_options(params.get("initializationOptions"))
    for raw in opening.options:
        merged, error = parse_options(raw)
        if error is not None:
            return None  # the real server warns about them first
        merged.trusted = options.trusted and merged.trusted
        options = merged
    document = opening.document
    assert document is not None
    uri, text = document["uri"], document["text"]
    path = _python_file(uri, document["languageId"])
    if path is None:
        return None
    from envsense.core.imports.incremental import IncrementalImports
    from envsense.core.session import Session

    folders = [f["uri"] for f in params.get("workspaceFolders") or ()]
    session = Session(
        folder_paths(folders, params.get("rootUri"), params.get("rootPath")),
        settings=session_settings(options),
    )
    session.refresh_environments()
    imports = IncrementalImports()
    findings = session.check_source(path, text, imports)
    answer = json.loads(early.answer.partition(b"\r\n\r\n")[2])
    encoding = answer["result"]["capabilities"].get("positionEncoding")
    diagnostics = encode_diagnostics(findings, text, encoding)
    sent = True
    if pull:
        if not held:
            _read_pull(reader, taken, uri, held)
        sent = bool(held)
        if held:
            stdout.write(report_bytes(held[0][2], diagnostics))
            stdout.flush()
            held.clear()
    else:
        stdout.write(publish_bytes(uri, document["version"], diagnostics))
        stdout.flush()
    # Pull or push, answered or not: the real server carries on with this session.
    return FirstPublish(uri, document["version"], diagnostics, session, imports, sent)


def _read_opening(
    reader: TimedReader,
    stdout: IO[bytes],
    taken: list[bytes],
    can_configure: bool,
    held: list[tuple[int, bytes, int | str]] | None,
) -> _Opening | None:
    """Read up to the first didOpen and the configuration answer; None at anything the
    real server must judge alone. `held`: where a pull client's request for the document
    goes when it comes before the configuration answer (None: push client)."""
    opening = _Opening()
    while not opening.ready:
        reader.deadline = time.monotonic() + WAIT
        data, message = read_first_message(reader)
        if message is None or message.get("jsonrpc") != "2.0":
            taken.append(data)
            return None
        if held is not None and not held and opening.document is not None:
            msg_id = _pull_id(message, opening.document["uri"])
            if msg_id is not None:
                held.append((len(taken), data, msg_id))
                continue
        if "method" not in message and message.get("id") == CONFIGURATION_ID:
            opening.answered = True
            result = message.get("result")
            # As lifecycle.pull_configuration: an error or an empty answer changes nothing.
            if "error" not in message and isinstance(result, list) and result:
                if isinstance(result[0], dict) and result[0]:
                    opening.options.append(result[0])
            continue
        taken.append(data)
        method, params = message.get("method"), message.get("params")
        if "id" in message or not isinstance(params, dict):
            return None
        if not opening.initialized:
            if method != "initialized":
                return None
            opening.initialized = True
            if can_configure:
                opening.answered = False
                _write(
                    stdout,
                    {
                        "id": CONFIGURATION_ID,
                        "params": {"items": [{"section": "envsense"}]},
                        "method": "workspace/configuration",
                        "jsonrpc": "2.0",
                    },
                )
        elif method == "workspace/didChangeConfiguration":
            # Read before the check, so applied before it, as the real server applies it
            # before its first check (which waits for discovery, after the configuration).
            settings = params.get("settings")
            if isinstance(settings, dict) and isinstance(settings.get("envsense"), dict):
                opening.options.append(settings["envsense"])
            # else the real server pulls the configuration again: the answer read here.
        elif method == "textDocument/didOpen":
            document = params.get("textDocument")
            if not _is_text_document(document):
                return None
            if opening.document is None:
                opening.document = document  # later ones are the real server's alone
        else:
            return None
    return opening


def _read_pull(
    reader: TimedReader, taken: list[bytes], uri: str, held: list[tuple[int, bytes, int | str]]
) -> None:
    """Read up to the client's textDocument/diagnostic request for `uri` (past other
    documents' didOpen) into `held`; at anything else, stop (the real server answers)."""
    while True:
        reader.deadline = time.monotonic() + WAIT
        data, message = read_first_message(reader)
        msg_id = _pull_id(message, uri) if message is not None else None
        if msg_id is not None:
            held.append((len(taken), data, msg_id))
            return
        taken.append(data)
        if message is None or message.get("method") != "textDocument/didOpen" or "id" in message:
            return


def _pull_id(message: dict[str, Any], uri: str) -> int | str | None:
    """The id of a well-formed textDocument/diagnostic request for `uri`, else None."""
    if message.get("jsonrpc") != "2.0" or message.get("method") != "textDocument/diagnostic":
        return None
    msg_id = message.get("id")
    valid_id = type(msg_id) is str or (type(msg_id) is int and 0 <= msg_id < 2**31)
    if not valid_id or not _is_pull_for(message.get("params"), uri):
        return None
    return msg_id


def _is_pull_for(params: Any, uri: str) -> bool:
    """DocumentDiagnosticParams for `uri`, strictly (never looser than lsprotocol)."""
    if not isinstance(params, dict) or params.get("textDocument") != {"uri": uri}:
        return False
    optional = {"identifier": (str,), "previousResultId": (str,), "workDoneToken": (str, int)}
    for key, value in params.items():
        if key == "textDocument":
            continue
        if key not in optional or (value is not None and type(value) not in optional[key]):
            return False
    return True


def _is_text_document(value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    kinds = {"uri": str, "languageId": str, "version": int, "text": str}
    if not all(type(value.get(key)) is kind for key, kind in kinds.items()):
        return False
    return bool(-(2**31) <= value["version"] < 2**31)  # lsprotocol's integer


def _python_file(uri: str, language_id: str) -> Path | None:
    """The path of a Python source file diagnostics.py checks with check_source, else None."""
    from pygls.uris import to_fs_path

    from envsense.core.files import is_manifest
    from envsense.core.locks import is_lock_file

    local = to_fs_path(uri)
    if not local:
        return None
    path = Path(local)
    if is_lock_file(path) or is_manifest(path):
        return None
    if language_id == "python" or uri.endswith((".py", ".pyi")):
        return path
    return None
