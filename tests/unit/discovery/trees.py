"""Fake machines on disk, laid out the way each tool really lays them out.

Every `python` here is a shell script that appends to a sentinel file; the
autouse fixture in conftest.py fails any test during which one of them ran.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from envsense.core.discovery.context import DiscoveryContext
from envsense.core.discovery.registry import RegistryInstall

SENTINEL_NAME = "python-was-run"


@dataclass
class Machine:
    """A fake machine: HOME, a root for /usr/bin and friends, environment variables."""

    base: Path
    environ: dict[str, str] = field(default_factory=dict)
    platform: str = "linux"
    registry: list[RegistryInstall] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.root.mkdir(parents=True, exist_ok=True)
        self.environ.setdefault("HOME", str(self.home))
        self.environ.setdefault("PATH", "")

    @property
    def home(self) -> Path:
        return self.base / "home" / "user"

    @property
    def root(self) -> Path:
        return self.base / "root"

    @property
    def sentinel(self) -> Path:
        return self.base / SENTINEL_NAME

    def ctx(self, *workspaces: Path, **extra_env: str) -> DiscoveryContext:
        environ: Mapping[str, str] = {**self.environ, **extra_env}
        registry = list(self.registry)
        return DiscoveryContext(
            home=self.home,
            environ=environ,
            platform=self.platform,
            workspace_folders=tuple(workspaces),
            root=self.root,
            registry=lambda: registry,
        )

    def add_path(self, *folders: Path) -> None:
        separator = ";" if self.platform == "win32" else ":"
        parts = [p for p in self.environ["PATH"].split(separator) if p]
        self.environ["PATH"] = separator.join(parts + [str(f) for f in folders])

    # -- interpreters -------------------------------------------------------------------

    def fake_python(self, path: Path) -> Path:
        """An executable that records being run (it must never be)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f'#!/bin/sh\necho "$0" >> "{self.sentinel}"\nexit 3\n')
        path.chmod(0o755)
        return path

    def base_install(self, prefix: Path, version: str, *, headers: bool = True) -> Path:
        """A CPython install (pyenv, uv, python.org): bin/pythonX.Y plus links, headers, stdlib."""
        short = ".".join(version.split(".")[:2])
        exe = self.fake_python(prefix / "bin" / f"python{short}")
        _link(prefix / "bin" / "python3", exe.name)
        _link(prefix / "bin" / "python", exe.name)
        (prefix / "lib" / f"python{short}").mkdir(parents=True, exist_ok=True)
        (prefix / "lib" / f"python{short}" / "os.py").write_text("")
        if headers:
            include = prefix / "include" / f"python{short}"
            include.mkdir(parents=True, exist_ok=True)
            (include / "patchlevel.h").write_text(
                f'#define PY_MAJOR_VERSION 3\n#define PY_VERSION "{version}"\n'
            )
        return exe

    def windows_install(self, prefix: Path, version: str) -> Path:
        """python.org's Windows layout: python.exe at the root, Include/patchlevel.h."""
        exe = self.fake_python(prefix / "python.exe")
        (prefix / "Lib").mkdir(parents=True, exist_ok=True)
        (prefix / "include").mkdir(parents=True, exist_ok=True)
        (prefix / "include" / "patchlevel.h").write_text(f'#define PY_VERSION "{version}"\n')
        return exe

    # -- virtual environments -----------------------------------------------------------

    def venv(
        self,
        prefix: Path,
        base_exe: Path,
        version: str,
        *,
        flavour: str = "venv",
        prompt: str | None = None,
        windows: bool = False,
    ) -> Path:
        """A venv as `python -m venv`, `virtualenv` or `uv venv` writes it."""
        bin_dir = prefix / ("Scripts" if windows else "bin")
        bin_dir.mkdir(parents=True, exist_ok=True)
        lines = [f"home = {base_exe.parent}", "include-system-site-packages = false"]
        if flavour == "venv":
            lines += [f"version = {version}", f"executable = {base_exe}"]
            lines.append(f"command = {base_exe} -m venv {prefix}")
        elif flavour == "virtualenv":
            lines += [
                "implementation = CPython",
                f"version_info = {version}.final.0",
                "virtualenv = 20.26.3",
                f"base-executable = {base_exe}",
            ]
        elif flavour == "uv":
            lines += ["implementation = CPython", "uv = 0.4.30", f"version_info = {version}"]
        if prompt:
            lines.append(f"prompt = {prompt}")
        (prefix / "pyvenv.cfg").write_text("\n".join(lines) + "\n")
        if windows:
            exe = self.fake_python(bin_dir / "python.exe")
            (bin_dir / "activate.bat").write_text("@echo off\n")
        else:
            exe = bin_dir / "python"
            _link(exe, str(base_exe))
            _link(bin_dir / "python3", "python")
            (bin_dir / "activate").write_text("# This file must be used with source\n")
        short = ".".join(version.split(".")[:2])
        site = prefix / ("Lib" if windows else f"lib/python{short}") / "site-packages"
        site.mkdir(parents=True, exist_ok=True)
        return exe

    # -- conda family -------------------------------------------------------------------

    def conda_env(
        self,
        prefix: Path,
        version: str | None,
        *,
        install: bool = False,
        created_by: Path | None = None,
        pixi: bool = False,
    ) -> Path:
        """conda-meta with python-X.Y.Z-*.json and history; an install adds condabin/ and envs/."""
        meta = prefix / "conda-meta"
        meta.mkdir(parents=True, exist_ok=True)
        history = [
            "==> 2024-05-01 10:00:00 <==",
            "# cmd: " + str(created_by or "conda") + " create",
        ]
        if version is not None:
            build = "h2a5c2c4_0_cpython"
            record = {"name": "python", "version": version, "channel": "conda-forge/linux-64"}
            (meta / f"python-{version}-{build}.json").write_text(json.dumps(record))
            history.append(f"+conda-forge/linux-64::python-{version}-{build}")
            self.base_install(prefix, version, headers=False)
        (meta / "history").write_text("\n".join(history) + "\n")
        if install:
            (prefix / "condabin").mkdir(exist_ok=True)
            (prefix / "envs").mkdir(exist_ok=True)
            self.fake_python(prefix / "bin" / "conda")
        if pixi:
            (meta / "pixi").write_text(json.dumps({"manifest_path": str(prefix)}))
        return prefix


def _link(link: Path, target: str) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    if os.path.lexists(link):
        link.unlink()
    link.symlink_to(target)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
