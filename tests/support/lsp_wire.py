"""A raw JSON-RPC client for the real `envsense serve` process: sends any bytes at all
(bad framing, bad JSON, wrong types) and collects what the server answers.

pytest-lsp can only send well-formed messages; the protocol fuzz tests need the rest.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def encode(message: dict[str, Any]) -> bytes:
    return frame(json.dumps(message).encode())


class WireClient:
    """`envsense serve` as a subprocess; messages it sends are queued by a reader thread."""

    def __init__(self, cwd: Path, home: Path, extra_env: dict[str, str] | None = None) -> None:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            **(extra_env or {}),
        }
        self.stderr_path = home / "server-stderr.log"
        self._stderr = self.stderr_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "envsense", "serve"],
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        # Every message read, in order (requests the server sent included).
        self.seen: list[dict[str, Any]] = []
        # workspace/configuration answers by section when set; else every request gets null.
        self.configuration: dict[str, Any] | None = None
        self.messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        self._next_id = 1000
        # Messages read while waiting for another response (notifications, errors).
        self.received: list[dict[str, Any]] = []

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    self.messages.put(None)
                    return
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
                elif line.strip() == b"" and length is not None:
                    break
            body = stream.read(length)
            try:
                message = json.loads(body)
                self.seen.append(message)
                self.messages.put(message)
            except ValueError:
                self.messages.put({"unparseable": body.decode(errors="replace")})

    def send_raw(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        self.send_raw(encode(message))

    def answer(self, request: dict[str, Any]) -> None:
        """A server request's answer: the configuration when one is set, else null."""
        result: Any = None
        if request["method"] == "workspace/configuration" and self.configuration is not None:
            items = (request.get("params") or {}).get("items") or []
            result = [self.configuration.get(item.get("section", "")) for item in items]
        self.send({"jsonrpc": "2.0", "id": request["id"], "result": result})

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def request(self, method: str, params: Any = None, *, msg_id: Any = None) -> Any:
        msg_id = self.new_id() if msg_id is None else msg_id
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return msg_id

    def response(self, msg_id: Any, timeout: float = 20.0) -> dict[str, Any]:
        """The response to `msg_id`; server requests are answered with null on the way."""
        import time

        for index, message in enumerate(self.received):
            if "method" not in message and message.get("id") == msg_id:
                return self.received.pop(index)  # it came while another was awaited
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no response to id {msg_id!r} in {timeout} s")
            try:
                message = self.messages.get(timeout=remaining)
            except queue.Empty:
                raise TimeoutError(f"no response to id {msg_id!r} in {timeout} s") from None
            if message is None:
                raise ConnectionError(f"server closed its output before answering {msg_id!r}")
            if "method" in message and "id" in message:
                self.answer(message)
                continue
            if "method" not in message and message.get("id") == msg_id:
                return message
            self.received.append(message)

    def notification(
        self, method: str, predicate: Any = lambda params: True, timeout: float = 30.0
    ) -> dict[str, Any]:
        """The first `method` notification (already read or still to come) whose params
        satisfy `predicate`."""
        import time

        for message in self.received:
            if message.get("method") == method and predicate(message.get("params")):
                return message
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                message = self.messages.get(timeout=remaining)
            except queue.Empty:
                break
            if message is None:
                raise ConnectionError(f"server closed its output before sending {method}")
            if "method" in message and "id" in message:
                self.answer(message)
                continue
            self.received.append(message)
            if message.get("method") == method and predicate(message.get("params")):
                return message
        raise TimeoutError(f"no {method} in {timeout} s")

    def errors_with_null_id(self) -> list[dict[str, Any]]:
        """Error responses with id null received so far (framing and parse errors)."""
        while not self.messages.empty():
            message = self.messages.get_nowait()
            if message is not None:
                self.received.append(message)
        return [m for m in self.received if "error" in m and m.get("id") is None]

    def initialize(self, root: Path) -> dict[str, Any]:
        msg_id = self.request(
            "initialize",
            {
                "processId": None,
                "rootUri": root.as_uri(),
                "capabilities": {},
                "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
            },
        )
        answer = self.response(msg_id)
        self.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        return answer

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        if self.alive():
            try:
                msg_id = self.request("shutdown")
                self.response(msg_id, timeout=10)
                self.send({"jsonrpc": "2.0", "method": "exit"})
                self.process.wait(timeout=10)
            except (OSError, TimeoutError, ConnectionError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait(timeout=10)
        self._stderr.close()
