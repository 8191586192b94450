"""Every file of a folder gets the same answer for the same import, worked out once: each
file still gets findings on its own lines, and an answer goes when what it was read from
changes. A one-shot session (the CLI's) works out each folder's context once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from envsense.core import folder_memo
from envsense.core.checks import import_chain
from envsense.core.findings import Code, Finding
from envsense.core.picks import PickStore
from envsense.core.session import Session, SessionSettings
from tests.support.venvs import make_venv


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    make_venv(tmp_path / "venv")
    root = tmp_path / "proj"
    _write(root / "pyproject.toml", '[project]\nname = "proj"\nversion = "1"\n')
    _write(root / "pkg" / "__init__.py")
    _write(root / "pkg" / "helper.py", "import missing_dependency_xyz\n")
    return tmp_path


def _write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _session(sandbox: Path, *, one_shot: bool = False) -> Session:
    return Session(
        [sandbox / "proj"],
        settings=SessionSettings(interpreter=sandbox / "venv" / "bin" / "python", trusted=False),
        picks=PickStore(sandbox / "picks"),
        one_shot=one_shot,
    )


def _check(session: Session, path: Path) -> list[Finding]:
    return session.check_source(path, path.read_text())


def _lines(findings: list[Finding]) -> list[tuple[str, int, Code]]:
    return [(f.path.name, f.span.line, f.code) for f in findings]


def test_files_of_a_folder_get_the_same_answers_on_their_own_lines(sandbox: Path) -> None:
    pkg = sandbox / "proj" / "pkg"
    first = _write(pkg / "a.py", "import pkg.helper\nimport not_installed_abc\n")
    second = _write(
        pkg / "b.py",
        "import os\n\n\ntry:\n    import not_installed_abc\nexcept ImportError:\n    pass\nimport pkg.helper\n",
    )
    session = _session(sandbox)
    assert _lines(_check(session, first)) == [
        ("a.py", 0, Code.IMPORT_CHAIN_BROKEN),
        ("a.py", 1, Code.MISSING_IMPORT),
    ]
    found = _check(session, second)
    # The same answers as a session that never checked a.py, path and spans included.
    assert found == _check(_session(sandbox), second)
    assert _lines(found) == [
        ("b.py", 4, Code.MISSING_IMPORT),
        ("b.py", 7, Code.IMPORT_CHAIN_BROKEN),
    ]
    # Guarded here, not in a.py: its own severity and note.
    assert "guarded by try/except ImportError" in found[0].message


def test_an_answer_goes_when_the_module_behind_it_changes(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(folder_memo, "REVALIDATE_SECONDS", 0.0)
    monkeypatch.setattr(import_chain, "_REVALIDATE_SECONDS", 0.0)
    pkg = sandbox / "proj" / "pkg"
    first = _write(pkg / "a.py", "import pkg.helper\nimport pkg.later\n")
    second = _write(pkg / "b.py", "import pkg.helper\nimport pkg.later\n")
    session = _session(sandbox)
    assert _lines(_check(session, first)) == [
        ("a.py", 0, Code.IMPORT_CHAIN_BROKEN),
        ("a.py", 1, Code.MISSING_IMPORT),
    ]
    helper = pkg / "helper.py"
    helper.write_text("import os\n")
    stat = helper.stat()
    os.utime(helper, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))
    _write(pkg / "later.py")
    assert _check(session, second) == []


def test_a_one_shot_session_finds_what_a_lasting_one_does(sandbox: Path) -> None:
    pkg = sandbox / "proj" / "pkg"
    files = [
        _write(pkg / "a.py", "import pkg.helper\n"),
        _write(pkg / "sub" / "b.py", "import not_installed_abc\nimport json\n"),
        _write(sandbox / "proj" / "tool.py", "import pkg.helper\nimport yaml_missing_q\n"),
    ]
    lasting, one_shot = _session(sandbox), _session(sandbox, one_shot=True)
    for path in files * 2:
        assert _check(one_shot, path) == _check(lasting, path)
    # What it was told changed still counts.
    manifest = _write(pkg / "sub" / "pyproject.toml", '[project]\nname = "sub"\nversion = "1"\n')
    one_shot.invalidate([manifest])
    lasting.invalidate([manifest])
    assert _check(one_shot, files[1]) == _check(lasting, files[1])
    assert one_shot.context_for(files[1]).project.root == pkg / "sub"


def test_the_projects_own_imports_are_shared_only_between_folders_alike(sandbox: Path) -> None:
    # pkg/__init__.py fails; a file inside pkg is already importing pkg, so its chain
    # skips it: folders inside and outside the package must not share an answer.
    root = sandbox / "proj"
    _write(root / "pkg" / "__init__.py", "import missing_dependency_xyz\n")
    _write(root / "pkg" / "sub" / "__init__.py")
    _write(root / "pkg" / "sub" / "mod.py")
    text = "import pkg.sub.mod\nfrom pkg.sub import mod\n"
    outside = _write(root / "apps" / "one" / "a.py", text)
    inside = _write(root / "pkg" / "sub" / "c.py", text)
    beside = _write(root / "pkg" / "d.py", text)
    elsewhere = _write(root / "tools" / "b.py", "\n" + text)
    session = _session(sandbox)
    for path in (outside, inside, beside, elsewhere):
        assert _check(session, path) == _check(_session(sandbox), path)
    assert _lines(_check(session, elsewhere)) == [
        ("b.py", 1, Code.IMPORT_CHAIN_BROKEN),
        ("b.py", 2, Code.IMPORT_CHAIN_BROKEN),
    ]
    assert _check(session, inside) == []
    assert _check(session, beside) == []
