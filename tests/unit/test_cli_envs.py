"""`envsense envs`: every environment, the selected one and why, as a table or JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from envsense.cli import main
from tests.support.venvs import make_venv


@pytest.fixture
def fake_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    for variable in ("VIRTUAL_ENV", "CONDA_PREFIX", "WORKON_HOME", "PYENV_ROOT"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("PATH", "")
    return home


def test_json_lists_envs_and_selects_the_in_project_venv(
    fake_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "proj"\n')
    make_venv(project / ".venv")
    assert main(["envs", "--json", str(project / "pyproject.toml")]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert set(payload) == {"environments", "selected", "reason", "fallback", "project"}
    assert payload["fallback"] is False
    assert payload["selected"]["prefix"] == str(project / ".venv")
    assert payload["selected"]["kind"] == "venv"
    assert payload["reason"] == "in-project environment .venv"
    assert payload["environments"][0] == payload["selected"]
    assert set(payload["selected"]) == {
        "kind",
        "name",
        "prefix",
        "executable",
        "version",
        "project",
        "error",
    }


def test_requires_python_is_read_from_pyproject(
    fake_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    managed = fake_home / ".local" / "share" / "uv" / "python" / "cpython-3.99.1-linux-x86_64-gnu"
    (managed / "bin").mkdir(parents=True)
    fake = managed / "bin" / "python3"
    fake.write_text("#!/bin/sh\nexit 3\n")  # listed from its folder name, never run
    fake.chmod(0o755)
    project = tmp_path / "app"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "app"\nrequires-python = ">=3.99"\n')
    assert main(["envs", "--json", str(project)]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["selected"]["executable"] == str(fake)
    assert payload["reason"] == (
        "no environment for this project; using uv-python 3.99.1 for now"
        " (newest Python satisfying requires-python >=3.99)"
    )
    assert payload["fallback"] is True
    assert payload["project"] == str(project)


def test_text_table_and_selected_line(
    fake_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "setup.py").write_text("")
    make_venv(project / ".venv")
    (project / "venv").mkdir()
    (project / "venv" / "pyvenv.cfg").write_text("home = /gone\nversion = 3.12.0\n")
    assert main(["envs", str(project)]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0].split()
    assert header == ["KIND", "NAME", "VERSION", "PATH", "ERROR"]
    assert "* " in out and str(project / ".venv" / "bin" / "python") in out
    assert f"no python executable in {project / 'venv' / 'bin'}" in out  # broken, still listed
    assert out.rstrip().endswith("(in-project environment .venv)")
    assert "selected: .venv (Python " in out


def test_missing_path_is_an_error(fake_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["envs", "/definitely/not/here"]) == 2
    assert "no such file or folder" in capsys.readouterr().err
