"""A fake machine: a HOME holding N environments of every kind, laid out like the real tools do.

Every environment's `python` is a symlink to a real interpreter on this machine, so peers that
spawn what they find can run it. Layouts follow docs discovery-reference section 1.5.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from envsense_bench.interpreters import RealPython

# How the 50 environments of the reference machine split by kind (sums to 50). Larger and
# smaller machines keep the same proportions (smooth weighted round robin, see kind_sequence).
KIND_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("venv", 8),
    ("uv", 8),
    ("poetry", 6),
    ("pipenv", 5),
    ("conda", 5),
    ("virtualenvwrapper", 4),
    ("pyenv", 4),
    ("virtualenv", 3),
    ("hatch", 3),
    ("pixi", 2),
    ("uv-python", 2),
)
UV_VERSION = "0.13.9"
VIRTUALENV_VERSION = "21.15.11"
PLATFORM_TAG = "linux-x86_64-gnu"

_WORDS = (
    "atlas billing cobalt delta ember falcon garnet harbor indigo juniper kestrel lumen "
    "meadow nimbus orchid pylon quartz raven sierra tundra umber vortex willow xenon yarrow zephyr"
).split()


@dataclass(frozen=True, slots=True)
class FakeEnv:
    """One environment on the fake machine; `kind` is spelled like envsense's EnvKind values."""

    kind: str
    prefix: Path
    python: Path
    version: str
    project: Path | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class FakeMachine:
    """The fake HOME and what was put in it."""

    root: Path
    envs: tuple[FakeEnv, ...]

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def projects(self) -> Path:
        """Folder holding every project (a workspace root for in-project environments)."""
        return self.home / "projects"

    @property
    def uv_python_dir(self) -> Path:
        return self.home / ".local" / "share" / "uv" / "python"

    def environ(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """A complete process environment that points every tool at this machine (nothing inherited)."""
        home = self.home
        env = {
            "HOME": str(home),
            "PATH": ":".join(
                [
                    str(home / ".local" / "bin"),
                    str(home / "miniconda3" / "condabin"),
                    "/usr/local/bin",
                    "/usr/bin",
                    "/bin",
                ]
            ),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "PYENV_ROOT": str(home / ".pyenv"),
            "UV_PYTHON_INSTALL_DIR": str(self.uv_python_dir),
            "LANG": "C.UTF-8",
            "TMPDIR": str(self.root / "tmp"),
        }
        env.update(extra or {})
        return env

    def count_by_kind(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for env in self.envs:
            counts[env.kind] = counts.get(env.kind, 0) + 1
        return counts


def kind_sequence(count: int) -> list[str]:
    """`count` kinds in KIND_WEIGHTS proportions, interleaved (exact counts at multiples of 50)."""
    total = sum(weight for _, weight in KIND_WEIGHTS)
    current = dict.fromkeys((kind for kind, _ in KIND_WEIGHTS), 0)
    sequence: list[str] = []
    for _ in range(count):
        for kind, weight in KIND_WEIGHTS:
            current[kind] += weight
        chosen = max(current, key=lambda kind: current[kind])
        current[chosen] -= total
        sequence.append(chosen)
    return sequence


def path_hash8(path: Path) -> str:
    """The 8-character urlsafe sha256 suffix poetry, pipenv and hatch derive from a project path."""
    digest = hashlib.sha256(str(path).encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:8]


def build_machine(
    root: Path, pythons: list[RealPython], count: int = 50, seed: int = 0
) -> FakeMachine:
    """Create (replacing) a fake machine with `count` environments under `root`."""
    if root.exists():
        shutil.rmtree(root)
    (root / "tmp").mkdir(parents=True)
    builder = _Builder(root / "home", pythons, random.Random(seed))
    envs = [builder.make(kind, index) for index, kind in enumerate(kind_sequence(count))]
    builder.finish()
    return FakeMachine(root=root, envs=tuple(envs))


class _Builder:
    def __init__(self, home: Path, pythons: list[RealPython], rng: random.Random) -> None:
        self.home = home
        self.pythons = pythons
        self.rng = rng
        self.per_kind: dict[str, int] = {}
        self.conda_envs: list[Path] = []
        home.mkdir(parents=True)
        for folder in (".local/bin", ".config", ".cache/pip", "projects", "Downloads"):
            (home / folder).mkdir(parents=True, exist_ok=True)

    def make(self, kind: str, index: int) -> FakeEnv:
        nth = self.per_kind.get(kind, 0)
        self.per_kind[kind] = nth + 1
        python = self.pythons[(index + nth) % len(self.pythons)]
        name = f"{self.rng.choice(_WORDS)}-{index:03d}"
        maker = getattr(self, "_" + kind.replace("-", "_"))
        env: FakeEnv = maker(name, nth, python)
        return env

    def finish(self) -> None:
        if self.conda_envs:
            listing = self.home / ".conda" / "environments.txt"
            listing.parent.mkdir(parents=True, exist_ok=True)
            listing.write_text("".join(f"{path}\n" for path in self.conda_envs))

    # --- kinds -----------------------------------------------------------------------------

    def _venv(self, name: str, nth: int, python: RealPython) -> FakeEnv:
        project = self._project(name, f'[project]\nname = "{name}"\nversion = "0.1.0"\n')
        prefix = project / ".venv"
        cfg = [
            f"home = {python.bin_dir}",
            "include-system-site-packages = false",
            f"version = {python.full}",
            f"executable = {python.executable}",
            f"command = {python.executable} -m venv {prefix}",
        ]
        return self._virtual("venv", prefix, python, cfg, project=project, activate=True)

    def _uv(self, name: str, nth: int, python: RealPython) -> FakeEnv:
        project = self._project(
            name, f'[project]\nname = "{name}"\nversion = "0.1.0"\ndependencies = ["httpx>=0.27"]\n'
        )
        (project / "uv.lock").write_text('version = 1\nrequires-python = ">=3.10"\n')
        prefix = project / ".venv"
        cfg = [
            f"home = {python.bin_dir}",
            "implementation = CPython",
            f"uv = {UV_VERSION}",
            f"version_info = {python.full}",
            "include-system-site-packages = false",
            f"prompt = {name}",
        ]
        env = self._virtual("uv", prefix, python, cfg, project=project, activate=True)
        (prefix / ".gitignore").write_text("*\n")
        (prefix / "CACHEDIR.TAG").write_text("Signature: 8a477f597d28d172789f06886806bc55\n")
        return env

    def _virtualenv(self, name: str, nth: int, python: RealPython) -> FakeEnv:
        project = self._project(name, "")
        (project / "requirements.txt").write_text("requests==2.32.3\n")
        return self._virtualenv_at("virtualenv", project / "venv", python, project=project)

    def _poetry(self, name: str, nth: int, python: RealPython) -> FakeEnv:
        project = self._project(
            name,
            f'[tool.poetry]\nname = "{name}"\nversion = "0.1.0"\n\n'
            '[build-system]\nrequires = ["poetry-core"]\nbuild-backend = "poetry.core.masonry.api"\n',
        )
        folder = f"{name}-{path_hash8(project)}-py{python.short}"
        prefix = self.home / ".cache" / "pypoetry" / "virtualenvs" / folder
        return self._virtualenv_at("poetry", prefix, python, project=project)

    def _pipenv(self, name: str, nth: int, python: RealPython) -> FakeEnv:
        project = self._project(name, None)
        (project / "Pipfile").write_text('[packages]\nrequests = "*"\n')
        prefix = self.home / ".local" / "share" / "virtualenvs" / f"{name}-{path_hash8(project)}"
        env = self._virtualenv_at("pipenv", prefix, python, project=project)
        (prefix / ".project").write_text(str(project))
        return env

    def _virtualenvwrapper(self, name: str, nth: int, python: RealPython) -> FakeEnv:
        workon = self.home / ".virtualenvs"
        workon.mkdir(exist_ok=True)
        for hook in ("postactivate", "predeactivate", "postmkvirtualenv"):
            (workon / hook).write_text("#!/bin/bash\n")
        return self._virtualenv_at("virtualenvwrapper", workon / name, python)

    def _hatch(self, name: str, nth: int, python: RealPython) -> FakeEnv:
        project = self._project(
            name,
            f'[project]\nname = "{name}"\nversion = "0.1.0"\n\n[tool.hatch.envs.default]\n',
        )
        data = self.home / ".local" / "share" / "hatch" / "env" / "virtual"
        prefix = data / name / path_hash8(project) / name
        return self._virtualenv_at("hatch", prefix, python, project=project)

    def _conda(self, name: str, nth: int, python: RealPython) -> FakeEnv:
        base = self.home / "miniconda3"
        if nth == 0:
            prefix = base
            for folder in ("condabin", "envs", "pkgs"):
                (base / folder).mkdir(parents=True, exist_ok=True)
            _script(base / "condabin" / "conda", "#!/bin/sh\necho conda 24.9.2\n")
            _script(base / "bin" / "conda", "#!/bin/sh\necho conda 24.9.2\n")
            _write(base / "conda-meta" / "conda-24.9.2-py311h06a4308_0.json", '{"name": "conda"}\n')
            env_name = "base"
        else:
            prefix = base / "envs" / name
            env_name = name
        meta = prefix / "conda-meta"
        _write(
            meta / f"python-{python.full}-h955ad1f_0.json",
            json.dumps({"name": "python", "version": python.full, "channel": "pkgs/main/linux-64"}),
        )
        _write(
            meta / "history",
            f"==> 2025-01-01 00:00:00 <==\n# cmd: {base}/bin/conda create -p {prefix} python={python.short}\n"
            f"+defaults::python-{python.full}-h955ad1f_0\n",
        )
        self._interpreter_links(prefix, python)
        self._patchlevel(prefix, python)
        self.conda_envs.append(prefix)
        return FakeEnv("conda", prefix, prefix / "bin" / "python", python.full, name=env_name)

    def _pyenv(self, name: str, nth: int, python: RealPython) -> FakeEnv:
        versions = self.home / ".pyenv" / "versions"
        if nth < len(self.pythons):
            python = self.pythons[nth]
            prefix = versions / python.full
            self._interpreter_links(prefix, python)
            self._patchlevel(prefix, python)
            return FakeEnv("pyenv", prefix, prefix / "bin" / "python", python.full)
        return self._virtualenv_at("pyenv-virtualenv", versions / name, python)

    def _pixi(self, name: str, nth: int, python: RealPython) -> FakeEnv:
        project = self._project(name, None)
        (project / "pixi.toml").write_text(
            f'[workspace]\nname = "{name}"\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n\n'
            f'[dependencies]\npython = "{python.short}.*"\n'
        )
        prefix = project / ".pixi" / "envs" / "default"
        meta = prefix / "conda-meta"
        _write(meta / "pixi", json.dumps({"manifest_path": str(project / "pixi.toml")}))
        _write(
            meta / f"python-{python.full}-hab00c5b_0_cpython.json",
            json.dumps(
                {"name": "python", "version": python.full, "channel": "conda-forge/linux-64"}
            ),
        )
        self._interpreter_links(prefix, python)
        return FakeEnv("pixi", prefix, prefix / "bin" / "python", python.full, project)

    def _uv_python(self, name: str, nth: int, python: RealPython) -> FakeEnv:
        python = self.pythons[nth % len(self.pythons)]
        # Beyond one install per real interpreter (only on scaled-up machines) the folder
        # names need distinct micro versions; they still run the same real binary.
        micro = python.version[2] + 100 * (nth // len(self.pythons))
        version = f"{python.short}.{micro}"
        root = self.home / ".local" / "share" / "uv" / "python"
        prefix = root / f"cpython-{version}-{PLATFORM_TAG}"
        self._interpreter_links(prefix, python)
        self._patchlevel(prefix, python)
        (root / ".gitignore").write_text("*\n")
        (root / ".lock").touch()
        minor_link = root / f"cpython-{python.short}-{PLATFORM_TAG}"
        if not minor_link.exists():
            minor_link.symlink_to(prefix.name)
        return FakeEnv("uv-python", prefix, prefix / "bin" / "python", version)

    # --- shared layout pieces -------------------------------------------------------------

    def _project(self, name: str, pyproject: str | None) -> Path:
        project = self.home / "projects" / name
        (project / "src" / name.replace("-", "_")).mkdir(parents=True)
        (project / "src" / name.replace("-", "_") / "__init__.py").write_text("")
        if pyproject is not None:
            (project / "pyproject.toml").write_text(pyproject)
        return project

    def _virtualenv_at(
        self, kind: str, prefix: Path, python: RealPython, project: Path | None = None
    ) -> FakeEnv:
        cfg = [
            f"home = {python.bin_dir}",
            "implementation = CPython",
            f"version_info = {python.full}.final.0",
            f"virtualenv = {VIRTUALENV_VERSION}",
            "include-system-site-packages = false",
            f"base-prefix = {python.bin_dir.parent}",
            f"base-exec-prefix = {python.bin_dir.parent}",
            f"base-executable = {python.executable}",
        ]
        return self._virtual(kind, prefix, python, cfg, project=project, activate=True)

    def _virtual(
        self,
        kind: str,
        prefix: Path,
        python: RealPython,
        cfg: list[str],
        project: Path | None,
        activate: bool,
    ) -> FakeEnv:
        _write(prefix / "pyvenv.cfg", "\n".join(cfg) + "\n")
        self._interpreter_links(prefix, python)
        if activate:
            for script in ("activate", "activate.fish", "activate.csh"):
                _write(prefix / "bin" / script, f"# {script} for {prefix.name}\n")
        site = prefix / "lib" / f"python{python.short}" / "site-packages"
        site.mkdir(parents=True, exist_ok=True)
        (site / "_virtualenv.pth").write_text("import _virtualenv\n")
        return FakeEnv(kind, prefix, prefix / "bin" / "python", python.full, project)

    def _interpreter_links(self, prefix: Path, python: RealPython) -> None:
        bin_dir = prefix / "bin"
        bin_dir.mkdir(parents=True, exist_ok=True)
        (bin_dir / "python").symlink_to(python.executable)
        (bin_dir / "python3").symlink_to("python")
        (bin_dir / f"python{python.short}").symlink_to("python")
        (prefix / "lib" / f"python{python.short}" / "site-packages").mkdir(
            parents=True, exist_ok=True
        )

    def _patchlevel(self, prefix: Path, python: RealPython) -> None:
        _write(
            prefix / "include" / f"python{python.short}" / "patchlevel.h",
            f"#define PY_MAJOR_VERSION {python.version[0]}\n"
            f"#define PY_MINOR_VERSION {python.version[1]}\n"
            f"#define PY_MICRO_VERSION {python.version[2]}\n"
            f'#define PY_VERSION "{python.full}"\n',
        )


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _script(path: Path, text: str) -> None:
    _write(path, text)
    path.chmod(0o755)


def iter_files(root: Path) -> Iterator[Path]:
    """Every file and symlink under `root`, sorted (for determinism checks)."""
    for path in sorted(root.rglob("*")):
        if path.is_symlink() or path.is_file():
            yield path
