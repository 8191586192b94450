"""Projects: nearest marker folder within the workspace, and bounded monorepo search."""

from __future__ import annotations

from pathlib import Path

from envsense.core.projects import Project, find_project, find_projects


def _touch(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_nearest_folder_with_a_marker(tmp_path: Path) -> None:
    _touch(tmp_path / "pyproject.toml")
    _touch(tmp_path / "pkg" / "setup.cfg")
    source = _touch(tmp_path / "pkg" / "src" / "mod" / "a.py")
    assert find_project(source, tmp_path) == Project(tmp_path / "pkg", ("setup.cfg",))
    assert find_project(tmp_path / "other.py", tmp_path).markers == ("pyproject.toml",)


def test_requirements_files_count_and_are_listed(tmp_path: Path) -> None:
    _touch(tmp_path / "svc" / "requirements-dev.txt")
    _touch(tmp_path / "svc" / "requirements.txt")
    _touch(tmp_path / "svc" / "Pipfile")
    project = find_project(tmp_path / "svc" / "x.py", tmp_path)
    assert project.markers == ("Pipfile", "requirements-dev.txt", "requirements.txt")


def test_never_above_the_workspace_folder(tmp_path: Path) -> None:
    _touch(tmp_path / "pyproject.toml")  # above the workspace: ignored
    ws = tmp_path / "ws"
    source = _touch(ws / "scripts" / "run.py")
    assert find_project(source, ws) == Project(ws, ())
    assert find_project(tmp_path / "elsewhere.py", ws) == Project(ws, ())


def test_monorepo_projects_to_depth_three_skipping_tool_folders(tmp_path: Path) -> None:
    _touch(tmp_path / "pyproject.toml")
    _touch(tmp_path / "packages" / "a" / "pyproject.toml")
    _touch(tmp_path / "libs" / "group" / "b" / "setup.py")
    _touch(tmp_path / "x" / "y" / "z" / "w" / "pyproject.toml")  # depth 4: too deep
    _touch(tmp_path / "node_modules" / "p" / "setup.py")
    _touch(tmp_path / ".venv" / "lib" / "pyproject.toml")
    _touch(tmp_path / ".tox" / "py" / "setup.py")
    roots = [project.root for project in find_projects(tmp_path)]
    assert roots == [tmp_path, tmp_path / "packages" / "a", tmp_path / "libs" / "group" / "b"]


def test_symlink_loop_in_a_workspace_is_not_followed(tmp_path: Path) -> None:
    _touch(tmp_path / "a" / "pyproject.toml")
    (tmp_path / "a" / "again").symlink_to(tmp_path)
    assert [p.root for p in find_projects(tmp_path)] == [tmp_path / "a"]
