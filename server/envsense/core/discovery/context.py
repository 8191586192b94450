"""The machine as discovery sees it: home, environment variables, platform, workspace folders.

Every locator reads these from a `DiscoveryContext` and never from `os.environ`,
`Path.home()` or `sys.platform` directly, so a test can fake a whole machine by
pointing HOME, PATH and friends into a temporary folder.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from envsense.core.discovery.registry import RegistryInstall, read_pep514_registry


@dataclass(frozen=True, slots=True)
class DiscoveryContext:
    """Everything discovery may know about the machine.

    `root` is where absolute well-known locations (/usr/bin, /opt/conda,
    /opt/homebrew, C:\\Program Files) are looked up; it is `/` in real use and a
    temporary folder in tests. `registry` lists PEP 514 registrations and is only
    consulted when `platform` is "win32".
    """

    home: Path
    environ: Mapping[str, str]
    platform: str
    workspace_folders: tuple[Path, ...] = ()
    root: Path = Path("/")
    registry: Callable[[], Sequence[RegistryInstall]] = field(default=read_pep514_registry)

    @classmethod
    def from_os(cls, workspace_folders: Sequence[Path] = ()) -> DiscoveryContext:
        """The context of the running process."""
        return cls(
            home=Path.home(),
            environ=dict(os.environ),
            platform=sys.platform,
            workspace_folders=tuple(Path(folder) for folder in workspace_folders),
        )

    @property
    def is_windows(self) -> bool:
        return self.platform == "win32"

    @property
    def is_macos(self) -> bool:
        return self.platform == "darwin"

    def env(self, name: str) -> str | None:
        """An environment variable, with empty values treated as unset (as shells do)."""
        value = self.environ.get(name)
        return value if value else None

    def env_path(self, name: str) -> Path | None:
        """An environment variable holding a path, `~` expanded against `home`."""
        value = self.env(name)
        return self.expand(value) if value else None

    def expand(self, text: str) -> Path:
        """Expand a leading `~` against the context's home (not the real one)."""
        if text == "~" or text.startswith(("~/", "~\\")):
            return self.home / text[2:] if len(text) > 1 else self.home
        return Path(text)

    def system(self, absolute: str) -> Path:
        """A well-known absolute location, under `root` (so tests can fake /usr/bin)."""
        return self.root / absolute.lstrip("/\\")

    @property
    def path_dirs(self) -> list[Path]:
        """The PATH entries, in order, blank entries dropped."""
        separator = ";" if self.is_windows else ":"
        return [Path(part) for part in (self.env("PATH") or "").split(separator) if part]

    def xdg(self, variable: str, default: str) -> Path:
        """An XDG base directory (XDG_DATA_HOME, XDG_CACHE_HOME, XDG_CONFIG_HOME)."""
        value = self.env_path(variable)
        return value if value is not None and value.is_absolute() else self.home / default

    @property
    def user_data_base(self) -> Path:
        """Where platformdirs puts user data for this platform (before the app name)."""
        if self.is_windows:
            return self.env_path("LOCALAPPDATA") or self.home / "AppData" / "Local"
        if self.is_macos:
            return self.home / "Library" / "Application Support"
        return self.xdg("XDG_DATA_HOME", ".local/share")

    @property
    def user_cache_base(self) -> Path:
        """Where platformdirs puts user caches for this platform (before the app name)."""
        if self.is_windows:
            return self.env_path("LOCALAPPDATA") or self.home / "AppData" / "Local"
        if self.is_macos:
            return self.home / "Library" / "Caches"
        return self.xdg("XDG_CACHE_HOME", ".cache")

    @property
    def user_config_base(self) -> Path:
        """Where platformdirs puts user configuration for this platform."""
        if self.is_windows:
            return self.env_path("APPDATA") or self.home / "AppData" / "Roaming"
        if self.is_macos:
            return self.home / "Library" / "Application Support"
        return self.xdg("XDG_CONFIG_HOME", ".config")
