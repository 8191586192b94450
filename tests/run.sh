#!/usr/bin/env bash
# The whole test suite, as README and .ci/run call it: set up, lint, type check, test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup.sh
echo "== ruff"
.venv/bin/ruff check server tests bench
.venv/bin/ruff format --check server tests bench
echo "== mypy"
.venv/bin/mypy
echo "== pytest"
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
# pytest exits 5 when it collected nothing: that is a broken suite here, not a pass.
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests" >&2
  exit 1
fi
exit "$status"
