"""Edits over the real protocol: after each didChange the published diagnostics equal what
a fresh open of the same text publishes (the server re-reads only what an edit changes)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.conftest import open_session
from tests.support.venvs import make_venv

REPO = Path(__file__).resolve().parents[2]

# Guards in front of a real module of this repository: its `envsense.*` imports are missing
# from the project's empty venv, so most lines below carry a diagnostic that must move.
HEADER = '''"""Checked module."""
import json
import missing_first

try:
    import missing_fast as fast
except ImportError:
    import missing_slow as fast

'''


def _position(text: str, offset: int) -> types.Position:
    line = text.count("\n", 0, offset)
    return types.Position(line=line, character=offset - (text.rfind("\n", 0, offset) + 1))


# (anchor, offset into it, characters removed there, text inserted), found in the text as
# it is when the edit is made.
EDITS = [
    ("self._lock = threading.RLock()", 5, 0, "x"),  # typing in a function body
    ("One workspace's analysis state", 4, 0, "z"),  # typing in a docstring
    ("import missing_first\n", 20, 0, "x"),  # a module name typed
    ("import missing_firstx\n", 20, 1, ""),  # and corrected
    ("import missing_first\n", 0, 0, "import missing_added\n"),  # an import line added
    ("import missing_first\n", 0, 0, "\n\n"),  # blank lines
    ("threading.RLock()", 17, 0, "("),  # a bracket left open
    ("threading.RLock()(", 17, 1, ""),  # and closed again
    ("threading.RLock()", 17, 0, '"'),  # a string left open
    ('threading.RLock()"', 17, 1, ""),  # and closed again
    ("\n\nimport missing_first", 0, 2, ""),  # the blank lines removed
    ("import missing_added\n", 0, len("import missing_added\n"), ""),  # the import removed
    ("import missing_first\n", 0, len("import missing_first\n"), ""),  # an original one too
    ("One zworkspace's", 4, 1, ""),  # the docstring typing undone
    ("self.x_lock", 5, 1, ""),  # and the body's
]


async def _publish(client: LanguageClient, send: object, uri: str, version: int) -> list:
    """Send a notification and return the diagnostics published for `uri` at `version`."""
    waiter = asyncio.ensure_future(
        client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    )
    send()  # type: ignore[operator]
    while True:
        params = await asyncio.wait_for(waiter, 20)
        if params.uri == uri and (params.version is None or params.version >= version):
            return list(params.diagnostics)
        waiter = asyncio.ensure_future(
            client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        )


async def _fresh(client: LanguageClient, uri: str, text: str) -> list:
    """Diagnostics of `text` opened as a new document (nothing kept from earlier edits)."""
    item = types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
    diagnostics = await _publish(
        client,
        lambda: client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item)),
        uri,
        1,
    )
    await _publish(
        client,
        lambda: client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        ),
        uri,
        0,
    )
    return diagnostics


def _shown(diagnostics: list) -> list[tuple[object, ...]]:
    return [(d.range, d.code, d.severity, d.message, d.data) for d in diagnostics]


async def test_diagnostics_after_each_edit_equal_a_fresh_open(
    machine: Path, tmp_path: Path
) -> None:
    project = tmp_path / "ws"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "proj"\nversion = "1"\n')
    make_venv(project / ".venv")
    source = HEADER + (REPO / "server" / "envsense" / "core" / "session.py").read_text()
    main = project / "main.py"
    main.write_text(source)
    mirror = (project / "mirror.py").as_uri()
    async with open_session(machine, project, options={"debounceMs": 0}) as client:
        uri = main.as_uri()
        item = types.TextDocumentItem(uri=uri, language_id="python", version=1, text=source)
        opened = await _publish(
            client,
            lambda: client.text_document_did_open(
                types.DidOpenTextDocumentParams(text_document=item)
            ),
            uri,
            1,
        )
        assert len(opened) > 10  # the envsense.* imports are missing here
        text = source
        for version, (anchor, offset, removed, new) in enumerate(EDITS, start=2):
            start = text.index(anchor) + offset
            end = start + removed
            change = types.TextDocumentContentChangePartial(
                range=types.Range(start=_position(text, start), end=_position(text, end)),
                text=new,
            )
            text = text[:start] + new + text[end:]
            params = types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[change],
            )
            published = await _publish(
                client, lambda p=params: client.text_document_did_change(p), uri, version
            )
            fresh = await _fresh(client, mirror, text)
            assert _shown(published) == _shown(fresh), f"after edit {version - 1}: {new!r}"
        missing = [d.message for d in published if "missing_added" in d.message]
        assert missing == []
        assert not any("missing_first" in d.message for d in published)
        assert any("missing_slow" in d.message or "missing_fast" in d.message for d in published)
