"""Keep the code attrs, cattrs and dataclasses generate at run time, so the next start doesn't compile it.

lsprotocol's ~570 attrs classes get their `__init__`/`__repr__`/`__eq__` as source text that
attrs compiles on every import (about a third of `import lsprotocol.types`), and cattrs does
the same for each structure/unstructure function; .pyc files can't hold any of it. This
shadows `compile` in those modules with one that looks the code object up by file name and
source hash first. Same source, same flags, same Python: the same code object; anything not
found is compiled as before. The cache is one marshal file per Python version in the user
cache dir, rewritten (atomically, by `save()`) only when something new was compiled, holding
only what was used until then.
"""

from __future__ import annotations
import __future__

import builtins
import hashlib
import logging
import marshal
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import CodeType, ModuleType
from typing import Any

log = logging.getLogger(__name__)

# Modules whose generated code is cached; each must call a global `compile`
# (COMPILE_MODULES) or `exec` a source string (EXEC_MODULES: dataclasses' methods).
COMPILE_MODULES = ("attr._make", "cattrs.gen", "cattrs.gen.typeddicts")
EXEC_MODULES = ("dataclasses",)


class CodegenCache:
    """A `compile` replacement backed by a marshal file of code objects."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stored: dict[str, CodeType] = {}
        # mode, flags and file name of each stored entry: a name stored with another source
        # is code that differs every run (attrs seeds a hashable class's __hash__ randomly).
        self._names: set[str] = set()
        # Cleared by the first save: what a start needs is recorded, a long session's rest isn't.
        self._recording = True
        self._used: dict[str, CodeType] = {}
        self.new = 0
        try:
            # Read whole, then decoded: marshal.load on a file reads it piece by piece, a
            # call per object, which took four times as long as the decoding itself.
            loaded = marshal.loads(path.read_bytes())
            if isinstance(loaded, dict):
                self._stored = loaded
                self._names = {key.rsplit("\0", 1)[0] for key in loaded}
        except (OSError, EOFError, ValueError, TypeError) as error:
            if not isinstance(error, FileNotFoundError):
                log.info("code cache %s unreadable, starting afresh: %s", path, error)

    def compiler_for(self, module: ModuleType) -> Callable[..., Any]:
        """`compile` as `module` calls it: the builtin inherits the caller's __future__
        flags, so they are passed explicitly (and are part of the key)."""
        flags = 0
        for value in vars(module).values():
            if isinstance(value, __future__._Feature):
                flags |= value.compiler_flag

        def cached_compile(source: Any, filename: Any, mode: str, *args: Any, **kw: Any) -> Any:
            if args or kw or not isinstance(source, str) or not isinstance(filename, str):
                return builtins.compile(source, filename, mode, *args, **kw)
            digest = hashlib.sha1(source.encode("utf-8", "surrogatepass"), usedforsecurity=False)
            name = f"{mode}\0{flags}\0{filename}"
            key = f"{name}\0{digest.hexdigest()}"
            code = self._stored.get(key)
            if code is None:
                code = builtins.compile(source, filename, mode, flags, dont_inherit=True)
                if name not in self._names and self._recording:
                    self.new += 1  # worth writing the file again for
            if self._recording:
                self._used[key] = code
            return code

        return cached_compile

    def install(self, module: ModuleType) -> None:
        # A module-level name shadows the builtin for that module's code only.
        module.compile = self.compiler_for(module)  # type: ignore[attr-defined]

    def install_exec(self, module: ModuleType) -> None:
        """Shadow `exec` in `module`: a source string is compiled through the cache (as
        exec would: file name "<string>", the module's __future__ flags)."""
        compile_ = self.compiler_for(module)

        def cached_exec(source: Any, *args: Any, **kw: Any) -> Any:
            if isinstance(source, str):
                source = compile_(source, "<string>", "exec")
            return builtins.exec(source, *args, **kw)

        module.exec = cached_exec  # type: ignore[attr-defined]

    def save(self) -> None:
        """Write what was used so far when anything had to be compiled; later calls write
        nothing (the start is over)."""
        self._recording = False
        if not self.new:
            return
        self.new = 0
        import tempfile  # only when writing: it is a tenth of this module's import

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".codegen-")
            with os.fdopen(fd, "wb") as stream:
                marshal.dump(dict(self._used), stream)
            os.replace(temporary, self.path)
        except (OSError, ValueError) as error:
            log.info("code cache not written: %s", error)


def cache_path() -> Path:
    # The bytecode magic number, as .pyc files carry it: code objects are only valid for it.
    from importlib._bootstrap_external import MAGIC_NUMBER

    from platformdirs import user_cache_dir

    tag = sys.implementation.cache_tag or "python"
    name = f"codegen-{tag}-{MAGIC_NUMBER.hex()}.marshal"
    return Path(user_cache_dir("envsense", appauthor=False)) / name


def install() -> CodegenCache | None:
    """Install the cache for attrs and cattrs (before lsprotocol is imported)."""
    if os.environ.get("ENVSENSE_NO_CODEGEN_CACHE"):
        return None
    import importlib

    cache = CodegenCache(cache_path())
    for names, install in ((COMPILE_MODULES, cache.install), (EXEC_MODULES, cache.install_exec)):
        for name in names:
            try:
                module = importlib.import_module(name)
            except ImportError:
                continue
            install(module)
    return cache
