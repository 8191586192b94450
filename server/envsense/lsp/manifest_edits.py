"""Declaring a requirement as a WorkspaceEdit: core's insertions in the client's units."""

from __future__ import annotations

import logging
from pathlib import Path

from lsprotocol import types
from pygls.workspace import Workspace

from envsense.core.manifest_edit import ManifestEditError, add_requirement

log = logging.getLogger(__name__)


def declare_requirement(
    workspace: Workspace, manifest: Path, requirement: str, installed_version: str | None
) -> types.WorkspaceEdit | None:
    """The edit adding `requirement` to `manifest` (its editor text when open, else disk);
    None when it is already declared or can't be added safely (logged)."""
    uri = manifest.as_uri()
    try:
        document = workspace.get_text_document(uri)
        edits = add_requirement(
            manifest, document.source, requirement, installed_version=installed_version
        )
    except (OSError, UnicodeDecodeError, ManifestEditError) as error:
        log.info("can't declare %s in %s: %s", requirement, manifest, error)
        return None
    if not edits:
        return None
    lines = document.lines
    codec = document.position_codec

    def position(line: int, column: int) -> types.Position:
        # Core counts code points; the client counts its negotiated units (UTF-16 usually).
        return codec.position_to_client_units(lines, types.Position(line=line, character=column))

    text_edits = [
        types.TextEdit(
            range=types.Range(
                start=position(e.line, e.column), end=position(e.end_line, e.end_column)
            ),
            new_text=e.new_text,
        )
        for e in edits
    ]
    return types.WorkspaceEdit(changes={uri: text_edits})
