"""Python projects with realistic import mixes: the 90-file project, the 10,000-file workspace, the
5,000-line file for edit latency.

Every file starts with imports drawn from a fixed mix (stdlib, installed third-party, missing,
relative, try/except-guarded, TYPE_CHECKING-only, function-local) and is filled with ordinary
code to an exact line count; docstrings mention "import x" so that a bare regex over-counts.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

_STDLIB = (
    "import os",
    "import sys",
    "import json",
    "import re",
    "import logging",
    "import itertools",
    "import functools",
    "import subprocess",
    "import asyncio",
    "import collections.abc",
    "from pathlib import Path",
    "from dataclasses import dataclass, field",
    "from datetime import datetime, timezone",
    "from typing import Any",
    "from collections import defaultdict",
    "import xml.etree.ElementTree as ET",
)
MISSING = tuple(f"notinstalled_mod{n}" for n in range(10))
NOT_INSTALLED_DEPENDENCY = "notinstalled-dist>=1.0"


@dataclass(slots=True)
class ImportMix:
    """How many import statements of each kind were written."""

    stdlib: int = 0
    third_party: int = 0
    missing: int = 0
    relative: int = 0
    guarded: int = 0
    type_checking: int = 0
    local: int = 0

    @property
    def total(self) -> int:
        return (
            self.stdlib
            + self.third_party
            + self.missing
            + self.relative
            + self.guarded
            + self.type_checking
            + self.local
        )


@dataclass(frozen=True, slots=True)
class FakeProject:
    """A generated project: `files` Python files holding `lines` lines in total."""

    root: Path
    files: int
    lines: int
    imports: ImportMix
    declared: tuple[str, ...] = field(default=())
    used_third_party: tuple[str, ...] = field(default=())


def build_project(
    root: Path,
    files: int,
    lines: int,
    installed: Sequence[tuple[str, str]],
    seed: int = 0,
    per_dir: int = 15,
    name: str = "benchapp",
) -> FakeProject:
    """Create (replacing) a project of `files` .py files and exactly `lines` lines under `root`.

    `installed` lists (distribution name, import name) pairs present in the target environment;
    most used ones get declared in pyproject.toml, some are left undeclared on purpose.
    """
    if files < 1 or lines < files * 4:
        raise ValueError("need at least one file and 4 lines per file")
    if root.exists():
        shutil.rmtree(root)
    rng = random.Random(seed)
    package = root / "src" / name
    paths = _layout(package, files, per_dir)
    mix = ImportMix()
    used: set[str] = set()
    base, extra = divmod(lines, files)
    by_folder: dict[Path, list[str]] = {}
    for path in paths:
        if path.stem != "__init__":
            by_folder.setdefault(path.parent, []).append(path.stem)
    for index, path in enumerate(paths):
        siblings = [stem for stem in by_folder.get(path.parent, []) if stem != path.stem]
        target = base + (1 if index < extra else 0)
        text = _file_text(rng, target, installed, siblings, mix, used)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    dist_of = {imp: dist for dist, imp in installed}
    used_dists = sorted({dist_of[imp] for imp in used})
    declared = [dist for dist in used_dists if rng.random() < 0.75] + [NOT_INSTALLED_DEPENDENCY]
    deps = "".join(f'    "{dep}",\n' for dep in declared)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\nversion = "0.1.0"\nrequires-python = ">=3.10"\n'
        f"dependencies = [\n{deps}]\n\n"
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
    )
    return FakeProject(root, files, lines, mix, tuple(declared), tuple(sorted(used)))


def build_edit_file(
    path: Path, lines: int, installed: Sequence[tuple[str, str]], seed: int = 0
) -> int:
    """A single module of exactly `lines` lines in its own project (for didOpen/didChange)."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    (path.parent / "pyproject.toml").write_text(
        '[project]\nname = "editbench"\nversion = "0.1.0"\ndependencies = ["requests"]\n'
    )
    path.write_text(_file_text(rng, lines, installed, [], ImportMix(), set()))
    return lines


def _layout(package: Path, files: int, per_dir: int) -> list[Path]:
    """`files` paths: packages of up to `per_dir` files, each with an __init__.py (counted)."""
    paths: list[Path] = []
    folder_index = 0
    while len(paths) < files:
        folder = package if folder_index == 0 else package / f"area{folder_index:03d}"
        paths.append(folder / "__init__.py")
        for number in range(per_dir - 1):
            if len(paths) >= files:
                break
            paths.append(folder / f"mod_{number:03d}.py")
        folder_index += 1
    return paths


def _file_text(
    rng: random.Random,
    target: int,
    installed: Sequence[tuple[str, str]],
    siblings: list[str],
    mix: ImportMix,
    used: set[str],
) -> str:
    out = ['"""Generated module; to use it, import x from y (this line is no import)."""', ""]
    out.append("from __future__ import annotations")
    out.append("")
    for statement in rng.sample(_STDLIB, k=rng.randint(2, 5)):
        out.append(statement)
        mix.stdlib += 1
    importable = [imp for _, imp in installed if not imp.endswith("-stubs")]
    for imp in rng.sample(importable, k=min(len(importable), rng.randint(0, 3))):
        out.append(f"import {imp}" if rng.random() < 0.6 else f"from {imp} import mod0")
        used.add(imp)
        mix.third_party += 1
    if rng.random() < 0.3:
        out.append(f"import {rng.choice(MISSING)}")
        mix.missing += 1
    if siblings and rng.random() < 0.6:
        other = rng.choice(siblings)
        out.append(
            f"from . import {other}" if rng.random() < 0.5 else f"from .{other} import function_0"
        )
        mix.relative += 1
    if rng.random() < 0.2:
        out += ["", "try:", "    import orjson_speedups_missing as fastjson", "except ImportError:"]
        out += ["    fastjson = None"]
        mix.guarded += 1
    if rng.random() < 0.2:
        out += ["from typing import TYPE_CHECKING", "", "if TYPE_CHECKING:"]
        out.append(f"    from {rng.choice(MISSING)} import Protocolish")
        mix.type_checking += 1
    if rng.random() < 0.1:
        out += [
            "",
            "",
            "def _lazy() -> object:",
            f"    import {rng.choice(MISSING)}",
            "    return None",
        ]
        mix.local += 1
    if len(out) > target:
        raise ValueError(f"{target} lines are too few for the import header")
    number = 0
    while target - len(out) >= 10:
        out += _function(number, rng.randint(2, 9))
        number += 1
    while len(out) < target:
        out.append(f"CONSTANT_{len(out)} = {len(out)}")
    return "\n".join(out) + "\n"


def _function(number: int, modulus: int) -> list[str]:
    return [
        "",
        "",
        f"def function_{number}(items: list[int]) -> int:",
        '    """Sum some items; "import os" in a docstring is not an import."""',
        "    total = 0",
        "    for item in items:",
        f"        if item % {modulus} == 0:",
        "            total += item",
        "    # from elsewhere import nothing (a comment, not an import)",
        "    return total",
    ]
