"""The layering rule of docs/architecture.md, checked on the real source tree."""

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "server" / "envsense" / "core"
PROTOCOL_PACKAGES = {"pygls", "lsprotocol", "cattrs"}


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_core_never_imports_the_protocol_or_the_lsp_layer() -> None:
    offenders = {}
    for path in sorted(CORE.rglob("*.py")):
        roots = imported_roots(path)
        bad = roots & PROTOCOL_PACKAGES
        text = path.read_text(encoding="utf-8")
        if "envsense.lsp" in text or "envsense.cli" in text:
            bad.add("envsense.lsp/cli")
        if bad:
            offenders[str(path.relative_to(CORE))] = sorted(bad)
    assert offenders == {}
    assert len(list(CORE.rglob("*.py"))) > 5  # the walk really saw the package
