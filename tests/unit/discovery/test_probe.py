"""The opt-in probe: refuses shims and untrusted workspaces, caches by realpath + mtime."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from envsense.core.probe import ProbeRefused, probe_interpreter
from tests.unit.discovery.trees import Machine


def test_refuses_shims_and_untrusted_workspace_interpreters(machine: Machine) -> None:
    shim = machine.fake_python(machine.home / ".pyenv" / "shims" / "python")
    with pytest.raises(ProbeRefused, match="shim"):
        probe_interpreter(shim, trusted=True, cache_dir=machine.base)
    ws = machine.home / "ws"
    inside = machine.fake_python(ws / ".venv" / "bin" / "python")
    with pytest.raises(ProbeRefused, match="untrusted workspace"):
        probe_interpreter(inside, trusted=False, workspace_roots=[ws], cache_dir=machine.base)


def test_probes_a_real_interpreter_once_then_answers_from_the_cache(tmp_path: Path) -> None:
    python = Path(sys.executable)
    result = probe_interpreter(python, trusted=True, cache_dir=tmp_path)
    assert result is not None
    assert result.version.triple == tuple(sys.version_info[:3])
    assert result.prefix == Path(sys.prefix)
    cache = json.loads((tmp_path / "probe.json").read_text())
    (key,) = cache
    assert key.startswith(str(python.resolve()) + ":")
    # Prove the second answer comes from the cache: edit it and see the edit.
    cache[key]["version"] = "3.99.0"
    (tmp_path / "probe.json").write_text(json.dumps(cache))
    again = probe_interpreter(python, trusted=True, cache_dir=tmp_path)
    assert again is not None and str(again.version) == "3.99.0"


def test_a_program_that_is_not_python_gives_none(tmp_path: Path) -> None:
    not_python = tmp_path / "python"
    not_python.write_text("#!/bin/sh\necho hello\n")
    not_python.chmod(0o755)
    assert probe_interpreter(not_python, trusted=True, cache_dir=tmp_path) is None
    assert probe_interpreter(tmp_path / "missing", trusted=True, cache_dir=tmp_path) is None


def test_discover_spawns_only_when_allowed(
    machine: Machine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import envsense.core.probe as probe
    from envsense.core.discovery import discover
    from envsense.core.environment import EnvKind

    monkeypatch.setattr(probe, "default_cache_dir", lambda: tmp_path / "cache")
    wrapper_dir = machine.home / "wrapped"
    wrapper_dir.mkdir(parents=True)
    wrapper = wrapper_dir / "python"  # nothing on disk says its version
    wrapper.write_text(f'#!/bin/sh\nexec "{Path(sys.executable).resolve()}" "$@"\n')
    wrapper.chmod(0o755)
    machine.add_path(wrapper_dir)

    def version_of_wrapper(**options: bool) -> str | None:
        envs = discover(machine.ctx(), **options)
        (env,) = [e for e in envs if e.executable == wrapper and e.kind is EnvKind.SYSTEM]
        return str(env.version) if env.version else None

    assert version_of_wrapper() is None
    assert not (tmp_path / "cache").exists()
    expected = ".".join(map(str, sys.version_info[:3]))
    assert version_of_wrapper(allow_spawn=True, trusted=True) == expected


def test_nothing_the_checkout_points_at_is_run(
    machine: Machine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Untrusted: an enclosing project's env and a `.pdm-python` pointing out of the
    project are never probed (their versions stay unknown; the fake pythons never run)."""
    import envsense.core.probe as probe
    from envsense.core.discovery import discover

    monkeypatch.setattr(probe, "default_cache_dir", lambda: tmp_path / "cache")
    root = machine.home / "mono"
    (root / "packages" / "a").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "mono"\n')
    (root / "packages" / "a" / "pyproject.toml").write_text('[project]\nname = "a"\n')
    machine.fake_python(root / ".venv" / "bin" / "python")
    (root / ".venv" / "pyvenv.cfg").write_text("home = /nowhere\n")
    elsewhere = machine.home / "elsewhere" / "env"
    machine.fake_python(elsewhere / "bin" / "python")
    (elsewhere / "pyvenv.cfg").write_text("home = /nowhere\n")
    (root / "packages" / "a" / ".pdm-python").write_text(str(elsewhere / "bin" / "python"))
    envs = discover(machine.ctx(root / "packages" / "a"), allow_spawn=True, trusted=False)
    enclosing = [env for env in envs if env.prefix == root / ".venv"]
    assert enclosing and enclosing[0].version is None  # listed, not run
    assert all(env.prefix != elsewhere for env in envs)
    assert not machine.sentinel.exists()
