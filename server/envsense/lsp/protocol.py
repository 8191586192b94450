"""JSON-RPC over stdio that answers every request and survives bad input.

pygls 2.1's reader (`pygls.io_.run_async`) trusts the client: `Content-Length: 1000000000000`
is read (allocated) as given, a body shorter or longer than its header desynchronises the
stream for good, a message whose params don't match their type fails inside `json.loads`
and gets no response (only an "Error in server" popup), requests after `shutdown` are
dropped unanswered and requests before `initialize` are served. This module replaces that
loop and adds the lifecycle rules of the LSP specification:

- a header line is at most 8 KB and a body at most MAX_CONTENT_LENGTH; a bigger
  Content-Length is refused without reading it, and the stream resynchronises on the next
  `Content-Length:` header, wherever it appears in a line;
- a body that isn't JSON is answered with ParseError (id null), after a `Content-Length:`
  inside it is looked for and read from (a too-long header swallowed the next message);
- a request whose params don't fit gets InvalidParams saying which field is wrong;
- before `initialize`, requests get ServerNotInitialized (-32002) and notifications other
  than `exit` are dropped; after `shutdown`, requests get InvalidRequest.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable, Generator
from typing import IO, TYPE_CHECKING, Any, TypeVar

import cattrs
from lsprotocol import types
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method
from pygls.server import JsonRPCServer
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument, Workspace

from envsense.core.safe_read import SOURCE_LIMIT, read_bytes
from envsense.lsp.framing import (
    CONTENT_LENGTH,
    CONTENT_LENGTH_ANYWHERE,
    MAX_CONTENT_LENGTH,
    MAX_HEADER_LINE,
    OTHER_HEADER,
)

if TYPE_CHECKING:
    from envsense.lsp.fast_start import EarlyStart

log = logging.getLogger(__name__)

_CONTENT_LENGTH = CONTENT_LENGTH
_CONTENT_LENGTH_ANYWHERE = CONTENT_LENGTH_ANYWHERE
_OTHER_HEADER = OTHER_HEADER

T = TypeVar("T")


class MessageReader:
    """Blocking reads from the client's stream, with push-back for resynchronising.

    Called from a worker thread only (stdin reads block).
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._pending = b""

    def readline(self, limit: int = MAX_HEADER_LINE) -> bytes:
        """Up to and including the next newline, or `limit` bytes, or what is left."""
        if self._pending:
            end = self._pending.find(b"\n", 0, limit)
            if end >= 0 or len(self._pending) >= limit:
                cut = end + 1 if end >= 0 else limit
                line, self._pending = self._pending[:cut], self._pending[cut:]
                return line
            line, self._pending = self._pending, b""
            return line + self._stream.readline(limit - len(line))
        return self._stream.readline(limit)

    def read(self, size: int) -> bytes:
        """Exactly `size` bytes, fewer only at the end of the stream."""
        taken, self._pending = self._pending[:size], self._pending[size:]
        parts = [taken]
        missing = size - len(taken)
        while missing > 0:
            chunk = self._stream.read(missing)
            if not chunk:
                break
            parts.append(chunk)
            missing -= len(chunk)
        return b"".join(parts)

    def unread(self, data: bytes) -> None:
        self._pending = data + self._pending


def _usable_id(value: Any) -> int | str | None:
    """The id to answer with: JSON-RPC ids are numbers or strings; anything else is null."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    return value


def _describe_structure_error(error: BaseException) -> str:
    if isinstance(error, (cattrs.ClassValidationError, cattrs.IterableValidationError)):
        details = cattrs.transform_error(error, path="$")
        shown = "; ".join(details[:3]) + (
            f"; and {len(details) - 3} more" if len(details) > 3 else ""
        )
        return shown or str(error)
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


class _Request:
    """A request reduced to what the lifecycle rules look at (its params unchecked)."""

    def __init__(self, msg_id: Any, method: str) -> None:
        self.id = msg_id
        self.method = method


class EnvsenseProtocol(LanguageServerProtocol):
    """LanguageServerProtocol with the lifecycle rules pygls leaves out (see module doc)."""

    def __init__(self, server: Any, converter: cattrs.Converter) -> None:
        super().__init__(server, converter)
        self.initialize_seen = False

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(
        self, params: types.InitializeParams
    ) -> Generator[Any, Any, types.InitializeResult]:
        """pygls' initialize, then disk-backed documents read through safe_read."""
        result = yield from super().lsp_initialize(params)
        _read_disk_documents_safely(self.workspace)
        return result

    def send_error(
        self, msg_id: Any, code: types.ErrorCodes | types.LSPErrorCodes, message: str
    ) -> None:
        """Answer a request (or a message whose id can't be read: id null) with an error."""
        # JSON-RPC answers an unreadable id with null; pygls' annotation leaves null out.
        self._send_response(
            _usable_id(msg_id),  # type: ignore[arg-type]
            error=types.ResponseError(code=int(code), message=message),
        )

    def handle_message(self, message: Any) -> None:
        """Apply the initialize/shutdown rules, then dispatch as pygls does."""
        method = getattr(message, "method", None)
        is_request = method is not None and hasattr(message, "id")
        if is_request:
            if self._shutdown:
                self.send_error(
                    message.id,
                    types.ErrorCodes.InvalidRequest,
                    f"{method}: the server is shutting down (shutdown was requested)",
                )
                return
            if method == types.INITIALIZE:
                if self.initialize_seen:
                    self.send_error(
                        message.id, types.ErrorCodes.InvalidRequest, "initialize was already sent"
                    )
                    return
                self.initialize_seen = True
            elif not self.initialize_seen:
                self.send_error(
                    message.id,
                    types.ErrorCodes.ServerNotInitialized,
                    f"{method}: the server is not initialized yet (send initialize first)",
                )
                return
        elif method is not None and not self.initialize_seen and method != types.EXIT:
            log.info("dropped %s: sent before initialize", method)
            return
        super().handle_message(message)

    def replay_answered(self, message: dict[str, Any], sent: bytes) -> None:
        """Handle an initialize fast_start.py already answered, writing nothing for it: the
        state it sets up is the point. An answer that differs from the one sent is a bug in
        fast_answer_data.py (stale: rebuild it), logged because it cannot be taken back."""
        writer = self.writer
        assert writer is not None, "replay_answered needs the real writer set"
        capture = CapturingWriter()
        self.set_writer(capture)
        try:
            self.dispatch_body(json.dumps(message).encode("utf-8"))
        finally:
            self.set_writer(writer)
        answers = [d for d in capture.data if d == sent]
        if len(answers) != 1 or len(capture.data) != 1:
            log.error(
                "the early initialize answer differs from the server's: sent %.2000r, "
                "the server wrote %.2000r",
                sent,
                capture.data,
            )
            for data in capture.data:
                if data != sent and b'"id"' not in data:
                    writer.write(data)  # a notification nobody expected: still deliver it

    def dispatch_body(self, body: bytes) -> None:
        """Decode, check and handle one message body; every request gets an answer."""
        try:
            data = json.loads(body.decode("utf-8"))
        except (ValueError, RecursionError) as error:
            reason = "not UTF-8" if isinstance(error, UnicodeDecodeError) else "invalid JSON"
            log.warning("message refused: %s (%s)", reason, error)
            self.send_error(None, types.ErrorCodes.ParseError, f"{reason}: {error}")
            return
        if not isinstance(data, dict):
            log.warning("message refused: not a JSON object")
            self.send_error(
                None, types.ErrorCodes.InvalidRequest, "a message must be a JSON object"
            )
            return
        method = data.get("method")
        is_request = "id" in data and "method" in data
        if data.get("jsonrpc") != "2.0" or ("method" in data and not isinstance(method, str)):
            log.warning("message refused: not JSON-RPC 2.0 (%.200s)", body)
            if is_request or "method" not in data and "result" not in data and "error" not in data:
                self.send_error(
                    data.get("id"),
                    types.ErrorCodes.InvalidRequest,
                    'not a JSON-RPC 2.0 message ("jsonrpc": "2.0" and a string "method" needed)',
                )
            return
        if (
            is_request
            and (self._shutdown or not self.initialize_seen)
            and method != types.INITIALIZE
        ):
            # The lifecycle answer comes first, whatever the params (LSP: -32002 before
            # initialize, InvalidRequest after shutdown).
            self.handle_message(_Request(data["id"], str(method)))
            return
        if method is not None:
            data.setdefault("params", None)  # JSON-RPC lets params be left out
        try:
            message = self.structure_message(data)
        except Exception as error:  # pygls raises JsonRpcInvalidParams from a cattrs error
            reason = _describe_structure_error(error.__cause__ or error)
            if is_request:
                log.warning("%s refused: invalid params: %s", method, reason)
                self.send_error(
                    data.get("id"), types.ErrorCodes.InvalidParams, f"{method}: {reason}"
                )
            else:
                log.warning("ignored %s: %s", method or "a response", reason)
                if method is None and "id" in data:
                    # The answer to one of our requests (a null workspace/configuration
                    # result, say): whoever awaits it hears it failed instead of waiting
                    # forever (discovery waited on the configuration for good).
                    self._handle_response(
                        data["id"],
                        error=types.ResponseError(
                            code=int(types.ErrorCodes.InvalidParams),
                            message=f"unreadable response: {reason}",
                        ),
                    )
            return
        if is_request and not hasattr(message, "id"):
            # A notification's method sent with an id: it would run and never be answered.
            self.send_error(
                data.get("id"),
                types.ErrorCodes.InvalidRequest,
                f"{method} is a notification: it is sent without an id",
            )
            return
        try:
            self.handle_message(message)
        except Exception as error:  # a handler that fails synchronously still answers
            log.exception("handling %s failed", method)
            if is_request:
                self.send_error(
                    data.get("id"), types.ErrorCodes.InternalError, f"{method}: {error}"
                )


class CapturingWriter:
    """A writer that keeps what it is given (replay_answered; fast_answer_build records
    the real server's answer through it)."""

    def __init__(self) -> None:
        self.data: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.data.append(data)

    def close(self) -> None:
        pass


def _read_disk_documents_safely(workspace: Workspace) -> None:
    """A request about a file the editor never opened makes pygls read it from disk with a
    plain `open()`: a FIFO blocks a worker thread for good, /dev/zero fills memory. Such
    documents are read here, through safe_read, when pygls creates them."""
    create = workspace._create_text_document

    def create_safely(
        doc_uri: str,
        source: str | None = None,
        version: int | None = None,
        language_id: str | None = None,
    ) -> TextDocument:
        if source is None:
            path = to_fs_path(doc_uri)
            if path:
                try:
                    source = read_bytes(path, SOURCE_LIMIT).decode("utf-8", errors="replace")
                except OSError as error:
                    log.info("not reading %s: %s", path, error)
                    source = ""
        return create(doc_uri, source=source, version=version, language_id=language_id)

    workspace._create_text_document = create_safely  # type: ignore[method-assign]


async def serve_messages(
    server: JsonRPCServer,
    protocol: EnvsenseProtocol,
    reader: MessageReader,
    stop_event: threading.Event,
    early: EarlyStart | None = None,
) -> None:
    """Read framed messages until the client closes the stream or `exit` stops the server.
    `early`: bytes lsp/fast_start.py read first; an initialize it answered is replayed."""
    loop = asyncio.get_running_loop()
    if early is not None:
        if early.message is not None and early.answer is not None:
            protocol.replay_answered(early.message, early.answer)
            reader.unread(early.after)
        else:
            reader.unread(early.consumed + early.after)

    def blocking(function: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        return loop.run_in_executor(server.thread_pool, function, *args)

    length: int | None = None
    while not stop_event.is_set():
        line = await blocking(reader.readline, MAX_HEADER_LINE)
        if not line:
            log.info("the client closed the connection")
            return
        header = _CONTENT_LENGTH_ANYWHERE.search(line)
        if header is not None and header.start() > 0:
            # A header glued to the end of a body whose length was wrong: resynchronise.
            _junk(protocol, line[: header.start()])
            reader.unread(line[header.start() :])
            continue
        match = _CONTENT_LENGTH.match(line)
        if match is not None:
            length = int(match.group(1))
            continue
        if line.strip() == b"":
            if length is None:
                continue  # a blank line outside a message: nothing to do
            wanted, length = length, None
            if wanted > MAX_CONTENT_LENGTH:
                # Not read and not skipped: whatever follows is scanned for the next header.
                log.error(
                    "message refused: Content-Length %d is over the %d byte limit; "
                    "resynchronising on the next Content-Length header",
                    wanted,
                    MAX_CONTENT_LENGTH,
                )
                protocol.send_error(
                    None,
                    types.ErrorCodes.InvalidRequest,
                    f"Content-Length {wanted} is over the {MAX_CONTENT_LENGTH} byte limit",
                )
                continue
            body = await blocking(reader.read, wanted)
            if len(body) < wanted:
                log.error("the client closed the connection in the middle of a message")
                return
            _dispatch(protocol, reader, body)
            continue
        if _OTHER_HEADER.match(line) and length is not None:
            continue  # Content-Type and friends
        # Not a header: a header block it interrupts is broken, its length not to be used.
        length = None
        _junk(protocol, line)


def _dispatch(protocol: EnvsenseProtocol, reader: MessageReader, body: bytes) -> None:
    """One body. When it is not JSON, its Content-Length may have been too long and
    swallowed the start of the next message: a JSON value at its start is handled alone and
    the rest read again; else the part before a header inside it is."""
    if _is_json(body):
        protocol.dispatch_body(body)
        return
    end = _json_prefix_end(body)
    if end is not None:
        log.warning("framing error: Content-Length longer than its message; resynchronising")
        reader.unread(body[end:])
        protocol.dispatch_body(body[:end])
        return
    inner = _CONTENT_LENGTH_ANYWHERE.search(body)
    if inner is not None:
        reader.unread(body[inner.start() :])
        body = body[: inner.start()]
        log.warning("framing error: a Content-Length header inside a body; resynchronising")
        if not body.strip():
            return
    protocol.dispatch_body(body)


def _json_prefix_end(body: bytes) -> int | None:
    """Where a JSON object at the start of `body` ends (in bytes), when something follows."""
    text = body.decode("utf-8", errors="surrogateescape")
    start = len(text) - len(text.lstrip())
    if not text.startswith("{", start):
        return None
    try:
        _, end = json.JSONDecoder().raw_decode(text, start)
    except (ValueError, RecursionError):
        return None
    return len(text[:end].encode("utf-8", errors="surrogateescape"))


def _is_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except (ValueError, RecursionError):
        return False
    return True


def _junk(protocol: EnvsenseProtocol, data: bytes) -> None:
    """Bytes outside any message. A JSON request sent without headers still gets an
    answer (an error naming the framing problem) when its id can be read."""
    text = data.strip()
    if not text:
        return
    log.warning("framing error: skipped %d bytes outside a message: %.80r", len(data), text)
    if not text.startswith(b"{"):
        return
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return
    if isinstance(value, dict) and "id" in value and "method" in value:
        protocol.send_error(
            value["id"],
            types.ErrorCodes.InvalidRequest,
            "framing error: the message had no Content-Length header",
        )
