"""Python version numbers as read from files (pyvenv.cfg, patchlevel.h, folder names)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_VERSION_RE = re.compile(
    r"^\s*(?P<major>\d+)\.(?P<minor>\d+)(?:\.(?P<micro>\d+))?"
    r"(?:(?P<level>a|b|rc|\.final\.|\.alpha\.|\.beta\.|\.candidate\.)(?P<serial>\d+))?"
)
_LEVELS = {
    "a": "alpha",
    "b": "beta",
    "rc": "candidate",
    ".alpha.": "alpha",
    ".beta.": "beta",
    ".candidate.": "candidate",
    ".final.": "final",
}
_SUFFIX = {"alpha": "a", "beta": "b", "candidate": "rc"}


@dataclass(frozen=True, order=True, slots=True)
class PythonVersion:
    """A CPython-style version; `micro` is 0 when only X.Y is known (see `exact`)."""

    major: int
    minor: int
    micro: int = 0
    releaselevel: str = "final"
    serial: int = 0
    exact: bool = True

    @classmethod
    def parse(cls, text: str) -> PythonVersion | None:
        """Read "3.12.1", "3.12", "3.13.0rc2" or pyvenv.cfg's "3.12.1.final.0"; None if it isn't one."""
        match = _VERSION_RE.match(text)
        if match is None:
            return None
        level = _LEVELS.get(match.group("level") or ".final.", "final")
        if len(match.group(0)) > 64:
            return None  # no real version is this long; 5,000 digits can't even be an int
        return cls(
            int(match.group("major")),
            int(match.group("minor")),
            int(match.group("micro") or 0),
            level,
            int(match.group("serial") or 0),
            exact=match.group("micro") is not None,
        )

    @property
    def short(self) -> str:
        """ "3.12"."""
        return f"{self.major}.{self.minor}"

    @property
    def triple(self) -> tuple[int, int, int]:
        """(major, minor, micro), for comparisons with sys.version_info-style tuples."""
        return (self.major, self.minor, self.micro)

    def __str__(self) -> str:
        base = f"{self.major}.{self.minor}.{self.micro}"
        suffix = _SUFFIX.get(self.releaselevel)
        return f"{base}{suffix}{self.serial}" if suffix else base
