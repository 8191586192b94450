"""Odd lock files never crash a reader or the comparison: each is either read or a problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from envsense.core.declarations import Declarations
from envsense.core.locks import parse_lock
from envsense.core.locks.applicable import expected_packages
from envsense.core.locks.project_config import ProjectConfig

ENV = {"python_version": "3.12", "python_full_version": "3.12.1", "sys_platform": "linux"}

ODD_TOML = [
    "package = [1, 2]",
    "package = [{ name = 3 }]",
    'package = [{ name = "a", dependencies = "b" }]',
    'package = [{ name = "a", dependencies = [{ marker = "x" }] }]',
    'package = [{ name = "a", dependencies = [{ name = "b", marker = "python_version <<< 3" }] }]',
    'package = [{ name = "a", optional-dependencies = [1] }]',
    'package = [{ name = "a", dev-dependencies = { dev = [{ name = "b", extra = "x" }] } }]',
    'package = [{ name = "a", source = "pypi", version = 3 }]',
    'package = [{ name = "a", metadata = { requires-dist = [{ name = 1 }, "x", { name = "b", specifier = "~~1" }] } }]',
    'package = [{ name = "a", groups = "main", markers = 5, extras = { x = "y" } }]',
    'package = [{ name = "a", dependencies = { b = [1, { markers = 2 }] } }]',
    'package = [{ name = "a", dependencies = ["b[", "c ; ;", 3] }]',
    'manifest = { members = "a" }',
    "metadata = 3\npackage = []",
    'lock-version = "1.0"\npackages = [{ name = "a", marker = "nonsense(" , vcs = 3, wheels = [1] }]',
    'lock-version = 1\npackages = "x"',
    'lock-version = "1.0"\ndefault-groups = "dev"',
]
ODD_JSON = ["[]", '{"default": []}', '{"default": {"a": 1, "b": {"version": 3, "markers": []}}}',
            '{"_meta": 1, "default": {"a": {"git": 1, "path": []}}}', '"x"', "{"]  # fmt: skip


@pytest.mark.parametrize("name", ["uv.lock", "poetry.lock", "pdm.lock", "pylock.toml"])
@pytest.mark.parametrize("text", ODD_TOML)
def test_odd_toml_locks_are_read_or_reported(name: str, text: str, tmp_path: Path) -> None:
    check(tmp_path / name, text)


@pytest.mark.parametrize("text", ODD_JSON)
def test_odd_pipfile_locks_are_read_or_reported(text: str, tmp_path: Path) -> None:
    check(tmp_path / "Pipfile.lock", text)


def check(path: Path, text: str) -> None:
    lock = parse_lock(path, text)
    assert lock is not None
    if lock.problem is not None:
        assert lock.problem.message.startswith(path.name + ": ")
        return
    config = ProjectConfig(name="a", roots=())
    expected_packages(lock, ENV, config)
    from envsense.core.checks.lock import _staleness  # the stale check reads the same records

    class FakeInventory:
        def marker_environment(self) -> dict[str, str]:
            return ENV

    _staleness(lock, config, Declarations(), FakeInventory())  # type: ignore[arg-type]
