"""How each peer is invoked on the benchmark's workloads (argument lists, environments, configs).

Peers run from bench/.venv, pinned by bench/setup.sh, on exactly the workloads envsense gets.
"""

from __future__ import annotations

import json
from pathlib import Path

from envsense_bench.harness import Bench

# python-discovery has no CLI: enumerate every interpreter through its API, with a disk cache
# (its documented advice for enumeration). A fresh cache folder makes the run cold.
PYTHON_DISCOVERY_SCRIPT = """
import sys
from pathlib import Path
from python_discovery import DiskCache, iter_interpreters
found = list(iter_interpreters(cache=DiskCache(Path(sys.argv[1]))))
print(len(found))
"""

# deptry maps modules to distributions through importlib.metadata of the interpreter it runs
# in; appending the target env's site-packages (after deptry's own) makes it see those dists.
DEPTRY_SCRIPT = """
import sys
sys.path.append(sys.argv[1])
from deptry.cli import deptry
sys.argv = ["deptry", ".", *sys.argv[2:]]
deptry()
"""
# deptry skips venv|.venv|.direnv|tests|.git|setup.py by default; an exclude that matches no
# path (a regex that can never match) replaces that list, so deptry reads every file envsense does.
DEPTRY_EVERY_FILE = ("--exclude", "(?!)")
# The rules that report an import that does not resolve, per tool (everything else is off).
TY_IMPORT_RULE = "import-not-found"  # ty 0.0.108's name for the former `unresolved-import`
PYREFLY_IMPORT_KIND = "missing-import"


def uv_python_list(bench: Bench) -> list[str | Path]:
    return [bench.tool("uv"), "python", "list", "--only-installed", "--offline"]


def python_discovery(bench: Bench, cache: Path) -> list[str | Path]:
    return [bench.python, "-c", PYTHON_DISCOVERY_SCRIPT, cache]


def findpython_all(bench: Bench) -> list[str | Path]:
    return [bench.tool("findpython"), "-a"]


def basedpyright_config(bench: Bench, project: Path) -> Path:
    """A pyrightconfig outside the project (which stays untouched) that checks imports only.

    typeCheckingMode "off" is the cheapest mode; reportMissingImports is switched on as an
    error, so basedpyright does the same job as `envsense check`, at its lowest cost.
    """
    folder = bench.work / "peer-config" / f"basedpyright-{project.name}"
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "pyrightconfig.json"
    config.write_text(
        json.dumps(
            {
                "include": [str(project)],
                "typeCheckingMode": "off",
                "reportMissingImports": "error",
                "reportMissingModuleSource": "warning",
            },
            indent=2,
        )
    )
    return config


def basedpyright(bench: Bench, project: Path, python: Path) -> list[str | Path]:
    config = basedpyright_config(bench, project)
    return [bench.tool("basedpyright"), "--outputjson", "-p", config, "--pythonpath", python]


def deptry(bench: Bench, site_packages: Path, *args: str) -> list[str | Path]:
    """Run with cwd = the project (deptry reads ./pyproject.toml)."""
    return [bench.python, "-c", DEPTRY_SCRIPT, site_packages, *args]


def ty_check(bench: Bench, python: Path) -> list[str | Path]:
    """`ty check` of the current folder with every rule off but the unresolved-import one."""
    return [
        bench.tool("ty"),
        "check",
        "--python",
        python,
        "--ignore",
        "all",
        "--error",
        TY_IMPORT_RULE,
        # The same files as envsense whatever encloses the project: the bench's workloads sit in a
        # gitignored folder of this repository.
        "--no-respect-ignore-files",
        "--output-format",
        "concise",
        "--no-progress",
        "--color",
        "never",
        ".",
    ]


def pyrefly_check(bench: Bench, python: Path) -> list[str | Path]:
    """`pyrefly check` of the current folder: preset off (every kind silenced), then only
    missing-import as an error; the interpreter tells pyrefly its site-packages.

    By default pyrefly skips every path under a dot-folder (bench/.work/, ~/.cache/) and what
    the enclosing repository's .gitignore names: it found "No Python files" in the generated
    workloads. Its excludes are replaced by `__pycache__` alone, so it reads what envsense reads.
    """
    return [
        bench.tool("pyrefly"),
        "check",
        "--preset",
        "off",
        "--error",
        PYREFLY_IMPORT_KIND,
        "--python-interpreter-path",
        python,
        "--project-excludes",
        "**/__pycache__",
        "--disable-project-excludes-heuristics",
        "--use-ignore-files=false",
        "--output-format",
        "min-text",
        "--summary=none",
        "--progress-bar",
        "no",
        "--color",
        "never",
        ".",
    ]


def count_ty(stdout: str) -> int:
    """Unresolved imports in `ty check --output-format concise` output (one line each)."""
    return sum(1 for line in stdout.splitlines() if f"[{TY_IMPORT_RULE}]" in line)


def count_pyrefly(stdout: str) -> int:
    """Missing imports in `pyrefly check --output-format min-text` output (one line each)."""
    return sum(
        1
        for line in stdout.splitlines()
        if line.startswith("ERROR ") and line.rstrip().endswith(f"[{PYREFLY_IMPORT_KIND}]")
    )


def count_basedpyright(stdout: str) -> int:
    """reportMissingImports diagnostics in `basedpyright --outputjson` output (ValueError if not JSON)."""
    data = json.loads(stdout)
    return sum(
        1 for d in data.get("generalDiagnostics", []) if d.get("rule") == "reportMissingImports"
    )


def count_deptry(output: str) -> int:
    """Issues in deptry's text report (each carries its DEP00N code)."""
    return output.count("DEP00")


def create_commands(bench: Bench, python: Path, dest: Path) -> dict[str, list[str | Path]]:
    """The venv creators, each making a bare environment (no pip seeded) at `dest`."""
    return {
        "uv venv": [bench.tool("uv"), "venv", "--quiet", "--offline", "-p", python, dest],
        "python -m venv --without-pip": [python, "-m", "venv", "--without-pip", dest],
        "virtualenv --no-seed": [
            bench.tool("virtualenv"),
            "--quiet",
            "--no-seed",
            "--no-periodic-update",
            "-p",
            python,
            dest,
        ],
    }


def uv_install(bench: Bench, target_python: Path, wheels: Path, name: str) -> list[str | Path]:
    return [
        bench.tool("uv"),
        "pip",
        "install",
        "--quiet",
        "--offline",
        "--no-index",
        "--find-links",
        wheels,
        "--python",
        target_python,
        name,
    ]


def pip_install(bench: Bench, target_python: Path, wheels: Path, name: str) -> list[str | Path]:
    """pip from the bench venv installing into the target (`--python`), so the target needs no pip."""
    return [
        bench.python,
        "-m",
        "pip",
        "--python",
        target_python,
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-index",
        "--find-links",
        wheels,
        name,
    ]
