"""Work-done progress for one install or environment creation, and its cancel switch.

The client shows a cancellable progress item with the installer's latest output line;
every line also goes to window/logMessage so the full output stays readable. Cancelling
the item (window/workDoneProgress/cancel) sets the asyncio.Event the runner watches.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.capabilities import get_capability

if TYPE_CHECKING:
    from envsense.lsp.server import EnvsenseServer

log = logging.getLogger(__name__)

# A progress item shows one line; installers print long ones (URLs, hashes).
_MAX_REPORT = 200


class InstallProgress:
    """begin / report / end around one run; `cancel` is set when the user cancels it."""

    def __init__(self, server: EnvsenseServer, title: str) -> None:
        self.server = server
        self.title = title
        self.cancel = asyncio.Event()
        self.token: str | None = None
        self._last: str | None = None

    async def start(self, message: str = "starting") -> None:
        """Create the progress item when the client supports server-initiated progress."""
        ls = self.server
        if not get_capability(ls.client_capabilities, "window.work_done_progress", False):
            return
        token = f"envsense-install-{uuid.uuid4()}"
        try:
            await ls.work_done_progress.create_async(token)
        except Exception as error:  # a client refusing progress still gets the messages
            log.warning("window/workDoneProgress/create failed: %s", error)
            return
        self.token = token
        ls.work_done_progress.begin(
            token,
            types.WorkDoneProgressBegin(title=self.title, cancellable=True, message=message),
        )
        # pygls cancels this (concurrent) future when window/workDoneProgress/cancel arrives.
        future = ls.work_done_progress.tokens.get(token)
        if future is not None:
            loop = asyncio.get_running_loop()

            def on_done(done: Future[Any]) -> None:
                if done.cancelled():
                    loop.call_soon_threadsafe(self.cancel.set)

            future.add_done_callback(on_done)

    def line(self, text: str) -> None:
        """One line of installer output: logged in full, shown as the progress message."""
        self.server.log(f"[{self.title}] {text}")
        self.report(text)

    def report(self, message: str) -> None:
        if self.token is None or message == self._last:
            return
        self._last = message
        short = message if len(message) <= _MAX_REPORT else message[: _MAX_REPORT - 1] + "…"
        self.server.work_done_progress.report(
            self.token, types.WorkDoneProgressReport(message=short)
        )

    def end(self, message: str) -> None:
        """Close the progress item with the outcome and forget its token."""
        if self.token is None:
            return
        self.server.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))
        self.server.work_done_progress.tokens.pop(self.token, None)
        self.token = None
