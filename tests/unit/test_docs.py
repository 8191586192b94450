"""The docs stay true: every `envsense` command in them runs with its documented exit code,
every snippet parses, every setting and diagnostic code matches the code, every relative
link resolves, and the README keeps exactly its two commands.

A block that can't be checked here carries `<!-- doc-check: skip (reason) -->` on the line
before it; the reason is required.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from envsense.core.findings import Code
from envsense.core.toml_compat import loads_toml
from envsense.lsp.options import InitOptions
from tests.support.venvs import make_venv

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
PACKAGE_JSON = ROOT / "client-vscode" / "package.json"
MARKDOWN = [*sorted(DOCS.glob("*.md")), README]

FENCE = re.compile(r"^(\s*)```(\S*)\s*$")
SKIP = re.compile(r"^<!--\s*doc-check:\s*skip\b(.*?)-->$")
EXIT = re.compile(r"#\s*exits?\s+(\d)\b")
# Languages each test below knows how to check; any other needs a skip marker.
CHECKED = {"bash", "json", "toml", "python", "lua", "elisp", "text"}


@dataclasses.dataclass(frozen=True)
class Block:
    path: Path
    line: int  # 1-based line of the opening fence
    lang: str
    text: str
    skip: str | None  # the marker's text, when the block is marked

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def blocks_of(path: Path) -> list[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        indent, lang = opening.group(1), opening.group(2)
        body: list[str] = []
        end = index + 1
        while end < len(lines) and not re.match(r"^\s*```\s*$", lines[end]):
            body.append(lines[end][len(indent) :] if lines[end].startswith(indent) else lines[end])
            end += 1
        assert end < len(lines), f"{path}:{index + 1}: unclosed code block"
        before = next((lines[i].strip() for i in range(index - 1, -1, -1) if lines[i].strip()), "")
        marker = SKIP.match(before)
        skip = marker.group(1).strip() if marker else None
        found.append(Block(path, index + 1, lang, "\n".join(body) + "\n", skip))
        index = end + 1
    return found


ALL_BLOCKS = [block for path in MARKDOWN for block in blocks_of(path)]


def checked(lang: str) -> list[Any]:
    return [pytest.param(b, id=b.where) for b in ALL_BLOCKS if b.lang == lang and b.skip is None]


# -- markers and languages ---------------------------------------------------------------


def test_skip_markers_give_a_reason() -> None:
    bad = [
        b.where for b in ALL_BLOCKS if b.skip is not None and not re.fullmatch(r"\(.+\)", b.skip)
    ]
    assert bad == [], f"doc-check: skip needs a reason in parentheses: {bad}"


def test_every_block_names_a_language_that_is_checked_or_is_skipped_with_a_reason() -> None:
    unknown = [
        f"{b.where} ({b.lang or 'no language'})"
        for b in ALL_BLOCKS
        if b.lang not in CHECKED and b.skip is None
    ]
    assert unknown == []


# -- envsense commands run -------------------------------------------------------------------


def envsense_commands() -> list[Any]:
    params = []
    for block in ALL_BLOCKS:
        if block.lang != "bash" or block.skip is not None:
            continue
        for offset, line in enumerate(block.text.splitlines(), start=1):
            if line.strip().startswith("envsense"):
                params.append(pytest.param(line.strip(), id=f"{block.where}+{offset}"))
    return params


@pytest.fixture(scope="module")
def myproject(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project docs/cli.md describes: requests declared, requests and yaml imported,
    a fresh .venv with nothing installed."""
    root = tmp_path_factory.mktemp("docs") / "myproject"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "myproject"\nversion = "1"\nrequires-python = ">=3.10"\n'
        'dependencies = ["requests>=2.31"]\n'
    )
    (root / "main.py").write_text("import json\nimport requests\nimport yaml\n")
    make_venv(root / ".venv")
    return root


def test_docs_have_envsense_commands() -> None:
    assert len(envsense_commands()) >= 5


@pytest.mark.parametrize("command", envsense_commands())
def test_envsense_command_in_docs_exits_with_its_documented_code(
    command: str, myproject: Path
) -> None:
    expected = int(m.group(1)) if (m := EXIT.search(command)) else 0
    words = shlex.split(command, comments=True)
    assert not {"|", ">", "<", ";", "&&", "||"} & set(words), f"keep doc commands plain: {command}"
    assert words[0] == "envsense"
    home = myproject.parent / "home"
    env = {
        "HOME": str(home),
        "PATH": "/usr/bin:/bin",
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "envsense", *words[1:]],
        cwd=myproject,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == expected, f"{command}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    if "--json" in words or "json" in words:
        json.loads(proc.stdout)


# -- snippets parse ---------------------------------------------------------------------


@pytest.mark.parametrize("block", checked("bash"))
def test_bash_block_is_valid_shell_syntax(block: Block) -> None:
    proc = subprocess.run(
        ["bash", "-n"], input=block.text, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, f"{block.where}: {proc.stderr}"


@pytest.mark.parametrize("block", checked("json"))
def test_json_block_parses(block: Block) -> None:
    json.loads(block.text)


@pytest.mark.parametrize("block", checked("toml"))
def test_toml_block_parses(block: Block) -> None:
    loads_toml(block.text)


@pytest.mark.parametrize("block", checked("python"))
def test_python_block_parses(block: Block) -> None:
    ast.parse(block.text, filename=block.where)


def _balanced(text: str, line_comment: str) -> bool:
    """Brackets balance outside strings and comments (a syntax check, not a parse)."""
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if text.startswith(line_comment, index):
            index = text.find("\n", index)
            if index < 0:
                break
        elif char == '"' or (char == "'" and line_comment == "--"):
            close = index + 1
            while close < len(text) and text[close] != char:
                close += 2 if text[close] == "\\" else 1
            index = close
        elif char == "?" and line_comment == ";":  # ?c character literals in Lisp
            index += 1
        elif char in "([{":
            stack.append(char)
        elif char in pairs:
            if not stack or stack.pop() != pairs[char]:
                return False
        index += 1
    return not stack


@pytest.mark.parametrize("block", checked("lua"))
def test_lua_block_compiles_in_nvim_or_has_balanced_brackets(block: Block, tmp_path: Path) -> None:
    nvim = shutil.which("nvim")
    if nvim is None:
        assert _balanced(block.text, "--"), block.where
        return
    source = tmp_path / "block.lua"
    source.write_text(block.text)
    check = (
        "lua local f, e = loadfile(os.getenv('DOC_LUA')) "
        "if not f then io.stderr:write(e) vim.cmd('cquit! 1') end"
    )
    proc = subprocess.run(
        [nvim, "--headless", "--clean", "-c", check, "-c", "qall!"],
        env={"DOC_LUA": str(source), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 0, f"{block.where}: {proc.stderr}"


@pytest.mark.parametrize("block", checked("elisp"))
def test_elisp_block_has_balanced_parentheses(block: Block) -> None:
    assert _balanced(block.text, ";"), block.where


def test_bracket_check_catches_unbalanced_text() -> None:
    assert _balanced('(a "(" ; )\n b)', ";")
    assert not _balanced("(a (b)", ";")
    assert not _balanced("f({ 'x' ]", "--")


# -- settings, codes, links, README --------------------------------------------------------


def _table_rows(text: str, heading: str) -> list[list[str]]:
    section = text.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if line.startswith("| `"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def _code_value(cell: str) -> Any:
    match = re.fullmatch(r"`([^`]+)`", cell)
    assert match, f"expected one `value` in {cell!r}"
    return json.loads(match.group(1))


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def test_configuration_md_lists_exactly_the_options_and_settings_with_their_defaults() -> None:
    text = (DOCS / "configuration.md").read_text()
    properties = json.loads(PACKAGE_JSON.read_text())["contributes"]["configuration"]["properties"]
    defaults = {_camel(f.name): _default(f) for f in dataclasses.fields(InitOptions)}

    server_rows = _table_rows(text, "## Server options")
    documented = {_code_name(row[0]): row for row in server_rows}
    assert set(documented) == set(defaults)
    settings: dict[str, Any] = {}
    for option, row in documented.items():
        assert _code_value(row[3]) == defaults[option], option
        if row[1].startswith("`envsense."):
            settings[_code_value_name(row[1])] = defaults[option]
    for row in _table_rows(text, "## VS Code client settings"):
        settings[_code_value_name(row[0])] = _code_value(row[2])
    assert set(settings) == set(properties)
    for name, default in settings.items():
        assert properties[name].get("default") == default, name
    mentioned = set(re.findall(r"`(envsense\.[A-Za-z.]+)`", text))
    assert mentioned <= set(properties), mentioned - set(properties)


def _code_name(cell: str) -> str:
    match = re.fullmatch(r"`([A-Za-z.]+)`", cell)
    assert match, cell
    return match.group(1)


def _code_value_name(cell: str) -> str:
    name = _code_name(cell)
    assert name.startswith("envsense."), cell
    return name


def _default(field: dataclasses.Field[Any]) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    assert field.default_factory is not dataclasses.MISSING
    return field.default_factory()


def test_every_diagnostic_code_has_its_section() -> None:
    headings = set(re.findall(r"^## (\S+)$", (DOCS / "diagnostics.md").read_text(), re.M))
    assert {code.value for code in Code} <= headings


def _slug(heading: str) -> str:
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = _without_code(path.read_text(encoding="utf-8"))
    seen: dict[str, int] = {}
    anchors = set()
    for heading in re.findall(r"^#{1,6} (.+)$", text, re.M):
        slug = _slug(heading)
        count = seen.get(slug, 0)
        anchors.add(slug if count == 0 else f"{slug}-{count}")
        seen[slug] = count + 1
    return anchors


def _without_code(text: str) -> str:
    return re.sub(r"^\s*```.*?^\s*```\s*$", "", text, flags=re.S | re.M)


def test_relative_links_point_to_existing_files_and_anchors() -> None:
    broken = []
    for path in MARKDOWN:
        text = _without_code(path.read_text(encoding="utf-8"))
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"^[a-z]+:", target):
                continue
            file_part, _, anchor = target.partition("#")
            dest = (path.parent / file_part).resolve() if file_part else path
            if not dest.exists():
                broken.append(f"{path.name}: {target} (no such file)")
            elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
                broken.append(f"{path.name}: {target} (no such heading)")
    assert broken == []


def test_every_doc_page_is_linked_from_the_readme() -> None:
    readme = README.read_text()
    assert [p.name for p in DOCS.glob("*.md") if f"(docs/{p.name})" not in readme] == []


def test_readme_keeps_exactly_its_two_commands() -> None:
    blocks = blocks_of(README)
    assert [(b.lang, b.text.strip()) for b in blocks] == [
        ("bash", "bash tests/demo.sh"),
        ("bash", "bash tests/run.sh"),
    ]


def test_architecture_md_names_every_module_and_only_real_ones() -> None:
    text = (DOCS / "architecture.md").read_text()
    package = ROOT / "server" / "envsense"
    modules = {
        p.name
        for folder in (package, package / "core", package / "lsp")
        for p in folder.glob("*.py")
        if p.name not in ("__init__.py", "__main__.py")
    }
    # Module names as written in backticks (`lsp/commands.py`, `cli.py`), minus the
    # project files envsense reads (`setup.py`).
    named = set(re.findall(r"`(?:[a-z_]+/)*([a-z][a-z_]*\.py)`", text)) - {"setup.py"}
    assert sorted(modules - named) == []
    every = {p.name for p in package.rglob("*.py")}
    assert sorted(named - every) == []
