"""Which distribution to name for an import: installed > declared > curated > guessed."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from envsense.core.environment.inventory import read_inventory
from envsense.core.environment.modulemap import (
    curated_entry,
    curated_table,
    distributions_for_module,
    is_trap,
    known_modules,
)
from tests.support.layouts import venv_environment
from tests.support.venvs import install_wheels, make_venv
from tests.support.wheels import WheelSpec, build_wheel


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        ("yaml", ("PyYAML",)),
        ("PIL.Image", ("Pillow",)),
        ("sklearn.linear_model", ("scikit-learn",)),
        ("bs4", ("beautifulsoup4",)),
        ("jwt", ("PyJWT",)),
        ("dateutil.parser", ("python-dateutil",)),
        ("attr", ("attrs",)),
        ("Crypto.Cipher", ("pycryptodome",)),
        ("MySQLdb", ("mysqlclient",)),
        ("git", ("GitPython",)),
        ("dotenv", ("python-dotenv",)),
        ("serial.tools", ("pyserial",)),
        ("zmq", ("pyzmq",)),
        ("kafka", ("kafka-python",)),
        ("hydra", ("hydra-core",)),
        ("jose", ("python-jose",)),
        ("fitz", ("PyMuPDF",)),
        ("gi.repository", ("PyGObject",)),
        ("win32api", ("pywin32",)),
        ("pkg_resources", ("setuptools",)),
        ("skimage", ("scikit-image",)),
        ("google.protobuf.message", ("protobuf",)),
        ("google.cloud.storage", ("google-cloud-storage",)),
        ("google.cloud.storage.blob", ("google-cloud-storage",)),
        ("azure.storage.blob", ("azure-storage-blob",)),
    ],
)
def test_curated_names_for_well_known_mismatches(module: str, expected: tuple[str, ...]) -> None:
    guess = distributions_for_module(module, None)
    assert (guess.names, guess.source) == (expected, "curated")


def test_one_module_many_distributions_keeps_the_usual_one_first() -> None:
    guess = distributions_for_module("cv2", None)
    assert guess.best == "opencv-python"
    assert "opencv-python-headless" in guess.alternatives
    assert "opencv-contrib-python" in guess.alternatives


@pytest.mark.parametrize(
    "module",
    ["sklearn", "attr", "jwt", "yaml", "PIL", "cv2", "bs4", "dateutil", "Crypto", "MySQLdb",
     "git", "magic", "dotenv", "serial", "zmq", "kafka", "hydra", "jose", "ffmpeg", "fitz"],
)  # fmt: skip
def test_traps_are_flagged(module: str) -> None:
    assert is_trap(module)
    assert distributions_for_module(module, None).trap


def test_plain_names_are_not_traps() -> None:
    assert not is_trap("requests")
    assert not is_trap("google.protobuf")
    assert not is_trap("some_unknown_module")


def test_ambiguous_namespace_roots_offer_nothing() -> None:
    for module in ("google", "azure", "backports"):
        guess = distributions_for_module(module, None)
        assert guess.names == () and guess.trap and guess.source == "curated"


def test_family_patterns_are_uncertain() -> None:
    guess = distributions_for_module("google.cloud.bigquery_datatransfer", None)
    assert guess.names == ("google-cloud-bigquery-datatransfer",)
    assert guess.confidence == "uncertain"
    assert distributions_for_module("azure.mgmt.compute.models", None).names == (
        "azure-mgmt-compute",
    )
    # A table row longer than the pattern wins over it.
    assert curated_entry("google.cloud.secretmanager") is not None
    assert distributions_for_module("google.cloud.secretmanager", None).names == (
        "google-cloud-secret-manager",
    )


def test_unknown_names_are_guessed_from_the_top_level() -> None:
    guess = distributions_for_module("frobnicator.core", None)
    assert (guess.names, guess.source, guess.confidence) == (
        ("frobnicator",),
        "guessed",
        "uncertain",
    )


def test_table_is_large_and_well_formed() -> None:
    table = curated_table()
    assert len(table) >= 300
    for module, entry in table.items():
        assert all(part.isidentifier() for part in module.split(".")), module
        for dist in entry.distributions:
            Requirement(dist)  # raises on a name an installer would refuse
        if not entry.trap:
            continue
        # A trap that names its own import name as a distribution would contradict itself.
        canonical = {canonicalize_name(d) for d in entry.distributions}
        assert canonicalize_name(module) not in canonical, module


def test_reverse_lookup_for_declarations() -> None:
    assert {"yaml", "_yaml"} <= known_modules("pyyaml")
    assert "dateutil" in known_modules("Python_Dateutil")
    assert known_modules("not-a-known-dist") == frozenset()


def test_declared_distribution_that_provides_the_import() -> None:
    declared = {"pyyaml": "PyYAML", "requests": "requests"}
    guess = distributions_for_module("yaml", None, declared)
    assert (guess.names, guess.source) == (("PyYAML",), "declared")
    # Declared by its own name (typing-extensions imported as typing_extensions).
    guess = distributions_for_module(
        "typing_extensions", None, {"typing-extensions": "typing_extensions"}
    )
    assert (guess.names, guess.source) == (("typing_extensions",), "declared")
    # Declared but unrelated: falls through to the curated table.
    assert distributions_for_module("bs4", None, declared).source == "curated"


def test_explicit_module_to_declared_distribution() -> None:
    guess = distributions_for_module(
        "acme_internal.sub",
        None,
        declared={"acme-internal-tools": "Acme-Internal-Tools"},
        declared_modules={"acme_internal": "acme-internal-tools"},
    )
    assert (guess.names, guess.source) == (("Acme-Internal-Tools",), "declared")


@pytest.fixture(scope="module")
def namespace_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ns")
    python = make_venv(root / "env")
    wheels = [
        build_wheel(WheelSpec("protobuf", "5.0", files={"google/protobuf/__init__.py": ""}), root),
        build_wheel(
            WheelSpec(
                "google-cloud-storage", "2.0", files={"google/cloud/storage/__init__.py": ""}
            ),
            root,
        ),
        build_wheel(WheelSpec("PyYAML", "6.0", files={"yaml/__init__.py": ""}), root),
        build_wheel(WheelSpec("yaml-fork", "1.0", files={"yaml_fork/__init__.py": ""}), root),
    ]
    install_wheels(python, *wheels)
    return root / "env"


def test_installed_metadata_comes_first(namespace_env: Path) -> None:
    inventory = read_inventory(venv_environment(namespace_env))
    guess = distributions_for_module("yaml", inventory, {"yaml-fork": "yaml-fork"})
    assert (guess.names, guess.source) == (("PyYAML",), "installed")


def test_installed_namespace_is_narrowed_to_the_owner(namespace_env: Path) -> None:
    inventory = read_inventory(venv_environment(namespace_env))
    storage = distributions_for_module("google.cloud.storage", inventory)
    assert (storage.names, storage.source) == (("google-cloud-storage",), "installed")
    protobuf = distributions_for_module("google.protobuf", inventory)
    assert protobuf.names == ("protobuf",)
    # Not installed at all: the curated table still answers.
    attrs = distributions_for_module("attr", inventory)
    assert (attrs.names, attrs.source) == (("attrs",), "curated")
