"""Every workload of the benchmark, generated deterministically under bench/.work/.

Same sizes and seed give byte-identical trees (absolute paths inside depend only on the root).
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from envsense_bench.interpreters import RealPython, pick
from envsense_bench.machine import FakeMachine, build_machine
from envsense_bench.projects import FakeProject, build_edit_file, build_project
from envsense_bench.site_packages import FakeSitePackagesEnv, build_site_packages_env, dist_names

WHEEL_NAME = "benchwheel"


@dataclass(frozen=True, slots=True)
class Sizes:
    """Workload sizes; `Sizes()` is the issue's reference set, tests use much smaller ones."""

    envs: int = 50
    dists: int = 150
    project_files: int = 90
    project_lines: int = 20_000
    workspace_files: int = 10_000
    workspace_lines: int = 500_000
    edit_lines: int = 5_000
    scale_factors: tuple[int, ...] = (1, 10, 100)
    scale_base_envs: int = 5
    scale_base_files: int = 9


@dataclass(frozen=True, slots=True)
class Workloads:
    """What was generated, with the facts the report quotes."""

    root: Path
    machine: FakeMachine
    site_env: FakeSitePackagesEnv
    project: FakeProject
    workspace: FakeProject
    edit_file: Path
    edit_lines: int
    wheel: Path
    scaled_machines: tuple[FakeMachine, ...]
    scaled_projects: tuple[FakeProject, ...]


def build_all(
    root: Path, pythons: list[RealPython], sizes: Sizes = Sizes(), seed: int = 0
) -> Workloads:
    """Generate every workload under `root` (replacing what was there)."""
    root.mkdir(parents=True, exist_ok=True)
    machine = build_machine(root / "machine", pythons, sizes.envs, seed)
    site_env = build_site_packages_env(root / "site-env", pick(pythons, "3.11"), sizes.dists, seed)
    installed = [(dist.name, imp) for dist in site_env.dists for imp in dist.imports]
    project = build_project(
        root / "project", sizes.project_files, sizes.project_lines, installed, seed
    )
    workspace = build_project(
        root / "workspace",
        sizes.workspace_files,
        sizes.workspace_lines,
        installed,
        seed,
        per_dir=100,
        name="bigworkspace",
    )
    edit_file = root / "edit" / "big_module.py"
    edit_lines = build_edit_file(edit_file, sizes.edit_lines, installed, seed)
    wheel = build_wheel(root / "wheels")
    scaled_machines = tuple(
        machine
        if sizes.scale_base_envs * factor == sizes.envs
        else build_machine(
            root / f"machine-x{factor}", pythons, sizes.scale_base_envs * factor, seed
        )
        for factor in sizes.scale_factors
    )
    lines_per_file = max(4, sizes.project_lines // sizes.project_files)
    scaled_projects = tuple(
        project
        if sizes.scale_base_files * factor == sizes.project_files
        else build_project(
            root / f"project-x{factor}",
            sizes.scale_base_files * factor,
            sizes.scale_base_files * factor * lines_per_file,
            installed,
            seed,
        )
        for factor in sizes.scale_factors
    )
    return Workloads(
        root,
        machine,
        site_env,
        project,
        workspace,
        edit_file,
        edit_lines,
        wheel,
        scaled_machines,
        scaled_projects,
    )


def installed_pairs(count: int) -> list[tuple[str, str]]:
    """(distribution, import name) pairs of a `count`-distribution environment."""
    return [(name, imp) for name, imports in dist_names(count) for imp in imports]


def build_wheel(dest: Path, name: str = WHEEL_NAME, version: str = "1.0") -> Path:
    """A small pure-Python wheel (a package of 5 modules) for the install measurement."""
    dest.mkdir(parents=True, exist_ok=True)
    info = f"{name}-{version}.dist-info"
    files = {f"{name}/__init__.py": f'__version__ = "{version}"\n'.encode()}
    for number in range(5):
        files[f"{name}/mod{number}.py"] = f"def f{number}() -> int:\n    return {number}\n".encode()
    files[f"{info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    )
    files[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: envsense-bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    files[f"{info}/top_level.txt"] = f"{name}\n".encode()
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = dest / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in files.items():
            # Fixed timestamps keep the wheel byte-identical between runs.
            archive.writestr(zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return wheel
