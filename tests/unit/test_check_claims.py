"""The warm-up and the scanner split the files they both want: a file the warm-up read
itself is not read again by the scanner, and the file the scanner is on is waited for,
not read twice."""

from __future__ import annotations

import hashlib
import mmap
import threading
import time
from pathlib import Path

import envsense.check_prefetch as check_prefetch
import envsense.scan_memory as scan_memory
from envsense.check_claims import WAIT_SECONDS, Claims
from envsense.check_prefetch import ScanAhead, ScanPlan
from envsense.core.imports.conditions import Target
from envsense.core.versions import PythonVersion

TARGET = Target(PythonVersion(3, 12, 0), "linux")


def sides() -> tuple[Claims, Claims]:
    """The warm-up's and the scanner's view of one shared memory."""
    memory = mmap.mmap(-1, 64 * 1024)
    return Claims(memory, 16, 1024, len(memory)), Claims(memory, 16, 1024, len(memory))


def test_a_file_the_warm_up_read_is_skipped_by_the_scanner() -> None:
    warm_up, scanner = sides()
    warm_up.claim("/p/a.py")
    assert not scanner.begin("/p/a.py")
    assert scanner.begin("/p/b.py")
    scanner.end()
    warm_up.claim("/p/c.py")  # logged after the scanner's last look: still seen
    assert not scanner.begin("/p/c.py")
    assert scanner.begin("/p/a.pyi")


def test_the_warm_up_sees_the_file_the_scanner_is_on() -> None:
    warm_up, scanner = sides()
    assert not warm_up.scanning("/p/a.py")
    assert scanner.begin("/p/a.py")
    assert warm_up.scanning("/p/a.py")
    assert not warm_up.scanning("/p/b.py")
    scanner.end()
    assert not warm_up.scanning("/p/a.py")


def test_a_full_log_claims_nothing_more_and_breaks_nothing() -> None:
    memory = mmap.mmap(-1, 4096)
    warm_up = Claims(memory, 16, 1024, 1100)
    scanner = Claims(memory, 16, 1024, 1100)
    names = [f"/p/{'x' * 20}{index}.py" for index in range(10)]
    for name in names:
        warm_up.claim(name)
    skipped = [name for name in names if not scanner.begin(name)]
    scanner.end()
    assert skipped == names[: len(skipped)]
    assert 0 < len(skipped) < len(names)


def test_the_warm_up_waits_for_the_file_the_scanner_is_on(tmp_path: Path) -> None:
    memory = mmap.mmap(-1, scan_memory.BUFFER_BYTES)
    prepared = check_prefetch.PreparedScans(memory)
    scanner = scan_memory.claims_in(memory)
    path = tmp_path / "slow.py"
    assert scanner.begin(str(path))
    threading.Timer(0.02, scanner.end).start()  # ends without a frame: say, it failed
    started = time.monotonic()
    digest = hashlib.blake2b(b"", digest_size=16).digest()
    assert prepared.scan(path, digest, TARGET, text=False) is None
    waited = time.monotonic() - started
    assert 0.015 <= waited < WAIT_SECONDS + 1
    # Then read by the warm-up, and logged so: the scanner leaves it.
    assert not scanner.begin(str(path))


def test_the_scanner_skips_what_the_warm_up_claimed(tmp_path: Path) -> None:
    files = []
    for index in range(400):
        path = tmp_path / f"m{index}.py"
        path.write_text(f"import os\nimport mod{index}\n")
        files.append(path)
    ahead = ScanAhead.start(files, ScanPlan(first=(), then=range(len(files))), TARGET)
    assert ahead is not None
    # The last file of the plan, asked for at once: not scanned yet, so read here.
    last = files[-1]
    digest = hashlib.blake2b(last.read_bytes(), digest_size=16).digest()
    assert ahead.prepared.scan(last, digest, TARGET, text=False) is None
    assert ahead.wait(30)  # the scanner went through its whole plan
    prepared = ahead.finish()
    ahead.reap()
    assert set(prepared.paths()) == {str(path) for path in files[:-1]}
