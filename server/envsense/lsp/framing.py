"""The limits and header patterns of envsense's stdio framing (standard library only).

Shared by lsp/protocol.py's message loop and lsp/fast_start.py, which reads the first
message before the protocol layer is imported: both must agree on what a header is.
"""

from __future__ import annotations

import re

MAX_CONTENT_LENGTH = 32 * 1024 * 1024
MAX_HEADER_LINE = 8192
CONTENT_LENGTH = re.compile(rb"content-length[ \t]*:[ \t]*(\d{1,20})[ \t]*\r?\n?$", re.IGNORECASE)
CONTENT_LENGTH_ANYWHERE = re.compile(rb"content-length[ \t]*:", re.IGNORECASE)
OTHER_HEADER = re.compile(rb"[A-Za-z][A-Za-z0-9-]*[ \t]*:[^\r\n]*\r?\n?$")
