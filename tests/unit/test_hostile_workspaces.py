"""Issue 11's hostile workspaces, each as `envsense check` and `envsense envs` see it.

Every case: no crash (exit 0 or 1, no "internal error", no traceback), done within the
hang guard, under 300 MB, and the finding that tells the user what was wrong.
"""

from __future__ import annotations

import inspect
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from envsense import cli
from envsense.core.files import MAX_WALK_DEPTH, iter_checkable_files
from envsense.error_text import describe_error
from tests.support.hostile import check, deep_toml, envs, run_envsense, workspace
from tests.support.venvs import make_venv


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _chain(root: Path) -> None:
    for i in range(1200):
        _write(root / f"r{i}.txt", f"-r r{i + 1}.txt\npkg{i}\n")
    _write(root / "requirements.txt", "-r r0.txt\n")


def _group_chain(root: Path) -> None:
    groups = "".join(f"g{i} = [{{include-group = 'g{i + 1}'}}, 'p{i}']\n" for i in range(1200))
    _write(
        root / "pyproject.toml", f"[project]\nname='x'\n[dependency-groups]\n{groups}g1200=['z']\n"
    )


def _group_diamond(root: Path) -> None:
    groups = "".join(
        f"g{i} = [{{include-group = 'g{i + 1}'}}, {{include-group = 'h{i + 1}'}}]\n"
        f"h{i} = [{{include-group = 'g{i + 1}'}}, {{include-group = 'h{i + 1}'}}]\n"
        for i in range(20)
    )
    _write(
        root / "pyproject.toml",
        f"[project]\nname='x'\n[dependency-groups]\n{groups}g20=['a']\nh20=['b']\n",
    )


def _requirement_diamond(root: Path) -> None:
    for i in range(14):
        for side in "ab":
            _write(root / f"{side}{i}.txt", f"-r a{i + 1}.txt\n-r b{i + 1}.txt\n")
    _write(root / "a14.txt", "left\n")
    _write(root / "b14.txt", "right\n")
    _write(root / "requirements.txt", "-r a0.txt\n")


def _big_source(root: Path) -> None:
    with (root / "big.py").open("wb") as handle:
        handle.truncate(11 * 1024 * 1024)


# name -> (build the tree, a finding code expected from check, text in its message)
CASES: dict[str, tuple[Callable[[Path], None], str | None, str]] = {
    "coding-undefined": (
        lambda r: _write(r / "x.py", "# coding: undefined\nimport os\n"),
        None,
        "",
    ),
    "toml-900-deep-pyproject": (
        lambda r: _write(r / "pyproject.toml", "[project]\nname='x'\n" + deep_toml(900)),
        "malformed-manifest",
        "nested more than 64 levels",
    ),
    "toml-900-deep-pipfile": (
        lambda r: _write(r / "Pipfile", deep_toml(900)),
        "malformed-manifest",
        "nested more than 64 levels",
    ),
    "toml-900-deep-pep723": (
        lambda r: _write(r / "x.py", "# /// script\n# " + deep_toml(900) + "# ///\nimport os\n"),
        None,
        "",
    ),
    "editable-two-blanks": (
        lambda r: _write(r / "requirements.txt", "-e ./a  b\n"),
        None,
        "",
    ),
    "include-with-nul": (
        lambda r: _write(r / "requirements.txt", "-r a\0b\n"),
        "malformed-manifest",
        "NUL byte",
    ),
    "include-chain-1200": (_chain, None, ""),
    "group-chain-1200": (_group_chain, None, ""),
    "group-diamond-20": (_group_diamond, None, ""),
    "requirement-diamond-14": (_requirement_diamond, None, ""),
    "requires-python-5000-digits": (
        lambda r: _write(
            r / "pyproject.toml", "[project]\nname='x'\nrequires-python='>=" + "9" * 5000 + "'\n"
        ),
        "malformed-manifest",
        "not a valid version specifier",
    ),
    "notebook-worksheet-cells-not-a-list": (
        lambda r: _write(r / "n.ipynb", json.dumps({"worksheets": [{"cells": 5}], "nbformat": 3})),
        None,
        "",
    ),
    "notebook-invalid-json": (
        lambda r: _write(r / "n.ipynb", "{not json"),
        "file-not-checked",
        "not a notebook: invalid JSON",
    ),
    "notebook-nested-100000": (
        lambda r: _write(r / "n.ipynb", "[" * 100_000 + "]" * 100_000),
        "file-not-checked",
        "not a notebook",
    ),
    "fifo-source": (lambda r: os.mkfifo(r / "x.py"), "file-not-checked", "a FIFO"),
    "dev-zero-source": (
        lambda r: (r / "x.py").symlink_to("/dev/zero"),
        "file-not-checked",
        "a device",
    ),
    "include-dev-zero": (
        lambda r: _write(r / "requirements.txt", "-r /dev/zero\n"),
        "malformed-manifest",
        "a device",
    ),
    "requirements-is-dev-zero": (
        lambda r: (r / "requirements.txt").symlink_to("/dev/zero"),
        "file-not-checked",
        "a device",
    ),
    "source-over-10-mb": (_big_source, "file-not-checked", "10 MB limit"),
    "import-with-100000-part-dotted-name": (
        lambda r: _write(r / "x.py", "import " + "a." * 100_000 + "b\n"),
        None,
        "",
    ),
    "string-of-8-mb-on-one-line": (
        lambda r: _write(r / "x.py", 'import os\ny = "' + "a" * 8_000_000 + '"\n'),
        None,
        "",
    ),
    "triple-quoted-string-of-escapes": (
        lambda r: _write(r / "x.py", 'import os\n"""' + "\\a" * 3_500_000 + '"""\n'),
        None,
        "",
    ),
    "expression-nested-200000-deep": (
        lambda r: _write(r / "x.py", "import os; x = " + "-" * 200_000 + "1\n"),
        None,
        "",
    ),
    "900000-imports-on-one-line": (
        lambda r: _write(r / "x.py", "import os;" * 900_000 + "\n"),
        None,
        "",
    ),
    "source-10-million-lines": (
        lambda r: _write(r / "x.py", "import os\n" + "\n" * 10_000_000),
        "file-not-checked",
        "more than 1000000 lines",
    ),
    "setup-cfg-parse-error": (
        lambda r: _write(r / "setup.cfg", "[metadata]\nname = x\n\n[options\n"),
        "malformed-manifest",
        "invalid at line 4",
    ),
    "deps-8000": (
        lambda r: _write(
            r / "pyproject.toml",
            "[project]\nname='x'\ndependencies=[\n"
            + "".join(f"'p{i}',\n" for i in range(8000))
            + "]\n",
        ),
        None,
        "",
    ),
    "pep723-8000": (
        lambda r: _write(
            r / "x.py",
            "# /// script\n# dependencies = [\n"
            + "".join(f"#   'p{i}',\n" for i in range(8000))
            + "# ]\n# ///\nimport os\n",
        ),
        None,
        "",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_workspace(name: str, tmp_path: Path) -> None:
    build, code, text = CASES[name]
    root = workspace(tmp_path / "ws")
    build(root)
    home = tmp_path / "home"
    result = check(root, home)
    result.assert_sane()
    if code is not None:
        matching = [d for d in result.json()["diagnostics"] if d["code"] == code]
        assert any(text in d["message"] for d in matching), result.json()["diagnostics"]
    envs(root, home).assert_sane()


def test_folder_walk_needs_no_recursion_and_stops_at_its_depth(tmp_path: Path) -> None:
    """os.walk recursed per level (1,500 nested folders crashed check). Checked at 150
    levels under a recursion limit that a recursive walk would hit; a deeper tree would
    also crash pytest's own clean-up of temporary folders."""
    folder = workspace(tmp_path / "ws")
    for depth in range(150):
        folder = folder / "a"
        folder.mkdir()
        if depth in (10, 149):
            (folder / "x.py").write_text("import os\n")
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 80)
    try:
        found = list(iter_checkable_files([tmp_path / "ws"]))
    finally:
        sys.setrecursionlimit(limit)
    assert [len(p.relative_to(tmp_path / "ws").parts) for p in found] == [12]
    assert MAX_WALK_DEPTH < 150


def test_fifo_named_on_the_command_line_is_reported(tmp_path: Path) -> None:
    root = workspace(tmp_path / "ws")
    os.mkfifo(root / "x.py")
    result = run_envsense(
        "check", "--no-cache", "--format", "json", "x.py", cwd=root, home=tmp_path / "home"
    )
    result.assert_sane()
    assert result.codes() == ["file-not-checked"]


def test_coding_undefined_says_what_it_did(tmp_path: Path) -> None:
    root = workspace(tmp_path / "ws")
    _write(root / "x.py", "# coding: undefined\nimport os\n")
    result = check(root, tmp_path / "home")
    result.assert_sane()
    assert "coding declaration 'undefined' can't decode it" in result.stderr


@pytest.fixture(scope="module")
def hostile_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real venv whose site-packages holds dist-info files no reader should trust."""
    venv = make_venv(tmp_path_factory.mktemp("hostile") / "venv").parent.parent
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site = venv / "lib" / version / "site-packages"
    zero = site / "zero-1.0.dist-info"
    zero.mkdir()
    (zero / "METADATA").symlink_to("/dev/zero")
    (zero / "RECORD").symlink_to("/dev/zero")
    nested = site / "nested-1.0.dist-info"
    nested.mkdir()
    (nested / "METADATA").write_text("Metadata-Version: 2.1\nName: nested\nVersion: 1.0\n\n")
    (nested / "direct_url.json").write_text("[" * 100_000 + "]" * 100_000)
    os.mkfifo(nested / "RECORD")
    fifo = site / "fifo-1.0.dist-info"
    fifo.mkdir()
    os.mkfifo(fifo / "METADATA")
    (fifo / "top_level.txt").symlink_to("/dev/zero")
    huge = site / "huge-1.0.dist-info"
    huge.mkdir()
    (huge / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: huge\nVersion: {'9' * 5000}\n"
        f"Requires-Dist: other>={'8' * 5000}\n\n"
    )
    (huge / "RECORD").write_text("huge/__init__.py,,\n")
    (site / "huge").mkdir()
    (site / "huge" / "__init__.py").write_text("")
    os.mkfifo(site / "hostile.pth")
    (site / "zero.pth").symlink_to("/dev/zero")
    return venv


def test_hostile_dist_info_is_skipped_and_the_rest_still_checked(
    hostile_venv: Path, tmp_path: Path
) -> None:
    root = workspace(tmp_path / "ws")
    _write(root / "x.py", "import os\nimport surely_not_installed_anywhere\nimport huge\n")
    _write(root / "pyproject.toml", "[project]\nname = 'p'\ndependencies = ['huge>=1.0']\n")
    result = check(root, tmp_path / "home", "--python", str(hostile_venv / "bin" / "python"))
    result.assert_sane()
    found = {(d["path"], d["line"], d["code"]) for d in result.json()["diagnostics"]}
    assert ("x.py", 2, "missing-import") in found
    # A 5,000-digit installed version can't be compared: it is unknown, not a crash.
    assert ("x.py", 3, "version-mismatch") in found
    assert ("pyproject.toml", 3, "version-mismatch") in found


def test_fifo_pyvenv_cfg_does_not_stop_discovery(tmp_path: Path) -> None:
    root = workspace(tmp_path / "ws")
    venv = root / ".venv"
    (venv / "bin").mkdir(parents=True)
    os.mkfifo(venv / "pyvenv.cfg")
    (venv / "bin" / "python").symlink_to(sys.executable)
    _write(root / "x.py", "import os\n")
    home = tmp_path / "home"
    listed = envs(root, home)
    listed.assert_sane()
    assert isinstance(listed.json()["environments"], list)
    check(root, home).assert_sane()


def _fake_venv(root: Path, cfg: bytes | None, python: str | None = sys.executable) -> Path:
    venv = root / ".venv"
    (venv / "bin").mkdir(parents=True)
    if cfg is not None:
        (venv / "pyvenv.cfg").write_bytes(cfg)
    if python is not None:
        (venv / "bin" / "python").symlink_to(python)
    return venv


ENVIRONMENT_CASES: dict[str, Callable[[Path], object]] = {
    "pyvenv-cfg-5000-digit-version": lambda r: _fake_venv(
        r, b"home = /usr/bin\nversion = 3." + b"1" * 5000 + b".0\n"
    ),
    "pyvenv-cfg-binary": lambda r: _fake_venv(r, bytes(range(256)) * 20),
    "pyvenv-cfg-is-a-folder": lambda r: (_fake_venv(r, None) / "pyvenv.cfg").mkdir(),
    "python-links-to-dev-zero": lambda r: _fake_venv(r, b"home = /usr/bin\n", "/dev/zero"),
    "python-is-a-fifo": lambda r: os.mkfifo(
        _fake_venv(r, b"home = /usr/bin\n", None) / "bin" / "python"
    ),
    "python-version-file-fifo": lambda r: os.mkfifo(r / ".python-version"),
    "conda-history-fifo": lambda r: (
        (r / "env" / "conda-meta").mkdir(parents=True),
        os.mkfifo(r / "env" / "conda-meta" / "history"),
    ),
    "poetry-toml-900-deep": lambda r: _write(r / "poetry.toml", deep_toml(900)),
    "pixi-toml-900-deep": lambda r: _write(r / "pixi.toml", deep_toml(900)),
}


@pytest.mark.parametrize("name", sorted(ENVIRONMENT_CASES))
def test_hostile_environment_files(name: str, tmp_path: Path) -> None:
    """What `envsense envs` reads to find environments: no crash, no traceback, no hang."""
    root = workspace(tmp_path / "ws")
    _write(root / "x.py", "import os\n")
    ENVIRONMENT_CASES[name](root)
    home = tmp_path / "home"
    listed = envs(root, home)
    listed.assert_sane()
    assert isinstance(listed.json()["environments"], list)
    check(root, home).assert_sane()


def test_malformed_manifest_still_checks_the_project_files(tmp_path: Path) -> None:
    """A manifest that can't be read is one finding; the project's imports are still checked."""
    root = workspace(tmp_path / "ws")
    make_venv(root / ".venv")
    _write(root / "pyproject.toml", "[project]\nname='x'\n" + deep_toml(900))
    _write(root / "requirements.txt", "-r /dev/zero\nrequests\n")
    _write(root / "x.py", "import os\nimport surely_not_installed_anywhere\n")
    result = check(root, tmp_path / "home")
    result.assert_sane()
    by_file = {(d["path"], d["code"]) for d in result.json()["diagnostics"]}
    assert ("pyproject.toml", "malformed-manifest") in by_file
    assert ("requirements.txt", "malformed-manifest") in by_file
    assert ("requirements.txt", "requirement-not-installed") in by_file
    assert ("x.py", "missing-import") in by_file


def test_memory_error_is_named_not_empty(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import envsense.check_run

    def out_of_memory(*args: object, **kwargs: object) -> int:
        raise MemoryError()

    monkeypatch.setattr(envsense.check_run, "run_check", out_of_memory)
    assert cli.main(["check", str(tmp_path)]) == 2
    assert "envsense: internal error: MemoryError: out of memory" in capsys.readouterr().err
    assert describe_error(ValueError()) == "ValueError"
    assert describe_error(KeyError("k")) == "KeyError: 'k'"
