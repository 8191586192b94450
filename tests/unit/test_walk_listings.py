"""A check's walk lists each folder once: the project lookup reads its markers from there.

The walk's listings stand in for the folders' own while a listing of that moment is
trusted (core/folder_memo.py): after that, and after `clear`, folders are listed again.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from envsense.core import folder_memo, projects
from envsense.core.discovery import fs
from envsense.core.files import ListedFolder, iter_checkable_files
from envsense.core.projects import ProjectFolders, find_project


def _walk(root: Path) -> dict[str, ListedFolder]:
    listed: dict[str, ListedFolder] = {}
    list(iter_checkable_files([root], listed))
    return listed


def _layout(root: Path) -> None:
    (root / "pkg" / "sub").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (root / "requirements-dev.txt").write_text("pytest\n")
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "sub" / "__init__.py").write_text("")
    (root / "pkg" / "sub" / "mod.py").write_text("import os\n")


def _listings_read(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    read: list[Path] = []
    real = fs.read_listing

    def counting(path: Path) -> fs.Listing:
        read.append(path)
        return real(path)

    monkeypatch.setattr(fs, "read_listing", counting)
    return read


def test_the_walk_records_each_folder_it_read(tmp_path: Path) -> None:
    _layout(tmp_path)
    (tmp_path / "link.toml").symlink_to(tmp_path / "pyproject.toml")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    (tmp_path / "to-pkg").symlink_to(tmp_path / "pkg")
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    listed = _walk(tmp_path)
    # Skipped and environment folders are not entered, so not recorded.
    assert set(listed) == {str(tmp_path), str(tmp_path / "pkg"), str(tmp_path / "pkg" / "sub")}
    top = listed[str(tmp_path)]
    names = ["dangling", "fifo", "link.toml", "pyproject.toml", "requirements-dev.txt"]
    assert top.files == names
    assert sorted(top.irregular) == ["dangling", "fifo", "link.toml"]
    assert top.entries == len(os.listdir(tmp_path))  # folders and the link to one too
    assert listed[str(tmp_path / "pkg")] == ListedFolder(["__init__.py"], (), 2)


def test_an_unreadable_folder_is_not_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "a.py").write_text("")
    real = os.scandir

    def scandir(path: str) -> object:
        if path == str(tmp_path / "locked"):  # as without read access (root reads all)
            raise PermissionError(13, "Permission denied", path)
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    listed = _walk(tmp_path)
    assert str(tmp_path) in listed
    assert str(tmp_path / "locked") not in listed  # what it holds is unknown, not nothing


def test_walked_folders_are_not_listed_again_and_answer_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _layout(tmp_path)
    (tmp_path / "pkg" / "sub" / "setup.cfg").symlink_to(tmp_path / "nowhere")  # no marker
    (tmp_path / "pkg" / "Pipfile").mkdir()  # a folder, no marker either
    listed = _walk(tmp_path)
    fresh = ProjectFolders()
    expected = find_project(tmp_path / "pkg" / "sub" / "mod.py", tmp_path, folders=fresh)
    read = _listings_read(monkeypatch)
    taken = ProjectFolders()
    taken.take_listings(listed, time.monotonic())
    found = find_project(tmp_path / "pkg" / "sub" / "mod.py", tmp_path, folders=taken)
    assert found == expected
    assert found.markers == ("pyproject.toml", "requirements-dev.txt")
    assert read == []
    for folder in (tmp_path, tmp_path / "pkg", tmp_path / "pkg" / "sub"):
        assert taken.markers(folder) == fresh.markers(folder)
        assert taken.has_init(folder) == fresh.has_init(folder)


def test_a_linked_marker_counts_as_a_listing_says(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "pyproject.toml").symlink_to(tmp_path / "real" / "pyproject.toml")
    (tmp_path / "proj" / "a.py").write_text("")
    taken = ProjectFolders()
    taken.take_listings(_walk(tmp_path / "proj"), time.monotonic())
    assert taken.markers(tmp_path / "proj") == ("pyproject.toml",)


def test_a_listing_older_than_the_window_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "app" / "main.py").write_text("")
    listed = _walk(tmp_path)
    (tmp_path / "app" / "requirements.txt").write_text("rich\n")
    read = _listings_read(monkeypatch)
    taken = ProjectFolders()
    taken.take_listings(listed, time.monotonic() - folder_memo.REVALIDATE_SECONDS - 0.1)
    found = find_project(tmp_path / "app" / "main.py", tmp_path, folders=taken)
    assert read == [tmp_path / "app"]
    assert found.root == tmp_path / "app"


def test_a_marker_created_after_the_walk_is_seen_once_the_window_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "app" / "main.py").write_text("")
    listed = _walk(tmp_path)
    taken = ProjectFolders()
    since = time.monotonic()
    taken.take_listings(listed, since)
    assert find_project(tmp_path / "app" / "main.py", tmp_path, folders=taken).root == tmp_path
    (tmp_path / "app" / "requirements.txt").write_text("rich\n")
    later = since + folder_memo.REVALIDATE_SECONDS + 0.1
    monkeypatch.setattr(folder_memo.time, "monotonic", lambda: later)
    monkeypatch.setattr(projects.time, "monotonic", lambda: later)
    found = find_project(tmp_path / "app" / "main.py", tmp_path, folders=taken)
    assert found.root == tmp_path / "app"
    assert found.markers == ("requirements.txt",)


def test_clear_forgets_the_walk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.py").write_text("")
    listed = _walk(tmp_path)
    (tmp_path / "setup.cfg").write_text("[metadata]\nname = y\n")
    taken = ProjectFolders()
    taken.take_listings(listed, time.monotonic())
    taken.clear()  # a front end said files changed
    assert taken.markers(tmp_path) == ("setup.cfg",)


def test_a_folder_past_the_listing_limit_is_listed_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fs, "MAX_ENTRIES", 3)
    for name in ("a.py", "b.py", "c.py", "requirements.txt"):
        (tmp_path / name).write_text("")
    listed = _walk(tmp_path)
    read = _listings_read(monkeypatch)
    taken = ProjectFolders()
    taken.take_listings(listed, time.monotonic())
    taken.markers(tmp_path)
    assert read == [tmp_path]


def _lstats(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    asked: list[Path] = []
    real = fs.is_symlink

    def counting(path: Path) -> bool:
        asked.append(path)
        return real(path)

    monkeypatch.setattr(fs, "is_symlink", counting)
    return asked


def test_canonical_paths_of_walked_entries_need_no_lstat_but_links_still_resolve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path.resolve()
    _layout(root)
    (root / "elsewhere").mkdir()
    (root / "elsewhere" / "real.py").write_text("")
    (root / "pkg" / "sub" / "linked.py").symlink_to(root / "elsewhere" / "real.py")
    listed = _walk(root)
    cache = fs.RealpathCache()
    cache(root)  # the folders above the walk, as a session resolves them first
    asked = _lstats(monkeypatch)
    cache.take_listings(listed, [root])
    mod = root / "pkg" / "sub" / "mod.py"
    assert cache(mod) == mod
    assert cache(root / "pkg" / "sub" / "linked.py") == root / "elsewhere" / "real.py"
    assert asked == [root / "pkg" / "sub" / "linked.py"]  # only the link was looked at
    assert cache.listed_file(mod)
    assert not cache.listed_file(root / "pkg" / "sub" / "linked.py")
    assert not cache.listed_file(root / "pkg" / "sub")


def test_a_start_folder_that_is_a_link_still_resolves(tmp_path: Path) -> None:
    real = tmp_path.resolve() / "real"
    (real / "app").mkdir(parents=True)
    (real / "app" / "main.py").write_text("")
    start = tmp_path.resolve() / "start"
    start.symlink_to(real)
    cache = fs.RealpathCache()
    cache.take_listings(_walk(start), [start])
    assert cache(start / "app" / "main.py") == real / "app" / "main.py"


def test_a_session_given_the_walk_finds_the_same_projects(tmp_path: Path) -> None:
    from envsense.core.session import Session

    root = tmp_path.resolve()
    _layout(root)
    (root / "tools").mkdir()
    (root / "tools" / "requirements.txt").write_text("rich\n")
    (root / "tools" / "run.py").write_text("")
    (root / "other").mkdir()
    (root / "other" / "setup.cfg").write_text("[metadata]\nname = o\n")
    (root / "tools" / "linked.py").symlink_to(root / "other" / "setup.cfg")
    since = time.monotonic()
    listed: dict[str, ListedFolder] = {}
    files = list(iter_checkable_files([root], listed))
    given = Session([root], one_shot=True)
    given.take_walk(listed, since, [root])
    plain = Session([root], one_shot=True)
    for path in [*files, root / "tools" / "linked.py"]:
        assert given.project_for(path) == plain.project_for(path), path
    assert given.project_for(root / "tools" / "linked.py").root == root / "other"
