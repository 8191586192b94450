"""The last resort: ask an interpreter itself, when nothing on disk tells its version.

Discovery never calls this on its own (`allow_spawn` is off by default). When it is
called, it refuses shims (they run another Python), refuses anything inside an
untrusted workspace (running it would execute the workspace's code), uses an
argument list (-I: no cwd, no PYTHON* variables; site stays on because it sets a
venv's sys.prefix) with a 2 s timeout, and caches answers keyed by realpath + mtime.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_cache_dir

from envsense.core.discovery import fs
from envsense.core.versions import PythonVersion

_log = logging.getLogger(__name__)

PROBE_TIMEOUT = 2.0
_MARKER = "envsense-probe-5f0c"
_SCRIPT = (
    "import json, sys; print("
    + repr(_MARKER)
    + "); print(json.dumps({'version': '.'.join(str(n) for n in sys.version_info[:3]),"
    " 'prefix': sys.prefix, 'executable': sys.executable}))"
)
_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """What the interpreter said about itself."""

    version: PythonVersion
    prefix: Path
    executable: Path


class ProbeRefused(Exception):
    """Running this interpreter is not allowed (shim, untrusted workspace)."""


def default_cache_dir() -> Path:
    return Path(user_cache_dir("envsense", appauthor=False))


def refusal(executable: Path, *, trusted: bool, workspace_roots: Sequence[Path]) -> str | None:
    """Why `executable` must not be run, or None when it may be."""
    if "shims" in executable.parts:
        return f"{executable} is a shim; it would run a different Python"
    if not trusted:
        real = fs.realpath(executable)
        for root in workspace_roots:
            if fs.is_within(executable, root) or fs.is_within(real, fs.realpath(root)):
                return f"{executable} is inside the untrusted workspace {root}"
    return None


def probe_interpreter(
    executable: Path,
    *,
    trusted: bool,
    workspace_roots: Sequence[Path] = (),
    cache_dir: Path | None = None,
    timeout: float = PROBE_TIMEOUT,
) -> ProbeResult | None:
    """Run `executable` once to learn its version and prefix; None when it cannot answer.

    Raises ProbeRefused when policy forbids running it (the caller decides what to show).
    """
    reason = refusal(executable, trusted=trusted, workspace_roots=workspace_roots)
    if reason is not None:
        raise ProbeRefused(reason)
    cache_file = (cache_dir or default_cache_dir()) / "probe.json"
    key = _cache_key(executable)
    if key is None:
        return None
    cached = _read_cache(cache_file).get(key)
    if isinstance(cached, dict):
        result = _from_json(cached)
        if result is not None:
            return result
    try:
        completed = subprocess.run(
            [str(executable), "-I", "-c", _SCRIPT],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        _log.info("probing %s failed: %s", executable, exc)
        return None
    payload = _parse_output(completed.stdout)
    if payload is None:
        _log.info("probing %s gave no answer (exit %s)", executable, completed.returncode)
        return None
    result = _from_json(payload)
    if result is not None:
        _write_cache(cache_file, key, payload)
    return result


def _cache_key(executable: Path) -> str | None:
    real = fs.realpath(executable)
    try:
        mtime = os.stat(real).st_mtime_ns
    except OSError:
        return None
    return f"{real}:{mtime}"


def _parse_output(stdout: str) -> dict[str, str] | None:
    lines = stdout.splitlines()
    if _MARKER not in lines:
        return None
    after = lines[lines.index(_MARKER) + 1 :]
    try:
        data = json.loads(after[0]) if after else None
    except ValueError:
        return None
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else None


def _from_json(data: Mapping[str, object]) -> ProbeResult | None:
    version = PythonVersion.parse(str(data.get("version", "")))
    prefix, executable = data.get("prefix"), data.get("executable")
    if version is None or not isinstance(prefix, str) or not isinstance(executable, str):
        return None
    return ProbeResult(version, Path(prefix), Path(executable))


def _read_cache(path: Path) -> dict[str, object]:
    text = fs.read_text(path)
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        _log.info("ignoring corrupt probe cache %s", path)
        return {}
    return data if isinstance(data, dict) else {}


def _write_cache(path: Path, key: str, payload: dict[str, str]) -> None:
    with _lock:
        data = _read_cache(path)
        data[key] = payload
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temp = path.with_name(f".{path.name}.{os.getpid()}")
            temp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
            os.replace(temp, path)
        except OSError as exc:
            _log.info("cannot write probe cache %s: %s", path, exc)
