"""Projects: nearest marker folder within the workspace, and bounded monorepo search."""

from __future__ import annotations

from pathlib import Path

from envsense.core.discovery import fs
from envsense.core.environment_owner import uv_workspace_root
from envsense.core.projects import (
    MAX_CLIMB,
    Project,
    ProjectFolders,
    enclosing_projects,
    find_project,
    find_projects,
    packaged_by,
    project_markers,
)


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


def test_found_above_the_workspace_folder_the_client_opened(tmp_path: Path) -> None:
    # eglot without VCS opens the file's own folder (src/flask) as the workspace root.
    _touch(tmp_path / "flask" / "pyproject.toml", '[project]\nname = "flask"\n')
    source = _touch(tmp_path / "flask" / "src" / "flask" / "app.py")
    _touch(tmp_path / "flask" / "src" / "flask" / "__init__.py")
    ws = tmp_path / "flask" / "src" / "flask"
    assert find_project(source, ws, home=tmp_path) == Project(
        tmp_path / "flask", ("pyproject.toml",)
    )


def test_the_climb_stops_at_home_and_falls_back_to_the_workspace(tmp_path: Path) -> None:
    _touch(tmp_path / "requirements.txt")  # a stray file in the user's home folder
    ws = tmp_path / "scripts"
    source = _touch(ws / "tools" / "run.py")
    assert find_project(source, ws, home=tmp_path) == Project(ws, ())
    assert find_project(source, None, home=tmp_path) == Project(ws / "tools", ())
    # Opening the home folder itself as the workspace makes it examinable.
    assert find_project(source, tmp_path, home=tmp_path).root == tmp_path


def test_the_climb_is_bounded(tmp_path: Path) -> None:
    _touch(tmp_path / "pyproject.toml")
    deep = tmp_path.joinpath(*[f"d{i}" for i in range(MAX_CLIMB + 2)])
    source = _touch(deep / "x.py")
    assert find_project(source, deep, home=tmp_path.parent) == Project(deep, ())
    shallow = _touch(tmp_path / "a" / "b" / "x.py")
    assert find_project(shallow, None, home=tmp_path.parent).root == tmp_path


def test_a_setup_py_counts_only_when_it_calls_setup(tmp_path: Path) -> None:
    _touch(tmp_path / "a" / "setup.py", "from setuptools import setup\nsetup(name='a')\n")
    _touch(tmp_path / "b" / "setup.py", "import setuptools\n\nsetuptools.setup()\n")
    _touch(tmp_path / "c" / "setup.py", "def setup_component(hass):\n    return hass.setup\n")
    _touch(tmp_path / "d" / "setup.py", "print 'python 2'\nsetup(name='d')\n")
    assert project_markers(tmp_path / "a") == ("setup.py",)
    assert project_markers(tmp_path / "b") == ("setup.py",)
    assert project_markers(tmp_path / "c") == ()
    assert project_markers(tmp_path / "d") == ("setup.py",)


def _homeassistant(root: Path) -> Path:
    """The shape of homeassistant 2024.3: a root pyproject.toml, the package beside it
    with an ordinary module named setup.py, and integrations with requirement-ish files."""
    _touch(root / "pyproject.toml", '[project]\nname = "homeassistant"\n')
    package = root / "homeassistant"
    _touch(package / "__init__.py")
    _touch(
        package / "setup.py",
        '"""All methods needed to bootstrap a Home Assistant instance."""\n'
        "async def async_setup_component(hass, domain, config):\n"
        "    return await component.async_setup(hass, config)\n",
    )
    _touch(package / "components" / "__init__.py")
    _touch(package / "components" / "x" / "__init__.py", "import homeassistant.core\n")
    # A package folder holding a requirements file is still part of the package.
    _touch(package / "components" / "x" / "requirements.txt", "aiohttp\n")
    return package / "components" / "x" / "__init__.py"


def test_homeassistant_modules_belong_to_the_root_project(tmp_path: Path) -> None:
    source = _homeassistant(tmp_path / "core")
    for workspace in (tmp_path / "core", source.parent, None):
        project = find_project(source, workspace, home=tmp_path)
        assert project == Project(tmp_path / "core", ("pyproject.toml",)), workspace
    assert [p.root for p in find_projects(tmp_path / "core")] == [tmp_path / "core"]


def test_a_package_folder_with_a_real_setup_call_is_still_part_of_the_package(
    tmp_path: Path,
) -> None:
    _touch(tmp_path / "setup.cfg")
    _touch(tmp_path / "src" / "pkg" / "__init__.py")
    _touch(tmp_path / "src" / "pkg" / "sub" / "__init__.py")
    _touch(tmp_path / "src" / "pkg" / "sub" / "setup.py", "from setuptools import setup\nsetup()\n")
    source = _touch(tmp_path / "src" / "pkg" / "sub" / "m.py")
    assert find_project(source, tmp_path, home=tmp_path.parent).root == tmp_path
    assert packaged_by(tmp_path / "src" / "pkg" / "sub") == tmp_path
    # A sub-project without __init__.py (an example app) stays a project of its own.
    _touch(tmp_path / "examples" / "app" / "requirements.txt")
    app = _touch(tmp_path / "examples" / "app" / "main.py")
    assert find_project(app, tmp_path, home=tmp_path.parent).root == tmp_path / "examples" / "app"


def test_enclosing_projects_and_uv_workspace_members(tmp_path: Path) -> None:
    _touch(
        tmp_path / "pyproject.toml",
        '[project]\nname = "root"\n[tool.uv.workspace]\nmembers = ["packages/*"]\n'
        'exclude = ["packages/skip"]\n',
    )
    _touch(tmp_path / "packages" / "lib-a" / "pyproject.toml", '[project]\nname = "a"\n')
    _touch(tmp_path / "packages" / "skip" / "pyproject.toml", '[project]\nname = "s"\n')
    _touch(tmp_path / "tools" / "t" / "pyproject.toml", '[project]\nname = "t"\n')
    home = tmp_path.parent
    member = find_project(tmp_path / "packages" / "lib-a" / "m.py", None, home=home)
    assert member.root == tmp_path / "packages" / "lib-a"
    assert [p.root for p in enclosing_projects(member, home=home)] == [tmp_path]
    root = uv_workspace_root(member, home=home)
    assert root is not None and root.root == tmp_path
    skipped = find_project(tmp_path / "packages" / "skip", None, home=home)
    assert uv_workspace_root(skipped, home=home) is None
    assert (
        uv_workspace_root(find_project(tmp_path / "tools" / "t", None, home=home), home=home)
        is None
    )
    assert uv_workspace_root(find_project(tmp_path, None, home=home), home=home) is not None


def test_the_manifest_of_a_project(tmp_path: Path) -> None:
    assert Project(tmp_path, ("setup.py", "setup.cfg")).manifest == tmp_path / "setup.cfg"
    assert Project(tmp_path, ("pyproject.toml", "Pipfile")).manifest == tmp_path / "pyproject.toml"
    both = ("requirements-dev.txt", "requirements.txt")
    assert Project(tmp_path, both).manifest == tmp_path / "requirements.txt"
    assert Project(tmp_path, ()).manifest is None


def test_monorepo_projects_to_depth_three_skipping_tool_folders(tmp_path: Path) -> None:
    _touch(tmp_path / "pyproject.toml")
    _touch(tmp_path / "packages" / "a" / "pyproject.toml")
    _touch(
        tmp_path / "libs" / "group" / "b" / "setup.py", "from setuptools import setup\nsetup()\n"
    )
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


def test_bad_files_on_the_way_up_are_no_crash(tmp_path: Path) -> None:
    _touch(tmp_path / "pyproject.toml", "[tool.uv.workspace\nmembers = [")  # malformed TOML
    member = _touch(tmp_path / "m" / "pyproject.toml", '[project]\nname = "m"\n').parent
    _touch(
        tmp_path / "m" / "setup.py", "\udcff".encode("utf-8", "surrogateescape").decode("latin-1")
    )
    project = find_project(member / "x.py", member, home=tmp_path.parent)
    assert project.root == member
    assert uv_workspace_root(project, home=tmp_path.parent) is None
    assert [p.root for p in enclosing_projects(project, home=tmp_path.parent)] == [tmp_path]


# -- one session's many folders (find_project remembers each climb) --------------------


def _monorepo(tmp_path: Path) -> Path:
    """A monorepo root with nested projects, a requirements-only sub-folder, a package
    holding a module named setup.py, and folders without markers at every depth."""
    root = tmp_path / "repo"
    _touch(root / "pyproject.toml", '[project]\nname = "repo"\n')
    _touch(root / "tools" / "scripts" / "deep" / "run.py")
    _touch(root / "packages" / "a" / "pyproject.toml", '[project]\nname = "a"\n')
    _touch(root / "packages" / "a" / "src" / "a" / "__init__.py")
    _touch(root / "packages" / "a" / "src" / "a" / "sub" / "__init__.py")
    _touch(root / "packages" / "a" / "src" / "a" / "sub" / "setup.py", "setup(name='x')\n")
    _touch(root / "packages" / "a" / "src" / "a" / "sub" / "inner" / "m.py")
    _touch(root / "packages" / "b" / "lib" / "x.py")
    _touch(root / "services" / "api" / "requirements.txt", "flask\n")
    _touch(root / "services" / "api" / "handlers" / "h.py")
    return root


def _all_folders(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_dir())


def test_remembered_climbs_answer_as_a_fresh_climb_whatever_the_order(tmp_path: Path) -> None:
    root = _monorepo(tmp_path)
    folders = _all_folders(root)
    alone = {f: find_project(f / "x.py", root, home=tmp_path) for f in folders}
    assert alone[root / "packages" / "a" / "src" / "a" / "sub" / "inner"].root == (
        root / "packages" / "a"
    )
    assert alone[root / "services" / "api" / "handlers"].markers == ("requirements.txt",)
    assert alone[root / "packages" / "b" / "lib"].root == root
    for order in (folders, folders[::-1], sorted(folders, key=lambda f: (len(f.parts), f))):
        shared = ProjectFolders()
        remembered = {
            f: find_project(f / "x.py", root, home=tmp_path, folders=shared) for f in order
        }
        assert remembered == alone


def test_a_remembered_climb_keeps_the_climb_bound(tmp_path: Path) -> None:
    # The project lies exactly MAX_CLIMB folders above `edge`: found from there, not from
    # one folder deeper, even once the climb from `edge` is remembered.
    _touch(tmp_path / "pyproject.toml")
    edge = tmp_path.joinpath(*[f"d{i}" for i in range(MAX_CLIMB)])
    deeper = edge / "more"
    deeper.mkdir(parents=True)
    shared = ProjectFolders()
    assert find_project(edge / "a.py", None, home=tmp_path.parent, folders=shared).root == tmp_path
    below = find_project(deeper / "b.py", None, home=tmp_path.parent, folders=shared)
    assert below == Project(deeper, ())
    assert find_project(deeper / "b.py", None, home=tmp_path.parent) == below


def test_a_marker_that_appears_moves_the_folders_below_once_cleared(tmp_path: Path) -> None:
    root = _monorepo(tmp_path)
    deep = root / "tools" / "scripts" / "deep"
    shared = ProjectFolders()
    assert find_project(deep / "run.py", root, home=tmp_path, folders=shared).root == root
    _touch(root / "tools" / "requirements.txt", "rich\n")
    shared.clear()  # what the session does when told a manifest appeared
    other = root / "tools" / "scripts"
    assert find_project(other / "s.py", root, home=tmp_path, folders=shared).root == root / "tools"
    assert find_project(deep / "run.py", root, home=tmp_path, folders=shared).root == root / "tools"


def test_within_a_folder_is_decided_as_pathlib_decides_it() -> None:
    # fs.is_within compares texts where that gives pathlib's answer: roots, the POSIX
    # "//" root, relative paths, prefixes that are not folders ("/ab" is not in "/a").
    cases = ["/", "//", "/a", "/a/b", "/ab", "//a", "//a/b", "a", "a/b", ".", "/a/bc", "/a/.."]
    for text in cases:
        for folder_text in cases:
            path, folder = Path(text), Path(folder_text)
            expected = path == folder or folder in path.parents
            assert fs.is_within(path, folder) is expected, (text, folder_text)
