"""Checks on what an envsense.* command is asked to act on, before anything acts on it.

A command's arguments come from the editor, but an editor also runs command links found
in notebook outputs, markdown previews and extension-provided content, so they are
checked like any other input (issue #11):

- a `uri` must lie inside a workspace folder, or be an open document, or lie inside the
  project of an open document (single-file mode); `file:///etc/passwd` is refused;
- an interpreter (`selectEnvironment`'s `executable`, `installPackages`' `environment`,
  `createEnvironment`'s `python`) must be a Python environment envsense can identify: a
  python executable name and a version read from files (or a discovered environment).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from envsense.core.environment import Environment
from envsense.lsp.server import uri_to_path

if TYPE_CHECKING:
    from envsense.lsp.server import EnvsenseServer

# python, python3, python3.12, python3.13t, pypy3.10, python.exe, pythonw.exe, ...
_PYTHON_NAME = re.compile(r"^(python|pypy|pythonw)(\d+(\.\d+)?t?)?(\.exe)?$", re.IGNORECASE)


def outside_workspace(ls: EnvsenseServer, path: Path) -> str | None:
    """Why `path` may not be acted on, or None when it lies where the user works."""
    target = _resolved(path)
    for folder in workspace_folders(ls):
        if _within(target, folder):
            return None
    for document in _open_paths(ls):
        if target == document:
            return None
        root = _resolved(ls.session.project_for(document).root)
        if root.parent != root and _within(target, root):
            return None
    return (
        f"envsense: {path} is outside every workspace folder and every open document's "
        "project, so envsense will not act on it"
    )


def workspace_folders(ls: EnvsenseServer) -> list[Path]:
    folders: list[Path] = []
    try:
        workspace = ls.workspace
    except RuntimeError:  # before initialize
        return folders
    for uri in list(workspace.folders):
        path = uri_to_path(uri)
        if path is not None:
            folders.append(_resolved(path))
    root = workspace.root_path
    if not folders and root:
        folders.append(_resolved(Path(root)))
    return folders


def _open_paths(ls: EnvsenseServer) -> list[Path]:
    try:
        workspace = ls.workspace
    except RuntimeError:
        return []
    uris = [*workspace.text_documents, *getattr(workspace, "notebook_documents", {})]
    paths = (uri_to_path(uri) for uri in uris)
    return [_resolved(path) for path in paths if path is not None]


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def bad_interpreter_name(executable: str) -> str | None:
    """Checked before anything reads (or probes) the file: `/bin/sh` is never looked at."""
    path = Path(executable)
    if path.is_dir() or _PYTHON_NAME.match(path.name):
        return None
    return (
        f"envsense: {executable} is not a Python interpreter (the name is not python, "
        "python3, python3.X or pypy3): choose a python executable or an environment folder"
    )


def interpreter_problem(executable: str, environment: Environment | None) -> str | None:
    """Why `executable` is not an interpreter envsense can use, or None when it is.

    `environment` is what discovery or `identify` made of it (None: nothing).
    """
    if (wrong := bad_interpreter_name(executable)) is not None:
        return wrong
    if environment is None:
        return f"envsense: {executable} is not a Python environment envsense can identify"
    if environment.error is not None:
        return f"envsense: {executable} can't be used: {environment.error}"
    if environment.executable is None or environment.version is None:
        return (
            f"envsense: {executable} is not a Python environment envsense can identify "
            "(no version could be read for it)"
        )
    return None
