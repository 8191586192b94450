"""conda, mamba, micromamba: installs (base) and their envs, found without running conda."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from envsense.core.discovery import fs, ondisk
from envsense.core.discovery.layout import prefix_interpreter
from envsense.core.discovery.scan import Scan, ToolPick, in_project_holder
from envsense.core.environment import Environment, EnvKind
from envsense.core.versions import PythonVersion

_HISTORY_PYTHON_RE = re.compile(r"^\+[^\s:]*::python-(\d+\.\d+\.\d+)-", re.MULTILINE)
_KNOWN_ROOTS = (
    "anaconda3",
    "anaconda",
    "miniconda3",
    "miniconda",
    "miniforge3",
    "mambaforge",
    "micromamba",
    ".micromamba",
)
_SYSTEM_ROOTS = ("/opt/conda", "/opt/anaconda3", "/opt/miniconda3", "/opt/miniforge3", "/anaconda3")


def is_conda_env(prefix: Path) -> bool:
    """conda-meta/ marks a conda prefix; pixi's marker file makes it a pixi env instead."""
    return fs.is_dir(prefix / "conda-meta") and not fs.lexists(prefix / "conda-meta" / "pixi")


def is_install(prefix: Path) -> bool:
    """A conda installation root (its `base` env) has condabin/ or envs/ beside conda-meta/."""
    return is_conda_env(prefix) and (fs.is_dir(prefix / "condabin") or fs.is_dir(prefix / "envs"))


def condarc_files(scan: Scan) -> list[Path]:
    """The rc files conda reads that a user is likely to have (system ones under `root`)."""
    ctx = scan.ctx
    config = ctx.xdg("XDG_CONFIG_HOME", ".config")
    files = [
        ctx.system("/etc/conda/.condarc"),
        ctx.system("/etc/conda/condarc"),
        config / "conda" / ".condarc",
        config / "conda" / "condarc",
        ctx.home / ".conda" / ".condarc",
        ctx.home / ".conda" / "condarc",
        ctx.home / ".condarc",
    ]
    explicit = ctx.env_path("CONDARC")
    if explicit is not None:
        files.append(explicit)
    return files


def parse_envs_dirs(text: str) -> list[str]:
    """`envs_dirs` from a .condarc: the block list and the inline `[a, b]` forms of YAML."""
    found: list[str] = []
    lines = text.splitlines()
    for index, line in enumerate(lines):
        key, sep, rest = line.partition(":")
        if not sep or key.strip() != "envs_dirs" or line[:1].isspace():
            continue
        rest = rest.split(" #")[0].strip()
        if rest.startswith("["):
            found += [_unquote(item) for item in rest.strip("[]").split(",") if item.strip()]
            continue
        for item in lines[index + 1 :]:
            stripped = item.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if not stripped.startswith("- "):
                break
            found.append(_unquote(stripped[2:].split(" #")[0]))
    return [item for item in found if item]


def _unquote(text: str) -> str:
    return text.strip().strip("'\"")


def envs_dirs(scan: Scan) -> list[Path]:
    """Folders of conda envs: every rc file's envs_dirs, $CONDA_ENVS_PATH, ~/.conda/envs."""
    ctx = scan.ctx
    found: list[Path] = []
    for rc in condarc_files(scan):
        text = fs.read_text(rc)
        if text:
            found += [ctx.expand(item) for item in parse_envs_dirs(text)]
    for variable in ("CONDA_ENVS_PATH", "CONDA_ENVS_DIRS"):
        value = ctx.env(variable)
        if value:
            separator = ";" if ctx.is_windows else ":"
            found += [ctx.expand(part) for part in value.split(separator) if part]
    found.append(ctx.home / ".conda" / "envs")
    return list(dict.fromkeys(found))


def known_installs(scan: Scan) -> list[Path]:
    """Usual install folders, the root variables, and conda/mamba found on PATH."""
    ctx = scan.ctx
    found = [ctx.home / name for name in _KNOWN_ROOTS]
    found += [ctx.system(path) for path in _SYSTEM_ROOTS]
    if ctx.is_windows:
        program_data = ctx.env_path("PROGRAMDATA") or ctx.system("/ProgramData")
        found += [program_data / name for name in _KNOWN_ROOTS]
    for variable in ("CONDA_ROOT", "MAMBA_ROOT_PREFIX", "CONDA_PREFIX"):
        value = ctx.env_path(variable)
        if value is not None:
            found.append(value)
    for folder in ctx.path_dirs:
        if any(fs.is_file(folder / exe) for exe in ("conda", "conda.exe", "mamba")):
            found.append(folder.parent)
    return list(dict.fromkeys(found))


def environments_txt(scan: Scan) -> list[Path]:
    """~/.conda/environments.txt: every env conda created, `-p` ones included."""
    text = fs.read_text(scan.ctx.home / ".conda" / "environments.txt") or ""
    return [scan.ctx.expand(line.strip()) for line in text.splitlines() if line.strip()]


def owning_install(prefix: Path) -> Path | None:
    """The install whose conda created `prefix`, from `# cmd:` in conda-meta/history."""
    text = fs.read_text(prefix / "conda-meta" / "history") or ""
    for line in text.splitlines():
        if not line.startswith("# cmd:"):
            continue
        command = line[len("# cmd:") :].strip().split(" ")[0]
        if not command:
            continue
        exe = Path(command)
        for candidate in (exe.parent.parent, exe.parent):
            if candidate != prefix and is_install(candidate):
                return candidate
    return None


def find_conda_prefixes(scan: Scan) -> Iterator[Path]:
    """Every conda prefix reachable from the known places, each install's envs included."""
    listed = environments_txt(scan)
    installs = known_installs(scan)
    installs += [owner for owner in map(owning_install, listed) if owner is not None]
    for install in dict.fromkeys(installs):
        if is_conda_env(install):
            yield install
        yield from (env for env in fs.subdirs(install / "envs") if is_conda_env(env))
    for folder in envs_dirs(scan):
        yield from (env for env in fs.subdirs(folder) if is_conda_env(env))
    yield from (prefix for prefix in listed if is_conda_env(prefix))


def conda_version(prefix: Path) -> PythonVersion | None:
    """conda-meta/python-X.Y.Z-*.json, else the last python line of conda-meta/history."""
    version = ondisk.from_conda_meta(prefix)
    if version is not None:
        return version
    history = fs.read_text(prefix / "conda-meta" / "history") or ""
    matches = _HISTORY_PYTHON_RE.findall(history)
    if matches:
        return PythonVersion.parse(matches[-1])
    return ondisk.from_patchlevel(prefix)


def conda_environment(prefix: Path, scan: Scan, kind: EnvKind = EnvKind.CONDA) -> Environment:
    """A conda (or pixi) prefix; one without a python package is listed with an error."""
    interpreter = prefix_interpreter(prefix, scan.ctx.platform, root_too=True)
    version = conda_version(prefix)
    error = interpreter.error
    if interpreter.executable is None and version is None:
        error = f"conda environment without Python: no python package in {prefix}"
    if kind is EnvKind.CONDA:
        name = "base" if is_install(prefix) else prefix.name
        project = in_project_holder(prefix)
    else:
        name = prefix.name
        project = _pixi_project(prefix)
    return Environment(
        kind=kind,
        prefix=prefix,
        executable=interpreter.executable,
        version=version,
        name=name,
        project=project,
        error=error,
    )


def _pixi_project(prefix: Path) -> Path | None:
    """`<project>/.pixi/envs/<name>` belongs to `<project>`."""
    envs = prefix.parent
    if envs.name == "envs" and envs.parent.name == ".pixi":
        return envs.parent.parent
    return None


_YAML_KEY_RE = re.compile(r"^(name|prefix)\s*:\s*(.+?)\s*$", re.MULTILINE)


def environment_file_env(project_root: Path, scan: Scan) -> ToolPick | None:
    """The env an `environment.yml` names: `prefix:` as is, else `name:` in conda's env folders.

    Read with a line pattern rather than a YAML parser: only two top-level scalar keys matter.
    """
    for file_name in ("environment.yml", "environment.yaml"):
        text = fs.read_text(project_root / file_name)
        if text is None:
            continue
        values = {key: _unquote(value) for key, value in _YAML_KEY_RE.findall(text)}
        prefix = values.get("prefix")
        if prefix:
            path = scan.ctx.expand(prefix)
            return ToolPick(path, f"conda: {file_name} prefix: {prefix}", EnvKind.CONDA)
        name = values.get("name")
        if not name:
            return None
        folders = list(envs_dirs(scan)) + [install / "envs" for install in known_installs(scan)]
        for folder in dict.fromkeys(folders):
            if fs.is_dir(folder / name):
                return ToolPick(folder / name, f"conda: {file_name} name: {name}", EnvKind.CONDA)
        return None
    return None
