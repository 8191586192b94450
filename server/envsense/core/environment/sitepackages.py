"""Where an environment keeps its packages and what its interpreter accepts, from files only.

Everything here reads the environment's folders (pyvenv.cfg, lib dirs, lib-dynload file
names, .pth files); nothing spawns the interpreter. The layout logic follows CPython's
`site` module: site dirs in order, each followed by the directories its .pth files add.
"""

from __future__ import annotations

import logging
import os
import platform as _platform
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from envsense.core.environment import Environment
from envsense.core.safe_read import METADATA_LIMIT, read_text
from envsense.core.versions import PythonVersion

log = logging.getLogger(__name__)

Platform = str  # "linux" | "darwin" | "win32": sys.platform spelling of the TARGET

_LIB_DIR_RE = re.compile(r"^(?P<impl>python|pypy)(?P<ver>\d+\.\d+)(?P<t>t?)$")
_TAGGED_EXT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_-]+\.(?:so|pyd))$")


@dataclass(frozen=True, slots=True)
class Layout:
    """The folders of one environment that matter for imports."""

    prefix: Path
    platform: Platform
    version: PythonVersion
    implementation: str  # "cpython" or "pypy"
    free_threaded: bool
    is_venv: bool
    base_prefix: Path | None
    stdlib_dir: Path | None  # lib/python3.12 or Lib of the base interpreter
    site_dirs: tuple[Path, ...]  # real site-packages folders, sys.path order

    @property
    def is_windows(self) -> bool:
        return self.platform == "win32"


def read_pyvenv_cfg(prefix: Path) -> dict[str, str]:
    """pyvenv.cfg as lower-cased keys; empty when absent or unreadable."""
    try:
        text = read_text(prefix / "pyvenv.cfg", METADATA_LIMIT)
    except OSError:
        return {}
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip().lower()] = value.strip()
    return values


def _target_platform(prefix: Path, executable: Path | None) -> Platform:
    if executable is not None and executable.suffix.lower() == ".exe":
        return "win32"
    if (prefix / "Scripts").is_dir() or (prefix / "python.exe").exists():
        return "win32"
    if sys.platform == "darwin":
        return "darwin"
    return "linux"


def _base_prefix(home: str, platform: Platform) -> Path | None:
    """pyvenv.cfg `home` is the base interpreter's folder: bin/ on POSIX, the prefix on Windows."""
    if not home:
        return None
    path = Path(home)
    if path.name.lower() in ("bin", "scripts"):
        return path.parent
    if platform == "win32":
        return path
    return path.parent


def _lib_dir_names(root: Path) -> list[tuple[str, str, bool]]:
    """(dir name, implementation, free-threaded) for python3.X folders under root."""
    found = []
    try:
        with os.scandir(root) as entries:
            for entry in entries:
                match = _LIB_DIR_RE.match(entry.name)
                if match:
                    impl = "pypy" if match.group("impl") == "pypy" else "cpython"
                    found.append((entry.name, impl, bool(match.group("t"))))
    except OSError:
        pass
    return sorted(found)


def _guess_version(env: Environment, cfg: dict[str, str], prefix: Path) -> PythonVersion:
    if env.version is not None:
        return env.version
    for key in ("version_info", "version"):
        parsed = PythonVersion.parse(cfg.get(key, ""))
        if parsed is not None:
            return parsed
    for name, _impl, _t in _lib_dir_names(prefix / "lib"):
        parsed = PythonVersion.parse(name.removeprefix("python").removeprefix("pypy"))
        if parsed is not None:
            return parsed
    log.warning("cannot tell the Python version of %s; assuming the server's", prefix)
    return PythonVersion(sys.version_info.major, sys.version_info.minor, exact=False)


def _lib_dir(
    root: Path, version: PythonVersion, platform: Platform
) -> tuple[Path | None, str, bool]:
    """The python3.X (or Lib) folder of a prefix, its implementation and free-threading."""
    if platform == "win32":
        lib = root / "Lib"
        return (lib if lib.is_dir() else None), "cpython", False
    names = _lib_dir_names(root / "lib")
    for name, impl, threaded in names:
        if name.endswith(version.short) or name.endswith(version.short + "t"):
            return root / "lib" / name, impl, threaded
    return None, "cpython", False


def _site_dirs_of(root: Path, lib: Path | None, platform: Platform, is_venv: bool) -> list[Path]:
    if lib is None:
        return []
    dirs = [lib / "site-packages"]
    if platform != "win32":
        lib64 = root / "lib64" / lib.name / "site-packages"
        dirs.append(lib64)
        if not is_venv:
            # Debian/Ubuntu system interpreters: local installs first, then apt's.
            version_dir = lib.name
            dirs = [
                root / "local" / "lib" / version_dir / "dist-packages",
                root / "lib" / "python3" / "dist-packages",
                root / "lib" / version_dir / "dist-packages",
                *dirs,
            ]
    return dirs


def _existing_unique(paths: list[Path]) -> tuple[Path, ...]:
    seen: set[str] = set()
    result: list[Path] = []
    for path in paths:
        try:
            if not path.is_dir():
                continue
            key = os.path.realpath(path)
        except OSError:
            continue
        if key not in seen:
            seen.add(key)
            result.append(path)
    return tuple(result)


def detect_layout(env: Environment) -> Layout:
    """Work out the folders of `env` from its prefix (or its executable)."""
    prefix = env.prefix
    if prefix is None:
        if env.executable is None:
            raise OSError("environment has neither a prefix nor an executable")
        exe_dir = env.executable.parent
        prefix = exe_dir.parent if exe_dir.name.lower() in ("bin", "scripts") else exe_dir
    cfg = read_pyvenv_cfg(prefix)
    is_venv = bool(cfg) or env.kind.is_virtual
    platform = _target_platform(prefix, env.executable)
    version = _guess_version(env, cfg, prefix)
    lib, impl, threaded = _lib_dir(prefix, version, platform)
    base_prefix = _base_prefix(cfg.get("home", ""), platform) if cfg else prefix
    stdlib_dir = None
    if base_prefix is not None:
        stdlib_dir, base_impl, base_threaded = _lib_dir(base_prefix, version, platform)
        if lib is None:
            impl, threaded = base_impl, base_threaded
    if lib is None and platform != "win32":
        # An empty venv still has lib/python3.X; derive the name when even that is missing.
        name = ("pypy" if impl == "pypy" else "python") + version.short + ("t" if threaded else "")
        lib = prefix / "lib" / name
    site = _site_dirs_of(prefix, lib, platform, is_venv)
    if not is_venv:
        user = _user_site(version, platform)
        if user is not None:
            site.insert(0 if platform == "win32" else len(site), user)
    if is_venv and cfg.get("include-system-site-packages", "false").lower() == "true":
        if base_prefix is not None:
            site += _site_dirs_of(base_prefix, stdlib_dir, platform, False)
    return Layout(
        prefix=prefix,
        platform=platform,
        version=version,
        implementation=impl,
        free_threaded=threaded,
        is_venv=is_venv,
        base_prefix=base_prefix,
        stdlib_dir=stdlib_dir,
        site_dirs=_existing_unique(site),
    )


def _user_site(version: PythonVersion, platform: Platform) -> Path | None:
    """~/.local/lib/python3.X/site-packages (pip --user) for non-venv interpreters on POSIX."""
    if platform == "win32" or sys.platform == "win32":
        return None
    base = os.environ.get("PYTHONUSERBASE") or os.path.expanduser("~/.local")
    return Path(base) / "lib" / f"python{version.short}" / "site-packages"


def pth_directories(site_dir: Path) -> list[Path]:
    """Folders the .pth files of one site dir add to sys.path, in the order `site` adds them.

    Lines starting with `import` are code run by `site` at startup: never executed here.
    """
    try:
        with os.scandir(site_dir) as entries:
            names = sorted(e.name for e in entries if e.name.endswith(".pth"))
    except OSError:
        return []
    found: list[Path] = []
    for name in names:
        if name.startswith("."):
            continue  # `site` skips hidden .pth files (3.13+ rule, harmless before)
        try:
            text = read_text(site_dir / name, METADATA_LIMIT)
        except OSError as exc:
            log.debug("cannot read %s: %s", site_dir / name, exc)
            continue
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#") or line.startswith(("import ", "import\t")):
                continue
            path = site_dir / line  # an absolute line replaces site_dir
            try:
                if path.is_dir():
                    found.append(path)
            except OSError:
                continue
    return found


def extension_suffixes(layout: Layout) -> tuple[str, ...]:
    """The suffixes the target interpreter accepts for compiled modules, best first.

    Read from lib-dynload file names when possible (they carry the exact tag, including
    free-threaded `313t` and PyPy's `pypy310-pp73`), else built from version + platform.
    """
    digits = f"{layout.version.major}{layout.version.minor}"
    if layout.is_windows:
        machine = _windows_machine_tag(layout)
        return (f".cp{digits}-{machine}.pyd", ".pyd")
    tagged = _dynload_suffix(layout)
    if tagged is None:
        abi = digits + ("t" if layout.free_threaded else "")
        if layout.platform == "darwin":
            tagged = f".cpython-{abi}-darwin.so"
        else:
            tagged = f".cpython-{abi}-{_multiarch(layout)}.so"
    # abi3 is CPython's stable ABI; free-threaded builds (3.13t) cannot load it.
    if layout.implementation == "cpython" and not layout.free_threaded:
        return (tagged, ".abi3.so", ".so")
    return (tagged, ".so")


def _dynload_suffix(layout: Layout) -> str | None:
    if layout.stdlib_dir is None:
        return None
    counts: Counter[str] = Counter()
    try:
        with os.scandir(layout.stdlib_dir / "lib-dynload") as entries:
            for entry in entries:
                match = _TAGGED_EXT_RE.match(entry.name)
                if match and ".abi3." not in entry.name:
                    counts[match.group(1)] += 1
    except OSError:
        return None
    return counts.most_common(1)[0][0] if counts else None


def _multiarch(layout: Layout) -> str:
    """x86_64-linux-gnu from `_sysconfigdata_<abi>_linux_<multiarch>.py`, else a guess."""
    if layout.stdlib_dir is not None:
        try:
            with os.scandir(layout.stdlib_dir) as entries:
                for entry in entries:
                    name = entry.name
                    if name.startswith("_sysconfigdata_") and name.endswith(".py"):
                        _, sep, multiarch = name[:-3].partition("_linux_")
                        if sep and multiarch:
                            return multiarch
        except OSError:
            pass
    return f"{_platform.machine() or 'x86_64'}-linux-gnu"


def _windows_machine_tag(layout: Layout) -> str:
    # The only file-level hint is the folder name of some installs (uv: cpython-3.12-windows-aarch64).
    text = str(layout.base_prefix or layout.prefix).lower()
    if "arm64" in text or "aarch64" in text:
        return "win_arm64"
    if "x86" in text and "x86_64" not in text or "win32" in text:
        return "win32"
    return "win_amd64"


def marker_machine(layout: Layout, suffixes: tuple[str, ...]) -> str:
    """platform_machine of the target, from its extension tag when it names one."""
    if layout.is_windows:
        tag = suffixes[0]
        if "arm64" in tag:
            return "ARM64"
        if "win32" in tag:
            return "x86"
        return "AMD64"
    tag = suffixes[0].strip(".").split(".")[0]  # cpython-312-x86_64-linux-gnu
    parts = tag.split("-")
    if len(parts) >= 3 and parts[-2] == "linux":
        return parts[-3] if len(parts) >= 4 else _platform.machine()
    return _platform.machine()


def marker_environment(layout: Layout, suffixes: tuple[str, ...]) -> dict[str, str]:
    """The PEP 508 marker variables of the TARGET interpreter, for packaging.markers."""
    system = {"win32": "Windows", "darwin": "Darwin"}.get(layout.platform, "Linux")
    same_os = _platform.system() == system
    full = str(layout.version)
    return {
        "implementation_name": layout.implementation,
        "implementation_version": full,
        "os_name": "nt" if layout.is_windows else "posix",
        "platform_machine": marker_machine(layout, suffixes),
        "platform_python_implementation": "PyPy" if layout.implementation == "pypy" else "CPython",
        "platform_release": _platform.release() if same_os else "",
        "platform_system": system,
        "platform_version": _platform.version() if same_os else "",
        "python_full_version": full,
        "python_version": layout.version.short,
        "sys_platform": layout.platform,
    }
