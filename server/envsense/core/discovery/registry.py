"""PEP 514: Python installs registered under HKCU/HKLM\\Software\\Python on Windows.

The reader is a plain callable so discovery can be unit-tested with a fake one;
the real one uses `winreg` and returns nothing on other platforms.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RegistryInstall:
    """One `Software\\Python\\<company>\\<tag>` key."""

    company: str
    tag: str
    install_path: Path | None
    executable: Path | None
    version: str | None


def read_pep514_registry() -> list[RegistryInstall]:
    """Every PEP 514 registration readable on this machine (empty off Windows)."""
    if sys.platform != "win32":
        return []
    return _read_winreg()


# Type checkers skip the branch of the other platform, so winreg is only checked where it exists.
if sys.platform == "win32":  # pragma: no cover - needs a Windows registry
    import winreg

    def _read_winreg() -> list[RegistryInstall]:  # pragma: no cover - needs a Windows registry

        found: list[RegistryInstall] = []
        hives = [(winreg.HKEY_CURRENT_USER, 0), (winreg.HKEY_LOCAL_MACHINE, winreg.KEY_WOW64_64KEY)]
        hives.append((winreg.HKEY_LOCAL_MACHINE, winreg.KEY_WOW64_32KEY))
        for hive, view in hives:
            try:
                root = winreg.OpenKey(hive, r"Software\Python", 0, winreg.KEY_READ | view)
            except OSError:
                continue
            for company in _subkeys(root):
                if company == "PyLauncher":
                    continue  # PEP 514: the launcher's own settings, not an install
                try:
                    company_key = winreg.OpenKey(root, company)
                except OSError:
                    continue
                for tag in _subkeys(company_key):
                    found.append(_read_tag(company_key, company, tag))
        return found

    def _subkeys(key: object) -> list[str]:  # pragma: no cover - Windows only

        names: list[str] = []
        index = 0
        while True:
            try:
                names.append(winreg.EnumKey(key, index))
            except OSError:
                return names
            index += 1

    def _read_tag(
        company_key: object, company: str, tag: str
    ) -> RegistryInstall:  # pragma: no cover

        def value(sub: str, name: str) -> str | None:
            try:
                with winreg.OpenKey(company_key, f"{tag}\\{sub}" if sub else tag) as key:
                    data, _ = winreg.QueryValueEx(key, name)
                    return str(data) if data else None
            except OSError:
                return None

        install = value("InstallPath", "")
        executable = value("InstallPath", "ExecutablePath")
        _log.debug("registry: %s\\%s -> %s", company, tag, install)
        return RegistryInstall(
            company=company,
            tag=tag,
            install_path=Path(install) if install else None,
            executable=Path(executable) if executable else None,
            version=value("", "Version") or value("", "SysVersion"),
        )

else:

    def _read_winreg() -> list[RegistryInstall]:
        return []
