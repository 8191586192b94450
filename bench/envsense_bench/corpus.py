"""The real corpus: django's sdist, downloaded at bench time, unpacked, with a uv venv.

Generated workloads do not look like real code (issue 14: didChange on a real 2,764-line file
was 7-12x the generated file's figure), so the check and LSP peers also run on a real
project. The sdist and the venv are cached (see `cache_dir`) and reused while they are
complete; everything comes from the package registry through pip and uv.
"""

from __future__ import annotations

import os
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from envsense_bench.interpreters import RealPython, pick

NAME = "django"
VERSION = "5.2.19"
# Its runtime requirements (asgiref>=3.8.1, sqlparse>=0.3.1), pinned so two runs compare.
RUNTIME_DEPS = ("asgiref==3.13.0", "sqlparse==0.6.1")
VENV_PYTHON = "3.12"
# The real file for edit latency: the biggest module users edit daily.
EDIT_FILE = Path("django") / "db" / "models" / "query.py"


@dataclass(frozen=True, slots=True)
class Corpus:
    """An unpacked sdist and the venv its code runs in."""

    name: str
    version: str
    root: Path
    venv: Path
    files: int

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def site_packages(self) -> Path:
        return next((self.venv / "lib").glob("python3.*/site-packages"))

    @property
    def edit_file(self) -> Path:
        return self.root / EDIT_FILE

    @property
    def label(self) -> str:
        return f"{self.name} {self.version} ({self.files:,} files)"


class CorpusError(RuntimeError):
    """The corpus could not be prepared (no registry, a failed unpack): the message says why."""


def _run(argv: list[str | Path], env: dict[str, str] | None = None) -> None:
    run = subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, env=env, timeout=900
    )
    if run.returncode != 0:
        tail = (run.stderr or run.stdout).strip().splitlines()[-3:]
        raise CorpusError(f"{Path(str(argv[0])).name} exited {run.returncode}: {' | '.join(tail)}")


def cache_dir() -> Path:
    """`$ENVSENSE_BENCH_CACHE`, else `$XDG_CACHE_HOME/envsense-bench`, else ~/.cache/envsense-bench.

    Outside this repository on purpose: ty, pyrefly and deptry honour the .gitignore of the
    enclosing git repository, and this one ignores bench/.work/, so a corpus unpacked there
    was invisible to pyrefly (0 files checked) while envsense read every file.
    """
    explicit = os.environ.get("ENVSENSE_BENCH_CACHE")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "envsense-bench"


def count_python_files(root: Path) -> int:
    return sum(1 for _ in root.rglob("*.py"))


def prepare(cache: Path, bench_python: Path, uv: Path, pythons: list[RealPython]) -> Corpus:
    """Download (once), unpack (once) and give the sdist its venv (once); return the corpus."""
    stem = f"{NAME}-{VERSION}"
    archives = cache / "sdists"
    archive = archives / f"{stem}.tar.gz"
    if not archive.is_file():
        archives.mkdir(parents=True, exist_ok=True)
        _run(
            [
                bench_python,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--disable-pip-version-check",
                "--no-binary",
                ":all:",
                "--no-deps",
                "-d",
                archives,
                f"{NAME}=={VERSION}",
            ]
        )
    root = cache / "src" / stem
    done = cache / "src" / f".{stem}.unpacked"
    if not done.exists():
        with tarfile.open(archive) as tar:
            tar.extractall(cache / "src", filter="data")
        done.touch()
    venv = cache / f"venv-{NAME}"
    marker = venv / ".bench-complete"
    if not marker.exists():
        env = {**os.environ, "UV_CACHE_DIR": str(cache / "uv-cache")}
        env.pop("VIRTUAL_ENV", None)
        python = pick(pythons, VENV_PYTHON).executable
        _run([uv, "venv", "--quiet", "--clear", "--no-config", "--python", python, venv], env)
        _run(
            [uv, "pip", "install", "--quiet", "--python", venv / "bin" / "python", *RUNTIME_DEPS],
            env,
        )
        marker.touch()
    return Corpus(NAME, VERSION, root, venv, count_python_files(root))
