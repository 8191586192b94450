"""Manifest-level findings of `envsense check` on real sdists from the package index.

Each sdist is downloaded into tests/.cache/realcode (once), unpacked, and checked against a
venv holding exactly its declared runtime dependencies (installed from the index). The
truth is simple there: every runtime requirement is installed, so any warning or error on
a manifest line is wrong; dev/test/docs files and example sub-projects may only inform,
and extras nobody installed say nothing. Then one runtime dependency is removed, and
exactly its requirement line must be reported as a warning.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from tests.support.venvs import make_venv, uv_executable

CACHE = Path(__file__).resolve().parents[1] / ".cache"
MANIFEST_CODES = {"requirement-not-installed", "version-mismatch", "malformed-manifest"}

# (distribution, version, a runtime dependency to remove, its manifest, its 1-based line)
PROJECTS = [
    ("flask", "3.0.3", "itsdangerous", "pyproject.toml", 26),
    ("httpx", "0.27.0", "sniffio", "pyproject.toml", 35),
    ("requests", "2.32.3", "idna", "setup.py", 63),
    # setup.cfg declares the runtime; requirements/*.txt are CI pins.
    ("aiohttp", "3.9.5", "multidict", "setup.cfg", 54),
    # setup.py computes its lists in code: the installed metadata says what they are.
    ("celery", "5.4.0", "vine", "requirements/default.txt", 3),
    # `dynamic = ["dependencies"]` read from requirements.txt by a build plugin.
    ("mkdocs-material", "9.5.20", "pymdown-extensions", "requirements.txt", 27),
    ("black", "24.4.2", "pathspec", "pyproject.toml", 69),
]


def _tool_env(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "UV_CACHE_DIR": str(CACHE / "uv"),
        "UV_NO_CONFIG": "1",
        "PIP_CACHE_DIR": str(CACHE / "pip"),
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }


def _cached(folder: Path, name: str, version: str) -> Path | None:
    # Sdist file names vary in case and separators (SQLAlchemy-2.0.30, mkdocs_material-9.5.20).
    wanted = f"{canonicalize_name(name)}-{version}.tar.gz"
    for path in sorted(folder.glob("*.tar.gz")) if folder.is_dir() else []:
        stem, _, rest = path.name.rpartition(f"-{version}.tar.gz")
        if not rest and f"{canonicalize_name(stem)}-{version}.tar.gz" == wanted:
            return path
    return None


def sdist(name: str, version: str, home: Path) -> Path:
    """The sdist of name==version, downloaded into the tests' cache on first use."""
    folder = CACHE / "realcode" / "sdists"
    found = _cached(folder, name, version)
    if found is not None:
        return found
    folder.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", name]
        + ["-d", str(folder), f"{name}=={version}"],
        capture_output=True,
        text=True,
        env=_tool_env(home),
        timeout=600,
    )
    # No network to the index must fail the test loudly, never skip it.
    assert result.returncode == 0, result.stderr[-2000:]
    found = _cached(folder, name, version)
    assert found is not None, f"pip saved no sdist of {name}=={version} in {folder}"
    return found


def _check(root: Path, python: Path, home: Path) -> list[dict[str, object]]:
    result = subprocess.run(
        [sys.executable, "-m", "envsense", "check", "--no-cache", "--python", str(python)]
        + ["--format", "json", "."],
        cwd=root,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(home), "XDG_CACHE_HOME": str(home / "c")},
        timeout=600,
    )
    assert result.returncode in (0, 1), result.stderr
    diagnostics: list[dict[str, object]] = json.loads(result.stdout)["diagnostics"]
    return [d for d in diagnostics if d["code"] in MANIFEST_CODES]


@pytest.mark.parametrize(("name", "version", "removed", "manifest", "line"), PROJECTS)
def test_manifest_findings_on_a_real_sdist(
    name: str, version: str, removed: str, manifest: str, line: int, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with tarfile.open(sdist(name, version, home)) as archive:
        archive.extractall(tmp_path, filter="data")
    (root,) = (p for p in tmp_path.iterdir() if p.is_dir() and p.name != "home")
    python = make_venv(root / ".venv")
    subprocess.run(
        [uv_executable(), "pip", "install", "--python", str(python), f"{name}=={version}"],
        check=True,
        capture_output=True,
        env=_tool_env(home),
        timeout=600,
    )

    findings = _check(root, python, home)
    loud = [f for f in findings if f["severity"] in ("error", "warning")]
    assert loud == [], loud
    # Dev/test/docs files and examples may inform; no extra of the project is ever reported.
    assert all(f["severity"] == "information" for f in findings)
    own = [f for f in findings if f["path"] in ("pyproject.toml", "setup.py", "setup.cfg")]
    assert own == [], own

    subprocess.run(
        [uv_executable(), "pip", "uninstall", "--python", str(python), removed],
        check=True,
        capture_output=True,
        env=_tool_env(home),
    )
    after = [f for f in _check(root, python, home) if f["severity"] in ("error", "warning")]
    assert [(f["path"], f["line"], f["code"], f["severity"]) for f in after] == [
        (manifest, line, "requirement-not-installed", "warning")
    ], after
    assert str(after[0]["message"]).lower().startswith(removed)
