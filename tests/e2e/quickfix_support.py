"""Shared pieces of the quick-fix and install-command tests: projects, wheels, uv on PATH."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.conftest import open_session
from tests.support.venvs import uv_executable
from tests.support.wheels import simple_wheel

PY = f"{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}"
VENV_LABEL = f".venv ({PY}, venv)"
# pytest-lsp checks what the server sends against the client's declared capabilities.
NO_SPEC_WARNINGS = "error::pytest_lsp.checks.LspSpecificationWarning"


@contextlib.asynccontextmanager
async def session(home: Path, workspace: Path, **kwargs: Any) -> AsyncIterator[LanguageClient]:
    """open_session, but a failing test ends the server instead of waiting forever for it:
    pytest-lsp's stop() waits for the process to exit, and without shutdown/exit it never does."""
    async with open_session(home, workspace, **kwargs) as client:
        try:
            yield client
        except BaseException:
            server = getattr(client, "_server", None)
            if server is not None and server.returncode is None:
                server.kill()
            raise


def write_project(root: Path, dependencies: Sequence[str] = (), source: str = "") -> Path:
    """A pyproject project with `main.py`; the caller adds the environment."""
    root.mkdir(parents=True, exist_ok=True)
    deps = ", ".join(f'"{d}"' for d in dependencies)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "proj"\nversion = "1"\ndependencies = [{deps}]\n'
    )
    (root / "main.py").write_text(source)
    return root


def wheelhouse(folder: Path, *names: str) -> Path:
    """A find-links folder holding one small wheel per distribution name (version 1.2)."""
    for name in names:
        simple_wheel(folder, name, version="1.2")
    return folder


def offline_env(wheels: Path) -> dict[str, str]:
    """Installer settings that keep pip and uv on the local wheel folder, never a network."""
    return {
        "PIP_FIND_LINKS": str(wheels),
        "UV_FIND_LINKS": str(wheels),
        "PIP_NO_INDEX": "1",
        "UV_OFFLINE": "1",
        "UV_NO_CACHE": "1",
    }


def put_uv_on_path(home: Path) -> Path:
    """The dev environment's real uv, reachable as `uv` on the fake machine's PATH."""
    link = home / "bin" / "uv"
    link.symlink_to(uv_executable())
    return link


def fake_uv(home: Path, script: str) -> Path:
    """The test's own `uv` (a shell script) on the fake machine's PATH."""
    path = home / "bin" / "uv"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)
    return path


def installed(venv: Path, dist: str) -> bool:
    """Whether `dist` has a dist-info folder in the venv's site-packages."""
    folder = dist.replace("-", "_")
    return any(venv.glob(f"lib/python*/site-packages/{folder}-*.dist-info"))


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def code_actions(
    client: LanguageClient, uri: str, diagnostics: Sequence[types.Diagnostic]
) -> list[types.CodeAction]:
    """textDocument/codeAction over the diagnostics' range, with them as context."""
    start = min((d.range.start for d in diagnostics), key=lambda p: (p.line, p.character))
    end = max((d.range.end for d in diagnostics), key=lambda p: (p.line, p.character))
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=start, end=end),
            context=types.CodeActionContext(diagnostics=list(diagnostics)),
        )
    )
    actions = list(result or [])
    assert all(isinstance(a, types.CodeAction) for a in actions), actions
    return actions  # type: ignore[return-value]


def titles(actions: Sequence[types.CodeAction]) -> list[str]:
    return [a.title for a in actions]


def by_title(actions: Sequence[types.CodeAction], title: str) -> types.CodeAction:
    matches = [a for a in actions if a.title == title]
    assert matches, f"no action {title!r} in {titles(actions)}"
    return matches[0]


async def run_action(client: LanguageClient, action: types.CodeAction) -> Any:
    """What an editor does with a chosen action's command: workspace/executeCommand."""
    assert action.command is not None
    return await run_command(client, action.command.command, *(action.command.arguments or ()))


async def run_command(client: LanguageClient, command: str, *arguments: Any) -> Any:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command, arguments=list(arguments))
    )


def result_field(result: Any, name: str) -> Any:
    """Command results come back as dicts or pygls 'Object' namedtuples."""
    return result[name] if isinstance(result, dict) else getattr(result, name)


def apply_text_edits(text: str, edits: Sequence[types.TextEdit]) -> str:
    """Apply LSP edits (UTF-16 columns) the way an editor does, last first."""
    lines = text.splitlines(keepends=True)

    def offset(position: types.Position) -> int:
        before = sum(len(line) for line in lines[: position.line])
        line = lines[position.line] if position.line < len(lines) else ""
        units = 0
        for index, char in enumerate(line):
            if units >= position.character:
                return before + index
            units += 2 if ord(char) > 0xFFFF else 1
        return before + len(line)

    ordered = sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character))
    for edit in reversed(ordered):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


def shown(client: LanguageClient) -> list[str]:
    """Every window/showMessage text so far."""
    return [m.message for m in client.messages]
