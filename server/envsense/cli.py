"""Command line: `envsense envs`, `envsense check`, `envsense serve`."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from envsense import __version__


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
    return parser


def _cmd_serve(args: argparse.Namespace) -> int:
    from envsense.lsp.server import serve

    return serve()


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
