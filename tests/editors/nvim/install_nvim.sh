#!/usr/bin/env bash
# Installs Debian's Neovim when `nvim` is missing (the editors tests need it; root only).
# Exits non-zero with the reason when it can't: the test then fails, it is never skipped.
set -euo pipefail
if command -v nvim >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install_nvim.sh: nvim is missing and installing it needs root (apt-get install neovim)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends neovim >/dev/null
command -v nvim >/dev/null 2>&1 || { echo "install_nvim.sh: neovim installed but nvim not on PATH" >&2; exit 1; }
