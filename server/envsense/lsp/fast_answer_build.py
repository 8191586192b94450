"""Generate lsp/fast_answer_data.py from the real server, so the early answer never goes stale.

    python -m envsense.lsp.fast_answer_build          # rewrite fast_answer_data.py
    python -m envsense.lsp.fast_answer_build --check  # exit 1 when it is out of date

Two things are taken from the real thing: the shape `initialize` params must have for pygls
to accept them (from lsprotocol's attrs classes, strict: a value the early path accepts is one
cattrs structures), and the answer the real server gives (run in this process: pygls'
`lsp_initialize` with every envsense feature registered). The answer depends on a few client
capabilities only; each is varied alone and recorded as a change of the base answer.
"""

from __future__ import annotations

import collections.abc
import enum
import json
import sys
import typing
from pathlib import Path
from typing import Any

import attrs
from lsprotocol import types

from envsense.lsp.fast_answer import (
    BASE_KEYS,
    FACTORS,
    factor_keys,
    factor_samples,
    fingerprint,
)

DATA = Path(__file__).with_name("fast_answer_data.py")
INT_LIMIT = 2**31 - 1


def _camel(name: str) -> str:
    # lsprotocol's own rule (lsprotocol/_hooks.py): snake_case fields, camelCase keys.
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


class _SchemaBuilder:
    """lsprotocol's attrs classes as plain tuples: ("str",), ("list", T), ("class", name)..."""

    def __init__(self) -> None:
        self.classes: dict[str, Any] = {}

    def of(self, tp: Any) -> Any:
        origin = typing.get_origin(tp)
        if origin is typing.Union:
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            nullable = len(args) < len(typing.get_args(tp))
            inner = self._union(args)
            return ("opt", inner) if nullable else inner
        if origin in (collections.abc.Sequence, list, tuple):
            (item,) = typing.get_args(tp)[:1]
            return ("list", self.of(item))
        if origin in (collections.abc.Mapping, dict):
            key, value = typing.get_args(tp)
            if key is not str:
                return ("never",)
            return ("map", self.of(value))
        if tp is Any:
            return ("any",)
        if tp is bool:
            return ("bool",)
        if tp is int:
            return ("int",)
        if tp is str:
            return ("str",)
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return ("enum", tuple(member.value for member in tp))
        if isinstance(tp, type) and attrs.has(tp):
            self._class(tp)
            return ("class", tp.__name__)
        return ("never",)  # anything else: the early path leaves such params to pygls

    def _union(self, args: list[Any]) -> Any:
        if len(args) == 1:
            return self.of(args[0])
        kinds = [self.of(a) for a in args]
        if ("any",) in kinds:
            return ("any",)
        if ("str",) in kinds and all(k[0] in ("str", "enum") for k in kinds):
            return ("str",)  # SomeKind | str: any string
        if ("int",) in kinds and all(k[0] in ("int", "enum") for k in kinds):
            return ("int",)
        classes = [k for k in kinds if k[0] == "class"]
        if len(classes) > 1:
            return ("never",)  # which one cattrs picks is its hooks' business
        return ("union", tuple(kinds))

    def _class(self, cls: type) -> None:
        if cls.__name__ in self.classes:
            return
        self.classes[cls.__name__] = None  # recursion guard
        attrs.resolve_types(cls, globalns=vars(types))
        fields = []
        for field in attrs.fields(cls):
            required = field.default is attrs.NOTHING
            fields.append((_camel(field.name), required, self.of(field.type)))
        self.classes[cls.__name__] = tuple(fields)


def params_schema() -> tuple[Any, dict[str, Any]]:
    builder = _SchemaBuilder()
    root = builder.of(types.InitializeParams)
    return root, builder.classes


def real_answer(params: dict[str, Any], msg_id: int | str = 1) -> tuple[bytes, list[bytes]]:
    """The bytes the real server writes for this initialize: (its response, anything else)."""
    from envsense.lsp.protocol import CapturingWriter, EnvsenseProtocol
    from envsense.lsp.server import create_server

    server = create_server()
    assert isinstance(server.protocol, EnvsenseProtocol)
    capture = CapturingWriter()
    server.protocol.set_writer(capture)
    message = {"jsonrpc": "2.0", "id": msg_id, "method": "initialize", "params": params}
    server.protocol.dispatch_body(json.dumps(message).encode())
    responses = [d for d in capture.data if b'"result"' in d or b'"error"' in d]
    others = [d for d in capture.data if d not in responses]
    if len(responses) != 1:
        raise RuntimeError(f"the server wrote {len(capture.data)} messages, not one answer")
    return responses[0], others


def answer_body(data: bytes) -> dict[str, Any]:
    _, _, body = data.partition(b"\r\n\r\n")
    decoded: dict[str, Any] = json.loads(body)
    return decoded


def _diff(base: Any, other: Any, path: tuple[str, ...]) -> list[Any]:
    """Changes turning `base` into `other`: (path, value) to set, (path,) to delete."""
    if isinstance(base, dict) and isinstance(other, dict):
        changes: list[Any] = []
        for key in base:
            if key not in other:
                changes.append(((*path, key),))
            else:
                changes += _diff(base[key], other[key], (*path, key))
        for key in other:
            if key not in base:
                changes.append(((*path, key), other[key]))
        return changes
    return [] if base == other else [(path, other)]


def _key_order(values: list[Any]) -> Any:
    """Every key seen at each level, in the order the real answers list them."""
    keys: list[str] = []
    children: dict[str, list[Any]] = {}
    for value in values:
        if isinstance(value, dict):
            for key, child in value.items():
                if key not in keys:
                    keys.append(key)
                children.setdefault(key, []).append(child)
    nested = {k: o for k, v in children.items() if (o := _key_order(v)) is not None}
    return (tuple(keys), nested) if keys else None


def build() -> dict[str, Any]:
    root, classes = params_schema()
    base_params: dict[str, Any] = {"processId": None, "capabilities": {}}
    raw, _ = real_answer(base_params)
    base = answer_body(raw)
    header = raw.partition(b"\r\n\r\n")[0].decode()
    deltas: dict[str, dict[str, Any]] = {}
    # Every factor on at once lists every key in the order the real server writes them.
    everything: dict[str, Any] = {}
    for name in FACTORS:
        _merge(everything, factor_samples(name)[-1])
    answers = [answer_body(real_answer({"processId": None, "capabilities": everything})[0]), base]
    for name in FACTORS:
        for capabilities in factor_samples(name):
            key = factor_keys(capabilities)[name]
            assert key != BASE_KEYS[name], (name, capabilities)
            answer = answer_body(real_answer({"processId": None, "capabilities": capabilities})[0])
            answers.append(answer)
            deltas.setdefault(name, {})[key] = _diff(base, answer, ())
    return {
        "schema": root,
        "classes": classes,
        "header": header,
        "base": base,
        "deltas": deltas,
        "order": _key_order(answers),
        "fingerprint": fingerprint(),
    }


def _merge(into: dict[str, Any], other: dict[str, Any]) -> None:
    for key, value in other.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def render(data: dict[str, Any]) -> str:
    lines = [
        '"""Generated by `python -m envsense.lsp.fast_answer_build` from the real server: do',
        'not edit. tests/unit/test_fast_start.py fails when it is out of date."""',
        "",
        "# fmt: off",
        "from typing import Any",
        "",
    ]
    for key, value in data.items():
        lines.append(f"{key.upper()}: Any = {value!r}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    text = render(build())
    if "--check" in argv:
        if DATA.read_text() != text:
            print(f"{DATA} is out of date: run python -m envsense.lsp.fast_answer_build")
            return 1
        return 0
    DATA.write_text(text)
    print(f"wrote {DATA}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
