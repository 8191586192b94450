"""A PEP 503 simple index over a local wheel folder, served on 127.0.0.1 for one test.

poetry resolves only against indexes (not find-links folders): serving the test's own
wheels this way lets the real `poetry lock` and `pdm lock` run with no network at all.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path


def write_simple_index(wheels: Path, root: Path) -> Path:
    """root/simple/<name>/index.html linking to root/files/<wheel> (copies of `wheels`)."""
    simple = root / "simple"
    files = root / "files"
    files.mkdir(parents=True, exist_ok=True)
    names: dict[str, list[str]] = {}
    for wheel in sorted(wheels.glob("*.whl")):
        (files / wheel.name).write_bytes(wheel.read_bytes())
        project = wheel.name.split("-")[0].replace("_", "-").lower()
        names.setdefault(project, []).append(wheel.name)
    for project, wheel_names in names.items():
        folder = simple / project
        folder.mkdir(parents=True, exist_ok=True)
        links = "".join(f'<a href="../../files/{w}">{w}</a>\n' for w in wheel_names)
        (folder / "index.html").write_text(f"<html><body>\n{links}</body></html>\n")
    listing = "".join(f'<a href="{p}/">{p}</a>\n' for p in names)
    (simple / "index.html").write_text(f"<html><body>\n{listing}</body></html>\n")
    return simple


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve_simple_index(wheels: Path, root: Path) -> Iterator[str]:
    """Serve a simple index of `wheels`; yields its URL (http://127.0.0.1:PORT/simple/)."""
    write_simple_index(wheels, root)
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple/"
    finally:
        server.shutdown()
        server.server_close()
