"""Reading uv's and pip's configuration files the way the installers do, so that what they
would obey is what the install confirmation shows (and what envsense passes explicitly)."""

from __future__ import annotations

import random
import time
from pathlib import Path

from envsense.core.install.installer_config import (
    config_file_settings,
    pip_conf_settings,
    uv_project_settings,
    uv_user_settings,
)
from envsense.core.install.requirement_options import source_options


def shown(settings: tuple[object, ...]) -> list[str]:
    return [f"{s.key} = {s.value}" for s in settings]  # type: ignore[attr-defined]


def test_the_pip_table_overrides_the_top_level_key_by_key(tmp_path: Path) -> None:
    (tmp_path / "uv.toml").write_text(
        'index-url = "http://top/simple"\nfind-links = ["/top"]\n'
        '[pip]\nindex-url = "http://pip/simple"\n'
    )
    settings = uv_project_settings(tmp_path)
    assert shown(settings) == ["index-url = http://pip/simple", "find-links = /top"]
    assert [s.args for s in settings] == [
        ("--index-url", "http://pip/simple"),
        ("--find-links", "/top"),
    ]


def test_explicit_indexes_serve_pinned_sources_only_and_are_not_passed(tmp_path: Path) -> None:
    (tmp_path / "uv.toml").write_text(
        '[[index]]\nname = "pinned"\nurl = "http://pinned/simple"\nexplicit = true\n'
        '[[index]]\nurl = "http://default/simple"\ndefault = true\n'
    )
    settings = uv_project_settings(tmp_path)
    assert [s.args for s in settings] == [("--default-index", "http://default/simple")]


def test_the_nearest_config_wins_and_a_pyproject_without_tool_uv_does_not_count(
    tmp_path: Path,
) -> None:
    child = tmp_path / "repo" / "pkg"
    child.mkdir(parents=True)
    (child / "pyproject.toml").write_text('[project]\nname = "pkg"\nversion = "1"\n')
    (tmp_path / "repo" / "pyproject.toml").write_text(
        '[tool.uv]\nextra-index-url = ["http://repo/simple"]\n'
    )
    (tmp_path / "uv.toml").write_text('index-url = "http://outer/simple"\n')
    assert shown(uv_project_settings(child)) == ["extra-index-url = http://repo/simple"]
    # uv.toml beats pyproject.toml in the same folder.
    (tmp_path / "repo" / "uv.toml").write_text("no-index = true\n")
    assert shown(uv_project_settings(child)) == ["no-index = true"]


def test_user_config_comes_from_xdg_config_home(tmp_path: Path) -> None:
    (tmp_path / "cfg" / "uv").mkdir(parents=True)
    (tmp_path / "cfg" / "uv" / "uv.toml").write_text('index-url = "http://corp/simple"\n')
    environ = {"XDG_CONFIG_HOME": str(tmp_path / "cfg"), "XDG_CONFIG_DIRS": str(tmp_path / "x")}
    assert shown(uv_user_settings(environ)) == ["index-url = http://corp/simple"]


def test_pip_conf_keys_are_normalised_like_pip_does(tmp_path: Path) -> None:
    conf = tmp_path / "pip.conf"
    conf.write_text(
        "[global]\nindex_url = http://a/simple\ntimeout = 60\n"
        "[install]\nfind-links =\n    /srv/one\n    /srv/two\n[freeze]\nindex-url = http://ignored\n"
    )
    assert shown(pip_conf_settings(conf)) == [
        "[global] index-url = http://a/simple",
        "[install] find-links = /srv/one /srv/two",
    ]
    conf.write_text("[global\nbroken")
    assert shown(pip_conf_settings(conf)) == ["file = unreadable ini file (pip refuses it as well)"]


def test_config_file_variables_count_only_inside_the_project(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pip.ini").write_text("[global]\ntrusted-host = evil\n")
    (tmp_path / "mine.ini").write_text("[global]\ntrusted-host = corp\n")
    inside = {"PIP_CONFIG_FILE": str(project / "pip.ini")}
    outside = {"PIP_CONFIG_FILE": str(tmp_path / "mine.ini")}
    assert shown(config_file_settings(inside, (project,))) == ["[global] trusted-host = evil"]
    assert config_file_settings(outside, (project,)) == ()


def test_random_requirement_files_never_crash_and_stay_fast(tmp_path: Path) -> None:
    # A seeded fuzz over the reader: option fragments, separators, quotes, continuations,
    # comments, odd line breaks, env references, includes (some of them loops).
    pieces = [
        "-r", "-c", "-f", "-i", "-e", "--index-url", "--find-link", "--extra", "--e", "--",
        "-", "=", " ", "\t", "\\\n", "\n", "\r", "\u2028", "#", "'", '"', "${X}", "$Y", "~",
        "a.txt", "b.txt", "pkg", "pkg @ ", "http://h/s", "/srv", "\x00", "é", "\ufeff",
    ]  # fmt: skip
    rng = random.Random(11)
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("-r a.txt\n-r b.txt\n--no-index\n")
    target = tmp_path / "requirements.txt"
    started = time.monotonic()
    for _ in range(400):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 60)))
        target.write_text(text, encoding="utf-8", errors="surrogatepass")
        found = source_options(target, {"X": "--trusted-host evil", "Y": "a.txt"})
        assert all(o.describe() for o in found)
    assert time.monotonic() - started < 20
