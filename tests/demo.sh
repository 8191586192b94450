#!/usr/bin/env bash
# Sets envsense up and runs it on the bundled example workspace: prints the environment it
# picks for the project and the diagnostics of its imports and requirements.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup.sh
DEMO=tests/workspaces/demo
# The demo's own environment: an empty venv, as a project has right after `python -m venv`.
if [ ! -x "$DEMO/.venv/bin/python" ]; then
  "${ENVSENSE_PYTHON:-python3}" -m venv --without-pip "$DEMO/.venv"
fi
echo "== envsense envs $DEMO"
.venv/bin/envsense envs "$DEMO"
echo
echo "== envsense check $DEMO"
# check exits 1 when it finds errors, which is what the demo is about.
.venv/bin/envsense check "$DEMO" || [ $? -eq 1 ]
