"""`envsense check` finds each file's project from the file upwards: a package module
named setup.py is no project (homeassistant), and a sub-folder alone still sees its
project's .venv."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support.venvs import make_venv


def _write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def homeassistant_like(root: Path, components: int = 5) -> Path:
    """homeassistant 2024.3's shape: root pyproject.toml, the package beside it holding an
    ordinary module named setup.py, integrations importing the package absolutely."""
    _write(root / "pyproject.toml", '[project]\nname = "homeassistant"\nversion = "1"\n')
    package = root / "homeassistant"
    _write(package / "__init__.py")
    _write(package / "core.py", "import asyncio\n\nclass HomeAssistant:\n    pass\n")
    _write(
        package / "setup.py",
        "from homeassistant.core import HomeAssistant\n\n"
        "async def async_setup_component(hass, domain, config):\n"
        "    return await component.async_setup(hass, config)\n",
    )
    _write(package / "components" / "__init__.py")
    for i in range(components):
        _write(
            package / "components" / f"c{i}" / "__init__.py",
            "from homeassistant.core import HomeAssistant\n"
            "from homeassistant.setup import async_setup_component\n",
        )
    make_venv(root / ".venv")
    return root


def check(*args: str, cwd: Path, home: Path) -> tuple[int, dict[str, Any]]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")}
    result = subprocess.run(
        [sys.executable, "-m", "envsense", "check", "--no-cache", "--format", "json", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    payload: dict[str, Any] = json.loads(result.stdout)
    return result.returncode, payload


def test_homeassistant_package_module_named_setup_py_is_no_project(tmp_path: Path) -> None:
    root = homeassistant_like(tmp_path / "core")
    # Before the fix: 12 false missing-import errors on the package's own imports.
    code, payload = check("homeassistant", cwd=root, home=tmp_path / "home")
    assert payload["diagnostics"] == [] and code == 0
    assert payload["environment"]["prefix"] == str(root / ".venv")


def test_one_file_of_a_sub_folder_sees_its_projects_venv(tmp_path: Path) -> None:
    root = homeassistant_like(tmp_path / "core", components=1)
    target = root / "homeassistant" / "components" / "c0" / "__init__.py"
    # Before the fix the file was checked against a global Python, with 2 false errors.
    code, payload = check(str(target), cwd=target.parent, home=tmp_path / "home")
    assert payload["diagnostics"] == [] and code == 0
    assert payload["environment"]["prefix"] == str(root / ".venv")


def test_a_uv_workspace_member_alone_uses_the_roots_venv(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    _write(
        root / "pyproject.toml",
        '[project]\nname = "root"\nversion = "1"\n[tool.uv.workspace]\nmembers = ["packages/*"]\n',
    )
    member = root / "packages" / "lib-a"
    _write(member / "pyproject.toml", '[project]\nname = "lib-a"\nversion = "1"\n')
    _write(member / "src" / "lib_a" / "__init__.py", "import json\n")
    make_venv(root / ".venv")
    _, payload = check(str(member), cwd=member, home=tmp_path / "home")
    assert payload["environment"]["prefix"] == str(root / ".venv")
