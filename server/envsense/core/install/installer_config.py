"""Installer configuration files that would change where packages come from.

uv reads `uv.toml` / `[tool.uv]` from the folder it runs in and its parents, so envsense
runs `uv pip install --no-config` and passes the index settings it found as explicit
flags: those from a project file only after the user confirmed them, those from the
user's or the system's own uv.toml as they are (nothing in a workspace wrote them).

pip reads no project file, but it does read `<environment>/pip.conf` (the "site" config),
and that file sits inside the project when the environment does; `PIP_CONFIG_FILE` /
`UV_CONFIG_FILE` may also point into the project (an editor can load variables from a
workspace `.env`). Their index settings are shown for confirmation too. See
docs/security.md ("Installer configuration").
"""

from __future__ import annotations

import configparser
import os
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from envsense.core.toml_compat import TOMLDecodeError, loads_toml

_MAX_BYTES = 5 * 1024 * 1024

# uv setting -> the `uv pip install` flag that carries it (lists give one flag per item).
_UV_FLAGS: dict[str, str] = {
    "index-url": "--index-url",
    "extra-index-url": "--extra-index-url",
    "find-links": "--find-links",
    "no-index": "--no-index",
    "allow-insecure-host": "--allow-insecure-host",
    "index-strategy": "--index-strategy",
    "keyring-provider": "--keyring-provider",
}
# pip.conf keys (any section pip reads: global, install) that change sources or trust.
_PIP_KEYS = ("index-url", "extra-index-url", "find-links", "trusted-host", "no-index")
_PIP_SECTIONS = ("global", "install")


@dataclass(frozen=True, slots=True)
class ConfigSetting:
    """One index/trust setting read from an installer's configuration file."""

    path: Path
    key: str
    value: str
    # The installer flags that carry it when envsense passes it on explicitly (uv).
    args: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"{self.path}: {self.key} = {self.value}"


def uv_project_settings(start: Path) -> tuple[ConfigSetting, ...]:
    """Index settings of the uv.toml / pyproject.toml [tool.uv] uv would discover from `start`."""
    for folder in (start, *start.parents):
        uv_toml = folder / "uv.toml"
        data = read_toml(uv_toml)
        if data is not None:
            return _uv_settings(uv_toml, data, data.get("pip"))
        pyproject = folder / "pyproject.toml"
        data = read_toml(pyproject)
        tool = data.get("tool") if data is not None else None
        uv = tool.get("uv") if isinstance(tool, dict) else None
        if isinstance(uv, dict):
            return _uv_settings(pyproject, uv, uv.get("pip"))
    return ()


def uv_user_settings(environ: Mapping[str, str]) -> tuple[ConfigSetting, ...]:
    """Index settings of the user's and the system's uv.toml (trusted: no workspace wrote them)."""
    found: list[ConfigSetting] = []
    for path in _uv_user_files(environ):
        data = read_toml(path)
        if data is not None:
            found += _uv_settings(path, data, data.get("pip"))
    return tuple(found)


def _uv_user_files(environ: Mapping[str, str]) -> list[Path]:
    if sys.platform == "win32":
        base = environ.get("APPDATA")
        return [Path(base) / "uv" / "uv.toml"] if base else []
    config_home = environ.get("XDG_CONFIG_HOME") or str(Path(environ.get("HOME", "~")) / ".config")
    dirs = environ.get("XDG_CONFIG_DIRS") or "/etc/xdg"
    system = [Path(d) / "uv" / "uv.toml" for d in dirs.split(":") if d] + [Path("/etc/uv/uv.toml")]
    return [Path(config_home).expanduser() / "uv" / "uv.toml", *system]


def config_file_settings(
    environ: Mapping[str, str], inside: tuple[Path, ...]
) -> tuple[ConfigSetting, ...]:
    """Settings of PIP_CONFIG_FILE / UV_CONFIG_FILE when they point inside one of `inside`."""
    found: list[ConfigSetting] = []
    for variable in ("PIP_CONFIG_FILE", "UV_CONFIG_FILE"):
        value = environ.get(variable)
        if not value or value == os.devnull:
            continue
        path = Path(value)
        if not path.is_absolute() or not any(_within(path, folder) for folder in inside):
            continue
        if variable == "UV_CONFIG_FILE":
            data = read_toml(path)
            if data is not None:
                found += _uv_settings(path, data, data.get("pip"))
        else:
            found += pip_conf_settings(path)
    return tuple(found)


def pip_site_settings(prefix: Path | None) -> tuple[ConfigSetting, ...]:
    """`<prefix>/pip.conf` (pip.ini on Windows): pip's per-environment configuration."""
    if prefix is None:
        return ()
    name = "pip.ini" if sys.platform == "win32" else "pip.conf"
    return pip_conf_settings(prefix / name)


def pip_conf_settings(path: Path) -> tuple[ConfigSetting, ...]:
    text = _read_text(path)
    if text is None:
        return unchecked(path)
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error:
        # pip fails on it too; say so rather than guess what it would have read.
        return (ConfigSetting(path, "file", "unreadable ini file (pip refuses it as well)"),)
    found: list[ConfigSetting] = []
    for section in _PIP_SECTIONS:
        if not parser.has_section(section):
            continue
        for key, value in parser.items(section):
            normalised = key.replace("_", "-")
            if normalised in _PIP_KEYS:
                found.append(
                    ConfigSetting(path, f"[{section}] {normalised}", " ".join(value.split()))
                )
    return tuple(found)


def _uv_settings(path: Path, top: dict[str, Any], pip: Any) -> tuple[ConfigSetting, ...]:
    """Top-level settings, overridden key by key by the `[pip]` table (uv's own rule)."""
    merged: dict[str, Any] = {k: v for k, v in top.items() if k in _UV_FLAGS or k == "index"}
    if isinstance(pip, dict):
        merged.update({k: v for k, v in pip.items() if k in _UV_FLAGS or k == "index"})
    found: list[ConfigSetting] = []
    for key, value in merged.items():
        if key == "index":
            found += _uv_indexes(path, value)
            continue
        flag = _UV_FLAGS[key]
        if isinstance(value, bool):
            if value:
                found.append(ConfigSetting(path, key, "true", (flag,)))
        elif isinstance(value, str):
            found.append(ConfigSetting(path, key, value, (flag, value)))
        elif isinstance(value, list):
            items = [str(item) for item in value if isinstance(item, (str, int, float))]
            args: list[str] = []
            for item in items:
                args += [flag, item]
            if items:
                found.append(ConfigSetting(path, key, ", ".join(items), tuple(args)))
    return tuple(found)


def _uv_indexes(path: Path, value: Any) -> list[ConfigSetting]:
    """`[[index]]` tables: explicit ones serve pinned sources only, which uv pip ignores."""
    found: list[ConfigSetting] = []
    for table in value if isinstance(value, list) else []:
        if not isinstance(table, dict) or not isinstance(table.get("url"), str):
            continue
        if table.get("explicit") is True:
            continue
        url = table["url"]
        name = table.get("name")
        shown = f"{name} = {url}" if isinstance(name, str) else url
        flag = "--default-index" if table.get("default") is True else "--index"
        found.append(ConfigSetting(path, "index", shown, (flag, url)))
    return found


def _within(path: Path, folder: Path) -> bool:
    try:
        resolved = path.resolve()
        return resolved == folder.resolve() or folder.resolve() in resolved.parents
    except (OSError, RuntimeError):
        return False


def _read_text(path: Path) -> str | None:
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_BYTES:
            return None
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            return handle.read(_MAX_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return None


def read_toml(path: Path) -> dict[str, Any] | None:
    text = _read_text(path)
    if text is None:
        return None
    try:
        return loads_toml(text)
    except (TOMLDecodeError, RecursionError, ValueError):
        return None


def unchecked(path: Path) -> tuple[ConfigSetting, ...]:
    """A setting saying `path` exists but could not be checked (so the user is asked)."""
    why = problem(path)
    return (ConfigSetting(path, "file", f"could not be checked: {why}"),) if why else ()


def problem(path: Path) -> str | None:
    """Why an existing config file can't be read here; None when fine or absent."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as error:
        return f"can't be read ({error.strerror or error})"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file"
    if info.st_size > _MAX_BYTES:
        return f"larger than {_MAX_BYTES // (1024 * 1024)} MB"
    text = _read_text(path)
    if text is None:
        return "can't be read"
    if path.suffix == ".toml" or path.name == "Pipfile":
        try:
            loads_toml(text)
        except (TOMLDecodeError, RecursionError, ValueError) as error:
            return f"not valid TOML ({str(error)[:120]})"
    return None
