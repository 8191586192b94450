#!/usr/bin/env bash
# Creates bench/.venv (gitignored) with envsense (editable) and the peers the benchmark compares
# against, each pinned so that figures from two runs measure the same tools.
# Idempotent: a second run only re-checks the install. Needs python3 >= 3.10 and the package registry.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${ENVSENSE_PYTHON:-python3}
# Resolve shims (pyenv) to the real binary: the bench venv must not depend on a shim's choice.
REAL_PY=$("$PY" -c 'import sys; print(sys.executable)')
if [ ! -x bench/.venv/bin/python ]; then
  "$REAL_PY" -m venv bench/.venv
fi
bench/.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
bench/.venv/bin/python -m pip install --quiet --disable-pip-version-check \
  -e . \
  "uv==0.13.9" \
  "python-discovery==1.9.6" \
  "findpython==0.9.0" \
  "basedpyright==1.40.2" \
  "deptry==0.25.1" \
  "ty==0.0.108" \
  "pyrefly==1.5.0" \
  "virtualenv==21.15.11" \
  "pyinstrument==5.1.3"
