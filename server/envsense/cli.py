"""Command line: `envsense envs`, `envsense check`, `envsense serve`."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from envsense import __version__

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="envsense",
        description="Find Python environments and the imports that won't work in them.",
    )
    parser.add_argument("--version", action="version", version=f"envsense {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = sub.add_parser("serve", help="run the language server over stdio")
    serve.set_defaults(handler=_cmd_serve)
    envs = sub.add_parser("envs", help="list Python environments and the one PATH's project uses")
    envs.add_argument("path", nargs="?", default=".", help="a file or folder (default: .)")
    envs.add_argument("--json", action="store_true", help="machine-readable output")
    envs.set_defaults(handler=_cmd_envs)
    return parser


def _cmd_serve(args: argparse.Namespace) -> int:
    from envsense.lsp.server import serve

    return serve()


def _cmd_envs(args: argparse.Namespace) -> int:
    import json

    from envsense.core.discovery import DiscoveryContext, active_environment, discover
    from envsense.core.picks import PickStore
    from envsense.core.projects import find_project
    from envsense.core.selection import recommended_order, select_environment

    path = Path(args.path).resolve()
    if not path.exists():
        print(f"envsense: no such file or folder: {args.path}", file=sys.stderr)
        return 2
    workspace = _workspace_folder(path)
    ctx = DiscoveryContext.from_os(workspace_folders=(workspace,))
    environments = discover(ctx)
    project = find_project(path, workspace)
    selection = select_environment(
        project,
        environments,
        last_pick=PickStore.default().get(project.root),
        active=active_environment(ctx, environments),
        requires_python=_requires_python(project.root),
    )
    ordered = recommended_order(project, environments, selection)
    selected = selection.environment
    if args.json:
        payload = {
            "environments": [env.to_json() for env in ordered],
            "selected": selected.to_json() if selected else None,
            "reason": selection.reason,
        }
        print(json.dumps(payload, indent=2))
        return 0
    rows = [("", "KIND", "NAME", "VERSION", "PATH", "ERROR")]
    for env in ordered:
        rows.append(
            (
                "*" if env == selected else "",
                env.kind.value,
                env.display_name,
                str(env.version) if env.version else "?",
                str(env.executable or env.prefix or ""),
                env.error or "",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:5], widths, strict=True)]
        print("  ".join([*cells, row[5]]).rstrip())
    chosen = f"{selected.label} at {selected.executable or selected.prefix}" if selected else "none"
    print(f"\nproject: {project.root}")
    print(f"selected: {chosen} ({selection.reason})")
    return 0


def _workspace_folder(path: Path) -> Path:
    """The enclosing repository (so a monorepo root's env is seen), else PATH's folder."""
    folder = path if path.is_dir() else path.parent
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


def _requires_python(project_root: Path) -> SpecifierSet | None:
    """[project].requires-python of the project's pyproject.toml; None when absent or invalid.

    Private stop-gap: the declarations module will own reading project metadata.
    """
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    from envsense.core.toml_compat import TOMLDecodeError, load_toml

    try:
        value = load_toml(project_root / "pyproject.toml").get("project", {}).get("requires-python")
    except (OSError, UnicodeDecodeError, TOMLDecodeError, AttributeError):
        return None
    if not isinstance(value, str):
        return None
    try:
        return SpecifierSet(value)
    except InvalidSpecifier:
        logging.getLogger(__name__).info("ignoring invalid requires-python %r", value)
        return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="envsense: %(levelname)s: %(message)s",
    )
    if args.command is None:
        # An editor that runs plain `envsense` expects a language server on stdio.
        return _cmd_serve(args)
    handler = args.handler
    result: int = handler(args)
    return result
