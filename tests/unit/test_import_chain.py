"""import-chain-broken: a module that exists but fails when imported, named on the importing line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from envsense.core.checks import import_chain
from envsense.core.findings import Code, Severity
from tests.support.venvs import install_wheels, make_venv, uv_executable
from tests.support.wheels import WheelSpec, build_wheel
from tests.unit.test_import_guards import check, context_for


@pytest.fixture
def backend(tmp_path: Path) -> Path:
    """A project shaped like celery's backends/database: __init__ imports .models, which
    needs SQLAlchemy, an optional extra."""
    root = tmp_path / "proj"
    database = root / "proj" / "backends" / "database"
    database.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "proj"\nversion = "1.0"\n'
        '[project.optional-dependencies]\nsqlalchemy = ["SQLAlchemy>=1.4"]\n'
    )
    for folder in (root / "proj", root / "proj" / "backends"):
        (folder / "__init__.py").write_text("")
    (database / "__init__.py").write_text("from .models import Task\nfrom . import session\n")
    (database / "models.py").write_text(
        "import sqlalchemy as sa\nfrom .session import ResultModelBase\n\nclass Task: ...\n"
    )
    (database / "session.py").write_text(
        "try:\n    import tomllib\nexcept ImportError:\n    import tomli as tomllib\n"
        "def lazy():\n    import sqlalchemy.orm\n"
        "ResultModelBase = object\n"
    )
    make_venv(tmp_path / "venv")
    return root


def test_a_local_module_that_imports_something_missing(backend: Path, tmp_path: Path) -> None:
    database = backend / "proj" / "backends" / "database"
    context = context_for(backend, tmp_path / "venv")
    [finding] = check(database / "__init__.py", context)
    assert (finding.code, finding.severity) == (Code.IMPORT_CHAIN_BROKEN, Severity.WARNING)
    assert finding.span.line == 0
    assert finding.message == (
        "`.models` can't be imported here: it imports `sqlalchemy` (not installed; provided "
        "by SQLAlchemy, declared in extra `sqlalchemy` of pyproject.toml)"
    )
    # The quick fix installs the missing end of the chain.
    assert finding.fix.module == "sqlalchemy"
    assert finding.fix.distribution == "SQLAlchemy"
    assert finding.fix.requirement == "SQLAlchemy>=1.4"
    # session.py imports sqlalchemy only in a function (reported there, as before) and
    # has a working tomllib: nothing about chains.
    [lazy] = check(database / "session.py", context)
    assert (lazy.code, lazy.span.line) == (Code.MISSING_IMPORT, 5)


def test_local_chains_are_followed_to_the_end_installed_ones_three_deep(
    backend: Path, tmp_path: Path
) -> None:
    top = backend / "proj"
    (top / "a.py").write_text("from proj import b\n")
    (top / "b.py").write_text("import proj.c\n")
    (top / "c.py").write_text("import proj.backends.database.models\n")
    (top / "user.py").write_text("import proj.b\nimport proj.a\n")
    (top / "user2.py").write_text("from proj.c import x\n")
    context = context_for(backend, tmp_path / "venv")
    first, second = check(top / "user.py", context)
    assert first.message.startswith(
        "`proj.b` can't be imported here: it imports `proj.c`, which imports "
        "`proj.backends.database.models`, which imports `sqlalchemy` (not installed"
    )
    # celery's chains run five modules deep: the project's own are followed to the end.
    assert second.message.startswith("`proj.a` can't be imported here: it imports `proj.b`")
    [direct] = check(top / "user2.py", context)
    assert "it imports `proj.backends.database.models`, which imports `sqlalchemy`" in (
        direct.message
    )
    # Installed code is followed three modules deep (a distribution missing a requirement).
    files = {
        "deeplib/__init__.py": "import deeplib.one\n",
        "deeplib/one.py": "import deeplib.two\n",
        "deeplib/two.py": "import deeplib.three\n",
        "deeplib/three.py": "import gonelib\n",
    }
    wheel = build_wheel(
        WheelSpec("deeplib", "1.0", files=files, requires=["gonelib"]), tmp_path / "wheels"
    )
    subprocess.run(
        [
            uv_executable(),
            "pip",
            "install",
            "--offline",
            "--no-deps",
            "--python",
            str(tmp_path / "venv" / "bin" / "python"),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    (top / "user3.py").write_text("import deeplib.two\nimport deeplib\n")
    pyproject = backend / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'version = "1.0"', 'version = "1.0"\ndependencies = ["deeplib"]'
        )
    )
    found = check(top / "user3.py", context_for(backend, tmp_path / "venv"))
    assert [(f.span.line, f.code) for f in found] == [(0, Code.IMPORT_CHAIN_BROKEN)]


def test_import_cycles_neither_hide_nor_invent_breaks(backend: Path, tmp_path: Path) -> None:
    top = backend / "proj"
    (top / "ring_a.py").write_text("import proj.ring_b\n")
    (top / "ring_b.py").write_text("import proj.ring_c\nimport proj.ring_a\n")
    (top / "ring_c.py").write_text("import proj.ring_a\nimport proj.ring_b\n")
    (top / "ok_a.py").write_text("import proj.ok_b\n")
    (top / "ok_b.py").write_text("import proj.ok_a\n")
    (top / "user.py").write_text(
        "import proj.ring_c\nimport proj.ring_b\nimport proj.ring_a\nimport proj.ok_a\n"
    )
    context = context_for(backend, tmp_path / "venv")
    assert check(top / "user.py", context) == []
    # One module of the ring breaks: every module of it fails, whichever is asked first.
    (top / "ring_b.py").write_text("import proj.ring_c\nimport proj.ring_a\nimport gonelib\n")
    context = context_for(backend, tmp_path / "venv")
    found = check(top / "user.py", context)
    assert [(f.span.line, f.code) for f in found] == [
        (0, Code.IMPORT_CHAIN_BROKEN),
        (1, Code.IMPORT_CHAIN_BROKEN),
        (2, Code.IMPORT_CHAIN_BROKEN),
    ]


def test_installed_modules_are_followed_and_guarded_imports_are_information(
    backend: Path, tmp_path: Path
) -> None:
    files = {
        "netlib/__init__.py": "from netlib.core import get\n",
        "netlib/core.py": "def get(): ...\n",
        "netlib/contrib/__init__.py": "",
        "netlib/contrib/tls.py": "import OpenSSL.SSL\n",
        "netlib/contrib/patched.py": "import sys\nsys.path.insert(0, '/opt')\nimport vendored\n",
    }
    wheel = build_wheel(WheelSpec("netlib", "2.0", files=files), tmp_path / "wheels")
    install_wheels(tmp_path / "venv" / "bin" / "python", wheel)
    pyproject = backend / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'version = "1.0"', 'version = "1.0"\ndependencies = ["netlib"]'
        )
    )
    path = backend / "proj" / "net.py"
    path.write_text(
        "import netlib\n"
        "import netlib.contrib.tls\n"
        "from netlib.contrib import tls\n"
        "try:\n    import netlib.contrib.tls\nexcept ImportError:\n    pass\n"
        "import netlib.contrib.patched\n"
    )
    findings = check(path, context_for(backend, tmp_path / "venv"))
    got = {f.span.line + 1: (f.code, f.severity) for f in findings}
    assert got == {
        2: (Code.IMPORT_CHAIN_BROKEN, Severity.WARNING),
        3: (Code.IMPORT_CHAIN_BROKEN, Severity.WARNING),
        5: (Code.IMPORT_CHAIN_BROKEN, Severity.INFORMATION),
    }
    message = next(f.message for f in findings if f.span.line == 1)
    assert message == (
        "`netlib.contrib.tls` can't be imported here: it imports `OpenSSL.SSL` (not "
        "installed; provided by pyOpenSSL)"
    )


def test_chain_results_follow_edits_of_the_files_they_read(
    backend: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_chain, "_REVALIDATE_SECONDS", 0.0)
    database = backend / "proj" / "backends" / "database"
    context = context_for(backend, tmp_path / "venv")
    assert len(check(database / "__init__.py", context)) == 1
    models = database / "models.py"
    models.write_text("from .session import ResultModelBase\n\nclass Task: ...\n")
    stat = models.stat()
    os.utime(models, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))
    assert check(database / "__init__.py", context) == []
    # A file deeper in the chain changing counts too.
    (database / "session.py").write_text("import sqlalchemy\nResultModelBase = object\n")
    models_line, session_line = check(database / "__init__.py", context)
    assert "`proj.backends.database.session`, which imports `sqlalchemy`" in models_line.message
    assert session_line.message.startswith(
        "`.session` can't be imported here: it imports `sqlalchemy`"
    )


def test_an_installed_package_whose_own_requirement_is_missing_is_followed(
    backend: Path, tmp_path: Path
) -> None:
    # Uninstalling a dependency of a dependency: `import weblib` fails inside weblib.
    files = {
        "weblib/__init__.py": "from weblib import models\n",
        "weblib/models.py": "import idnalib\n",
    }
    wheel = build_wheel(
        WheelSpec("weblib", "1.0", files=files, requires=["idnalib>=2"]), tmp_path / "wheels"
    )
    python = str(tmp_path / "venv" / "bin" / "python")
    subprocess.run(
        [
            uv_executable(),
            "pip",
            "install",
            "--offline",
            "--no-deps",
            "--python",
            python,
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    path = backend / "proj" / "client.py"
    path.write_text("import weblib\n")
    [finding] = check(path, context_for(backend, tmp_path / "venv"))
    assert finding.code is Code.IMPORT_CHAIN_BROKEN
    assert finding.message.startswith(
        "`weblib` can't be imported here: it imports `weblib.models`, which imports `idnalib`"
    )


def test_the_cli_cache_sees_an_edit_of_an_imported_module(backend: Path, tmp_path: Path) -> None:
    database = backend / "proj" / "backends" / "database"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path)}
    args = [
        sys.executable,
        "-m",
        "envsense",
        "check",
        "--python",
        str(tmp_path / "venv" / "bin" / "python"),
        "--format",
        "json",
        str(database / "__init__.py"),
    ]

    def codes() -> list[str]:
        result = subprocess.run(
            args, cwd=backend, env=env, capture_output=True, text=True, timeout=60
        )
        return [d["code"] for d in json.loads(result.stdout)["diagnostics"]]

    assert codes() == ["import-chain-broken"]
    # __init__.py is unchanged, but what it imports is fixed: the cached result must go.
    (database / "models.py").write_text("class Task: ...\n")
    assert codes() == []


def test_lazy_import_tables_lead_to_the_module_that_runs(backend: Path, tmp_path: Path) -> None:
    # celery/__init__.py: recreate_module(__name__, by_module={"celery.app.task": ["Task"]}).
    top = backend / "proj"
    (top / "__init__.py").write_text(
        "from . import local\n"
        "local.recreate_module(__name__, by_module={\n"
        "    'proj.backends.database.models': ['Task'],\n"
        "    'proj.plain': ['Plain'],\n"
        "})\n"
    )
    (top / "local.py").write_text("def recreate_module(name, by_module): ...\n")
    (top / "plain.py").write_text("Plain = 1\n")
    (top / "contrib").mkdir()
    (top / "contrib" / "__init__.py").write_text("")
    (top / "contrib" / "abortable.py").write_text("from proj import Task\nfrom proj import Plain\n")
    [finding] = check(top / "contrib" / "abortable.py", context_for(backend, tmp_path / "venv"))
    assert finding.span.line == 0
    assert finding.message.startswith(
        "`proj.Task` can't be imported here: it imports `proj.backends.database.models`, "
        "which imports `sqlalchemy`"
    )


def test_odd_followed_files_never_break_a_check(backend: Path, tmp_path: Path) -> None:
    top = backend / "proj"
    (top / "broken_syntax.py").write_text("import gonelib\ndef (:\n")
    (top / "binary.py").write_bytes(b"\x00\x01import gonelib\n")
    (top / "latin.py").write_bytes(
        "# -*- coding: latin-1 -*-\nimport gonelib  # caf\xe9\n".encode("latin-1")
    )
    (top / "user.py").write_text(
        "import proj.broken_syntax\nimport proj.binary\nimport proj.latin\n"
    )
    found = check(top / "user.py", context_for(backend, tmp_path / "venv"))
    # What could be read is followed (the import above the syntax error, the latin-1 file);
    # a binary file is not.
    assert [(f.span.line, f.code) for f in found] == [
        (0, Code.IMPORT_CHAIN_BROKEN),
        (2, Code.IMPORT_CHAIN_BROKEN),
    ]


def test_a_module_checked_from_its_bytes_is_not_read_again_by_the_chains(
    backend: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`envsense check` hands each file's bytes to the check: a chain that then follows
    the module takes its scan (and its stamp) from there, and finds the same break."""
    import hashlib

    from envsense.core.checks import module_reading
    from envsense.core.checks.module_reading import DiskContent
    from envsense.core.checks.source import source_findings

    database = backend / "proj" / "backends" / "database"
    models = database / "models.py"
    read: list[str] = []
    real_read = module_reading.read_bytes

    def counting(path: Path | str, *args: object, **kwargs: object) -> bytes:
        read.append(os.path.basename(path))
        return real_read(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(module_reading, "read_bytes", counting)

    def disk_of(path: Path) -> tuple[str, DiskContent]:
        data = path.read_bytes()
        stat = os.stat(path)
        digest = hashlib.blake2b(data, digest_size=16).digest()
        return data.decode(), DiskContent(digest, stat.st_mtime_ns, stat.st_size, False)

    context = context_for(backend, tmp_path / "venv")
    text, disk = disk_of(models)
    [missing] = source_findings(models, text, context, disk=disk)
    assert missing.code == Code.MISSING_IMPORT
    [chain] = check(database / "__init__.py", context)
    assert chain.code == Code.IMPORT_CHAIN_BROKEN
    assert "it imports `sqlalchemy`" in chain.message
    assert "models.py" not in read  # its scan came with the check
    assert "session.py" in read  # not checked: read by the chain, as before

    # Saved since the check read it: the chain sees the new text, not the old scan.
    models.write_text("from .session import ResultModelBase\n\nclass Task: ...\n")
    os.utime(models, ns=(disk.mtime_ns + 10**9, disk.mtime_ns + 10**9))
    fresh = context_for(backend, tmp_path / "venv")
    source_findings(models, text, fresh, disk=disk)
    assert check(database / "__init__.py", fresh) == []
