"""Where a project's own manifest says its packages come from, when installing the project.

`uv pip install -e <root>` and `uv sync` obey `[tool.uv.sources]` (git, URL, named index);
`poetry install` obeys `[[tool.poetry.source]]`, `poetry.toml` repositories and git/url/
source dependencies; `pdm install` obeys `[[tool.pdm.source]]` and `pdm.toml`; `pipenv
install` obeys the Pipfile's `[[source]]` and git/file/index packages. Installing the
project is the point of those entries, so they are obeyed, but only after the user saw
them: the confirmation lists each one. Local paths and workspace members are not listed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from envsense.core.install.installer_config import ConfigSetting, read_toml, unchecked

_REMOTE_KEYS = ("git", "url", "index", "source", "file", "hg", "svn", "bzr")


def project_sources(manager: str, root: Path) -> tuple[ConfigSetting, ...]:
    """Remote sources the given installer/manager would obey when installing `root`."""
    files = {"uv": ("uv.toml",), "poetry": ("poetry.toml",), "pdm": ("pdm.toml",)}
    found = _build_requires(root)
    # A file the manager obeys but envsense cannot read is shown as such, never skipped.
    for name in ("pyproject.toml", "Pipfile", *files.get(manager, ())):
        found += unchecked(root / name)
    if manager == "uv":
        return found + _uv_sources(root)
    if manager == "poetry":
        return found + _poetry_sources(root)
    if manager == "pdm":
        return found + _pdm_sources(root)
    if manager == "pipenv":
        return found + _pipenv_sources(root)
    return found


def _build_requires(root: Path) -> tuple[ConfigSetting, ...]:
    """`[build-system] requires` entries that download from a URL (build isolation does)."""
    path = root / "pyproject.toml"
    requires = _table(read_toml(path), "build-system", "requires")
    items = requires if isinstance(requires, list) else []
    return tuple(
        ConfigSetting(path, "build-system.requires", item)
        for item in items
        if isinstance(item, str) and ("://" in item or "@" in item)
    )


def _table(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _uv_sources(root: Path) -> tuple[ConfigSetting, ...]:
    path = root / "pyproject.toml"
    sources = _table(read_toml(path), "tool", "uv", "sources")
    found: list[ConfigSetting] = []
    for name, spec in (sources or {}).items() if isinstance(sources, dict) else ():
        for entry in spec if isinstance(spec, list) else [spec]:
            found += _remote(path, f"tool.uv.sources {name}", entry)
    return tuple(found)


def _poetry_sources(root: Path) -> tuple[ConfigSetting, ...]:
    path = root / "pyproject.toml"
    poetry = _table(read_toml(path), "tool", "poetry")
    found = _index_list(path, "tool.poetry.source", _table(poetry, "source"))
    deps = [_table(poetry, "dependencies"), _table(poetry, "dev-dependencies")]
    groups = _table(poetry, "group")
    if isinstance(groups, dict):
        deps += [_table(group, "dependencies") for group in groups.values()]
    for table in deps:
        for name, spec in table.items() if isinstance(table, dict) else ():
            for entry in spec if isinstance(spec, list) else [spec]:
                found += _remote(path, f"tool.poetry dependency {name}", entry)
    local = root / "poetry.toml"
    repositories = _table(read_toml(local), "repositories")
    for name, spec in repositories.items() if isinstance(repositories, dict) else ():
        found += _remote(local, f"repositories.{name}", spec)
    return tuple(found)


def _pdm_sources(root: Path) -> tuple[ConfigSetting, ...]:
    path = root / "pyproject.toml"
    found = _index_list(path, "tool.pdm.source", _table(read_toml(path), "tool", "pdm", "source"))
    local = root / "pdm.toml"
    pypi = _table(read_toml(local), "pypi")
    if isinstance(pypi, dict):
        found += _remote(local, "pypi", pypi)
        for name, spec in pypi.items():
            found += _remote(local, f"pypi.{name}", spec)
    return tuple(found)


def _pipenv_sources(root: Path) -> tuple[ConfigSetting, ...]:
    path = root / "Pipfile"
    data = read_toml(path)
    found = _index_list(path, "source", _table(data, "source"))
    for section in ("packages", "dev-packages"):
        table = _table(data, section)
        for name, spec in table.items() if isinstance(table, dict) else ():
            found += _remote(path, f"{section} {name}", spec)
    return tuple(found)


def _index_list(path: Path, key: str, value: Any) -> list[ConfigSetting]:
    found: list[ConfigSetting] = []
    for entry in value if isinstance(value, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("url"), str):
            name = entry.get("name")
            shown = f"{name} = {entry['url']}" if isinstance(name, str) else entry["url"]
            found.append(ConfigSetting(path, key, shown))
    return found


def _remote(path: Path, key: str, entry: Any) -> list[ConfigSetting]:
    """One source entry, when it names something remote (a table with git/url/index...)."""
    if not isinstance(entry, dict):
        return []
    parts = [f"{k} = {entry[k]}" for k in _REMOTE_KEYS if isinstance(entry.get(k), str)]
    if "file" in entry and isinstance(entry["file"], str) and "://" not in entry["file"]:
        parts = [p for p in parts if not p.startswith("file = ")]
    return [ConfigSetting(path, key, ", ".join(parts))] if parts else []
