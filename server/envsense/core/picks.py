"""The interpreter a user picked per project, remembered across restarts."""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

_log = logging.getLogger(__name__)
_FILE_NAME = "picks.json"


class PickStore:
    """A JSON file mapping project roots to the executable picked for them.

    A corrupt or unreadable file means an empty store (and a log line), never a crash:
    losing a remembered pick is far cheaper than a server that won't start.
    """

    def __init__(self, directory: Path) -> None:
        self._path = directory / _FILE_NAME
        self._lock = threading.Lock()

    @classmethod
    def default(cls) -> PickStore:
        """The store in platformdirs' user data dir for envsense."""
        from platformdirs import user_data_dir

        return cls(Path(user_data_dir("envsense", appauthor=False)))

    @property
    def path(self) -> Path:
        return self._path

    def get(self, project_root: Path) -> Path | None:
        """The executable picked for `project_root`, if any."""
        with self._lock:
            value = self._load().get(str(project_root))
        return Path(value) if value else None

    def set(self, project_root: Path, executable: Path) -> None:
        """Remember `executable` for `project_root` (written atomically)."""
        with self._lock:
            picks = self._load()
            picks[str(project_root)] = str(executable)
            self._save(picks)

    def _load(self) -> dict[str, str]:
        try:
            text = self._path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            _log.warning("ignoring unreadable picks file %s: %s", self._path, exc)
            return {}
        try:
            data = json.loads(text)
        except ValueError as exc:
            _log.warning("ignoring corrupt picks file %s: %s", self._path, exc)
            return {}
        if not isinstance(data, dict):
            _log.warning("ignoring picks file %s: not a JSON object", self._path)
            return {}
        return {str(k): v for k, v in data.items() if isinstance(v, str)}

    def _save(self, picks: dict[str, str]) -> None:
        import tempfile  # only writing needs it (and shutil behind it): `envs` starts faster

        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=self._path.parent, prefix=".picks-")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(picks, out, indent=2, sort_keys=True)
            os.replace(temp, self._path)
        except OSError as exc:
            _log.warning("cannot save picks to %s: %s", self._path, exc)
