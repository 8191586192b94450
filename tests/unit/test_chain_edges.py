"""What `from package import name` runs is worked out once for every folder that resolves
it alike, per folder where it resolves from the folder itself, and again once the
package's folder changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from envsense.core import folder_memo
from envsense.core.checks import import_chain
from envsense.core.findings import Code
from tests.unit.test_folder_answers import _check, _lines, _session, _write, sandbox

__all__ = ["sandbox"]


def test_answers_shared_between_folders_are_those_each_folder_gets_alone(sandbox: Path) -> None:
    root = sandbox / "proj"
    _write(root / "pkg" / "sub" / "__init__.py")
    _write(root / "pkg" / "sub" / "broken.py", "import missing_dependency_xyz\n")
    _write(root / "pkg" / "tools.py", "import missing_dependency_xyz\ntools = 1\nthing = 2\n")
    text = (
        "from pkg.sub import broken, fine\n"
        "from pkg.sub import fine\n"
        "from pkg.tools import thing\n"
        "from pkg.helper import helper\n"
    )
    files = [
        _write(root / "app" / "a.py", text),
        _write(root / "app" / "deep" / "b.py", text),
        _write(root / "pkg" / "c.py", text),
        _write(root / "pkg" / "sub" / "d.py", text),
    ]
    session = _session(sandbox)
    for path in files:
        # The same findings as a session that never answered another folder.
        assert _check(session, path) == _check(_session(sandbox), path)
    found = _check(session, files[0])
    assert _lines(found) == [
        ("a.py", 0, Code.IMPORT_CHAIN_BROKEN),
        ("a.py", 2, Code.IMPORT_CHAIN_BROKEN),
        ("a.py", 3, Code.IMPORT_CHAIN_BROKEN),
    ]
    assert found[0].message.startswith(
        "`pkg.sub.broken` can't be imported here: it imports `missing_dependency_xyz`"
    )


def test_names_found_beside_the_importing_file_are_answered_per_folder(sandbox: Path) -> None:
    # `helpers` is found only from the folder of the script importing it (not a package,
    # not on the search path): two folders, two different `helpers`.
    root = sandbox / "proj"
    _write(root / "one" / "helpers" / "__init__.py")
    _write(root / "one" / "helpers" / "bad.py", "import missing_dependency_xyz\n")
    _write(root / "two" / "helpers" / "__init__.py")
    _write(root / "two" / "helpers" / "bad.py", "import json\n")
    first = _write(root / "one" / "run.py", "from helpers import bad\n")
    second = _write(root / "two" / "run.py", "from helpers import bad\n")
    session = _session(sandbox)
    assert _lines(_check(session, first)) == [("run.py", 0, Code.IMPORT_CHAIN_BROKEN)]
    assert _check(session, second) == []


def test_a_submodule_created_later_is_followed(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(folder_memo, "REVALIDATE_SECONDS", 0.0)
    monkeypatch.setattr(import_chain, "_REVALIDATE_SECONDS", 0.0)
    root = sandbox / "proj"
    first = _write(root / "app" / "a.py", "from pkg import later\n")
    second = _write(root / "other" / "b.py", "from pkg import later\n")
    session = _session(sandbox)
    # Not a submodule (an attribute `pkg` may define): nothing to follow.
    assert _check(session, first) == []
    _write(root / "pkg" / "later.py", "import missing_dependency_xyz\n")
    assert _lines(_check(session, second)) == [("b.py", 0, Code.IMPORT_CHAIN_BROKEN)]
