"""The benchmark's pure parts: reading each peer's output into a count, the ratio convention,
the real-file edit plan, and GNU time's peak RSS. Timing itself is bench/'s business."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from envsense_bench import corpus, peers
from envsense_bench.lsp_real import (
    EDIT_KINDS,
    apply_edit,
    change_event,
    edit_plan,
    per_kind,
    server_env,
)
from envsense_bench.measure import (
    TIME_BINARY,
    ProcessRun,
    parse_time_rss,
    rss_mb,
    run_process,
    tree_cpu_seconds,
    tree_rss_mb,
)
from envsense_bench.peer_checks import findings_count, ratio_budget_rows
from envsense_bench.report import Budget, Figure, Row

TY_OUTPUT = """\
warning[renamed-rule] Rule `unresolved-import` has been renamed to `import-not-found`
django/contrib/admin/tests.py:38:14: error[import-not-found] Cannot resolve imported module `selenium.webdriver.support.wait`
django/contrib/admin/tests.py:56:14: error[import-not-found] Cannot resolve imported module `selenium.webdriver.common.by`
Found 3 diagnostics
"""

PYREFLY_OUTPUT = """\
ERROR django/contrib/admin/tests.py:38:9-66: Cannot find module `selenium.webdriver.support.wait` [missing-import]
ERROR django/contrib/admin/tests.py:56:9-52: Cannot find module `selenium.webdriver.common.by` [missing-import]
ERROR django/x.py:1:1-5: Something else [bad-assignment]
 INFO 3 errors
"""


def test_ty_count_is_the_import_rule_lines_only() -> None:
    assert peers.count_ty(TY_OUTPUT) == 2
    assert peers.count_ty("All checks passed!\n") == 0


def test_pyrefly_count_is_the_missing_import_errors_only() -> None:
    assert peers.count_pyrefly(PYREFLY_OUTPUT) == 2


def test_basedpyright_count_reads_its_json_and_rejects_anything_else() -> None:
    output = json.dumps(
        {
            "generalDiagnostics": [
                {"rule": "reportMissingImports", "message": "Import x could not be resolved"},
                {"rule": "reportMissingModuleSource", "message": "stub only"},
                {"rule": "reportMissingImports", "message": "Import y could not be resolved"},
            ]
        }
    )
    assert peers.count_basedpyright(output) == 2
    try:
        peers.count_basedpyright("Traceback (most recent call last):")
    except ValueError:
        pass
    else:
        raise AssertionError("a crash's output must not read as 0 missing imports")


def test_deptry_count_is_one_per_issue_code() -> None:
    report = "a.py:1:1: DEP001 'x' imported but missing\nb.py:2:1: DEP002 'y' unused\nFound 2 dependency issues.\n"
    assert peers.count_deptry(report) == 2


def test_peer_commands_restrict_each_tool_to_its_import_rule() -> None:
    class FakeBench:
        def tool(self, name: str) -> Path:
            return Path("/bin") / name

    bench = FakeBench()
    ty = [str(a) for a in peers.ty_check(bench, Path("/venv/bin/python"))]  # type: ignore[arg-type]
    assert ty[ty.index("--ignore") + 1] == "all"
    assert ty[ty.index("--error") + 1] == "import-not-found"
    pyrefly = [str(a) for a in peers.pyrefly_check(bench, Path("/venv/bin/python"))]  # type: ignore[arg-type]
    assert pyrefly[pyrefly.index("--preset") + 1] == "off"
    assert pyrefly[pyrefly.index("--error") + 1] == "missing-import"
    # Nothing skipped for living under a dot-folder or a gitignored one (bench/.work/).
    assert pyrefly[pyrefly.index("--project-excludes") + 1] == "**/__pycache__"
    assert "--use-ignore-files=false" in pyrefly
    assert "--no-respect-ignore-files" in ty


def test_findings_count_reads_the_check_json_shapes() -> None:
    assert findings_count(json.dumps([{"a": 1}, {"b": 2}])) == "2 findings"
    assert findings_count(json.dumps({"findings": [1, 2, 3]})) == "3 findings"
    assert findings_count("not json") == ""


def test_ratio_is_envsense_over_peer_with_the_cpu_ratio_beside_it() -> None:
    row = Row("m", Figure(1.0, cpu=0.5), "peer", Figure(4.0, cpu=2.0))
    assert row.ratio == "0.25x (CPU 0.25x)"
    slower = Row("m", Figure(3.0), "peer", Figure(1.5))
    assert slower.ratio == "2.00x"
    assert Row("m", Figure(1.0), "peer", Figure.na("failed")).ratio == ""


def test_ratio_budget_rows_pass_below_one_fail_above_and_say_why_without_a_figure() -> None:
    rows = ratio_budget_rows(
        "cold",
        Figure(2.0, cpu=1.0),
        [
            ("deptry", Figure(1.0, cpu=1.0)),
            ("ty check (x only)", Figure(4.0, cpu=4.0)),
            ("pyrefly", Figure.na("timed out")),
        ],
    )
    verdicts = {row.measurement: row.budget.verdict(row.envsense) for row in rows if row.budget}
    assert verdicts["cold: envsense / deptry, wall"].startswith("FAIL")
    assert verdicts["cold: envsense / ty check, wall"] == "PASS"
    assert verdicts["cold: envsense / pyrefly, wall"] == "n/a"
    assert rows[1].envsense.text() == "0.50x (CPU 0.25x)"
    assert "timed out" in rows[2].envsense.text()
    assert Budget("b", 1.0, "x").verdict(Figure(1.0, "x")) == "PASS"


def test_edit_plan_cycles_the_four_kinds_and_restores_the_text() -> None:
    lines = [
        '"""doc"""\n',
        "import os\n",
        "from x import (\n",
        "    y,\n",
        ")\n",
        "\n",
        "def f():\n",
        "    value = 1\n",
        "    return value\n",
        "\n",
        "def g():\n",
        "    return os\n",
    ]
    plan = edit_plan(lines, 8)
    assert [edit.kind for edit in plan] == list(EDIT_KINDS) * 2
    text = list(lines)
    seen = []
    for edit in plan:
        # The incremental event, applied by hand, gives the same text as the full one.
        event = change_event(text, edit, 2)
        start, end = event["range"]["start"]["line"], event["range"]["end"]["line"]
        by_range = text[:start] + event["text"].splitlines(keepends=True) + text[end:]
        text = apply_edit(text, edit)
        assert by_range == text
        assert change_event(by_range, edit, 1)["text"] != ""
        seen.append("".join(text))
    assert "    return valuex\n" in seen[0]
    assert seen[1] == "".join(lines)
    assert seen[2].index("import json\n") < seen[2].index("import os\n")
    assert seen[3] == "".join(lines) == seen[7]
    assert per_kind(plan, [0.001, 0.002, 0.010, 0.020] * 2) == (
        "char+ 1, char- 2, import+ 10, import- 20 ms"
    )


def test_edit_plan_keeps_a_future_import_first() -> None:
    lines = ["from __future__ import annotations\n", "import os\n", "def f(a):\n", "    return a\n"]
    added = apply_edit(lines, edit_plan(lines, 3)[2])
    assert added[0] == "from __future__ import annotations\n"
    assert added[1] == "import json\n"


def test_edit_plan_refuses_a_file_it_cannot_edit() -> None:
    try:
        edit_plan(["x = 1\n"], 4)
    except ValueError:
        return
    raise AssertionError("a file without imports must be refused, not edited somewhere else")


def test_time_rss_is_the_last_number_gnu_time_wrote() -> None:
    assert parse_time_rss("Command exited with non-zero status 1\n51200\n", 9.0) == 50.0
    assert parse_time_rss("", 9.0) == 9.0


@pytest.mark.skipif(not TIME_BINARY.is_file(), reason="GNU time is not installed here")
def test_a_small_child_of_a_big_process_reports_its_own_peak() -> None:
    # Python spawns with vfork: without GNU time the child's ru_maxrss would be ours (200+ MB).
    ballast = bytearray(200 * 1024 * 1024)
    for index in range(0, len(ballast), 4096):
        ballast[index] = 1
    run: ProcessRun = run_process(["/bin/true"], exact_rss=True)
    assert run.returncode == 0
    assert run.max_rss_mb < 50, run.max_rss_mb
    del ballast


def test_tree_rss_counts_the_children_of_a_wrapper() -> None:
    # A Python wrapper whose child holds 100 MB, as basedpyright-langserver runs node.
    grandchild = (
        "b = bytearray(100 * 2**20); b[::4096] = b'x' * len(b[::4096]); import time; time.sleep(30)"
    )
    wrapper = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import subprocess, sys; subprocess.run([sys.executable, '-c', {grandchild!r}])",
        ],
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and tree_rss_mb(wrapper.pid) < 100:
            time.sleep(0.1)
        assert tree_rss_mb(wrapper.pid) >= 100
        assert rss_mb(wrapper.pid)[0] < 50
    finally:
        os.killpg(wrapper.pid, signal.SIGKILL)
        wrapper.wait()


def test_tree_cpu_counts_the_busy_child_of_an_idle_wrapper() -> None:
    # The wrapper sleeps; its child burns CPU: the server's figure is the whole tree's. The
    # child burns more than the 0.5 s asked for: /proc counts whole clock ticks, and the
    # kernel's tick accounting can lag its precise clock by a tick or two under load.
    busy = "import time; end = time.process_time() + 0.6\nwhile time.process_time() < end: pass\ntime.sleep(30)"
    wrapper = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import subprocess, sys; subprocess.run([sys.executable, '-c', {busy!r}])",
        ],
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and tree_cpu_seconds(wrapper.pid) < 0.5:
            time.sleep(0.1)
        assert tree_cpu_seconds(wrapper.pid) >= 0.5
    finally:
        os.killpg(wrapper.pid, signal.SIGKILL)
        wrapper.wait()


def test_servers_run_with_bytecode_and_the_given_cache_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Editors start servers with .pyc files read and written; a shell's setting must not leak.
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")

    class FakeBench:
        def base_env(self, extra: dict[str, str]) -> dict[str, str]:
            return {**os.environ, **extra}

    env = server_env(FakeBench(), tmp_path)  # type: ignore[arg-type]
    assert "PYTHONDONTWRITEBYTECODE" not in env
    assert env["XDG_CACHE_HOME"] == str(tmp_path)


def test_corpus_reuses_a_prepared_cache_without_the_registry(tmp_path: Path) -> None:
    # A cache that holds the archive, the unpacked tree and a finished venv is used as is.
    stem = f"{corpus.NAME}-{corpus.VERSION}"
    source = tmp_path / "build" / stem / "django" / "db" / "models"
    source.mkdir(parents=True)
    (source / "query.py").write_text("import os\n")
    (tmp_path / "build" / stem / "setup.py").write_text("")
    (tmp_path / "sdists").mkdir()
    with tarfile.open(tmp_path / "sdists" / f"{stem}.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "build" / stem, arcname=stem)
    venv = tmp_path / f"venv-{corpus.NAME}"
    (venv / "lib" / "python3.12" / "site-packages").mkdir(parents=True)
    (venv / ".bench-complete").touch()
    prepared = corpus.prepare(tmp_path, Path("/nonexistent/python"), Path("/nonexistent/uv"), [])
    assert prepared.files == 2
    assert prepared.edit_file.read_text() == "import os\n"
    assert prepared.site_packages == venv / "lib" / "python3.12" / "site-packages"
