"""`--only corpus`: envsense check cold and warm on a real sdist (django, downloaded at bench
time) against deptry, ty check, pyrefly check and basedpyright on the same files and venv."""

from __future__ import annotations

from envsense_bench import corpus as corpus_module
from envsense_bench.discovery_suite import profile_cli
from envsense_bench.harness import Bench
from envsense_bench.peer_checks import (
    envsense_cold_warm,
    measure_peer,
    ratio_budget_rows,
    standard_peers,
)
from envsense_bench.report import Figure, Row

# deptry 0.25.1 crashes on django ("ValueError: A distribution name is required") on
# `import_module(".management", app_config.name)`: a relative name it takes for a top-level
# module. These two files are the only ones it cannot read; every other file is scanned
# (its default excludes, which drop tests/, are replaced by this list).
DEPTRY_CRASHERS = r"^django/core/management/commands/(flush|migrate)\.py$"
BASEDPYRIGHT_TIMEOUT = 300.0


def get_corpus(bench: Bench) -> corpus_module.Corpus:
    """The prepared corpus (downloaded and unpacked once, outside this repository)."""
    return corpus_module.prepare(
        corpus_module.cache_dir(), bench.python, bench.tool("uv"), bench.pythons
    )


def run(bench: Bench) -> None:
    try:
        corpus = get_corpus(bench)
    except (corpus_module.CorpusError, OSError, StopIteration) as error:
        bench.report.add(Row("real corpus check", Figure.na(f"corpus not prepared: {error}")))
        return
    root = corpus.root
    env = bench.base_env()
    repeats = 1 if bench.quick else max(1, min(bench.repeats, 3))
    cold, warm = envsense_cold_warm(bench, root, corpus.python, env, repeats)
    check_args = ["check", str(root), "--python", str(corpus.python), "--format", "json"]
    peers = standard_peers(
        bench,
        root,
        corpus.python,
        corpus.site_packages,
        ("--exclude", DEPTRY_CRASHERS, "--no-ansi"),
        None if bench.quick else BASEDPYRIGHT_TIMEOUT,
    )
    label = f"check {corpus.label}"
    figures: list[tuple[str, Figure]] = []
    for peer in peers:
        print(f"   {peer.name} on {corpus.name}", flush=True)
        peer_figure = measure_peer(bench, peer, root, env)
        figures.append((peer.name, peer_figure))
        bench.report.add(Row(f"{label}, cold", cold, peer.name, peer_figure))
    if bench.quick:
        figures.append(("basedpyright", Figure.na("skipped in --quick: takes minutes")))
    for name, peer_figure in figures[:3]:
        # None of the peers caches anything: their every run is a cold one.
        bench.report.add(Row(f"{label}, warm (peers have no cache)", warm, name, peer_figure))
    budget_rows = ratio_budget_rows(f"cold check, {corpus.label}", cold, figures[:3])
    for row in budget_rows:
        bench.report.add(row)
    if cold.value is not None:
        cache = bench.scratch("profile-cache")
        profile_env = {**env, "XDG_CACHE_HOME": str(cache)}

        def profile() -> str:
            return profile_cli(bench, check_args, profile_env, root)

        for row in budget_rows:
            if row.budget is not None:
                bench.profilers[row.budget.name] = profile
    bench.report.notes.append(
        f"Real corpus: {corpus.name} {corpus.version}'s sdist (pip download --no-binary :all:), "
        f"{corpus.files:,} .py files, checked against a uv venv on CPython "
        f"{corpus_module.VENV_PYTHON} holding {', '.join(corpus_module.RUNTIME_DEPS)}. "
        "envsense, ty and pyrefly check every file; deptry runs with `--exclude` replacing its "
        "default excludes (which drop tests/) by the two files it crashes on "
        '(`import_module(".management", ...)` -> ValueError in deptry 0.25.1), so it reads '
        f"{corpus.files - 2:,} files. Peak RSS is GNU time's %M for the process tree's largest "
        "process."
    )
