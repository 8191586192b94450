#!/usr/bin/env bash
# Installs what the code-server end-to-end test needs, into tests/editors/.cache (gitignored),
# so that a rerun costs seconds: Debian chromium (+ libkrb5-dev and ripgrep for the code-server
# build), code-server 4.100.3 (the newest release that runs on node 20) and playwright-core.
# Any component that cannot be installed fails this script loudly: the e2e never skips silently.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${ENVSENSE_EDITORS_CACHE:-$(cd "$HERE/.." && pwd)/.cache}
CS_VERSION=${CS_VERSION:-4.100.3}
PW_VERSION=${PW_VERSION:-1.65.1}
# @vscode/ripgrep version that code-server $CS_VERSION pulls in (its postinstall downloads rg).
RG_NPM_VERSION=1.15.11
mkdir -p "$CACHE"

die() { echo "install.sh: FAILED: $*" >&2; exit 1; }
t0=$(date +%s)

# 1. Debian packages. chromium drives the UI; libkrb5-dev is needed to build code-server's
#    kerberos module; ripgrep seeds @vscode/ripgrep (its own download needs a host we can't reach).
need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
command -v rg >/dev/null || need_apt+=(ripgrep)
[ -e /usr/include/gssapi/gssapi.h ] || need_apt+=(libkrb5-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || die "apt-get not found; install ${need_apt[*]} by hand"
  echo "install.sh: apt-get install ${need_apt[*]}"
  SUDO=(); [ "$(id -u)" -eq 0 ] || SUDO=(sudo)
  "${SUDO[@]}" apt-get update -qq || die "apt-get update"
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${need_apt[@]}" \
    >/dev/null || die "apt-get install ${need_apt[*]}"
fi
command -v chromium >/dev/null || die "chromium missing after apt-get"

# 2. code-server, built once into the cache.
CS_DIR=$CACHE/code-server-$CS_VERSION
if [ ! -x "$CS_DIR/node_modules/.bin/code-server" ] || ! "$CS_DIR/node_modules/.bin/code-server" --version >/dev/null 2>&1; then
  echo "install.sh: npm install code-server@$CS_VERSION (builds native modules, ~1-2 min)"
  rm -rf "$CS_DIR"
  mkdir -p "$CS_DIR/tmp"
  arch=$(uname -m)
  case "$arch" in
    x86_64) rg_target=x86_64-unknown-linux-musl ;;
    aarch64) rg_target=aarch64-unknown-linux-musl ;;
    *) die "no ripgrep seed for $arch" ;;
  esac
  seed=$CS_DIR/tmp/vscode-ripgrep-cache-$RG_NPM_VERSION
  mkdir -p "$seed/stage"
  cp "$(command -v rg)" "$seed/stage/rg"
  tar czf "$seed/ripgrep-v13.0.0-10-$rg_target.tar.gz" -C "$seed/stage" rg
  (
    cd "$CS_DIR"
    npm init -y >/dev/null
    # We run as root in CI (unsafe_perm); node-pty's postinstall uses npx (yes); the ripgrep
    # postinstall looks in os.tmpdir() for the seed (TMPDIR).
    TMPDIR=$CS_DIR/tmp npm_config_unsafe_perm=true npm_config_yes=true \
      npm install --no-audit --no-fund --foreground-scripts "code-server@$CS_VERSION" > "$CS_DIR/npm-install.log" 2>&1
  ) || { tail -40 "$CS_DIR/npm-install.log" >&2; die "npm install code-server@$CS_VERSION (log: $CS_DIR/npm-install.log)"; }
  "$CS_DIR/node_modules/.bin/code-server" --version >/dev/null || die "code-server does not start"
fi

# 3. playwright-core (drives the Debian chromium; downloads no browser).
PW_DIR=$CACHE/playwright-$PW_VERSION
if [ ! -d "$PW_DIR/node_modules/playwright-core" ]; then
  echo "install.sh: npm install playwright-core@$PW_VERSION"
  mkdir -p "$PW_DIR"
  (cd "$PW_DIR" && npm init -y >/dev/null && npm install --no-audit --no-fund "playwright-core@$PW_VERSION" >/dev/null) \
    || die "npm install playwright-core@$PW_VERSION"
fi

echo "install.sh: ready in $(( $(date +%s) - t0 )) s: $("$CS_DIR/node_modules/.bin/code-server" --version | head -1)"
