"""The client's root folder is not the project: a sub-folder (eglot without VCS) or a uv
workspace member opened alone still gets the project's, or the workspace root's, .venv."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from tests.e2e.conftest import open_document, wait_for_diagnostics
from tests.e2e.quickfix_support import NO_SPEC_WARNINGS, session
from tests.support.venvs import make_venv

pytestmark = pytest.mark.filterwarnings(NO_SPEC_WARNINGS)


def missing(diagnostics: list[types.Diagnostic]) -> list[types.Diagnostic]:
    return [d for d in diagnostics if d.code == "missing-import"]


async def test_sub_folder_as_root_uses_the_projects_venv(machine: Path, tmp_path: Path) -> None:
    root = tmp_path / "proj"
    package = root / "src" / "app"
    package.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "app"\nversion = "1"\n')
    (package / "__init__.py").write_text("")
    (package / "main.py").write_text("import json\nimport envsense_absent_mod\n")
    make_venv(root / ".venv")
    async with session(machine, package) as client:
        uri = open_document(client, package / "main.py")
        (found,) = missing(await wait_for_diagnostics(client, uri, lambda ds: bool(missing(ds))))
        assert "is not installed in .venv (Python" in found.message
        assert not [d for d in client.diagnostics.get(uri, ()) if d.code == "no-environment"]


async def test_uv_member_as_root_uses_the_workspace_roots_venv(
    machine: Path, tmp_path: Path
) -> None:
    root = tmp_path / "ws"
    member = root / "packages" / "lib-a"
    (member / "lib_a").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "root"\nversion = "1"\n[tool.uv.workspace]\nmembers = ["packages/*"]\n'
    )
    (member / "pyproject.toml").write_text('[project]\nname = "lib-a"\nversion = "1"\n')
    (member / "lib_a" / "__init__.py").write_text("import envsense_absent_mod\n")
    make_venv(root / ".venv")
    async with session(machine, member) as client:
        uri = open_document(client, member / "lib_a" / "__init__.py")
        (found,) = missing(await wait_for_diagnostics(client, uri, lambda ds: bool(missing(ds))))
        assert "is not installed in .venv (Python" in found.message
