"""Import extraction alone, over every .py file of real trees: a git ref against the working tree.

    .venv/bin/python bench/extraction_suite.py [--ref main] [--rounds 3] [--check] DIR...

Each side runs in its own process (same interpreter) that reads every file's bytes first and
then times `extract_imports_from_bytes` on each in process; the sides alternate A B A B so
machine noise hits both. A regex-only scan of the same bytes (the floor issue 14 names) is
timed in the working tree's process. `--check` also compares every file's ImportScan between
the two sides and lists the files whose results differ (exit 1 if any).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
# One line per import statement start, as a regex-only scanner (deptry-like floor) finds it.
_FLOOR = re.compile(rb"^[ \t]*(?:import[ \t]+([\w.]+)|from[ \t]+([\w.]+)[ \t]+import)", re.M)

_CHILD = r"""
import hashlib, json, os, re, sys, time
from envsense.core.imports.extract import extract_imports_from_bytes
files = [line for line in sys.stdin.read().split("\n") if line]
datas = []
start = time.process_time()
for name in files:
    with open(name, "rb") as handle:
        datas.append(handle.read())
read_time = time.process_time() - start
check = os.environ.get("EXTRACTION_CHECK") == "1"
floor = re.compile(rb"^[ \t]*(?:import[ \t]+([\w.]+)|from[ \t]+([\w.]+)[ \t]+import)", re.M)
start = time.process_time()
results = [extract_imports_from_bytes(data) for data in datas]
elapsed = time.process_time() - start
start = time.process_time()
for data in datas:
    floor.findall(data)
floor_time = time.process_time() - start
digests = []
if check:
    digests = [hashlib.sha1(repr(r).encode()).hexdigest() for r in results]
print(json.dumps({"extract": elapsed, "floor": floor_time, "read": read_time, "digests": digests}))
"""


def _files(roots: list[str]) -> list[str]:
    found: list[str] = []
    for root in roots:
        for folder, dirs, names in os.walk(root):
            dirs.sort()
            found += [os.path.join(folder, n) for n in sorted(names) if n.endswith(".py")]
    return found


def _export(ref: str, into: Path) -> Path:
    """The server/ folder of `ref`, unpacked under `into`."""
    archive = subprocess.run(
        ["git", "-C", str(_ROOT), "archive", "--format=tar", ref, "server"],
        check=True,
        capture_output=True,
    ).stdout
    tar_path = into / "ref.tar"
    tar_path.write_bytes(archive)
    with tarfile.open(tar_path) as tar:
        tar.extractall(into, filter="data")
    return into / "server"


def _run(server: Path, files: list[str], check: bool) -> dict[str, object]:
    env = dict(os.environ, PYTHONPATH=str(server), EXTRACTION_CHECK="1" if check else "0")
    out = subprocess.run(
        [sys.executable, "-c", _CHILD],
        input="\n".join(files),
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    result: dict[str, object] = json.loads(out)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roots", nargs="+")
    parser.add_argument("--ref", default="main", help="git ref to compare against")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--check", action="store_true", help="compare results file by file")
    args = parser.parse_args()
    files = _files(args.roots)
    with tempfile.TemporaryDirectory() as tmp:
        before_server = _export(args.ref, Path(tmp))
        after_server = _ROOT / "server"
        before: list[float] = []
        after: list[float] = []
        floor: list[float] = []
        read: list[float] = []
        mismatched: list[str] = []
        for round_ in range(args.rounds):
            check = args.check and round_ == 0
            a = _run(before_server, files, check)
            b = _run(after_server, files, check)
            before.append(float(a["extract"]))  # type: ignore[arg-type]
            after.append(float(b["extract"]))  # type: ignore[arg-type]
            floor.append(float(b["floor"]))  # type: ignore[arg-type]
            read.append(float(b["read"]))  # type: ignore[arg-type]
            if check:
                pairs = zip(files, a["digests"], b["digests"], strict=True)  # type: ignore[call-overload]
                mismatched = [name for name, x, y in pairs if x != y]
    best_before, best_after, best_floor = min(before), min(after), min(floor)
    print(f"{len(files)} files")
    print(f"extract {args.ref}: {best_before:.3f} s CPU (rounds {_fmt(before)})")
    print(f"extract tree: {best_after:.3f} s CPU (rounds {_fmt(after)})")
    print(f"regex floor: {best_floor:.3f} s CPU")
    print(
        f"tree/{args.ref} {best_after / best_before:.2f}x, tree/floor {best_after / best_floor:.1f}x"
    )
    # The floor issue 14 names: reading every file plus a regex-only scan.
    best_read = min(read)
    with_read = best_floor + best_read
    print(f"reading the files: {best_read:.3f} s CPU")
    print(
        f"read+extract / read+regex: {args.ref} {(best_before + best_read) / with_read:.2f}x,"
        f" tree {(best_after + best_read) / with_read:.2f}x"
    )
    if args.check:
        print(f"files whose ImportScan differs: {len(mismatched)}")
        for name in mismatched[:50]:
            print("  ", name)
        digest = hashlib.sha1("".join(mismatched).encode()).hexdigest()[:8]
        print(f"  (list digest {digest})")
        return 1 if mismatched else 0
    return 0


def _fmt(values: list[float]) -> str:
    return ", ".join(f"{v:.3f}" for v in values)


if __name__ == "__main__":
    raise SystemExit(main())
