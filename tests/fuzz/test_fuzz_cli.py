"""`envsense check` and `envsense envs` on generated hostile trees: FIFOs, links to devices,
deep nesting, long include chains, odd encodings, huge lines. Each run is bounded (20 s hang
guard) and its peak RSS must stay under 300 MB; nothing may crash."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.hostile import check, deep_toml, envs, workspace

NAMES = [
    "x.py", "pkg/__init__.py", "pkg/mod.py", "n.ipynb", "requirements.txt",
    "requirements/dev.txt", "pyproject.toml", "setup.cfg", "Pipfile", "Pipfile.lock",
    ".venv/pyvenv.cfg", "sub/pyproject.toml", "sub/y.py", "uv.lock",
]  # fmt: skip


def _contents(draw: st.DrawFn) -> bytes:
    kind = draw(
        st.sampled_from(
            ["python", "deep-toml", "chain", "huge-line", "encoding", "json-deep", "text", "bytes"]
        )
    )
    if kind == "python":
        return b"import os\nimport yaml\nfrom . import x\n"
    if kind == "deep-toml":
        return ("[project]\nname='x'\n" + deep_toml(draw(st.integers(50, 3000)))).encode()
    if kind == "chain":
        return b"-r requirements.txt\n-c requirements/dev.txt\n-r ../x.txt\npkg\n"
    if kind == "huge-line":
        return b"import os, " + b"a" * draw(st.integers(100_000, 3_000_000)) + b"\n"
    if kind == "encoding":
        name = draw(st.sampled_from(["undefined", "utf-16", "rot13", "bogus", "latin-1"]))
        return f"# coding: {name}\nimport os\n".encode() + draw(st.binary(max_size=40))
    if kind == "json-deep":
        return b"[" * draw(st.integers(1000, 200_000))
    if kind == "text":
        return draw(st.text(max_size=200)).encode("utf-8", "surrogatepass")
    return draw(st.binary(max_size=200))


@st.composite
def trees(draw: st.DrawFn) -> list[tuple[str, str, bytes]]:
    """(path, kind, content) entries: regular files, FIFOs, links to devices, include chains."""
    entries: list[tuple[str, str, bytes]] = []
    for name in draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=6, unique=True)):
        kind = draw(
            st.sampled_from(["file", "file", "file", "fifo", "dev-zero", "dev-null", "loop"])
        )
        entries.append((name, kind, _contents(draw) if kind == "file" else b""))
    if draw(st.booleans()):
        entries.append(
            ("requirements.txt", "long-chain", str(draw(st.integers(10, 1500))).encode())
        )
    return entries


def _build(root: Path, entries: list[tuple[str, str, bytes]]) -> None:
    for name, kind, content in entries:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() or path.is_symlink():
            continue
        if kind == "file":
            path.write_bytes(content)
        elif kind == "fifo":
            os.mkfifo(path)
        elif kind == "dev-zero":
            path.symlink_to("/dev/zero")
        elif kind == "dev-null":
            path.symlink_to("/dev/null")
        elif kind == "loop":
            path.symlink_to(path)  # a link to itself: ELOOP on every read
        elif kind == "long-chain":
            count = int(content)
            for i in range(count):
                (root / f"c{i}.txt").write_text(f"-r c{i + 1}.txt\np{i}\n")
            path.write_text("-r c0.txt\n")
    if (root / ".venv" / "pyvenv.cfg").exists() or (root / ".venv").is_dir():
        (root / ".venv" / "bin").mkdir(parents=True, exist_ok=True)
        python = root / ".venv" / "bin" / "python"
        if not python.exists():
            python.symlink_to(sys.executable)


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,  # nothing written into the tree; derandomized runs replay the same cases
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(trees())
def test_cli_survives_generated_trees(entries: list[tuple[str, str, bytes]]) -> None:
    folder = Path(tempfile.mkdtemp(prefix="envsense-fuzz-"))
    try:
        root = workspace(folder / "ws")
        _build(root, entries)
        home = folder / "home"
        check(root, home).assert_sane()
        envs(root, home).assert_sane()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
