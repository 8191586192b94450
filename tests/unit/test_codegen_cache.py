"""The code attrs, cattrs and dataclasses generate is kept across starts: a second start compiles
nothing, runs the same code, survives a broken cache file and never needs one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from envsense.lsp.codegen_cache import CodegenCache

# Defines attrs classes and runs their generated methods, as lsprotocol does on import.
SCRIPT = """
import json, sys
from envsense.lsp import codegen_cache
cache = codegen_cache.install()
import attrs, cattrs, dataclasses
from lsprotocol import types

@dataclasses.dataclass(frozen=True, slots=True)
class Span:
    line: int
    tags: tuple[str, ...] = ()

@attrs.define
class Point:
    x: int
    y: int = attrs.field(default=0)

converter = cattrs.Converter()
point = converter.structure({"x": 1, "y": 2}, Point)
position = types.Position(line=3, character=4)
print(json.dumps({
    "new": cache.new if cache else None,
    "point": [repr(point), point == Point(1, 2), converter.unstructure(point)],
    "position": [repr(position), position == types.Position(3, 4)],
    "span": [repr(Span(1, ("a",))), Span(1) == Span(1), hash(Span(2)) == hash(Span(2))],
    "span_init": [Span.__init__.__code__.co_filename, Span.__init__.__code__.co_flags],
    "init_file": Point.__init__.__code__.co_filename,
    "flags": Point.__init__.__code__.co_flags,
}))
cache and cache.save()
"""


def run(home: Path, **env: str) -> dict[str, object]:
    environ = {
        **os.environ,
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        **env,
    }
    environ.pop(
        "ENVSENSE_NO_CODEGEN_CACHE", None
    ) if "ENVSENSE_NO_CODEGEN_CACHE" not in env else None
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=environ, capture_output=True, check=True
    ).stdout
    result: dict[str, object] = json.loads(out)
    return result


def test_a_second_start_compiles_nothing_and_behaves_the_same(tmp_path: Path) -> None:
    first = run(tmp_path)
    assert isinstance(first["new"], int) and first["new"] > 500  # lsprotocol's classes
    files = list((tmp_path / ".cache" / "envsense").glob("codegen-*.marshal"))
    assert len(files) == 1
    second = run(tmp_path)
    # attrs puts a per-process random hash seed into a hashable class's __hash__ source
    # (cattrs' AttributeOverride): compiled every time, but not a reason to write the file.
    assert second["new"] == 0
    uncached = run(tmp_path, ENVSENSE_NO_CODEGEN_CACHE="1")
    assert uncached["new"] is None
    for key in ("point", "position", "span", "span_init", "init_file", "flags"):
        assert first[key] == second[key] == uncached[key], key


@pytest.mark.parametrize("content", [b"", b"not marshal", b"\xfb\x00\x00"])
def test_a_broken_cache_file_is_ignored_and_rewritten(tmp_path: Path, content: bytes) -> None:
    cache_dir = tmp_path / ".cache" / "envsense"
    cache_dir.mkdir(parents=True)
    from envsense.lsp.codegen_cache import cache_path

    (cache_dir / cache_path().name).write_bytes(content)
    assert isinstance(run(tmp_path)["new"], int)
    assert run(tmp_path)["new"] == 0


def test_code_is_the_same_as_compiling_it(tmp_path: Path) -> None:
    cache = CodegenCache(tmp_path / "c.marshal")
    module = type(sys)("probe")
    exec("from __future__ import annotations", vars(module))
    compile_ = cache.compiler_for(module)
    source = "def f(a: undefined_name) -> int:\n    return a + 1\n"
    code = compile_(source, "<probe>", "exec")
    assert cache.new == 1
    namespace: dict[str, object] = {}
    exec(code, namespace)
    # Postponed annotations, as the module's own `compile` would have given.
    assert namespace["f"].__annotations__ == {"a": "undefined_name", "return": "int"}  # type: ignore[attr-defined]
    cache.save()
    again = CodegenCache(tmp_path / "c.marshal")
    assert again.compiler_for(module)(source, "<probe>", "exec") == code
    assert again.new == 0
    # A different file name or source is a different entry.
    again.compiler_for(module)(source, "<other>", "exec")
    assert again.new == 1
