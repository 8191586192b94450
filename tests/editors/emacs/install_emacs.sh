#!/usr/bin/env bash
# Installs Debian's Emacs (no X) and eglot when missing (the editors tests need them; root only).
# Exits non-zero with the reason when it can't: the test then fails, it is never skipped.
set -euo pipefail
if command -v emacs >/dev/null 2>&1 && ls -d /usr/share/emacs/site-lisp/elpa/eglot-* >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install_emacs.sh: emacs/eglot missing and installing needs root (apt-get install emacs-nox elpa-eglot)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends emacs-nox elpa-eglot >/dev/null
command -v emacs >/dev/null 2>&1 || { echo "install_emacs.sh: emacs-nox installed but emacs not on PATH" >&2; exit 1; }
