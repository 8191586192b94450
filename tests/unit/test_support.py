"""The test helpers themselves: a hand-built wheel installs for real and shows up on disk."""

from pathlib import Path

from tests.support.venvs import install_wheels, make_venv
from tests.support.wheels import WheelSpec, build_wheel, simple_wheel


def test_hand_built_wheel_installs_into_a_real_venv(tmp_path: Path) -> None:
    python = make_venv(tmp_path / "env")
    wheel = simple_wheel(tmp_path / "wheels", "Demo-Pkg", module="demo_pkg", version="2.1")
    install_wheels(python, wheel)
    site = next((tmp_path / "env" / "lib").glob("python3.*/site-packages"))
    assert (site / "demo_pkg" / "__init__.py").read_text() == "__version__ = '2.1'\n"
    (dist_info,) = site.glob("[Dd]emo_[Pp]kg-2.1.dist-info")
    record = (dist_info / "RECORD").read_text()
    assert "demo_pkg/__init__.py" in record


def test_top_level_txt_only_when_asked(tmp_path: Path) -> None:
    with_tl = build_wheel(WheelSpec("a", files={"a.py": ""}, top_level=["a"]), tmp_path)
    without = build_wheel(WheelSpec("b", files={"b.py": ""}), tmp_path)
    import zipfile

    assert "a-1.0.dist-info/top_level.txt" in zipfile.ZipFile(with_tl).namelist()
    assert not any(n.endswith("top_level.txt") for n in zipfile.ZipFile(without).namelist())
