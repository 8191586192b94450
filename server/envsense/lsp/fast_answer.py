"""The `initialize` answer without pygls or lsprotocol: from data recorded off the real server.

Standard library only: this runs before the protocol layer is imported. `answer()` returns
the exact bytes the real server would write, or None when it cannot be sure (params that
are not strictly what lsprotocol's classes accept, or a capability combination nobody
recorded); the caller then leaves the message to the real server.

The answer depends on five things the client says (FACTORS); fast_answer_build.py records
the base answer and how each factor changes it, and tests/unit/test_fast_start.py checks
the combination against the real server for real clients' capability sets.
"""

from __future__ import annotations

import json
from typing import Any

INT_MAX = 2**31 - 1
ENCODINGS = ("utf-8", "utf-16", "utf-32")
# Where each factor is read in the client capabilities (the build varies them one at a time).
FACTORS: dict[str, tuple[str, ...]] = {
    "encoding": ("general", "positionEncodings"),
    "willSave": ("textDocument", "synchronization", "willSave"),
    "willSaveWaitUntil": ("textDocument", "synchronization", "willSaveWaitUntil"),
    "notebook": ("notebookDocument",),
    "pull": ("textDocument", "diagnostic"),
}


def factor_samples(name: str) -> list[dict[str, Any]]:
    """Client capabilities giving each recorded value of a factor (besides the base: none)."""
    if name == "encoding":
        return [{"general": {"positionEncodings": [e]}} for e in ENCODINGS]
    if name in ("willSave", "willSaveWaitUntil"):
        return [{"textDocument": {"synchronization": {name: v}}} for v in (False, True)]
    if name == "notebook":
        return [{"notebookDocument": {"synchronization": {}}}]
    return [
        {"textDocument": {"diagnostic": {}}, "workspace": {"diagnostics": {"refreshSupport": True}}}
    ]


# The third-party files that decide the answer and the params' shape. Their sizes are
# recorded with the data: another pygls or lsprotocol installed (dependencies float in a
# pip install) means no early answer rather than a stale one.
FINGERPRINTED = (
    ("pygls", "capabilities.py"),
    ("pygls", "protocol/language_server.py"),
    ("pygls", "protocol/json_rpc.py"),
    ("lsprotocol", "types.py"),
    ("lsprotocol", "_hooks.py"),
)


def fingerprint() -> list[tuple[str, int]]:
    """(file, size) of each FINGERPRINTED file as installed, without importing them."""
    import importlib.util
    import os

    found = []
    for package, name in FINGERPRINTED:
        spec = importlib.util.find_spec(package)
        folders = list(spec.submodule_search_locations or ()) if spec else []
        size = -1
        for folder in folders:
            try:
                size = os.stat(os.path.join(folder, *name.split("/"))).st_size
                break
            except OSError:
                continue
        found.append((f"{package}/{name}", size))
    return found


def _get(node: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(node, dict) or node.get(key) is None:
            return None
        node = node[key]
    return node


def factor_keys(capabilities: dict[str, Any]) -> dict[str, str]:
    """Each factor as pygls and envsense read it, named as the build recorded it."""
    encodings = _get(capabilities, FACTORS["encoding"]) or ()
    chosen = next((e for e in encodings if e in ENCODINGS), None)
    pull = _get(capabilities, FACTORS["pull"]) is not None and bool(
        _get(capabilities, ("workspace", "diagnostics", "refreshSupport"))
    )
    return {
        "encoding": json.dumps([chosen] if chosen else None),
        "willSave": json.dumps(_get(capabilities, FACTORS["willSave"])),
        "willSaveWaitUntil": json.dumps(_get(capabilities, FACTORS["willSaveWaitUntil"])),
        "notebook": json.dumps(_get(capabilities, FACTORS["notebook"]) is not None),
        "pull": json.dumps(pull),
    }


BASE_KEYS = factor_keys({})


def _valid(value: Any, kind: Any, classes: dict[str, Any]) -> bool:
    """Strictly of the schema type: stricter than cattrs, never looser."""
    tag = kind[0]
    if tag == "any":
        return True
    if tag == "opt":
        return value is None or _valid(value, kind[1], classes)
    if tag == "str":
        return type(value) is str
    if tag == "bool":
        return type(value) is bool
    if tag == "int":
        return type(value) is int and 0 <= value <= INT_MAX
    if tag == "enum":
        return type(value) in (str, int) and value in kind[1]
    if tag == "list":
        return type(value) is list and all(_valid(item, kind[1], classes) for item in value)
    if tag == "map":
        return type(value) is dict and all(_valid(v, kind[1], classes) for v in value.values())
    if tag == "union":
        return any(_valid(value, member, classes) for member in kind[1])
    if tag == "class":
        fields = classes[kind[1]]
        if type(value) is list:
            # Neovim 0.9 sends `callHierarchy: [{...}]`; cattrs reads a class with no required
            # field from any container by `key in value`: a list without strings is empty.
            return not any(required for _, required, _ in fields) and all(
                type(item) is not str for item in value
            )
        if type(value) is not dict:
            return False
        for key, required, field_kind in fields:
            if key in value:
                if not _valid(value[key], field_kind, classes):
                    return False
            elif required:
                return False
        return True
    return False


def _ordered(value: Any, order: Any) -> Any:
    if not isinstance(value, dict) or order is None:
        return value
    keys, nested = order
    result = {k: _ordered(value[k], nested.get(k)) for k in keys if k in value}
    result.update((k, v) for k, v in value.items() if k not in result)
    return result


def answer(message: dict[str, Any]) -> bytes | None:
    """The real server's answer to this initialize request, or None when unsure."""
    from envsense.lsp import fast_answer_data as data

    if set(message) != {"jsonrpc", "id", "method", "params"}:
        return None
    msg_id = message["id"]
    if message["jsonrpc"] != "2.0" or message["method"] != "initialize":
        return None
    if type(msg_id) is not str and (type(msg_id) is not int or not 0 <= msg_id <= INT_MAX):
        return None
    params = message["params"]
    if not _valid(params, data.SCHEMA, data.CLASSES):
        return None
    if [tuple(entry) for entry in data.FINGERPRINT] != fingerprint():
        return None
    body = json.loads(json.dumps(data.BASE))
    for name, key in factor_keys(params["capabilities"]).items():
        if key == BASE_KEYS[name]:
            continue
        changes = data.DELTAS.get(name, {}).get(key)
        if changes is None:
            return None
        for change in changes:
            path = change[0]
            node = body
            for part in path[:-1]:
                node = node.setdefault(part, {})
            if len(change) == 1:
                node.pop(path[-1], None)
            else:
                node[path[-1]] = change[1]
    body["id"] = msg_id
    text = json.dumps(_ordered(body, data.ORDER))
    _, _, rest = data.HEADER.partition("\r\n")
    head = (
        f"Content-Length: {len(text)}\r\n{rest}\r\n\r\n"
        if rest
        else f"Content-Length: {len(text)}\r\n\r\n"
    )
    return (head + text).encode("utf-8")
