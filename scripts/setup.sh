#!/usr/bin/env bash
# Installs what the page and its tests need on a fresh Debian machine: npm packages (lockfile),
# and Debian's Chromium for the browser tests (never a browser download).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
if [ "${1:-}" = "--browser" ] && ! command -v "${CHROMIUM_PATH:-/usr/bin/chromium}" >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update
  $SUDO apt-get install -y chromium
fi
