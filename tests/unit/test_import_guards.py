"""Guards evaluated against the environment: fallbacks, try/else, flags, own-folder imports.

Each test builds a real project and a real venv with real wheels, then checks a file the
way the editor and the CLI do (source_findings over the project's context).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from envsense.core.checks.source import ProjectContext, source_findings
from envsense.core.declarations import read_declarations
from envsense.core.environment.inventory import read_inventory
from envsense.core.findings import Code, Finding, Severity
from envsense.core.projects import Project
from envsense.core.selection import Selection
from tests.support.layouts import venv_environment
from tests.support.venvs import install_wheels, make_venv, pyenv_python
from tests.support.wheels import WheelSpec, build_wheel, simple_wheel


def context_for(root: Path, venv: Path, *, report_unreachable: bool = False) -> ProjectContext:
    environment = venv_environment(venv)
    return ProjectContext(
        Project(root, ("pyproject.toml",)),
        read_declarations(root),
        Selection(environment, "test"),
        read_inventory(environment),
        report_unreachable=report_unreachable,
    )


def check(path: Path, context: ProjectContext) -> list[Finding]:
    return source_findings(path, path.read_text(), context)


def lines_of(findings: list[Finding]) -> dict[int, tuple[Code, Severity]]:
    """1-based line -> (code, severity)."""
    return {f.span.line + 1: (f.code, f.severity) for f in findings}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pyproject.toml").write_text('[project]\nname = "proj"\nversion = "1.0"\n')
    return root


def venv_with(tmp_path: Path, *wheels: Path, python: str | Path = sys.executable) -> Path:
    venv = tmp_path / "venv"
    exe = make_venv(venv, python)
    if wheels:
        install_wheels(exe, *wheels)
    return venv


COMPAT = """\
try:
    import tomllib
except ImportError:
    import tomli as tomllib

try:
    import threading
except ImportError:
    import dummy_threading as threading

try:
    from importlib.metadata import entry_points
except ImportError:
    from importlib_metadata import entry_points

try:
    from typing import no_such_name_in_typing
except ImportError:
    from typing_extensions import no_such_name_in_typing

try:
    import yaml
except ImportError as error:
    raise RuntimeError("this module needs PyYAML") from error
"""


def test_fallbacks_whose_try_works_here_are_not_reported(project: Path, tmp_path: Path) -> None:
    path = project / "pkg" / "compat.py"
    path.write_text(COMPAT)
    found = lines_of(check(path, context_for(project, venv_with(tmp_path))))
    # tomllib, threading and importlib.metadata.entry_points exist on 3.11: the handlers
    # never run, so their missing fallbacks (tomli, dummy_threading, importlib_metadata)
    # are not problems. typing has no such name: that fallback does run.
    assert found == {
        19: (Code.MISSING_IMPORT, Severity.ERROR),
        # A handler that re-raises doesn't make the import optional.
        22: (Code.MISSING_IMPORT, Severity.ERROR),
    }


def test_fallbacks_are_reported_where_the_try_fails(project: Path, tmp_path: Path) -> None:
    python = pyenv_python("3.10")
    if python is None:
        pytest.skip("Python 3.10 is not installed under ~/.pyenv")
    path = project / "pkg" / "compat.py"
    path.write_text(COMPAT)
    findings = check(path, context_for(project, venv_with(tmp_path, python=python)))
    found = lines_of(findings)
    # No tomllib on 3.10: `import tomllib` is information (guarded), tomli an error.
    assert found[2] == (Code.STDLIB_UNAVAILABLE, Severity.INFORMATION)
    assert found[4] == (Code.MISSING_IMPORT, Severity.ERROR)
    assert 9 not in found and 14 not in found


def test_unreachable_fallbacks_become_hints_when_asked(project: Path, tmp_path: Path) -> None:
    path = project / "pkg" / "compat.py"
    path.write_text(COMPAT)
    findings = check(path, context_for(project, venv_with(tmp_path), report_unreachable=True))
    hints = {f.span.line + 1: f for f in findings if f.severity is Severity.HINT}
    assert set(hints) == {4, 9, 14}
    assert "never runs in" in hints[4].message
    assert "runs only if `import tomllib` fails" in hints[4].message
    assert hints[9].code is Code.STDLIB_UNAVAILABLE


def optional_ssl_wheel(dest: Path) -> Path:
    """An installed library whose optional contrib module needs a package that is missing."""
    files = {
        "netlib/__init__.py": "",
        "netlib/contrib/__init__.py": "",
        "netlib/contrib/tlsbackend.py": "import sslbackend\nimport sslbackend.crypto\n",
        "netlib/contrib/fine.py": "import json\n",
    }
    return build_wheel(WheelSpec("netlib", "2.0", files=files), dest)


HELP = """\
try:
    import netlib.contrib.tlsbackend
except ImportError:
    tlsbackend = None
    sslbackend = None
else:
    import sslbackend
    import cryptolib

try:
    import netlib.contrib.fine
except ImportError:
    fine = None
else:
    import cryptolib
"""


def test_try_else_runs_only_when_the_try_import_works(project: Path, tmp_path: Path) -> None:
    venv = venv_with(tmp_path, optional_ssl_wheel(tmp_path / "wheels"))
    path = project / "pkg" / "help.py"
    path.write_text(HELP)
    found = lines_of(check(path, context_for(project, venv)))
    # netlib.contrib.tlsbackend resolves but imports sslbackend, which is missing: the
    # first else never runs (the guarded import itself is information, like a guarded
    # missing import). netlib.contrib.fine imports: the second else does.
    assert found == {
        2: (Code.IMPORT_CHAIN_BROKEN, Severity.INFORMATION),
        15: (Code.MISSING_IMPORT, Severity.ERROR),
    }


FLAGS = """\
has_fastjson = False
try:
    import fastjson as json
    has_fastjson = True
except ImportError:
    import json

if has_fastjson:
    from fastjson import JSONDecodeError
else:
    from json import JSONDecodeError

try:
    import certlib
except ImportError:
    certlib = None

if certlib is not None:
    import certlib.extra
if certlib is None:
    import certfallback

try:
    import yamlish
    HAS_YAMLISH = True
except ImportError:
    HAS_YAMLISH = False

if not HAS_YAMLISH:
    import yamlish_fallback

PY2 = sys.version_info[0] == 2
if PY2:
    import urllib2
"""


def test_flags_set_by_try_imports_decide_later_ifs(project: Path, tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    venv = venv_with(tmp_path, simple_wheel(wheels, "yamlish"))
    path = project / "pkg" / "flags.py"
    path.write_text("import sys\n" + FLAGS)
    found = lines_of(check(path, context_for(project, venv)))
    # fastjson and certlib are missing: their try imports are information, what runs
    # without them (certfallback) is an error, what needs them never runs. yamlish is
    # installed, so its fallback never runs; PY2 is False on 3.x.
    assert found == {
        4: (Code.MISSING_IMPORT, Severity.INFORMATION),
        15: (Code.MISSING_IMPORT, Severity.INFORMATION),
        22: (Code.MISSING_IMPORT, Severity.ERROR),
    }


def test_undecidable_guards_are_information_naming_the_condition(
    project: Path, tmp_path: Path
) -> None:
    # A module that makes its names at run time: whether `speedup` exists can't be told.
    (project / "pkg" / "_impl.py").write_text("X = 1\n")
    (project / "pkg" / "compat.py").write_text("from ._impl import *\n")
    (project / "pkg" / "sibling.py").write_text("X = 1\n")
    path = project / "pkg" / "maybe.py"
    path.write_text(
        "try:\n    from .compat import speedup\nexcept ImportError:\n    import nothere\n"
        "try:\n    from . import sibling\nexcept ImportError:\n    import sibling_fallback\n"
        "try:\n    from . import missing_sibling\nexcept ImportError:\n    import needed\n"
    )
    undecided, needed = check(path, context_for(project, venv_with(tmp_path)))
    assert (undecided.code, undecided.severity) == (Code.MISSING_IMPORT, Severity.INFORMATION)
    assert "runs only if `from .compat import speedup` fails" in undecided.message
    assert "can't be told statically" in undecided.message
    # `from . import sibling` works (a submodule), `missing_sibling` is nowhere.
    assert (needed.span.line, needed.severity) == (11, Severity.ERROR)


def test_a_package_module_never_imports_itself_through_its_own_folder(
    project: Path, tmp_path: Path
) -> None:
    concurrency = project / "pkg" / "concurrency"
    concurrency.mkdir()
    (concurrency / "__init__.py").write_text("")
    (concurrency / "greenlib.py").write_text("from greenlib import greenthread\n")
    (concurrency / "local.py").write_text("import greenlib\nimport pkg.concurrency.greenlib\n")
    scripts = project / "scripts"
    scripts.mkdir()
    (scripts / "helpers.py").write_text("")
    (scripts / "run.py").write_text("import helpers\n")
    context = context_for(project, venv_with(tmp_path))
    [own] = check(concurrency / "greenlib.py", context)
    assert (own.code, own.severity) == (Code.MISSING_IMPORT, Severity.ERROR)
    assert "'greenlib' is not installed" in own.message
    sibling = check(concurrency / "local.py", context)
    # And the module itself, imported by its full name, fails for the same reason.
    assert [(f.span.line, f.code) for f in sibling] == [
        (0, Code.MISSING_IMPORT),
        (1, Code.IMPORT_CHAIN_BROKEN),
    ]
    # A script run directly has its own folder on the path.
    assert check(scripts / "run.py", context) == []


def test_missing_dependency_of_an_extra_names_it_and_installs_the_extra(
    project: Path, tmp_path: Path
) -> None:
    (project / "pyproject.toml").write_text(
        '[project]\nname = "proj"\nversion = "1.0"\n'
        '[project.optional-dependencies]\nhttp2 = ["h2lib>=3"]\n'
    )
    path = project / "pkg" / "transport.py"
    path.write_text("import h2lib\n")
    wheels = tmp_path / "wheels"
    plain = check(path, context_for(project, venv_with(tmp_path)))
    [finding] = plain
    assert finding.severity is Severity.ERROR
    assert "declared in extra `http2` of pyproject.toml as h2lib>=3" in finding.message
    assert finding.fix.distribution == "h2lib" and finding.fix.requirement == "h2lib>=3"
    # With the project itself installed, the fix installs its extra at that version.
    own = simple_wheel(wheels, "proj", module="proj_marker", version="1.0")
    venv2 = tmp_path / "venv2"
    install_wheels(make_venv(venv2), own)
    environment = venv_environment(venv2)
    context = ProjectContext(
        Project(project, ("pyproject.toml",)),
        read_declarations(project),
        Selection(environment, "test"),
        read_inventory(environment),
    )
    [finding] = check(path, context)
    assert "it is provided by h2lib, declared in extra `http2`" in finding.message
    assert finding.fix.distribution == "proj[http2]"
    assert finding.fix.requirement == "proj[http2]==1.0"


def test_imports_inside_functions_of_what_the_project_does_not_require(
    project: Path, tmp_path: Path
) -> None:
    # rich.pretty's install(): `from IPython.core.formatters import BaseFormatter` inside a
    # function; the module imports fine, IPython is nothing rich requires.
    (project / "pyproject.toml").write_text(
        '[project]\nname = "proj"\nversion = "1.0"\ndependencies = ["colorlib>=1"]\n'
        '[project.optional-dependencies]\njupyter = ["widgetlib"]\n'
    )
    (project / "pkg" / "compat.py").write_text("PY2 = False\n")
    path = project / "pkg" / "pretty.py"
    path.write_text(
        "def install():\n    from IPython.core.formatters import BaseFormatter\n"
        "def widgets():\n    import widgetlib\n"
        "def colors():\n    import colorlib\n"
        "import widgetlib\n"
        'if __name__ == "__main__":\n    import benchlib\n    import colorlib\n'
        "from .compat import PY2\nif PY2:\n    import urllib2\n"
    )
    findings = check(path, context_for(project, venv_with(tmp_path)))
    found = lines_of(findings)
    assert found == {
        2: (Code.MISSING_IMPORT, Severity.INFORMATION),
        4: (Code.MISSING_IMPORT, Severity.INFORMATION),
        # A required dependency fails where it is used: still an error.
        6: (Code.MISSING_IMPORT, Severity.ERROR),
        # At module level the module itself fails: an error, naming the extra.
        7: (Code.MISSING_IMPORT, Severity.ERROR),
        # jsonschema's benchmarks: `if __name__ == "__main__": from pyperf import Runner`.
        9: (Code.MISSING_IMPORT, Severity.INFORMATION),
        10: (Code.MISSING_IMPORT, Severity.ERROR),
        # A flag from another module: can't tell, and nothing the project requires.
        13: (Code.MISSING_IMPORT, Severity.INFORMATION),
    }
    assert 'under `if __name__ == "__main__":`' in findings[4].message
    assert "imported inside a function" in findings[0].message
    assert "extra `jupyter`" in findings[3].message
    # A project that declares nothing: no way to tell optional from required.
    (project / "pyproject.toml").write_text('[project]\nname = "proj"\nversion = "1.0"\n')
    found = lines_of(check(path, context_for(project, tmp_path / "venv")))
    assert found[2] == (Code.MISSING_IMPORT, Severity.ERROR)


def test_find_spec_flags_and_tests(project: Path, tmp_path: Path) -> None:
    venv = venv_with(tmp_path, simple_wheel(tmp_path / "wheels", "yamlish"))
    path = project / "pkg" / "spec.py"
    path.write_text(
        "import importlib.util\n"
        'HAS_FAST = importlib.util.find_spec("fastlib") is not None\n'
        "if HAS_FAST:\n    import fastlib.speedups\n"
        'if importlib.util.find_spec("yamlish"):\n    import yamlish_extra\n'
        "else:\n    import nope\n"
    )
    found = lines_of(check(path, context_for(project, venv)))
    # fastlib isn't there, so its branch never runs; yamlish is, so its branch does.
    assert found == {6: (Code.MISSING_IMPORT, Severity.ERROR)}


def test_the_unreachable_imports_option_reaches_the_checks() -> None:
    from envsense.lsp.options import parse_options, session_settings

    options, error = parse_options({"reportUnreachableImports": True})
    assert error is None
    assert session_settings(options).report_unreachable_imports is True
    assert session_settings(parse_options({})[0]).report_unreachable_imports is False
