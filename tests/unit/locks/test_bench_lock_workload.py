"""The locks bench workload builds what it claims (on a small size): a real uv.lock, a synced
env with exactly DRIFTED older packages, and Windows-only leaves the walk leaves out."""

from __future__ import annotations

import sys
from pathlib import Path

from envsense.core.checks.lock import compare_lock
from envsense.core.declarations import read_declarations
from envsense.core.discovery import identify
from envsense.core.discovery.context import DiscoveryContext
from envsense.core.environment.inventory import read_inventory
from envsense.core.locks import read_lock
from envsense.core.locks.project_config import project_config
from tests.support.venvs import uv_executable

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))

from envsense_bench.locks_suite import DRIFTED, build_lock_workload, package_name


def test_small_lock_workload_has_the_drift_and_markers_it_claims(tmp_path: Path) -> None:
    count = 40
    workload = build_lock_workload(tmp_path, Path(uv_executable()), Path(sys.executable), count)
    lock = read_lock(workload.lock)
    assert lock is not None and lock.problem is None
    assert len(lock.packages) == count + 1
    env = identify(workload.venv / "bin" / "python", DiscoveryContext.from_os())
    inventory = read_inventory(env)
    declarations = read_declarations(workload.project)
    comparison = compare_lock(
        lock, inventory, project_config(workload.project, declarations), declarations
    )
    assert sorted(d.package.name for d in comparison.mismatched) == [
        package_name(i) for i in range(DRIFTED)
    ]
    assert comparison.missing == ()
    # Windows-only leaves are locked but neither installed by uv nor expected here.
    windows_only = [i for i in range(count) if i % 10 == 0 and 2 * i + 1 >= count]
    assert windows_only
    installed = {d.canonical_name for d in inventory.distributions}
    assert all(package_name(i) not in installed for i in windows_only)
