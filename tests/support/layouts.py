"""Fabricate on-disk layouts that installers write but that no wheel can produce.

Editable installs are written by the installer (pip/uv/setuptools), not shipped in a
wheel, so tests write the same files by hand: the dist-info with direct_url.json, the
static `.pth` of hatchling/uv_build/flit editables, and setuptools' import-hook pair
`__editable__.<name>-<ver>.pth` + `__editable___<name>_<ver>_finder.py`.
"""

from __future__ import annotations

import json
from pathlib import Path

from envsense.core.environment import Environment, EnvKind
from envsense.core.versions import PythonVersion


def site_packages(venv: Path) -> Path:
    """The purelib folder of a POSIX venv (lib/python3.X/site-packages)."""
    return next((venv / "lib").glob("python3.*/site-packages"))


def venv_environment(venv: Path, kind: EnvKind = EnvKind.VENV) -> Environment:
    """The Environment record discovery would build for a venv (version from pyvenv.cfg)."""
    version = None
    for line in (venv / "pyvenv.cfg").read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() in ("version", "version_info"):
            version = PythonVersion.parse(value.strip())
    return Environment(kind, venv, venv / "bin" / "python", version)


def write_dist_info(
    site: Path,
    name: str,
    version: str,
    record_files: list[str],
    *,
    editable_url: str | None = None,
    top_level: list[str] | None = None,
) -> Path:
    """A dist-info folder as an installer leaves it; RECORD lists `record_files`."""
    dist_info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nLong text.\n"
    )
    (dist_info / "INSTALLER").write_text("uv\n")
    rows = [f"{path},," for path in record_files]
    rows += [f"{dist_info.name}/{n},," for n in ("METADATA", "INSTALLER", "RECORD")]
    if editable_url is not None:
        (dist_info / "direct_url.json").write_text(
            json.dumps({"url": editable_url, "dir_info": {"editable": True}})
        )
        rows.append(f"{dist_info.name}/direct_url.json,,")
    if top_level is not None:
        (dist_info / "top_level.txt").write_text("\n".join(top_level) + "\n")
    (dist_info / "RECORD").write_text("\n".join(rows) + "\n")
    return dist_info


def static_editable(site: Path, name: str, source_dir: Path, version: str = "1.0") -> Path:
    """hatchling/uv_build-style editable: `_<name>.pth` holding the source folder."""
    pth = f"_{name.replace('-', '_')}.pth"
    (site / pth).write_text(f"{source_dir}\n")
    return write_dist_info(site, name, version, [pth], editable_url=source_dir.as_uri())


def setuptools_editable(
    site: Path,
    name: str,
    mapping: dict[str, Path],
    version: str = "1.0",
    *,
    executed_marker: Path | None = None,
    with_top_level: bool = True,
) -> Path:
    """setuptools >= 64 editable: an import-hook .pth and a finder with a MAPPING literal.

    When `executed_marker` is given, the finder creates that file if anyone imports it:
    tests use it to prove the finder is read, never run.
    """
    stem = f"{name.replace('-', '_')}_{version.replace('.', '_')}"
    finder = f"__editable___{stem}_finder"
    pth = f"__editable__.{name}-{version}.pth"
    (site / pth).write_text(f"import {finder}; {finder}.install()\n")
    side_effect = (
        f"open({str(executed_marker)!r}, 'w').close()\n" if executed_marker is not None else ""
    )
    literal = {module: str(path) for module, path in mapping.items()}
    (site / f"{finder}.py").write_text(
        "import sys\n"
        "from importlib.machinery import ModuleSpec, PathFinder\n"
        f"{side_effect}"
        f"MAPPING: dict[str, str] = {literal!r}\n"
        f"NAMESPACES: dict[str, list[str]] = {{}}\n"
        "PATH_PLACEHOLDER = '__editable__.x.finder' + '.__path_hook__'\n"
        "def install():\n"
        "    pass\n"
    )
    return write_dist_info(
        site,
        name,
        version,
        [pth, f"{finder}.py"],
        editable_url=next(iter(mapping.values())).parent.as_uri(),
        top_level=sorted(mapping) if with_top_level else None,
    )
