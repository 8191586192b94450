"""Over the real protocol: a fallback that never runs is silent, a broken import chain is a
warning whose quick fix installs the missing end of the chain, and then it clears."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from tests.e2e.conftest import open_document, wait_for_diagnostics
from tests.e2e.quickfix_support import (
    VENV_LABEL,
    by_title,
    code_actions,
    installed,
    offline_env,
    put_uv_on_path,
    result_field,
    run_action,
    session,
    wheelhouse,
)
from tests.support.venvs import make_venv


def write_package(root: Path) -> Path:
    pkg = root / "app"
    pkg.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "1"\ndependencies = []\n'
        '[project.optional-dependencies]\ndb = ["envsense-demo-pkg>=1"]\n'
    )
    (pkg / "__init__.py").write_text("")
    (pkg / "models.py").write_text("import envsense_demo_pkg\n\nclass Task: ...\n")
    (pkg / "main.py").write_text(
        "try:\n    import tomllib\nexcept ImportError:\n    import tomli as tomllib\n"
        "from .models import Task\n"
    )
    make_venv(root / ".venv")
    return pkg / "main.py"


async def test_a_broken_chain_is_a_warning_fixed_by_installing_its_missing_end(
    machine: Path, tmp_path: Path
) -> None:
    root = tmp_path / "ws"
    main = write_package(root)
    wheels = wheelhouse(tmp_path / "wheels", "envsense-demo-pkg")
    put_uv_on_path(machine)
    async with session(machine, root, env=offline_env(wheels)) as client:
        uri = open_document(client, main)
        diagnostics = await wait_for_diagnostics(client, uri, lambda d: bool(d))
        # tomllib exists on this Python: the tomli fallback never runs, so only the chain.
        (chain,) = diagnostics
        assert chain.code == "import-chain-broken"
        assert chain.severity == types.DiagnosticSeverity.Warning
        assert chain.range.start == types.Position(line=4, character=5)
        assert chain.message == (
            "`.models` can't be imported here: it imports `envsense_demo_pkg` (not installed; "
            "provided by envsense-demo-pkg, declared in extra `db` of pyproject.toml)"
        )
        assert chain.code_description is not None
        assert chain.code_description.href.endswith("diagnostics.md#import-chain-broken")

        actions = await code_actions(client, uri, [chain])
        install = by_title(actions, f"Install envsense-demo-pkg into {VENV_LABEL}")
        assert install.is_preferred
        result = await run_action(client, install)
        assert result_field(result, "ok") is True
        assert installed(root / ".venv", "envsense-demo-pkg")
        assert await wait_for_diagnostics(client, uri, lambda d: d == []) == []
