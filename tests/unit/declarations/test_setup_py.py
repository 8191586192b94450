"""setup.py read statically: what its setup() call declares, never by running it."""

from __future__ import annotations

from pathlib import Path

from envsense.core.declarations import read_declarations
from envsense.core.declarations.setup_py import parse_setup_py
from tests.unit.declarations.helpers import spelled

# requests 2.32.3's setup.py, trimmed: names bound to literal lists, an exec of a file,
# a dict literal of extras, tests_require.
REQUESTS_SETUP = """\
#!/usr/bin/env python
import os
import sys
from codecs import open

from setuptools import setup

requires = [
    "charset_normalizer>=2,<4",
    "idna>=2.5,<4",
    "urllib3>=1.21.1,<3",
    "certifi>=2017.4.17",
]
test_requirements = [
    "pytest-httpbin==2.0.0",
    "pytest-cov",
]
about = {}
here = os.path.abspath(os.path.dirname(__file__))
with open(os.path.join(here, "src", "requests", "__version__.py"), "r", "utf-8") as f:
    exec(f.read(), about)

setup(
    name=about["__title__"],
    python_requires=">=3.8",
    install_requires=requires,
    extras_require={
        "security": [],
        "socks": ["PySocks>=1.5.6, !=1.5.7"],
        "use_chardet_on_py3": ["chardet>=3.0.2,<6"],
    },
    tests_require=test_requirements,
)
"""


def _write(root: Path, text: str, files: dict[str, str] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, content in (files or {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content)
    path = root / "setup.py"
    path.write_text(text)
    return path


def test_requests_setup_py_declares_its_runtime_extras_and_tests(tmp_path: Path) -> None:
    _write(tmp_path, REQUESTS_SETUP)
    declared = read_declarations(tmp_path)
    found = {r.canonical: r for r in declared.requirements}
    main = [r.raw for r in declared.requirements if r.group == "main"]
    assert main == [
        "charset_normalizer>=2,<4",
        "idna>=2.5,<4",
        "urllib3>=1.21.1,<3",
        "certifi>=2017.4.17",
    ]
    assert found["pysocks"].group == "optional:socks"
    assert found["pysocks"].extra == "socks"
    assert found["chardet"].group == "optional:use-chardet-on-py3".replace("-", "_")
    assert found["pytest-cov"].group == "setup:tests" and found["pytest-cov"].is_dev
    # Spans point at the string literal in the file.
    assert spelled(found["urllib3"]) == '"urllib3>=1.21.1,<3"'
    assert spelled(found["pysocks"]) == '"PySocks>=1.5.6, !=1.5.7"'
    assert declared.requires_python is not None
    assert str(declared.requires_python.specifier) == ">=3.8"
    assert declared.preferred_manifest() == tmp_path / "setup.py"
    # Nothing computed at build time: the file says everything.
    assert not declared.incomplete


def test_concatenation_append_and_dict_names(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """\
import setuptools
BASE = ["click>=8"]
EXTRA = BASE + ["rich"]
EXTRA.append("anyio")
EXTRA += ("sniffio",)
extras = dict(http2=["h2>=3,<5"], socks=["socksio==1.*"])
extras["all"] = []
setuptools.setup(name="demo-pkg", install_requires=EXTRA, extras_require=extras)
""",
    )
    declared = parse_setup_py(path, path.read_text())
    assert [r.raw for r in declared.requirements if r.group == "main"] == [
        "click>=8",
        "rich",
        "anyio",
        "sniffio",
    ]
    groups = {r.raw: r.group for r in declared.requirements}
    assert groups["h2>=3,<5"] == "optional:http2"
    assert groups["socksio==1.*"] == "optional:socks"
    assert declared.project_name == "demo-pkg"


def test_conditional_additions_are_not_taken_as_unconditional(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """\
import sys
from setuptools import setup
deps = ["attrs"]
if sys.platform == "win32":
    deps.append("colorama")
setup(install_requires=deps)
""",
    )
    assert [r.raw for r in parse_setup_py(path, path.read_text()).requirements] == ["attrs"]


def test_requirements_read_from_files_of_the_project(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """\
from pathlib import Path
from setuptools import setup

here = Path(__file__).parent

def read(name):
    with open(here / name) as handle:
        return handle.read()

with open("requirements/base.txt") as f:
    base = f.read().splitlines()

setup(
    install_requires=base + (here / "requirements-extra.txt").read_text().splitlines(),
    extras_require={"docs": read("docs/requirements.txt").splitlines()},
    tests_require=[line.strip() for line in open("test-requirements.txt")],
)
""",
        {
            "requirements/base.txt": "attrs>=22\n# comment\n\nidna\n",
            "requirements-extra.txt": "certifi\n",
            "docs/requirements.txt": "sphinx\n",
            "test-requirements.txt": "pytest\n",
        },
    )
    declared = parse_setup_py(path, path.read_text())
    by_name = {r.canonical: r for r in declared.requirements}
    assert {r.canonical for r in declared.requirements if r.group == "main"} == {
        "attrs",
        "idna",
        "certifi",
    }
    assert by_name["attrs"].manifest == tmp_path / "requirements" / "base.txt"
    assert spelled(by_name["idna"]) == "idna"
    assert by_name["sphinx"].group == "optional:docs"
    assert by_name["pytest"].group == "setup:tests"
    assert not declared.incomplete


def test_files_outside_the_project_are_never_read(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("leaked-name\n")
    path = _write(
        tmp_path / "proj",
        'from setuptools import setup\nsetup(install_requires=open("../secret.txt").read().split())\n',
    )
    declared = parse_setup_py(path, path.read_text())
    assert declared.requirements == ()
    assert declared.incomplete


def test_computed_lists_make_the_declarations_incomplete(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """\
from setuptools import setup
def get_requires():
    return ["packaging"]
setup(name="x", install_requires=get_requires(), extras_require={"a": ["b"]})
""",
    )
    declared = parse_setup_py(path, path.read_text())
    assert declared.incomplete
    assert [r.raw for r in declared.requirements] == ["b"]


def test_setup_kwargs_from_a_dict_are_incomplete(tmp_path: Path) -> None:
    path = _write(tmp_path, "from setuptools import setup\nsetup(**CONFIG)\n")
    assert parse_setup_py(path, path.read_text()).incomplete


def test_syntax_error_and_no_setup_call_never_raise(tmp_path: Path) -> None:
    path = _write(tmp_path, "def broken(:\n")
    declared = parse_setup_py(path, path.read_text())
    assert declared.requirements == () and declared.incomplete
    path.write_text("print('not a setup script')\n")
    declared = parse_setup_py(path, path.read_text())
    assert declared.requirements == () and not declared.incomplete


def test_invalid_requirement_is_a_problem_on_its_string(tmp_path: Path) -> None:
    path = _write(
        tmp_path, 'from setuptools import setup\nsetup(install_requires=["ok", "bad=="])\n'
    )
    declared = parse_setup_py(path, path.read_text())
    assert [r.raw for r in declared.requirements] == ["ok"]
    (problem,) = declared.problems
    assert "invalid requirement 'bad=='" in problem.message
    assert problem.span.line == 1


def test_non_ascii_before_a_string_keeps_columns_in_code_points(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        'from setuptools import setup\nsetup(description="é", install_requires=["attrs"])\n',
    )
    (requirement,) = parse_setup_py(path, path.read_text()).requirements
    assert spelled(requirement) == '"attrs"'


def test_a_conditional_part_is_never_taken_as_unconditional(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """\
import sys
from setuptools import setup
base = ["attrs"]
setup(install_requires=base + (["pywin32"] if sys.platform == "win32" else []))
""",
    )
    declared = parse_setup_py(path, path.read_text())
    assert [r.raw for r in declared.requirements] == ["attrs"]
    # The installed metadata may know the rest.
    assert declared.incomplete


def test_keywords_from_a_literal_dict(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """\
from setuptools import setup
config = dict(name="kw", install_requires=["attrs"])
extra = {"extras_require": {"fast": ["orjson"]}}
setup(**config, **extra)
""",
    )
    declared = parse_setup_py(path, path.read_text())
    assert [(r.raw, r.group) for r in declared.requirements] == [
        ("attrs", "main"),
        ("orjson", "optional:fast"),
    ]
    assert declared.project_name == "kw"
    assert not declared.incomplete


def test_a_helper_that_reads_a_requirements_file(tmp_path: Path) -> None:
    # celery 5.4.0: install_requires=install_requires(), reading requirements/default.txt.
    path = _write(
        tmp_path,
        """\
import os
from setuptools import setup


def _reqs(*f):
    with open(os.path.join(os.getcwd(), "requirements", *f)) as fp:
        return [line.strip() for line in fp if line.strip()]


def install_requires():
    return _reqs("default.txt")


setup(name="celery", install_requires=install_requires())
""",
        {"requirements/default.txt": "billiard>=4.2.0,<5.0\nvine>=5.1.0,<6.0\n"},
    )
    declared = parse_setup_py(path, path.read_text())
    assert [(r.raw, r.group, r.via) for r in declared.requirements] == [
        ("billiard>=4.2.0,<5.0", "main", path),
        ("vine>=5.1.0,<6.0", "main", path),
    ]
    assert declared.requirements[0].manifest == tmp_path / "requirements" / "default.txt"
    # Read by code, so the installed metadata may still know more.
    assert declared.incomplete


def test_a_file_named_relative_to_the_requirements_folder(tmp_path: Path) -> None:
    # kombu 5.3.7: install_requires=reqs("default.txt") opens requirements/default.txt.
    path = _write(
        tmp_path,
        """\
import os
from setuptools import setup


def reqs(*f):
    return [r for r in open(os.path.join(os.getcwd(), "requirements", *f)).read().split()]


setup(name="kombu", install_requires=reqs("default.txt"))
""",
        {"requirements/default.txt": "amqp>=5.1.1,<6.0.0\nvine\n"},
    )
    declared = parse_setup_py(path, path.read_text())
    assert [r.raw for r in declared.requirements] == ["amqp>=5.1.1,<6.0.0", "vine"]
    assert not declared.incomplete


def test_pyproject_dynamic_dependencies_read_from_files(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "st"\ndynamic = ["dependencies", "optional-dependencies"]\n\n'
        "[tool.setuptools.dynamic]\n"
        'dependencies = {file = ["requirements/base.txt"]}\n'
        'optional-dependencies.docs = {file = ["requirements/docs.txt"]}\n'
    )
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "base.txt").write_text("attrs>=22\n")
    (tmp_path / "requirements" / "docs.txt").write_text("sphinx\n")
    declared = read_declarations(tmp_path)
    found = {(r.raw, r.group, r.where) for r in declared.requirements if r.via is not None}
    assert found == {
        ("attrs>=22", "main", "base.txt (read by pyproject.toml)"),
        ("sphinx", "optional:docs", "docs.txt (read by pyproject.toml)"),
    }
    assert not declared.incomplete


def test_hatch_requirements_txt_hook(tmp_path: Path) -> None:
    # mkdocs-material 9.5.20.
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "mkdocs-material"\ndynamic = ["version", "dependencies"]\n\n'
        '[tool.hatch.metadata.hooks.requirements_txt]\nfilename = "requirements.txt"\n'
    )
    (tmp_path / "requirements.txt").write_text("jinja2~=3.0\nmkdocs~=1.6\n")
    declared = read_declarations(tmp_path)
    main = [(r.raw, r.via) for r in declared.requirements if r.group == "main"]
    assert main == [
        ("jinja2~=3.0", tmp_path / "pyproject.toml"),
        ("mkdocs~=1.6", tmp_path / "pyproject.toml"),
    ]
