"""The layering rule of docs/architecture.md, checked on the real source tree."""

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "server" / "envsense" / "core"
PROTOCOL_PACKAGES = {"pygls", "lsprotocol", "cattrs"}


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def test_core_never_imports_the_protocol_or_the_lsp_layer() -> None:
    offenders = {}
    for path in sorted(CORE.rglob("*.py")):
        modules = imported_modules(path)
        bad = {m for m in modules if m.split(".")[0] in PROTOCOL_PACKAGES}
        bad |= {m for m in modules if m.startswith(("envsense.lsp", "envsense.cli"))}
        if bad:
            offenders[str(path.relative_to(CORE))] = sorted(bad)
    assert offenders == {}
    assert len(list(CORE.rglob("*.py"))) > 5  # the walk really saw the package
