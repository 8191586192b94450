"""A workspace for `envsense check` that yields findings of many codes: several projects with
real venvs, notebooks, manifests, a lock, import chains and a file that can't be read."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.support.venvs import install_wheels, make_venv
from tests.support.wheels import simple_wheel


def _write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _notebook(*cells: str) -> str:
    return json.dumps(
        {
            "cells": [
                {"cell_type": "code", "metadata": {}, "source": c, "outputs": []} for c in cells
            ],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


def build_check_tree(root: Path, wheels: Path, modules: int = 40) -> Path:
    """Create the workspace under `root` (a git repository) and return it."""
    _write(root / ".git" / "HEAD", "ref: refs/heads/main\n")
    # Project "app": its own venv with one installed distribution, declarations that lie.
    app = root / "app"
    _write(
        app / "pyproject.toml",
        '[project]\nname = "app"\nversion = "1"\nrequires-python = ">=3.8"\n'
        'dependencies = ["notinstalled-dist>=1.0", "Flag-Dist>=2"]\n',
    )
    python = make_venv(app / ".venv")
    install_wheels(
        python,
        simple_wheel(wheels, "flag-dist", module="flagmod", version="1.5"),
        simple_wheel(wheels, "extra-dist", module="extramod", version="3.0"),
    )
    _write(app / "requirements.txt", "flag-dist==1.4\nghost-dist==0.1\n")
    package = app / "app"
    _write(package / "__init__.py")
    _write(package / "broken.py", "import missing_chain_mod\n\nVALUE = 1\n")
    for index in range(modules):
        folder = package / f"sub{index % 4}"
        _write(folder / "__init__.py")
        _write(
            folder / f"mod{index}.py",
            "import os\nimport json\n"
            f"import missing_mod{index % 3}\n"
            "import flagmod\n"
            "import extramod\n"
            "from app import broken\n"
            "try:\n    import guarded_missing\nexcept ImportError:\n    guarded_missing = None\n"
            "from . import sibling\n" + "\n".join(f"x{n} = {n}" for n in range(index)) + "\n",
        )
    _write(package / "nb.ipynb", _notebook("import os\n", "import flagmod\nimport nb_missing\n"))
    _write(package / "bad.ipynb", "{not json")
    _write(package / "latin.py", "")
    (package / "latin.py").write_bytes("# caf\xe9\nimport missing_latin\n".encode("latin-1"))
    # A file that fails to read: a FIFO named like a module.
    os.mkfifo(package / "pipe.py")
    # Project "lib": no environment of its own, a malformed manifest.
    lib = root / "lib"
    _write(lib / "pyproject.toml", "[project\nname = ")
    for index in range(modules // 2):
        _write(lib / "lib" / f"m{index}.py", f"import requests\nimport lib_missing{index % 2}\n")
    # Project "tools": requirements only, a script with inline metadata.
    tools = root / "tools"
    _write(tools / "requirements-dev.txt", "pytest>=8\nnot a requirement !!\n")
    _write(tools / "script.py", "# /// script\n# dependencies = ['rich']\n# ///\nimport rich\n")
    _write(tools / "setup.cfg", "[options]\ninstall_requires =\n    attrs\n")
    return root


def isolate_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Checks see only the tree's own environments: a fresh HOME and cache, a bare PATH,
    no active venv or conda env."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.delenv("CONDA_PREFIX", raising=False)
