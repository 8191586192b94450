"""`envsense serve`: answer `initialize` before the protocol layer is imported, then hand over.

Importing lsprotocol (attrs builds ~570 classes) and pygls takes most of a start. Editors
send `initialize` first and wait for its answer, so this module, standard library only,
reads that first message, and when it is a well-formed initialize whose answer is certain
(lsp/fast_answer.py) writes the real server's answer at once. Then the real server is built
and the same message is replayed into it with its reply suppressed, so pygls' state (client
capabilities, position encoding, workspace folders, options) is exactly as if it had
answered. Anything else (bad framing, another method first, odd params or options) is
pushed back unread and the real server handles it as it always did.
"""

from __future__ import annotations

import json
import logging
import os
import select
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from envsense.lsp.framing import (
    CONTENT_LENGTH,
    CONTENT_LENGTH_ANYWHERE,
    MAX_HEADER_LINE,
    OTHER_HEADER,
)

if TYPE_CHECKING:
    from envsense.lsp.first_diagnostics import FirstPublish

log = logging.getLogger(__name__)

# A bigger first message is left to the real reader (it has the limits and the errors).
FAST_BODY_LIMIT = 1024 * 1024
# Seconds after start when the code generated so far is saved (lsp/codegen_cache.py).
SAVE_AFTER = 5.0


@dataclass(frozen=True)
class EarlyStart:
    """What was read before the real server existed, and what was already answered."""

    consumed: bytes  # the bytes of the first message
    message: dict[str, Any] | None = None  # the initialize request answered early
    answer: bytes | None = None  # the bytes written for it
    # Read after the first message and not handled: the real server reads them first.
    after: bytes = b""
    # The first document's diagnostics, when lsp/first_diagnostics.py published them.
    published: FirstPublish | None = None


class TimedReader:
    """Reads stdin's file descriptor directly, optionally giving up at a deadline.

    At a deadline it returns what it has, as at the end of the stream (`timed_out` says
    which). What it read ahead is handed to the real server (`leftover`); stdin's own
    buffered reader has read nothing, so the real server's reads continue from here.
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = bytearray()
        self.deadline: float | None = None  # time.monotonic() value
        self.timed_out = False

    @classmethod
    def over(cls, stream: IO[bytes]) -> TimedReader | None:
        """A reader for `stream`'s descriptor; None where `select` can't wait on a pipe
        (Windows) or the stream has no descriptor (tests' in-memory streams)."""
        if os.name != "posix":
            return None
        try:
            return cls(stream.fileno())
        except (OSError, ValueError, AttributeError):
            return None

    def _fill(self) -> bool:
        """One read into the buffer; False at the end of the stream or at the deadline."""
        while not self.timed_out:
            wait = None if self.deadline is None else max(0.0, self.deadline - time.monotonic())
            if wait is not None and not select.select([self._fd], [], [], wait)[0]:
                self.timed_out = True
                break
            try:
                chunk = os.read(self._fd, 65536)
            except BlockingIOError:  # a non-blocking stdin: wait until it has something
                select.select([self._fd], [], [], wait)
                continue
            self._buffer += chunk
            return bool(chunk)
        return False

    def readline(self, limit: int = -1) -> bytes:
        """Up to and including the next newline, or `limit` bytes, or what is left."""
        while True:
            end = self._buffer.find(b"\n", 0, limit if limit >= 0 else len(self._buffer))
            if end >= 0:
                return self._take(end + 1)
            if 0 <= limit <= len(self._buffer):
                return self._take(limit)
            if not self._fill():
                return self._take(len(self._buffer))

    def read(self, size: int) -> bytes:
        """`size` bytes, fewer at the end of the stream or at the deadline."""
        while len(self._buffer) < size and self._fill():
            pass
        return self._take(size)

    def _take(self, size: int) -> bytes:
        taken = bytes(self._buffer[:size])
        del self._buffer[:size]
        return taken

    def leftover(self) -> bytes:
        """What was read from the descriptor and not taken."""
        return self._take(len(self._buffer))


def read_first_message(stream: IO[bytes] | TimedReader) -> tuple[bytes, dict[str, Any] | None]:
    """Read one framed message: (the bytes read, its JSON object when the framing is clean)."""
    consumed = bytearray()
    line = stream.readline(MAX_HEADER_LINE)
    consumed += line
    match = CONTENT_LENGTH.match(line)
    if match is None or not line.endswith(b"\n"):
        return bytes(consumed), None
    length = int(match.group(1))
    while True:
        line = stream.readline(MAX_HEADER_LINE)
        consumed += line
        if not line.endswith(b"\n"):
            return bytes(consumed), None
        if line.strip() == b"":
            break
        if CONTENT_LENGTH_ANYWHERE.search(line) or not OTHER_HEADER.match(line):
            return bytes(consumed), None
    if length > FAST_BODY_LIMIT:
        return bytes(consumed), None
    body = stream.read(length)
    consumed += body
    if len(body) < length:
        return bytes(consumed), None
    try:
        message = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):
        return bytes(consumed), None
    return bytes(consumed), message if isinstance(message, dict) else None


def folder_paths(folder_uris: list[str], root_uri: str | None, root_path: str | None) -> list[Path]:
    """Folders from workspaceFolders, else rootUri/rootPath; empty for a single loose file."""
    from pygls.uris import to_fs_path

    folders = [Path(p) for uri in folder_uris if (p := to_fs_path(uri))]
    if not folders and root_uri:
        path = to_fs_path(root_uri)
        if path:
            folders.append(Path(path))
    if not folders and root_path:
        folders.append(Path(root_path))
    return folders


def _handler_would_succeed(params: dict[str, Any]) -> bool:
    """The initialize handlers (lifecycle.py, pygls) run without an error or a message:
    options that parse, folders that resolve. Params are already known to be well typed."""
    from pygls.uris import from_fs_path, to_fs_path, uri_scheme

    options = params.get("initializationOptions")
    if options is not None:
        from envsense.lsp.options import parse_options

        if parse_options(options)[1] is not None:
            return False  # the real handler warns about them before answering
    root_uri, root_path = params.get("rootUri"), params.get("rootPath")
    folders = [f["uri"] for f in params.get("workspaceFolders") or ()]
    try:
        for path in folder_paths(folders, root_uri, root_path):
            path.resolve()
        if root_uri is not None:
            uri_scheme(root_uri)
            to_fs_path(root_uri)
        elif root_path:
            from_fs_path(root_path)
    except Exception:  # whatever it is, the real server says it as it always did
        return False
    return True


def early_answer(stream: IO[bytes] | TimedReader) -> EarlyStart:
    """Read the first message and, when certain, compute the real server's answer."""
    from envsense.lsp.fast_answer import answer

    consumed, message = read_first_message(stream)
    if message is None:
        return EarlyStart(consumed)
    reply = answer(message)
    if reply is None or not _handler_would_succeed(message["params"]):
        return EarlyStart(consumed)
    return EarlyStart(consumed, message, reply)


def serve(stdin: IO[bytes] | None = None, stdout: IO[bytes] | None = None) -> int:
    """Run over stdio until the client says exit."""
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout.buffer
    reader = TimedReader.over(stdin)
    early = early_answer(reader or stdin)
    if early.answer is not None:
        stdout.write(early.answer)
        stdout.flush()
    from envsense.lsp import codegen_cache

    # Before the first check too: the core's dataclasses are generated code as well.
    cache = codegen_cache.install()
    if reader is not None:
        if early.answer is not None and not os.environ.get("ENVSENSE_NO_EARLY_DIAGNOSTICS"):
            from envsense.lsp.first_diagnostics import publish_first

            early = publish_first(reader, stdout, early)
        else:
            early = replace(early, after=early.after + reader.leftover())
    from envsense.lsp.server import create_server

    logging.getLogger("pygls").setLevel(logging.WARNING)
    server = create_server()
    if early.published is not None and server.diagnostics is not None:
        server.first_check = early.published  # its session becomes the server's
        server.diagnostics.published_early(early.published)
    if cache is not None:
        # What the start and the first messages compiled (or, in a shorter session, all it
        # compiled): later code is compiled as usual, so the file read at every start holds
        # only what a start needs.
        saver = threading.Timer(SAVE_AFTER, cache.save)
        saver.daemon = True
        saver.start()
    try:
        server.start_io(stdin, stdout, early=early)
    finally:
        if cache is not None:
            cache.save()  # a session shorter than SAVE_AFTER
    return 0
