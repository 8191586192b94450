"""`envsense check` as CI runs it: real venv, real files, real exit codes and formats."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.venvs import install_wheels, make_venv
from tests.support.wheels import simple_wheel


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "proj"\nversion = "1"\ndependencies = ["PyYAML>=6"]\n'
    )
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "main.py").write_text("import os\nimport yaml\nfrom pkg import other\n")
    (root / "pkg" / "other.py").write_text("X = 1\n")
    make_venv(root / ".venv")
    return root


def run(*args: str, cwd: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cache), "XDG_CACHE_HOME": str(cache)}
    return subprocess.run(
        [sys.executable, "-m", "envsense", "check", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_text_output_and_exit_code_one_on_errors(project: Path, tmp_path: Path) -> None:
    result = run(".", cwd=project, cache=tmp_path / "cache")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert "pkg/main.py:2:8: missing-import 'yaml' is not installed in .venv" in lines[1]
    assert lines[0].startswith("pyproject.toml:4:18: requirement-not-installed PyYAML>=6")
    assert "2 problems (1 errors, 1 warnings" in result.stderr


def test_json_and_github_formats(project: Path, tmp_path: Path) -> None:
    result = run("--format", "json", ".", cwd=project, cache=tmp_path / "cache")
    payload = json.loads(result.stdout)
    assert payload["environment"]["kind"] == "venv"
    missing = [d for d in payload["diagnostics"] if d["code"] == "missing-import"]
    assert missing == [
        {
            "path": "pkg/main.py",
            "line": 2,
            "column": 8,
            "end_line": 2,
            "end_column": 12,
            "code": "missing-import",
            "severity": "error",
            "message": missing[0]["message"],
        }
    ]
    github = run("--format", "github", "pkg", cwd=project, cache=tmp_path / "cache")
    assert github.stdout.startswith("::error file=pkg/main.py,line=2,col=8,")
    assert "title=envsense missing-import::'yaml' is not installed" in github.stdout


def test_clean_project_exits_zero_and_cache_sees_installs(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert run(".", cwd=project, cache=cache).returncode == 1
    assert list((cache / "envsense" / "check").glob("*.json"))  # the cache was written
    wheel = simple_wheel(tmp_path / "wheels", "PyYAML", module="yaml", version="6.0.1")
    install_wheels(project / ".venv" / "bin" / "python", wheel)
    # Same files, changed site-packages: the cached findings must not be reused.
    result = run(".", cwd=project, cache=cache)
    assert result.returncode == 0, result.stdout
    assert result.stdout == ""


def test_cache_follows_file_content(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    run(".", cwd=project, cache=cache)
    (project / "pkg" / "main.py").write_text("import os\n")
    result = run("pkg", cwd=project, cache=cache)
    assert result.returncode == 0
    assert "missing-import" not in result.stdout


def test_usage_errors_exit_two(project: Path, tmp_path: Path) -> None:
    assert run("nowhere", cwd=project, cache=tmp_path).returncode == 2
    assert run("--python", "/no/python", ".", cwd=project, cache=tmp_path).returncode == 2
    assert run("--format", "xml", ".", cwd=project, cache=tmp_path).returncode == 2


@pytest.mark.parametrize("output", ["json", "text"])
def test_damaged_cached_findings_are_checked_again(
    project: Path, tmp_path: Path, output: str
) -> None:
    # Findings reused from the cache go to the output as stored: stored ones that are not
    # what envsense writes (a damaged or foreign file) make the file be checked again.
    cache = tmp_path / "cache"
    first = run("--format", output, ".", cwd=project, cache=cache)
    (stored,) = (cache / "envsense" / "check").glob("*.json")
    document = json.loads(stored.read_text())
    document["trusted_before"] = 2**62  # every entry trusted by its stat
    damaged = [
        [[0, 0, 0, 0, "no-such-code", 1, "m", []]],
        [[0, 0, 0, 0, "missing-import", 9, "m", []]],
        [[0, "0", 0, 0, "missing-import", 1, "m", []]],
        [[0, 0, 0, 0, "missing-import", 1, None, []]],
        [[0, 0, 0, 0, "missing-import", 1, "m", [5]]],
        [[0, 0, 0, 0, "missing-import", 1, "m", [], 7]],
        [[0, 0, 0, 0, "missing-import", 1]],
        ["not a finding"],
    ]
    for number, entry in enumerate(document["files"].values()):
        entry[6] = damaged[number % len(damaged)]
    stored.write_text(json.dumps(document))
    again = run("--format", output, ".", cwd=project, cache=cache)
    assert (again.returncode, again.stdout) == (first.returncode, first.stdout)
    assert "internal error" not in again.stderr


def test_the_program_ends_with_all_its_output_written(
    project: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Run as a program, the check ends the process where it is done (no interpreter
    teardown): everything written must still reach the pipe, with the same status as the
    check returns when called in-process. Enough findings to fill a pipe's buffer."""
    for number in range(400):
        (project / "pkg" / f"mod{number}.py").write_text(
            "".join(f"import missing_{number}_{line}\n" for line in range(10))
        )
    result = run("--format", "json", "--no-cache", ".", cwd=project, cache=tmp_path / "cache")
    from envsense.cli import main

    monkeypatch.chdir(project)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    code = main(["check", "--format", "json", "--no-cache", "--jobs", "1", "."])
    assert (result.returncode, result.stdout) == (code, capsys.readouterr().out)
    assert len(json.loads(result.stdout)["diagnostics"]) > 4000
