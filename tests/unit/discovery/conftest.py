"""Every discovery test gets a fake machine whose `python` files must never run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.discovery.trees import Machine


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    return Machine(tmp_path / "machine")


@pytest.fixture(autouse=True)
def _no_fake_python_ran(tmp_path: Path) -> Iterator[None]:
    """Discovery reads files; a fake interpreter that ran means it spawned one."""
    yield
    ran = list(tmp_path.rglob("python-was-run"))
    assert not ran, f"a fake interpreter was executed: {ran[0].read_text()}"
