"""An environment with N installed distributions, fabricated on disk the way installers leave them.

Each distribution gets a `<name>-<version>.dist-info` with METADATA, INSTALLER, WHEEL and a RECORD
that lists every installed file (hash and size), `top_level.txt` for about half of them (as in real
environments, where hatchling/flit wheels don't ship it), and packages with `__init__.py`.
"""

from __future__ import annotations

import base64
import hashlib
import random
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from envsense_bench.interpreters import RealPython

# (distribution name, import names) pairs whose import name differs from the distribution's,
# or which install several top-level names, or a single module: the cases a module map must get right.
_CURATED: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("PyYAML", ("yaml", "_yaml")),
    ("beautifulsoup4", ("bs4",)),
    ("python-dateutil", ("dateutil",)),
    ("Pillow", ("PIL",)),
    ("scikit-learn", ("sklearn",)),
    ("attrs", ("attr", "attrs")),
    ("six", ("six",)),
    ("typing-extensions", ("typing_extensions",)),
    ("protobuf", ("google.protobuf",)),
    ("googleapis-common-protos", ("google.api", "google.type")),
    ("pyOpenSSL", ("OpenSSL",)),
    ("msgpack-python", ("msgpack",)),
    ("types-requests", ("requests-stubs",)),
    ("types-PyYAML", ("yaml-stubs",)),
    ("opencv-python", ("cv2",)),
    ("python-dotenv", ("dotenv",)),
)
_PLAIN = (
    "requests urllib3 idna certifi charset-normalizer httpx httpcore anyio sniffio h11 click "
    "rich pygments markdown-it-py mdurl jinja2 markupsafe werkzeug flask itsdangerous blinker "
    "numpy pandas pytz tzdata scipy sympy mpmath networkx pydantic pydantic-core annotated-types "
    "sqlalchemy greenlet alembic mako psycopg2 redis celery kombu vine billiard amqp boto3 "
    "botocore s3transfer jmespath cryptography cffi pycparser paramiko bcrypt pynacl jsonschema "
    "referencing rpds-py fastapi starlette uvicorn websockets orjson ujson toml tomli tomlkit "
    "packaging pluggy iniconfig pytest coverage hypothesis sortedcontainers filelock platformdirs "
    "distlib virtualenv wrapt decorator tqdm colorama tabulate docutils babel lxml regex"
).split()


@dataclass(frozen=True, slots=True)
class FakeDist:
    """One fabricated distribution: its name, version and the top-level names it installs."""

    name: str
    version: str
    imports: tuple[str, ...]
    has_top_level_txt: bool
    files: int

    @property
    def dist_info(self) -> str:
        return f"{_filename_part(self.name)}-{self.version}.dist-info"


@dataclass(frozen=True, slots=True)
class FakeSitePackagesEnv:
    """A venv whose site-packages holds `dists`; `python` links to a real interpreter."""

    prefix: Path
    python: Path
    site_packages: Path
    version: str
    dists: tuple[FakeDist, ...]

    @property
    def importable(self) -> tuple[str, ...]:
        """First components of every import name that is not a stub package."""
        names = {
            imp.split(".")[0] for d in self.dists for imp in d.imports if not imp.endswith("-stubs")
        }
        return tuple(sorted(names))

    @property
    def file_count(self) -> int:
        return sum(dist.files for dist in self.dists)


def dist_names(count: int) -> list[tuple[str, tuple[str, ...]]]:
    """`count` distributions: the curated odd cases first, then plain ones, then numbered ones."""
    plain = [(name, (re.sub(r"[-.]", "_", name.lower()),)) for name in _PLAIN]
    pool = list(_CURATED) + plain
    numbered = len(pool)
    while len(pool) < count:
        pool.append(
            (f"acme-lib{len(pool) - numbered:03d}", (f"acme_lib{len(pool) - numbered:03d}",))
        )
    return pool[:count]


def build_site_packages_env(
    prefix: Path, python: RealPython, count: int = 150, seed: int = 0
) -> FakeSitePackagesEnv:
    """Create (replacing) a venv at `prefix` with `count` fabricated distributions."""
    if prefix.exists():
        shutil.rmtree(prefix)
    rng = random.Random(seed)
    site = prefix / "lib" / f"python{python.short}" / "site-packages"
    site.mkdir(parents=True)
    (prefix / "pyvenv.cfg").write_text(
        f"home = {python.bin_dir}\nimplementation = CPython\nuv = 0.13.9\n"
        f"version_info = {python.full}\ninclude-system-site-packages = false\n"
    )
    bin_dir = prefix / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(python.executable)
    (bin_dir / "python3").symlink_to("python")
    (bin_dir / f"python{python.short}").symlink_to("python")
    dists = []
    for index, (name, imports) in enumerate(dist_names(count)):
        version = f"{rng.randint(0, 5)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}"
        # About half ship top_level.txt (64 of 138 in a real environment, docs/perf-baselines).
        has_top_level = index % 2 == 0
        modules = rng.randint(1, 12)
        dists.append(_install(site, name, version, imports, has_top_level, modules, rng))
    return FakeSitePackagesEnv(prefix, bin_dir / "python", site, python.full, tuple(dists))


def _install(
    site: Path,
    name: str,
    version: str,
    imports: tuple[str, ...],
    has_top_level: bool,
    modules: int,
    rng: random.Random,
) -> FakeDist:
    files: dict[str, bytes] = {}
    for imp in imports:
        parts = imp.split(".")
        if name == "six":
            files["six.py"] = _module_text(name, 0).encode()
            continue
        folder = "/".join(parts)
        stub = imp.endswith("-stubs")
        suffix = ".pyi" if stub else ".py"
        # Namespace packages (google.*) have no __init__ at the namespace level, like real ones.
        files[f"{folder}/__init__{suffix}"] = (
            f'"""{imp} package."""\n__version__ = "{version}"\n'.encode()
        )
        for number in range(modules):
            sub = f"{folder}/sub{number // 4}" if number >= 4 else folder
            if sub != folder:
                files.setdefault(f"{sub}/__init__{suffix}", b"")
            files[f"{sub}/mod{number}{suffix}"] = _module_text(imp, number).encode()
        if not stub and rng.random() < 0.15:
            files[f"{folder}/py.typed"] = b""
    info = f"{_filename_part(name)}-{version}.dist-info"
    requires = rng.sample(_PLAIN, k=rng.randint(0, 3))
    metadata = [
        "Metadata-Version: 2.1",
        f"Name: {name}",
        f"Version: {version}",
        f"Summary: Fabricated {name} for the envsense benchmark",
        "Requires-Python: >=3.8",
        *(f"Requires-Dist: {req}" for req in requires if req != name),
    ]
    files[f"{info}/METADATA"] = ("\n".join(metadata) + "\n").encode()
    files[f"{info}/INSTALLER"] = b"uv\n"
    files[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: envsense-bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    if has_top_level:
        tops = sorted({imp.split(".")[0] for imp in imports})
        files[f"{info}/top_level.txt"] = ("\n".join(tops) + "\n").encode()
    record = [_record_line(path, data) for path, data in files.items()]
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    for path, data in files.items():
        target = site / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return FakeDist(name, version, imports, has_top_level, len(files))


def _module_text(package: str, number: int) -> str:
    return (
        f'"""Module {number} of {package}."""\n\n'
        "from __future__ import annotations\n\n"
        "import os\n\n\n"
        f"def function_{number}(value: int) -> int:\n"
        f"    return value + {number}\n"
    )


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def _filename_part(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name)
