"""Real projects from the package index, set up as their users have them.

An sdist is downloaded once into tests/.cache/realcode (never installed: its files are what
envsense checks), a venv gets its declared runtime dependencies with uv (cached wheels),
and importing each module of the package in that venv is the oracle: what really works.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

from tests.support.venvs import uv_executable

CACHE = Path(__file__).resolve().parent.parent / ".cache" / "realcode"
IMPORT_TIMEOUT = 60

# Imports one module with the source root first on sys.path; reports the frames of the
# failure that are inside the source tree (where the failing import lines are).
_ORACLE = """
import importlib, json, sys, traceback
root, name = sys.argv[1], sys.argv[2]
sys.path.insert(0, root)
try:
    importlib.import_module(name)
except BaseException as error:
    frames = [
        (f.filename, f.lineno)
        for f in traceback.extract_tb(error.__traceback__)
        if f.filename.startswith(root)
    ]
    print(json.dumps({"ok": False, "error": repr(error), "missing": getattr(error, "name", None),
                      "frames": frames}))
else:
    print(json.dumps({"ok": True}))
"""


@dataclass(frozen=True)
class Sdist:
    """One unpacked sdist: `root` is the project folder, `source` the folder on sys.path."""

    name: str
    version: str
    root: Path
    source: Path
    requires: tuple[str, ...]

    def modules(self) -> dict[str, Path]:
        """Every module of the package (no __main__: importing it runs the program)."""
        found: dict[str, Path] = {}
        package = self.source / self.name.replace("-", "_")
        for path in sorted(package.rglob("*.py")):
            relative = path.relative_to(self.source).with_suffix("")
            parts = list(relative.parts)
            if parts[-1] == "__main__":
                continue
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
        return found


@dataclass(frozen=True)
class Outcome:
    ok: bool
    error: str = ""
    missing: str | None = None
    frames: tuple[tuple[str, int], ...] = ()


def _run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise RuntimeError(f"{args[:3]} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result  # type: ignore[no-any-return]


def fetch(name: str, version: str) -> Sdist:
    """Download (once) and unpack the sdist; fails loudly without the package index."""
    archives = CACHE / "sdists"
    archives.mkdir(parents=True, exist_ok=True)
    stem = f"{name}-{version}"
    archive = archives / f"{stem}.tar.gz"
    if not archive.is_file():
        _run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-binary",
                ":all:",
                "--no-deps",
                "--disable-pip-version-check",
                "-d",
                str(archives),
                f"{name}=={version}",
            ],
            timeout=600,
        )
    unpacked = CACHE / "src" / stem
    if not (unpacked / "PKG-INFO").is_file():
        with tarfile.open(archive) as tar:
            tar.extractall(CACHE / "src", filter="data")
    package = name.replace("-", "_")
    source = unpacked / "src" if (unpacked / "src" / package).is_dir() else unpacked
    return Sdist(name, version, unpacked, source, _runtime_requires(unpacked / "PKG-INFO"))


def _runtime_requires(pkg_info: Path) -> tuple[str, ...]:
    """Requires-Dist lines that apply here without any extra."""
    environment = {**default_environment(), "extra": ""}
    found: list[str] = []
    for line in pkg_info.read_text(encoding="utf-8").splitlines():
        if not line.startswith("Requires-Dist:"):
            continue
        requirement = Requirement(line.partition(":")[2].strip())
        if requirement.marker is None or requirement.marker.evaluate(environment):
            requirement.marker = None
            found.append(str(requirement))
    return tuple(found)


def uv_env() -> dict[str, str]:
    return {**os.environ, "UV_CACHE_DIR": str(CACHE / "uv")}


def make_env(venv: Path, requires: Iterable[str]) -> Path:
    """A venv with the requirements installed (uv, wheels cached under tests/.cache)."""
    uv = uv_executable()
    _run([uv, "venv", "--python", sys.executable, str(venv)], env=uv_env(), timeout=300)
    python = venv / "bin" / "python"
    if requires:
        _run([uv, "pip", "install", "--python", str(python), *requires], env=uv_env(), timeout=600)
    return python


def uninstall(python: Path, distribution: str) -> None:
    _run(
        [uv_executable(), "pip", "uninstall", "--python", str(python), distribution],
        env=uv_env(),
        timeout=300,
    )


def oracle(python: Path, sdist: Sdist, modules: Iterable[str]) -> dict[str, Outcome]:
    """Import each module in its own interpreter (in parallel), as users would."""

    def one(module: str) -> tuple[str, Outcome]:
        result = subprocess.run(
            [str(python), "-I", "-c", _ORACLE, str(sdist.source), module],
            capture_output=True,
            text=True,
            timeout=IMPORT_TIMEOUT,
            cwd=sdist.root,
        )
        lines = result.stdout.strip().splitlines()
        if not lines:
            return module, Outcome(False, f"no output: {result.stderr[-500:]}")
        data = json.loads(lines[-1])
        frames = tuple((str(f), int(n)) for f, n in data.get("frames", ()))
        return module, Outcome(data["ok"], data.get("error", ""), data.get("missing"), frames)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(pool.map(one, list(modules)))


@dataclass(frozen=True)
class Reported:
    path: Path
    line: int  # 1-based
    code: str
    severity: str
    message: str


def envsense_check(sdist: Sdist, python: Path, home: Path) -> list[Reported]:
    """`envsense check` on the unpacked sdist with that venv selected, as CI runs it."""
    home.mkdir(parents=True, exist_ok=True)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "envsense",
            "check",
            "--python",
            str(python),
            "--format",
            "json",
            "--no-cache",
            ".",
        ],
        cwd=sdist.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode in (0, 1), result.stderr[-3000:]
    payload = json.loads(result.stdout)
    return [
        Reported(sdist.root / d["path"], d["line"], d["code"], d["severity"], d["message"])
        for d in payload["diagnostics"]
    ]
