"""The check's sources stamp comes from the walk's own stats only where the walk covered the
project's folder; elsewhere the project context walks the project itself (None here)."""

from __future__ import annotations

import os
from pathlib import Path

from envsense.check_context import SourceStamps
from envsense.core.check_cache import stat_key
from envsense.core.files import iter_checkable_files


def _write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def stamps_for(paths: list[Path]) -> SourceStamps:
    files = list(iter_checkable_files(paths))
    return SourceStamps(paths, files, [stat_key(os.stat(f)) for f in files])


def test_stamp_where_the_walk_covered_the_project(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    _write(root / "proj" / "pyproject.toml", "[project]\nname = 'p'\n")
    module = _write(root / "proj" / "pkg" / "mod.py", "import os\n")
    _write(root / "other" / "x.py")
    whole = stamps_for([root])
    assert whole.stamp(root) is not None
    first = whole.stamp(root / "proj")
    assert first is not None
    # Only the project's own Python files count: a change elsewhere keeps its stamp.
    _write(root / "other" / "x.py", "changed = 1\n")
    assert stamps_for([root]).stamp(root / "proj") == first
    module.write_text("import os\nimport sys\n")
    assert stamps_for([root]).stamp(root / "proj") != first


def test_no_stamp_for_a_project_the_walk_did_not_cover(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    _write(root / "pyproject.toml", "[project]\nname = 'p'\n")
    sub = root / "pkg" / "sub"
    _write(sub / "a.py")
    _write(root / "pkg" / "b.py")
    # Walking a sub-folder says nothing about the rest of the project above it.
    assert stamps_for([sub]).stamp(root) is None
    # A skipped folder (build/) is never walked, even when a file in it is named.
    named = _write(root / "build" / "proj" / "c.py")
    _write(root / "build" / "proj" / "pyproject.toml", "[project]\nname = 'q'\n")
    both = stamps_for([root, named])
    assert both.stamp(root / "build" / "proj") is None
    assert both.stamp(root) is not None


def test_only_files_with_the_py_suffix_count(tmp_path: Path) -> None:
    # Path.suffix's rule: ".py" alone is a name without a suffix, "..py" has one.
    root = tmp_path / "ws"
    _write(root / "pyproject.toml", "[project]\nname = 'p'\n")
    files = {name: _write(root / name, "x = 1\n") for name in ("a.py", "..py", ".py", "b.pyi")}
    first = stamps_for([root]).stamp(root)
    for name, path in files.items():
        os.utime(path, ns=(0, 10**9))
        counted = stamps_for([root]).stamp(root) != first
        assert counted is (Path(name).suffix == ".py"), name
        first = stamps_for([root]).stamp(root)
