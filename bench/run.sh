#!/usr/bin/env bash
# The benchmark (issue 6): envsense against its peers on generated workloads.
# Usage: bash bench/run.sh [--quick] [--repeats N] [--only discovery check lsp create scaling locks]
# Not part of the test suite's pass/fail; results go to the terminal and bench/.work/report.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash bench/setup.sh
PYTHONPATH=bench exec bench/.venv/bin/python -m envsense_bench.main "$@"
