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
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from envsense.lsp.framing import (
    CONTENT_LENGTH,
    CONTENT_LENGTH_ANYWHERE,
    MAX_HEADER_LINE,
    OTHER_HEADER,
)

log = logging.getLogger(__name__)

# A bigger first message is left to the real reader (it has the limits and the errors).
FAST_BODY_LIMIT = 1024 * 1024
# Seconds after start when the code generated so far is saved (lsp/codegen_cache.py).
SAVE_AFTER = 5.0


@dataclass(frozen=True)
class EarlyStart:
    """What was read before the real server existed, and what was already answered."""

    consumed: bytes  # every byte taken from stdin
    message: dict[str, Any] | None = None  # the initialize request answered early
    answer: bytes | None = None  # the bytes written for it


def read_first_message(stream: IO[bytes]) -> tuple[bytes, dict[str, Any] | None]:
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


def early_answer(stream: IO[bytes]) -> EarlyStart:
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
    early = early_answer(stdin)
    if early.answer is not None:
        stdout.write(early.answer)
        stdout.flush()
    from envsense.lsp import codegen_cache

    cache = codegen_cache.install()
    from envsense.lsp.server import create_server

    logging.getLogger("pygls").setLevel(logging.WARNING)
    server = create_server()
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
