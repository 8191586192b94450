"""A long-lived session (the server's) sees files change on disk between checks, although
each check reads every folder once: the memos of projects, resolution and import chains."""

from __future__ import annotations

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
    # The server's next check comes a moment later: no window in which a change is unseen.
    monkeypatch.setattr(folder_memo, "REVALIDATE_SECONDS", 0.0)
    monkeypatch.setattr(import_chain, "_REVALIDATE_SECONDS", 0.0)
    make_venv(tmp_path / "venv")
    return tmp_path


def _write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _session(sandbox: Path, root: Path) -> Session:
    return Session(
        [root],
        settings=SessionSettings(interpreter=sandbox / "venv" / "bin" / "python", trusted=False),
        picks=PickStore(sandbox / "picks"),
    )


def _check(session: Session, path: Path) -> list[Finding]:
    return session.check_source(path, path.read_text())


def _codes(findings: list[Finding]) -> list[Code]:
    return [f.code for f in findings]


def test_a_manifest_created_later_makes_a_project(sandbox: Path) -> None:
    root = sandbox / "mono"
    _write(root / "pyproject.toml", '[project]\nname = "mono"\nversion = "1"\n')
    first = _write(root / "libs" / "one" / "a.py")
    session = _session(sandbox, root)
    assert session.project_for(first).root == root
    # The watcher tells the server; the folder's next file is then in the new project.
    manifest = _write(root / "libs" / "one" / "pyproject.toml", '[project]\nname = "one"\n')
    session.invalidate([manifest])
    assert session.project_for(first).root == root / "libs" / "one"
    # Unannounced (no watcher): a folder not asked about before still finds it.
    _write(root / "libs" / "two" / "requirements.txt", "rich\n")
    second = _write(root / "libs" / "two" / "sub" / "b.py")
    assert session.project_for(second).root == root / "libs" / "two"


def test_a_manifest_created_unannounced_above_folders_already_climbed(sandbox: Path) -> None:
    # The climb from libs/one passed libs; a marker created there later, with no watcher
    # to say so, still makes the project of a new folder below it.
    root = sandbox / "mono"
    _write(root / "pyproject.toml", '[project]\nname = "mono"\nversion = "1"\n')
    first = _write(root / "libs" / "one" / "a.py")
    session = _session(sandbox, root)
    assert session.project_for(first).root == root
    _write(root / "libs" / "requirements.txt", "rich\n")
    second = _write(root / "libs" / "two" / "b.py")
    assert session.project_for(second).root == root / "libs"


def test_a_setup_py_edited_to_call_setup_becomes_a_marker(sandbox: Path) -> None:
    root = sandbox / "ws"
    _write(root / "pyproject.toml", '[project]\nname = "ws"\nversion = "1"\n')
    setup = _write(root / "tool" / "setup.py", "def helper():\n    pass\n")
    source = _write(root / "tool" / "x.py")
    session = _session(sandbox, root)
    assert session.project_for(source).root == root
    setup.write_text("from setuptools import setup\nsetup(name='tool')\n")
    session.invalidate([setup])
    assert session.project_for(source).root == root / "tool"


def test_a_manifest_the_watcher_announces_is_seen_at_once(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Announced changes do not wait for the folder's next look.
    monkeypatch.setattr(folder_memo, "REVALIDATE_SECONDS", 3600.0)
    root = sandbox / "mono"
    _write(root / "pyproject.toml", '[project]\nname = "mono"\nversion = "1"\n')
    first = _write(root / "libs" / "one" / "a.py")
    session = _session(sandbox, root)
    assert session.project_for(first).root == root
    manifest = _write(root / "libs" / "one" / "setup.cfg", "[metadata]\nname = one\n")
    session.invalidate([manifest])
    assert session.project_for(first).root == root / "libs" / "one"


def _package(sandbox: Path) -> tuple[Path, Path]:
    root = sandbox / "proj"
    _write(root / "pyproject.toml", '[project]\nname = "proj"\nversion = "1"\n')
    _write(root / "pkg" / "__init__.py")
    main = _write(root / "pkg" / "main.py", "import pkg.helper\nfrom pkg import other\n")
    return root, main


def test_a_module_file_created_between_checks_resolves(sandbox: Path) -> None:
    root, main = _package(sandbox)
    session = _session(sandbox, root)
    assert _codes(_check(session, main)) == [Code.MISSING_IMPORT]
    _write(root / "pkg" / "helper.py", "VALUE = 1\n")
    assert _codes(_check(session, main)) == []
    # And one deleted is missing again.
    (root / "pkg" / "helper.py").unlink()
    assert _codes(_check(session, main)) == [Code.MISSING_IMPORT]


def test_a_package_that_gains_its_init_is_followed(sandbox: Path) -> None:
    # `pkg.sub` first a namespace folder (nothing runs), then a package whose
    # __init__.py imports something missing: the chain goes through it.
    root, main = _package(sandbox)
    _write(root / "pkg" / "helper.py")
    _write(root / "pkg" / "sub" / "mod.py")
    main.write_text("import pkg.sub.mod\n")
    session = _session(sandbox, root)
    assert _check(session, main) == []
    _write(root / "pkg" / "sub" / "__init__.py", "import missing_dependency_xyz\n")
    [finding] = _check(session, main)
    assert finding.code is Code.IMPORT_CHAIN_BROKEN
    assert "`missing_dependency_xyz`" in finding.message


def test_relative_imports_follow_a_package_made_between_checks(sandbox: Path) -> None:
    # pkg/sub starts as a plain folder: `from .helper import X` in its module has no
    # package to be relative to, so the chain stops there. An __init__.py makes it one.
    root, main = _package(sandbox)
    _write(root / "pkg" / "helper.py")
    _write(root / "pkg" / "sub" / "mod.py", "from .helper import X\n")
    _write(root / "pkg" / "sub" / "helper.py", "import missing_dependency_xyz\nX = 1\n")
    main.write_text("import pkg.sub.mod\n")
    session = _session(sandbox, root)
    assert _check(session, main) == []
    _write(root / "pkg" / "sub" / "__init__.py")
    [finding] = _check(session, main)
    assert finding.code is Code.IMPORT_CHAIN_BROKEN
    assert "`pkg.sub.helper`, which imports `missing_dependency_xyz`" in finding.message


def test_a_chain_follows_an_edit_of_a_module_behind_it(sandbox: Path) -> None:
    root, main = _package(sandbox)
    _write(root / "pkg" / "helper.py", "from pkg import deep\n")
    deep = _write(root / "pkg" / "deep.py", "import missing_dependency_xyz\n")
    main.write_text("import pkg.helper\n")
    session = _session(sandbox, root)
    [finding] = _check(session, main)
    assert "`pkg.deep`, which imports `missing_dependency_xyz`" in finding.message
    # Another file's check reuses the chain result through pkg.helper...
    other = _write(root / "pkg" / "other.py", "from pkg import helper\n")
    assert _codes(_check(session, other)) == [Code.IMPORT_CHAIN_BROKEN]
    # ...until the module at its end is fixed.
    deep.write_text("import os as missing_dependency\n")
    _bump_mtime(deep)
    assert _check(session, main) == []
    assert _check(session, other) == []


def _bump_mtime(path: Path) -> None:
    import os

    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))


def test_a_link_retargeted_between_checks_leads_to_the_new_folder(sandbox: Path) -> None:
    import os

    for name in ("one", "two"):
        _write(sandbox / name / "pyproject.toml", f'[project]\nname = "{name}"\nversion = "1"\n')
        _write(sandbox / name / "src" / "a.py")
        _write(sandbox / name / "src" / "b.py")
    link = sandbox / "current"
    os.symlink(sandbox / "one", link)
    session = Session(
        [sandbox / "one", sandbox / "two"],
        settings=SessionSettings(interpreter=sandbox / "venv" / "bin" / "python", trusted=False),
        picks=PickStore(sandbox / "picks"),
    )
    assert session.folder_for(link / "src" / "a.py") == sandbox / "one"
    link.unlink()
    os.symlink(sandbox / "two", link)
    assert session.folder_for(link / "src" / "b.py") == sandbox / "two"


def test_the_interpreter_is_identified_once_per_moment_not_per_project(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from envsense.core import session as session_module

    calls: list[Path] = []
    real = session_module.identify

    def counting(path: Path, context: object) -> object:
        calls.append(path)
        return real(path, context)  # type: ignore[arg-type]

    monkeypatch.setattr(session_module, "identify", counting)
    root = sandbox / "mono"
    _write(root / "one" / "pyproject.toml", '[project]\nname = "one"\n')
    _write(root / "two" / "pyproject.toml", '[project]\nname = "two"\n')
    monkeypatch.setattr(folder_memo, "REVALIDATE_SECONDS", 3600.0)
    session = _session(sandbox, root)
    first = session.context_for(root / "one" / "a.py").environment
    second = session.context_for(root / "two" / "b.py").environment
    assert first is not None and first == second and first.error is None
    assert len(calls) == 1
    # A moment later (the env may have been made again in place) it is read again.
    monkeypatch.setattr(folder_memo, "REVALIDATE_SECONDS", 0.0)
    _write(root / "three" / "pyproject.toml", '[project]\nname = "three"\n')
    assert session.context_for(root / "three" / "c.py").environment == first
    assert len(calls) == 2
