"""One installed distribution, read from its `.dist-info` (or legacy `.egg-info`) folder.

Only the parts that matter for imports are read, and as little as possible: METADATA up
to its blank line, the first path component of every RECORD row (one regex over the
file), direct_url.json. Broken metadata gives a best-effort record and a log line.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from envsense.core.environment.editables import FINDER_PREFIX, read_finder_mapping
from envsense.core.safe_read import METADATA_LIMIT, RECORD_LIMIT, open_regular, read_text

log = logging.getLogger(__name__)

# First path component of a RECORD row and the character after it ("/" = folder), then
# every following row under the same folder swallowed in C: one match per group of rows
# instead of one per file. Anchored on a literal newline (the text gets one prepended),
# much faster than ^ with re.MULTILINE, which tries every position.
_RECORD_HEAD = re.compile(r'\n"?([^/\\,\r\n"]+)([/\\,])[^\n]*(?:\n\1[/\\][^\n]*)*')
_MODULE_SUFFIXES = frozenset({"py", "pyi", "so", "pyd"})
_SEP = os.sep
_NOT_PACKAGES = frozenset({"__pycache__", "tests", "test", "docs"})


@dataclass(frozen=True, slots=True)
class Distribution:
    """An installed distribution and the top-level import names it provides.

    `stubs` holds names provided only as PEP 561 stub packages (`foo-stubs/` -> "foo").
    """

    name: str
    canonical_name: str
    version: str
    top_level: frozenset[str]
    editable: bool
    requires: tuple[str, ...]
    dist_info: Path
    stubs: frozenset[str] = frozenset()

    @property
    def location(self) -> Path:
        """The site dir (or, for legacy editables, project dir) holding the metadata."""
        return self.dist_info.parent


_WANTED_HEADERS = frozenset({"name", "version", "requires-dist"})
_HUGE_NUMBER = re.compile(r"\d{101}")


def _read_headers(path: str) -> dict[str, list[str]] | None:
    """Name / Version / Requires-Dist of METADATA or PKG-INFO; None if unreadable.

    Only the header block is read: the long description after the blank line can be
    hundreds of kB.
    """
    try:
        with open_regular(path) as handle:
            data = handle.read(16384) or b""
            # Headers past METADATA_LIMIT are not read (a link to /dev/zero can't be opened).
            while b"\n\n" not in data and b"\n\r\n" not in data and len(data) < METADATA_LIMIT:
                more = handle.read(65536)
                if not more:
                    break
                data += more
    except OSError as error:
        if not isinstance(error.__cause__, FileNotFoundError):
            log.info("cannot read %s: %s", path, error)
        return None
    cuts = [i for i in (data.find(b"\n\n"), data.find(b"\n\r\n")) if i >= 0]
    head = data[: min(cuts) + 1] if cuts else data
    headers: dict[str, list[str]] = {}
    for line in head.decode("utf-8", errors="replace").splitlines():
        key, sep, value = line.partition(":")
        if sep and len(key) <= 13:
            key = key.strip().lower()
            if key in _WANTED_HEADERS:
                value = value.strip()
                if _HUGE_NUMBER.search(value):
                    # Python can't turn it into an int: every later comparison would fail.
                    log.warning("%s: %s with a number of over 100 digits ignored", path, key)
                    value = "unknown" if key == "version" else ""
                if value:
                    headers.setdefault(key, []).append(value)
    return headers


def _names_from_record(text: str) -> tuple[set[str], set[str], list[str]]:
    """(top-level modules, stub packages, top-level .pth files) from RECORD text."""
    modules: set[str] = set()
    stubs: set[str] = set()
    pths: list[str] = []
    for head, sep in set(_RECORD_HEAD.findall("\n" + text)):
        if head.startswith(".."):
            continue  # scripts and data installed outside site-packages
        if sep != ",":
            if head in _NOT_PACKAGES or head.endswith((".dist-info", ".data", ".egg-info")):
                continue
            if head.endswith("-stubs") and head[:-6].isidentifier():
                stubs.add(head[:-6])
            elif head.isidentifier():
                modules.add(head)
            continue
        if head.endswith(".pth"):
            pths.append(head)
            continue
        if head.startswith("__editable__"):
            continue
        stem, _, rest = head.partition(".")
        if rest.rpartition(".")[2] in _MODULE_SUFFIXES and stem.isidentifier():
            modules.add(stem)
    return modules, stubs, pths


def _modules_in_dir(folder: Path) -> set[str]:
    """Importable top-level names in a folder an editable .pth points at."""
    names: set[str] = set()
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name
                if name.endswith(".py"):
                    stem = name[:-3]
                    if stem.isidentifier() and stem not in ("setup", "conftest", "noxfile"):
                        names.add(stem)
                elif name.isidentifier() and name not in _NOT_PACKAGES:
                    if entry.is_dir() and (Path(entry.path) / "__init__.py").exists():
                        names.add(name)
    except OSError:
        pass
    return names


def _modules_from_pth(site_dir: Path, pth: str) -> set[str]:
    """What an editable's own .pth makes importable: path lines or a setuptools finder."""
    try:
        text = read_text(site_dir / pth, METADATA_LIMIT)
    except OSError:
        return set()
    names: set[str] = set()
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("import ", "import\t")):
            match = re.search(rf"\b({re.escape(FINDER_PREFIX)}\w+)", line)
            if match:
                names.update(read_finder_mapping(site_dir / f"{match.group(1)}.py"))
            continue
        names.update(_modules_in_dir(site_dir / line))
    return names


def _read_text(path: str | Path, limit: int = METADATA_LIMIT) -> str | None:
    # Binary read + decode: text-mode open costs more, and this runs per distribution.
    try:
        return read_text(path, limit)
    except OSError as error:
        if not isinstance(error.__cause__, FileNotFoundError):
            log.info("cannot read %s: %s", path, error)
        return None


def _is_editable(dist_info: str) -> bool:
    text = _read_text(f"{dist_info}{_SEP}direct_url.json")
    if text is None:
        return False
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested thousands deep
        log.info("malformed direct_url.json in %s", dist_info)
        return False
    dir_info = data.get("dir_info") if isinstance(data, dict) else None
    return isinstance(dir_info, dict) and dir_info.get("editable") is True


def _name_version_from_folder(folder: str) -> tuple[str, str]:
    stem = folder.rsplit(".", 1)[0]  # drop .dist-info / .egg-info
    name, _, version = stem.partition("-")
    return name, version.split("-", 1)[0]


# Distributions per dist-info folder, reused while the folder's mtime is unchanged: an
# environment is re-read after every install, and most of its distributions did not move.
# (Installers write a dist-info folder once; a reinstall replaces the folder.)
_CACHE: dict[str, tuple[int, Distribution | None]] = {}
_CACHE_LIMIT = 20000


def _names_from_top_level(text: str) -> tuple[set[str], set[str]]:
    modules: set[str] = set()
    stubs: set[str] = set()
    for line in text.splitlines():
        entry = line.strip().replace("\\", "/").split("/", 1)[0]
        if entry.endswith("-stubs") and entry[:-6].isidentifier():
            stubs.add(entry[:-6])
        elif entry.isidentifier() and not entry.startswith("__editable__"):
            modules.add(entry)
    return modules, stubs


def read_dist_info(dist_info: Path) -> Distribution | None:
    """A Distribution from a `.dist-info` folder; None when it names no project at all.

    Top-level names come from top_level.txt when the build backend wrote one (setuptools;
    tiny and exact), else from the first path component of each RECORD row (hatchling,
    flit, poetry, maturin and uv_build write no top_level.txt), else, for editables whose
    RECORD lists only a .pth, from what that .pth points at.
    """
    # Plain strings inside: this runs once per installed distribution, pathlib is slow.
    folder = str(dist_info)
    try:
        mtime = os.stat(folder).st_mtime_ns
        present = set(os.listdir(folder))
    except OSError as exc:
        log.warning("cannot read %s: %s", dist_info, exc)
        return None
    cached = _CACHE.get(folder)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    dist = _read_dist_info(dist_info, folder, present)
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()
    # Editables take their names from live source folders: never cached.
    if dist is None or not dist.editable:
        _CACHE[folder] = (mtime, dist)
    return dist


def _read_dist_info(dist_info: Path, folder: str, present: set[str]) -> Distribution | None:
    headers = _read_headers(f"{folder}{_SEP}METADATA") if "METADATA" in present else None
    folder_name, folder_version = _name_version_from_folder(dist_info.name)
    if headers is None:
        log.warning("%s has no readable METADATA; using the folder name", dist_info)
        headers = {}
    name = (headers.get("name") or [folder_name])[0]
    version = (headers.get("version") or [folder_version])[0]
    if not name:
        log.warning("%s names no project; skipped", dist_info)
        return None
    modules: set[str] = set()
    stubs: set[str] = set()
    pths: list[str] = []
    if "top_level.txt" in present:
        modules, stubs = _names_from_top_level(_read_text(f"{folder}{_SEP}top_level.txt") or "")
    if not modules and not stubs and "RECORD" in present:
        record = _read_text(f"{folder}{_SEP}RECORD", RECORD_LIMIT)
        if record is not None:
            modules, stubs, pths = _names_from_record(record)
    if not modules and pths:
        for pth in pths:
            modules |= _modules_from_pth(dist_info.parent, pth)
    return Distribution(
        name=name,
        canonical_name=canonicalize_name(name),
        version=version,
        top_level=frozenset(modules),
        editable="direct_url.json" in present and _is_editable(folder),
        requires=tuple(headers.get("requires-dist", ())),
        dist_info=dist_info,
        stubs=frozenset(stubs),
    )


def _egg_requires(text: str) -> tuple[str, ...]:
    """requires.txt sections (`[extra]`, `[extra:marker]`, `[:marker]`) as PEP 508 strings."""
    result: list[str] = []
    marker = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            extra, _, condition = line[1:-1].partition(":")
            parts = [f"({condition})"] if condition else []
            if extra:
                parts.append(f'extra == "{extra}"')
            marker = " and ".join(parts)
            continue
        result.append(f"{line}; {marker}" if marker else line)
    return tuple(result)


def read_egg_info(egg_info: Path, editable: bool = False) -> Distribution | None:
    """A Distribution from a legacy `.egg-info` folder or single PKG-INFO-style file."""
    is_dir = egg_info.is_dir()
    headers = _read_headers(str(egg_info / "PKG-INFO" if is_dir else egg_info)) or {}
    folder_name, folder_version = _name_version_from_folder(egg_info.name)
    name = (headers.get("name") or [folder_name])[0]
    version = (headers.get("version") or [folder_version])[0]
    if not name:
        return None
    modules: set[str] = set()
    requires: tuple[str, ...] = ()
    if is_dir:
        top_level = _read_text(egg_info / "top_level.txt") or ""
        modules = {n.strip() for n in top_level.splitlines() if n.strip().isidentifier()}
        requires = _egg_requires(_read_text(egg_info / "requires.txt") or "")
    if not modules and editable:
        modules = _modules_in_dir(egg_info.parent)
    return Distribution(
        name=name,
        canonical_name=canonicalize_name(name),
        version=version,
        top_level=frozenset(modules),
        editable=editable,
        requires=requires,
        dist_info=egg_info,
    )


def read_egg_link(link: Path) -> Distribution | None:
    """Legacy `setup.py develop`: `<name>.egg-link` names the project folder with the egg-info."""
    text = _read_text(link)
    if not text:
        return None
    project = Path(text.splitlines()[0].strip())
    try:
        with os.scandir(project) as entries:
            eggs = sorted(e.name for e in entries if e.name.endswith(".egg-info"))
    except OSError:
        log.info("%s points at %s, which cannot be listed", link, project)
        return None
    wanted = canonicalize_name(link.name[: -len(".egg-link")])
    for egg in eggs:
        if canonicalize_name(_name_version_from_folder(egg)[0]) == wanted:
            return read_egg_info(project / egg, editable=True)
    return read_egg_info(project / eggs[0], editable=True) if eggs else None
