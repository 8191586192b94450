"""no-environment when a global interpreter stands in for a project: once per project, on
its manifest, naming the stand-in and the manager's command; none for a scripts folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from envsense.core.checks.project import create_command, environment_findings, project_findings
from envsense.core.checks.source import ProjectContext
from envsense.core.declarations import read_declarations
from envsense.core.environment import Environment, EnvKind
from envsense.core.findings import Code, Severity
from envsense.core.projects import find_project
from envsense.core.selection import Selection
from envsense.core.versions import PythonVersion

PYENV = Environment(
    EnvKind.PYENV,
    Path("/home/u/.pyenv/versions/3.13.0"),
    Path("/home/u/.pyenv/versions/3.13.0/bin/python3.13"),
    PythonVersion.parse("3.13.0"),
)
STAND_IN = Selection(PYENV, "no environment for this project; using pyenv 3.13.0 for now", True)


def context(root: Path, selection: Selection = STAND_IN) -> ProjectContext:
    project = find_project(root, root, home=root.parent.parent)
    return ProjectContext(project, read_declarations(project.root), selection, None)


def test_one_warning_on_the_manifest_naming_the_stand_in(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\nrequires-python = ">=3"\n')
    (tmp_path / "poetry.lock").write_text("")
    (finding,) = project_findings(context(tmp_path))
    assert finding.path == tmp_path / "pyproject.toml"
    assert (finding.span.line, finding.span.column) == (0, 0)
    assert finding.code is Code.NO_ENVIRONMENT and finding.severity is Severity.WARNING
    assert finding.message == (
        f"No environment for {tmp_path.name}: using your global pyenv 3.13.0 for now, "
        "shared by every project; create one with `poetry install`"
    )
    assert finding.fix.project == str(tmp_path) and finding.fix.requires_python == ">=3"
    # The manifest's own check carries it; a source file's does not repeat it.
    manifest_text = (tmp_path / "pyproject.toml").read_text()
    on_manifest = environment_findings(
        tmp_path / "pyproject.toml", context(tmp_path), source_text=manifest_text
    )
    assert [f.code for f in on_manifest] == [Code.NO_ENVIRONMENT]
    assert environment_findings(tmp_path / "m.py", context(tmp_path), source_text="import x") == []


def test_none_for_a_scripts_folder_or_a_project_with_its_own_env(tmp_path: Path) -> None:
    (tmp_path / "run.py").write_text("import requests\n")
    assert project_findings(context(tmp_path)) == []
    (tmp_path / "requirements.txt").write_text("requests\n")
    (only,) = project_findings(context(tmp_path))
    assert only.path == tmp_path / "requirements.txt"
    own = Selection(PYENV, "picked by you")
    assert project_findings(context(tmp_path, own)) == []


@pytest.mark.parametrize(
    ("files", "command"),
    [
        ({"uv.lock": ""}, "uv sync"),
        ({"pyproject.toml": "[tool.poetry]\nname = 'a'\n"}, "poetry install"),
        ({"pdm.lock": ""}, "pdm install"),
        ({"hatch.toml": ""}, "hatch env create"),
        ({"pyproject.toml": "[tool.hatch.envs.default]\n"}, "hatch env create"),
        ({"Pipfile": ""}, "pipenv install"),
        ({"pyproject.toml": "[project]\nname = 'a'\n"}, None),
    ],
)
def test_the_managers_create_command(
    tmp_path: Path, files: dict[str, str], command: str | None
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert create_command(tmp_path) == command


def test_check_reports_it_once_per_project(tmp_path: Path) -> None:
    """`envsense check` on a folder of two projects without environments, and on one file:
    one finding per project, whatever was checked. The fake HOME has no environments, so
    the machine's system Python stands in."""
    for name in ("a", "b"):
        root = tmp_path / "repo" / name
        (root / "pkg").mkdir(parents=True)
        (root / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "1"\n')
        for module in ("one", "two"):
            (root / "pkg" / f"{module}.py").write_text("import json\n")
    (tmp_path / "repo" / "scripts").mkdir()
    (tmp_path / "repo" / "scripts" / "tool.py").write_text("import json\n")
    home = tmp_path / "home"
    home.mkdir()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "XDG_CACHE_HOME": str(home / "c")}

    def check(*paths: str) -> list[dict[str, object]]:
        result = subprocess.run(
            [sys.executable, "-m", "envsense", "check", "--no-cache", "--format", "json", *paths],
            cwd=tmp_path / "repo",
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        found: list[dict[str, object]] = json.loads(result.stdout)["diagnostics"]
        return [d for d in found if d["code"] == "no-environment"]

    everything = check(".")
    assert sorted((d["path"], d["line"], d["severity"]) for d in everything) == [
        ("a/pyproject.toml", 1, "warning"),
        ("b/pyproject.toml", 1, "warning"),
    ]
    assert [d["path"] for d in check("a/pkg/one.py", "a/pkg/two.py")] == ["a/pyproject.toml"]
    assert check("scripts/tool.py") == []


def test_members_and_docs_folders_share_their_owners_one_finding(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "packages" / "lib").mkdir(parents=True)
    (root / "docs").mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "ws"\n[tool.uv.workspace]\nmembers = ["packages/*"]\n'
    )
    (root / "uv.lock").write_text("")
    (root / "packages" / "lib" / "pyproject.toml").write_text('[project]\nname = "lib"\n')
    (root / "docs" / "requirements.txt").write_text("sphinx\n")
    for folder in (root, root / "packages" / "lib", root / "docs"):
        (finding,) = project_findings(context(folder))
        assert finding.path == root / "pyproject.toml", folder
        assert finding.fix.project == str(root)
        assert finding.message.endswith("create one with `uv sync`")
    # The member's own manifest doesn't repeat it (the root's carries it).
    member = root / "packages" / "lib" / "pyproject.toml"
    text = member.read_text()
    assert environment_findings(member, context(member.parent), source_text=text) == []
    # An example app with its own requirements is a project of its own.
    (root / "examples" / "app").mkdir(parents=True)
    (root / "examples" / "app" / "requirements.txt").write_text("flask\n")
    (own,) = project_findings(context(root / "examples" / "app"))
    assert own.path == root / "examples" / "app" / "requirements.txt"
