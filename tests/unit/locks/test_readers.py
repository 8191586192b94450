"""Each lock format read from files the real tools wrote (uv, poetry, pdm, `uv pip compile`,
`uv export --format pylock.toml`) or, for Pipfile.lock, a sample in pipenv's documented
layout; every package entry has the span of its own lines, and bad files are problems."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from envsense.core.locks import common as lock_common
from envsense.core.locks import find_lock_files, parse_lock, read_lock
from envsense.core.locks.poetry_lock import poetry_content_hashes
from envsense.core.toml_compat import load_toml
from tests.unit.locks.lockfixtures import (
    PYPROJECT,
    line_of,
    pdm_lock,
    poetry_lock,
    uv_export_pylock,
    uv_lock,
    uv_pip_compile,
    wheelhouse,
    write_uv_project,
)

SAMPLES = Path(__file__).parent / "samples"

POETRY_PYPROJECT = """\
[project]
name = "shop"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["requests>=2.28"]

[tool.poetry]
package-mode = false

[tool.poetry.group.dev.dependencies]
pytest = "*"

[tool.poetry.group.docs]
optional = true

[tool.poetry.group.docs.dependencies]
rich = "*"
"""

PDM_PYPROJECT = """\
[project]
name = "shop"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["requests>=2.28"]

[tool.pdm]
distribution = false

[dependency-groups]
dev = ["pytest"]
"""


@pytest.fixture(scope="module")
def real_locks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One project per tool, locked for real against the same wheels."""
    base = tmp_path_factory.mktemp("locks")
    wheels = wheelhouse(base / "wheels")
    home = base / "home"
    uv_project = write_uv_project(base / "uvproj")
    found = {"uv": uv_lock(uv_project, wheels, home)}
    found["pylock"] = uv_export_pylock(uv_project, wheels, home)
    found["compiled"] = uv_pip_compile(uv_project, wheels, home, "--generate-hashes")
    poetry_project = base / "poetryproj"
    poetry_project.mkdir()
    found["poetry"] = poetry_lock(poetry_project, wheels, home, POETRY_PYPROJECT)
    pdm_project = base / "pdmproj"
    pdm_project.mkdir()
    found["pdm"] = pdm_lock(pdm_project, wheels, home, PDM_PYPROJECT)
    return found


def test_uv_lock_entries_have_their_lines_versions_and_graph(real_locks: dict[str, Path]) -> None:
    path = real_locks["uv"]
    lock = read_lock(path)
    assert lock is not None and lock.problem is None and lock.format == "uv"
    by_name = {p.canonical: p for p in lock.packages}
    assert set(by_name) == {"idna", "proj", "pytest", "requests", "rich", "tomli"}
    requests = by_name["requests"]
    assert requests.version == "2.32.3"
    assert requests.span.line == line_of(path, 'name = "requests"')
    assert requests.span.end_line == line_of(path, 'version = "2.32.3"')
    tomli_edge = next(e for e in requests.dependencies if e.name == "tomli")
    assert tomli_edge.marker is not None and "3.11" in str(tomli_edge.marker)
    root = by_name["proj"]
    assert root.is_local_project
    assert [e.name for e in root.group_edges("dev")] == ["pytest"]
    assert [e.name for e in root.extra_edges("fancy")] == ["rich"]
    assert root.requires is not None
    assert {r.name for r in root.requires} == {"requests", "rich", "pytest"}


def test_pylock_from_uv_export_keeps_markers_and_spans(real_locks: dict[str, Path]) -> None:
    path = real_locks["pylock"]
    lock = read_lock(path)
    assert lock is not None and lock.problem is None and lock.format == "pylock"
    assert lock.tool == "uv"
    tomli = next(p for p in lock.packages if p.canonical == "tomli")
    assert tomli.marker is not None and "3.11" in str(tomli.marker)
    assert tomli.span.line == line_of(path, 'name = "tomli"')
    assert all(p.source is not None and p.source.kind == "registry" for p in lock.packages)


def test_compiled_requirements_with_hashes_are_a_lock(real_locks: dict[str, Path]) -> None:
    path = real_locks["compiled"]
    lock = read_lock(path)
    assert lock is not None and lock.format == "requirements"
    assert lock.tool == "uv pip compile"
    requests = next(p for p in lock.packages if p.canonical == "requests")
    assert requests.version == "2.32.3"
    assert requests.span.line == line_of(path, "requests==2.32.3 \\")


def test_poetry_lock_groups_markers_and_fresh_content_hash(real_locks: dict[str, Path]) -> None:
    path = real_locks["poetry"]
    lock = read_lock(path)
    assert lock is not None and lock.problem is None and lock.format == "poetry"
    by_name = {p.canonical: p for p in lock.packages}
    assert by_name["pytest"].member_of == ("dev",)
    assert by_name["rich"].member_of == ("docs",)
    assert by_name["tomli"].marker is not None
    assert by_name["requests"].span.line == line_of(path, 'name = "requests"')
    assert lock.tool_version is not None and lock.tool_version.startswith("2.")
    pyproject = load_toml(path.parent / "pyproject.toml")
    assert lock.content_hash in poetry_content_hashes(pyproject)


def test_pdm_lock_groups_and_markers(real_locks: dict[str, Path]) -> None:
    path = real_locks["pdm"]
    lock = read_lock(path)
    assert lock is not None and lock.problem is None and lock.format == "pdm"
    by_name = {p.canonical: p for p in lock.packages}
    assert by_name["pytest"].member_of == ("dev",)
    assert by_name["tomli"].marker is not None
    assert set(lock.default_groups) == {"default", "dev"}
    assert by_name["idna"].span.line == line_of(path, 'name = "idna"')


def test_pipfile_lock_sample_sections_and_spans(tmp_path: Path) -> None:
    path = tmp_path / "Pipfile.lock"
    shutil.copy(SAMPLES / "Pipfile.lock", path)
    lock = read_lock(path)
    assert lock is not None and lock.problem is None and lock.format == "pipfile"
    by_name = {p.canonical: p for p in lock.packages}
    assert by_name["requests"].version == "2.32.3"
    assert by_name["requests"].member_of == ("default",)
    assert by_name["pytest"].member_of == ("develop",)
    assert by_name["requests"].span.line == line_of(path, '        "requests": {')
    assert lock.indexes == ("https://example.org/simple",)


def test_unpinned_requirements_are_not_a_lock_but_pinned_ones_are(tmp_path: Path) -> None:
    loose = tmp_path / "requirements.txt"
    loose.write_text("requests>=2\nidna==3.7\n")
    assert read_lock(loose) is None
    frozen = tmp_path / "requirements-frozen.txt"
    frozen.write_text("idna==3.7\nrequests==2.32.3 ; python_version >= '3.8'\n")
    lock = read_lock(frozen)
    assert lock is not None and lock.tool == "pinned requirements"
    assert [(p.canonical, p.version, p.span.line) for p in lock.packages] == [
        ("idna", "3.7", 0),
        ("requests", "2.32.3", 1),
    ]


def test_pip_compile_header_marks_a_lock_even_with_an_editable_line(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text(
        "#\n# This file is autogenerated by pip-compile with Python 3.12\n"
        "# by the following command:\n#\n#    pip-compile\n#\n-e .\nidna==3.7\n    # via x\n"
    )
    lock = parse_lock(path, path.read_text())
    assert lock is not None and lock.tool == "pip-compile"
    assert [p.canonical for p in lock.packages] == ["idna"]


@pytest.mark.parametrize("name", ["uv.lock", "poetry.lock", "pdm.lock", "pylock.toml"])
def test_invalid_toml_lock_is_a_problem_at_its_line(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text('[[package]]\nname = "idna"\nversion = 3.7.1\n')
    lock = read_lock(path)
    assert lock is not None and lock.problem is not None
    assert lock.problem.message.startswith(f"{name}: invalid TOML at line 3")
    assert lock.problem.span.line == 2
    assert lock.packages == ()


@pytest.mark.parametrize("name", ["uv.lock", "poetry.lock", "pdm.lock", "pylock.tests.toml"])
def test_wrong_structure_is_a_problem_not_a_crash(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text('lock-version = "1.0"\npackage = 3\npackages = [{ version = "1" }]\n')
    lock = read_lock(path)
    assert lock is not None and lock.problem is not None
    assert lock.problem.message.startswith(f"{name}: not a valid")


def test_bad_pipfile_lock_json_and_too_big_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "Pipfile.lock"
    path.write_text('{\n  "default": {\n    "idna": {"version": "==3.7",}\n  }\n}\n')
    lock = read_lock(path)
    assert lock is not None and lock.problem is not None
    assert lock.problem.message.startswith("Pipfile.lock: invalid JSON at line 3")
    big = tmp_path / "uv.lock"
    big.write_text(json.dumps("x" * 2000))
    monkeypatch.setattr(lock_common, "MAX_LOCK_BYTES", 1000)
    lock = read_lock(big)
    assert lock is not None and lock.problem is not None
    assert "larger than" in lock.problem.message


def test_workspace_member_uses_the_workspace_root_lock(tmp_path: Path) -> None:
    root = write_uv_project(tmp_path / "ws", PYPROJECT)
    (root / "uv.lock").write_text("version = 1\n")
    member = root / "packages" / "member"
    member.mkdir(parents=True)
    (member / "pyproject.toml").write_text('[project]\nname = "member"\nversion = "1"\n')
    (member / "pylock.toml").write_text('lock-version = "1.0"\n')
    (member / "requirements.txt").write_text("idna==3.7\n")
    assert find_lock_files(member, tmp_path) == [
        root / "uv.lock",
        member / "pylock.toml",
        member / "requirements.txt",
    ]


def test_artifact_lists_are_skipped_without_moving_any_line(real_locks: dict[str, Path]) -> None:
    """A registry lock's wheel lists (most of its bytes) are not parsed; what is read and
    where each entry is stay the same."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
    from envsense_bench.locks_suite import inflate

    path = real_locks["uv"]
    small = parse_lock(path, path.read_text())
    big_text = inflate(path.read_text())
    assert len(big_text) > 3 * len(path.read_text())
    big = parse_lock(path, big_text)
    assert small is not None and big is not None and big.problem is None
    assert [(p.name, p.version, p.dependencies) for p in big.packages] == [
        (p.name, p.version, p.dependencies) for p in small.packages
    ]
    lines = big_text.split("\n")
    for package in big.packages:
        assert lines[package.span.line] == f'name = "{package.name}"'


def test_pip_freeze_output_with_an_editable_checkout_is_a_lock(tmp_path: Path) -> None:
    path = tmp_path / "requirements-lock.txt"
    path.write_text(
        "-e git+https://example.org/me/tool.git@3f2a1b#egg=tool\n"
        "idna==3.7\nlocalpkg @ file:///wheels/localpkg-1.0-py3-none-any.whl\nrequests==2.32.3\n"
    )
    lock = read_lock(path)
    assert lock is not None and lock.tool == "pinned requirements"
    assert [(p.canonical, p.version) for p in lock.packages] == [
        ("tool", None),
        ("idna", "3.7"),
        ("localpkg", None),
        ("requests", "2.32.3"),
    ]


def test_early_uv_lock_with_distribution_tables(tmp_path: Path) -> None:
    path = tmp_path / "uv.lock"
    path.write_text(
        'version = 1\nrequires-python = ">=3.9"\n\n[[distribution]]\nname = "idna"\n'
        'version = "3.7"\nsource = { registry = "https://example.org/simple" }\n\n'
        '[[distribution]]\nname = "proj"\nversion = "0.1.0"\nsource = { editable = "." }\n'
        'dependencies = [\n    { name = "idna" },\n]\n'
    )
    lock = read_lock(path)
    assert lock is not None and lock.problem is None
    assert [(p.canonical, p.span.line) for p in lock.packages] == [("idna", 4), ("proj", 9)]
