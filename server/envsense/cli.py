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

    from envsense.check_prefetch import ScanAhead


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
    check = sub.add_parser(
        "check", help="report imports and requirements that won't work (exit 1 on errors)"
    )
    check.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (default: .)")
    check.add_argument("--python", metavar="EXECUTABLE", help="check against this interpreter")
    check.add_argument(
        "--format", choices=("text", "json", "github"), default="text", help="output format"
    )
    check.add_argument(
        "--no-cache", action="store_true", help="ignore and don't write the results cache"
    )
    check.add_argument(
        "--locked",
        action="store_true",
        help="also exit 1 when the environment differs from the project's lock file",
    )
    check.add_argument(
        "--jobs",
        metavar="N",
        type=_jobs,
        default=None,
        help="processes checking files: a number (1 = this process only) or auto (default)",
    )
    check.set_defaults(handler=_cmd_check)
    return parser


def _jobs(text: str) -> int | None:
    if text == "auto":
        return None
    try:
        jobs = int(text)
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number or auto, got {text!r}")
    return jobs


def _cmd_serve(args: argparse.Namespace) -> int:
    # Answers initialize before pygls and lsprotocol are imported (lsp/fast_start.py).
    from envsense.lsp.fast_start import serve

    return serve()


def _cmd_envs(args: argparse.Namespace) -> int:
    # Imports stay inside: `envs` must start fast, and the session (with every
    # declaration parser) is only needed when requires-python decides.
    import json

    from envsense.core.discovery import DiscoveryContext, active_environment, discover
    from envsense.core.discovery.rules import project_rules
    from envsense.core.picks import PickStore
    from envsense.core.projects import find_project
    from envsense.core.selection import recommended_order, select_environment

    path = Path(args.path).resolve()
    if not path.exists():
        print(f"envsense: no such file or folder: {args.path}", file=sys.stderr)
        return 2
    folder = _workspace_folder(path)
    ctx = DiscoveryContext.from_os(workspace_folders=(folder,))
    # Never run an interpreter found inside the checkout (see docs/security.md): untrusted.
    environments = discover(ctx, allow_spawn=True, trusted=False)
    project = find_project(path, folder)
    selection = select_environment(
        project,
        environments,
        last_pick=PickStore.default().get(project.root),
        active=active_environment(ctx, environments),
        rules=project_rules(project.root, ctx),
        requires_python_of=lambda: _requires_python(project.root),
    )
    ordered = recommended_order(project, environments, selection)
    selected = selection.environment
    if args.json:
        payload = {
            "environments": [env.to_json() for env in ordered],
            "selected": selected.to_json() if selected else None,
            "reason": selection.reason,
            "fallback": selection.fallback,
            "project": str(project.root),
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


def _requires_python(root: Path) -> SpecifierSet | None:
    """The project's requires-python, as the session reads it (every manifest format)."""
    from envsense.core.declarations import read_declarations

    requires = read_declarations(root).requires_python
    return requires.specifier if requires else None


def _cmd_check(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in (args.paths or ["."])]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        print(f"envsense: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    python = Path(args.python).absolute() if args.python else None
    if python is not None and not python.exists():
        print(f"envsense: no such interpreter: {args.python}", file=sys.stderr)
        return 2
    resolved = [p.resolve() for p in paths]
    early = _early_scanner(resolved, args.jobs)
    try:
        folders = sorted({_workspace_folder(p) for p in resolved})
        if early is not None and not args.no_cache:
            from envsense.core.check_cache import cache_path

            if cache_path(folders, python).is_file():
                early.reap()  # a warm run reads few files: nothing to scan ahead
                early = None
        from envsense.check_run import run_check

        return run_check(
            resolved,
            folders,
            python=python,
            output_format=args.format,
            use_cache=not args.no_cache,
            locked=args.locked,
            jobs=args.jobs,
            early=early,
            exit_process=args.exit_when_done,
        )
    finally:
        if early is not None:
            early.reap()


def _early_scanner(paths: Sequence[Path], jobs: int | None) -> ScanAhead | None:
    """The import scanner, forked before anything else is imported, for a check that may
    use a pool (the idle core then scans while this one imports, walks and finds the
    interpreter)."""
    if jobs == 1:
        return None
    from envsense.check_prefetch import ScanAhead

    return ScanAhead.start_early(paths)


def _workspace_folder(path: Path) -> Path:
    """The enclosing repository (so a monorepo root's env is seen), else the outermost
    project enclosing PATH's project (checking `src/pkg` or a uv workspace member alone
    must still see the root's .venv), else PATH's folder."""
    from envsense.core.projects import outermost_project_root

    folder = path if path.is_dir() else path.parent
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return outermost_project_root(path) or folder


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
    # The program itself (not a caller in this process) may end where the work is done.
    args.exit_when_done = argv is None
    try:
        result: int = handler(args)
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # last resort: say what happened, never a bare traceback
        from envsense.error_text import describe_error

        logging.getLogger("envsense").debug("internal error", exc_info=True)
        print(f"envsense: internal error: {describe_error(error)}", file=sys.stderr)
        return 2
    return result
