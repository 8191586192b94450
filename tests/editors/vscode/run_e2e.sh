#!/usr/bin/env bash
# End-to-end test of the envsense VS Code extension in real VS Code (code-server 4.100.3 = VS Code
# 1.100.3) driven by headless Chromium: install the tools (cached), build the VSIX, make a sample
# workspace with a missing import and an offline wheel for it, and check status bar, Problems panel,
# quick fix and install. Screenshots and logs go to tests/artifacts/vscode/.
# env: STEPS (see cs_e2e.js), PYTHON (runs make_workspace.py; its version makes the sample .venv),
#      E2E_ARTIFACTS, E2E_KEEP=1 keeps the temp dir.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
CACHE=${ENVSENSE_EDITORS_CACHE:-$REPO/tests/editors/.cache}
CS_VERSION=${CS_VERSION:-4.100.3}
PW_VERSION=${PW_VERSION:-1.65.1}
ART=${E2E_ARTIFACTS:-$REPO/tests/artifacts/vscode}
PYTHON=${PYTHON:-$REPO/.venv/bin/python}
[ -x "$PYTHON" ] || PYTHON=python3
export STEPS=${STEPS:-workspace,status,problem,quickfix,install,terminal,picker,switch,envview,packages,noenv,create,cancel}
t0=$(date +%s)
rm -rf "$ART"  # screenshots of an earlier run must not pass for this one

bash "$HERE/install.sh" >&2
CS_BIN=$CACHE/code-server-$CS_VERSION/node_modules/.bin/code-server
PW_DIR=$CACHE/playwright-$PW_VERSION
t_install=$(date +%s)

# The VSIX exactly as users get it (bundled server from server/envsense).
(
  cd "$REPO/client-vscode"
  [ -d node_modules/vscode-languageclient ] || npm ci --no-audit --no-fund >/dev/null
  npm run --silent package >/dev/null
) || { echo "run_e2e.sh: FAILED: building the VSIX" >&2; exit 1; }
VSIX=$REPO/client-vscode/envsense.vsix
t_vsix=$(date +%s)

D=$(mktemp -d "${TMPDIR:-/tmp}/envsense-e2e.XXXXXX")
CS_PID=
cleanup() {
  [ -n "$CS_PID" ] && kill "$CS_PID" 2>/dev/null && wait "$CS_PID" 2>/dev/null
  mkdir -p "$ART"
  cp "$D"/*.png "$D/code-server.log" "$ART/" 2>/dev/null || true
  find "$D/user/logs" -name '*envsense*.log' -exec cp {} "$ART/" \; 2>/dev/null || true
  find "$D/user/logs" -name 'exthost.log' -exec cp {} "$ART/" \; 2>/dev/null || true
  [ "${E2E_KEEP:-}" = 1 ] && echo "run_e2e.sh: kept $D" >&2 || rm -rf "$D"
}
trap cleanup EXIT

INFO=$("$PYTHON" "$HERE/make_workspace.py" "$D/sample")
field() { "$PYTHON" -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$INFO" "$1"; }
WS=$(field workspace); WS2=$(field workspace2); WHEELS=$(field wheels); SITE=$(field site_packages)
SITE2=$(field site_packages2); WS_FILE=$(field workspace_file)
export EXPECT_STATUS; EXPECT_STATUS=$(field status_text)
export PY_VERSION; PY_VERSION=$(field python_version)

# Installs must be offline: point pip and uv at the sample wheel only (the server passes its
# environment down to the installer, and code-server passes its environment to the extension host).
export PIP_FIND_LINKS=$WHEELS PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 UV_FIND_LINKS=$WHEELS UV_OFFLINE=1 UV_NO_INDEX=1
# A no-pip venv needs uv (or an outside pip) to install into; offer the dev environment's uv alone,
# not its python3, so the server's interpreter is still found the way users get it.
mkdir -p "$D/bin"
[ -x "$REPO/.venv/bin/uv" ] && ln -s "$REPO/.venv/bin/uv" "$D/bin/uv"
export PATH=$D/bin:$PATH
# VS Code's server replaces the environment with a login shell's (resolveShellEnv) unless it was
# launched from its CLI; VSCODE_CLI=1 keeps this script's PATH, so the run is hermetic.
export VSCODE_CLI=1
export XDG_DATA_HOME=$D/xdg-data XDG_CONFIG_HOME=$D/xdg-config
mkdir -p "$D/user/User"
cat > "$D/user/User/settings.json" <<'JSON'
{ "workbench.startupEditor": "none", "workbench.tips.enabled": false, "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false, "extensions.autoUpdate": false, "update.mode": "none",
  "security.workspace.trust.enabled": false, "chat.disableAIFeatures": true,
  "terminal.integrated.gpuAcceleration": "off", "terminal.integrated.defaultProfile.linux": "bash",
  "terminal.integrated.enablePersistentSessions": false,
  "problems.defaultViewMode": "list", "workbench.editor.enablePreview": false,
  "envsense.diagnosticScope": "workspace", "envsense.trace.server": "messages" }
JSON
CSARGS=(--config "$D/config.yaml" --user-data-dir "$D/user" --extensions-dir "$D/ext")
"$CS_BIN" "${CSARGS[@]}" --install-extension "$VSIX" >/dev/null \
  || { echo "run_e2e.sh: FAILED: code-server --install-extension" >&2; exit 1; }
PORT=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$CS_BIN" "${CSARGS[@]}" --bind-addr "127.0.0.1:$PORT" --auth none --disable-telemetry --disable-update-check \
  --disable-workspace-trust --disable-getting-started-override > "$D/code-server.log" 2>&1 &
CS_PID=$!
for _ in $(seq 1 120); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.5; done
curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" || { echo "run_e2e.sh: FAILED: code-server did not start" >&2; tail -20 "$D/code-server.log" >&2; exit 1; }

status=0
(cd "$PW_DIR" && NODE_PATH=$PW_DIR/node_modules CS_URL="http://127.0.0.1:$PORT" WORKSPACE_FILE="$WS_FILE" \
  WS_FOLDER="$WS" WS2_FOLDER="$WS2" SHOTS="$D" MODULE=envsense_demo_pkg node "$HERE/cs_e2e.js") > "$D/result.json" || status=$?
cat "$D/result.json"
# What the UI said must also be true on disk, for every step that passed.
PASSED=$("$PYTHON" -c 'import json,sys; print(",".join(json.loads(open(sys.argv[1]).read().splitlines()[-1]).get("passed", [])))' "$D/result.json" 2>/dev/null || true)
check() { [[ ",$PASSED," == *,$1,* ]] || return 0; [ -e "$2" ] && return 0
  echo "run_e2e.sh: FAILED: step $1 passed in the UI but $2 is missing" >&2; status=1; }
check install "$SITE/envsense_demo_pkg/__init__.py"
check packages "$SITE/envsense_demo_pkg/__init__.py"
check create "$SITE2/envsense_demo_pkg/__init__.py"
check create "$SITE2/envsense_extra_pkg/__init__.py"
check cancel "$SITE/envsense_dep-2.0.dist-info"
t_end=$(date +%s)
echo "run_e2e.sh: install $((t_install - t0)) s, vsix $((t_vsix - t_install)) s, e2e $((t_end - t_vsix)) s, total $((t_end - t0)) s; artifacts in $ART" >&2
exit "$status"
