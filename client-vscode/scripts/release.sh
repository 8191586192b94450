#!/usr/bin/env bash
# Build a release of this repository: the envsense wheel (server + CLI, for any LSP editor and
# CI) and the VS Code extension (VSIX, with its own bundled copy of the server), into one folder.
#
#   bash client-vscode/scripts/release.sh [OUT]      # default OUT: <repo>/dist
#
# Needs: Node.js 20 with npm, Python >= 3.10 with pip (python3, or $ENVSENSE_BUNDLE_PYTHON), and
# the package index (pip fetches hatchling to build the wheel and the server's pinned libraries
# for the VSIX; npm fetches the client's dependencies).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$REPO/dist}
PY=${ENVSENSE_BUNDLE_PYTHON:-python3}
die() { echo "release.sh: FAILED: $*" >&2; exit 1; }

command -v node >/dev/null || die "Node.js is not on PATH (the VSIX build needs Node.js 20 and npm)"
command -v npm >/dev/null || die "npm is not on PATH"
"$PY" -c 'import sys; assert sys.version_info >= (3, 10)' 2>/dev/null || die "$PY is not Python >= 3.10"
"$PY" -m pip --version >/dev/null 2>&1 || die "$PY has no pip (Debian/Ubuntu: apt install python3-pip)"
version=$("$PY" -c 'import re,sys; print(re.search(r"__version__ = \"([^\"]+)\"", open(sys.argv[1]).read()).group(1))' \
  "$REPO/server/envsense/__init__.py")
mkdir -p "$OUT"
t0=$(date +%s)

echo "release.sh: building the envsense $version wheel"
"$PY" -m pip wheel --quiet --disable-pip-version-check --no-deps --wheel-dir "$OUT" "$REPO" \
  || die "pip wheel (is the package index reachable?)"

echo "release.sh: building the VS Code extension"
(
  cd "$REPO/client-vscode"
  npm ci --no-audit --no-fund >/dev/null
  ENVSENSE_BUNDLE_PYTHON=$PY npm run --silent package >/dev/null
) || die "building the VSIX"
cp "$REPO/client-vscode/envsense.vsix" "$OUT/envsense-$version.vsix"

echo "release.sh: done in $(( $(date +%s) - t0 )) s:"
ls -l "$OUT"/envsense-"$version"*.whl "$OUT/envsense-$version.vsix"
