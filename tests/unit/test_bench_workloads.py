"""The benchmark's workload generators build what they claim, the same way every time.

Timing is bench/'s business; these only check structure and determinism, on small sizes.
"""

from __future__ import annotations

import ast
import base64
import configparser
import hashlib
import os
import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from envsense_bench.interpreters import real_pythons
from envsense_bench.machine import KIND_WEIGHTS, build_machine, kind_sequence
from envsense_bench.projects import NOT_INSTALLED_DEPENDENCY, build_edit_file, build_project
from envsense_bench.site_packages import build_site_packages_env
from envsense_bench.workloads import build_wheel, installed_pairs

VIRTUAL_KINDS = {"venv", "uv", "poetry", "pipenv", "virtualenvwrapper", "virtualenv", "hatch"}


def snapshot(root: Path) -> dict[str, str]:
    """Every file's text and every symlink's target, keyed by relative path, root made neutral."""
    result: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            result[rel] = "-> " + os.readlink(path).replace(str(root), "<root>")
        elif path.is_file():
            result[rel] = path.read_bytes().decode(errors="replace").replace(str(root), "<root>")
    return result


def test_kind_sequence_keeps_the_reference_proportions_at_every_scale() -> None:
    weights = dict(KIND_WEIGHTS)
    assert sum(weights.values()) == 50
    for factor in (1, 10):
        sequence = kind_sequence(50 * factor)
        assert {kind: sequence.count(kind) for kind in weights} == {
            kind: weight * factor for kind, weight in weights.items()
        }
    # A small machine still mixes kinds instead of repeating the first one.
    assert len(set(kind_sequence(5))) == 5


def test_fake_machine_has_fifty_environments_of_every_kind_with_runnable_pythons(
    tmp_path: Path,
) -> None:
    pythons = real_pythons()
    machine = build_machine(tmp_path / "m", pythons, 50)

    assert len(machine.envs) == 50
    assert machine.count_by_kind() == dict(KIND_WEIGHTS)
    real = {str(python.executable) for python in pythons}
    for env in machine.envs:
        assert env.prefix.is_relative_to(machine.home)
        # Peers spawn what they find: the link must end in a real interpreter binary.
        assert os.path.realpath(env.python) in real, env
        if env.kind in VIRTUAL_KINDS:
            cfg = (env.prefix / "pyvenv.cfg").read_text()
            assert "home = " in cfg
        if env.kind == "uv":
            assert "uv = " in (env.prefix / "pyvenv.cfg").read_text()
        if env.kind in {"conda", "pixi"}:
            assert any((env.prefix / "conda-meta").glob("python-*.json"))
    home = machine.home
    assert (home / "miniconda3" / "condabin" / "conda").exists()
    assert len(list((home / "miniconda3" / "envs").iterdir())) == 4
    assert len(list((home / ".local" / "share" / "virtualenvs").iterdir())) == 5
    assert len(list((home / ".cache" / "pypoetry" / "virtualenvs").iterdir())) == 6
    uv_dirs = sorted(p.name for p in machine.uv_python_dir.glob("cpython-*"))
    # Full-version installs plus uv's minor-version links, which are not environments.
    assert sum(1 for name in uv_dirs if name.count(".") == 2) == 2
    env = machine.environ()
    assert env["HOME"] == str(home)
    assert env["UV_PYTHON_INSTALL_DIR"].startswith(str(home))


def test_fake_machine_is_the_same_every_time(tmp_path: Path) -> None:
    pythons = real_pythons()
    build_machine(tmp_path / "m", pythons, 12, seed=3)
    first = snapshot(tmp_path / "m")
    build_machine(tmp_path / "m", pythons, 12, seed=3)
    assert snapshot(tmp_path / "m") == first
    build_machine(tmp_path / "m", pythons, 12, seed=4)
    assert snapshot(tmp_path / "m") != first


def test_site_packages_env_has_real_looking_distributions(tmp_path: Path) -> None:
    env = build_site_packages_env(tmp_path / "env", real_pythons()[-1], count=30)

    infos = sorted(env.site_packages.glob("*.dist-info"))
    assert len(infos) == 30 == len(env.dists)
    with_top_level = 0
    for info in infos:
        metadata = (info / "METADATA").read_text()
        assert metadata.startswith("Metadata-Version: ")
        with_top_level += (info / "top_level.txt").exists()
        for line in (info / "RECORD").read_text().splitlines():
            path, digest, size = line.split(",")
            installed = env.site_packages / path
            assert installed.is_file(), path
            if digest:
                data = installed.read_bytes()
                expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
                assert digest == "sha256=" + expected.decode()
                assert int(size) == len(data)
    assert with_top_level == 15
    assert (env.site_packages / "yaml" / "__init__.py").is_file()
    assert (env.site_packages / "six.py").is_file()
    # google is a namespace package: no __init__ at its top, like real protobuf installs.
    assert (env.site_packages / "google" / "protobuf" / "__init__.py").is_file()
    assert not (env.site_packages / "google" / "__init__.py").exists()
    assert (env.site_packages / "requests-stubs" / "__init__.pyi").is_file()
    cfg = configparser.ConfigParser()
    cfg.read_string("[cfg]\n" + (env.prefix / "pyvenv.cfg").read_text())
    assert Path(cfg["cfg"]["home"]).is_dir()


def test_project_has_exact_sizes_and_the_import_mix_it_reports(tmp_path: Path) -> None:
    installed = installed_pairs(40)
    project = build_project(tmp_path / "p", files=30, lines=3000, installed=installed, seed=1)

    files = sorted((tmp_path / "p").rglob("*.py"))
    assert len(files) == project.files == 30
    assert sum(len(f.read_text().splitlines()) for f in files) == 3000
    statements = 0
    for file in files:
        tree = ast.parse(file.read_text())
        statements += sum(isinstance(node, ast.Import | ast.ImportFrom) for node in ast.walk(tree))
        for node in ast.walk(tree):
            # Relative imports name a sibling module that exists.
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                target = node.module or node.names[0].name
                assert (file.parent / f"{target}.py").is_file()
    mix = project.imports
    # Plus one `from __future__` per file and one `from typing import TYPE_CHECKING` per guard.
    assert statements == mix.total + 30 + mix.type_checking
    assert min(mix.stdlib, mix.third_party, mix.missing, mix.relative) > 0
    pyproject = (tmp_path / "p" / "pyproject.toml").read_text()
    assert NOT_INSTALLED_DEPENDENCY in pyproject
    assert all(f'"{dep}"' in pyproject for dep in project.declared)

    again = build_project(tmp_path / "q", files=30, lines=3000, installed=installed, seed=1)
    assert snapshot(tmp_path / "q") == snapshot(tmp_path / "p")
    assert again.imports == project.imports


def test_project_rejects_sizes_it_cannot_build(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        build_project(tmp_path / "p", files=10, lines=10, installed=[])


def test_edit_file_has_the_requested_line_count(tmp_path: Path) -> None:
    path = tmp_path / "edit" / "big.py"
    build_edit_file(path, 500, installed_pairs(20))
    text = path.read_text()
    assert len(text.splitlines()) == 500
    ast.parse(text)
    assert (path.parent / "pyproject.toml").is_file()


def test_wheel_is_byte_identical_and_installable_shape(tmp_path: Path) -> None:
    first = build_wheel(tmp_path / "a").read_bytes()
    wheel = build_wheel(tmp_path / "b")
    assert wheel.read_bytes() == first
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "benchwheel/__init__.py" in names
    assert "benchwheel-1.0.dist-info/RECORD" in names
