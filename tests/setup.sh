#!/usr/bin/env bash
# Creates .venv with envsense (editable) and every test tool, pinned in pyproject.toml.
# Idempotent: a second run only re-checks the install. Needs python3 >= 3.10 and the package registry.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${ENVSENSE_PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade "pip>=24"
.venv/bin/python -m pip install --quiet -e ".[dev]"
