"""Which files `envsense check` reads: the walk's order, skips and environments."""

from __future__ import annotations

import os
from pathlib import Path

from envsense.core.files import iter_checkable_files


def _write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_the_walk_skips_environments_by_their_markers_and_keeps_its_order(
    tmp_path: Path,
) -> None:
    ws = tmp_path / "ws"
    _write(ws / "b.py")
    _write(ws / "a.py")
    _write(ws / "pyproject.toml")
    _write(ws / "notes.txt")
    _write(ws / ".py")  # no suffix, as pathlib sees it
    _write(ws / "requirements" / "dev.txt")
    _write(ws / "requirements-test.txt")
    _write(ws / "envs" / "one" / "pyvenv.cfg")
    _write(ws / "envs" / "one" / "lib" / "x.py")
    _write(ws / "envs" / "two" / "conda-meta" / "history")
    _write(ws / "envs" / "two" / "y.py")
    # A dangling pyvenv.cfg link does not make an environment.
    _write(ws / "envs" / "three" / "z.py")
    os.symlink(tmp_path / "missing.cfg", ws / "envs" / "three" / "pyvenv.cfg")
    # A conda-meta reached through a link does.
    _write(tmp_path / "meta" / "history")
    _write(ws / "envs" / "four" / "w.py")
    os.symlink(tmp_path / "meta", ws / "envs" / "four" / "conda-meta")
    _write(ws / "pkg.egg-info" / "PKG-INFO.py")
    _write(ws / "node_modules" / "n.py")
    _write(ws / "sub" / "deep" / "d.ipynb")
    _write(ws / "sub" / "c.pyi")
    os.symlink(ws / "sub", ws / "link")  # symlinked folders are not followed
    found = [p.relative_to(ws).as_posix() for p in iter_checkable_files([ws])]
    assert found == [
        "a.py",
        "b.py",
        "pyproject.toml",
        "requirements-test.txt",
        "envs/three/z.py",
        "requirements/dev.txt",
        "sub/c.pyi",
        "sub/deep/d.ipynb",
    ]


def test_an_environment_named_on_the_command_line_is_walked(tmp_path: Path) -> None:
    _write(tmp_path / "venv" / "pyvenv.cfg")
    _write(tmp_path / "venv" / "tool.py")
    assert list(iter_checkable_files([tmp_path / "venv"])) == [tmp_path / "venv" / "tool.py"]


def test_overlapping_paths_give_each_file_once(tmp_path: Path) -> None:
    _write(tmp_path / "pkg" / "m.py")
    _write(tmp_path / "top.py")
    found = list(iter_checkable_files([tmp_path / "pkg", tmp_path, tmp_path / "pkg" / "m.py"]))
    assert found == [tmp_path / "pkg" / "m.py", tmp_path / "top.py"]
