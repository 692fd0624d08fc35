#!/usr/bin/env bash
# Installs what the page and its tests need on a fresh Debian machine: npm packages (lockfile),
# and Debian's browsers for the browser tests (never a browser download).
#   --browser  also install, when missing, the three engines the tests drive: Chromium, Firefox
#              ESR, and WebKitGTK's WebKitWebDriver + MiniBrowser, with Xvfb to give WebKit a display
#   --check    install nothing: exit 0 when node_modules matches package-lock.json, 1 when
#              `npm ci` would run (the serve.sh test asks this first, so it never reinstalls)
set -euo pipefail
cd "$(dirname "$0")/.."
# node_modules is stale when package-lock.json changed since `npm ci` ran. Judged by content (a
# hash this script stamps after installing), since a fresh checkout makes every file look new; an
# install without the stamp falls back to comparing times with npm's own record.
STAMP=node_modules/.tweetgpt-lock-sha256
LOCK_HASH=$( (sha256sum package-lock.json 2>/dev/null || shasum -a 256 package-lock.json) | cut -d' ' -f1)
stale() {
  [ ! -d node_modules ] && return 0
  if [ -f "$STAMP" ]; then [ "$(cat "$STAMP")" != "$LOCK_HASH" ]; return; fi
  [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]
}
if [ "${1:-}" = "--check" ]; then
  if stale; then echo "node_modules does not match package-lock.json: bash scripts/setup.sh would run npm ci"; exit 1; fi
  exit 0
fi
if stale; then
  npm ci --no-audit --no-fund
  echo "$LOCK_HASH" > "$STAMP"
fi
if [ "${1:-}" = "--browser" ]; then
  missing=()
  command -v "${CHROMIUM_PATH:-/usr/bin/chromium}" >/dev/null 2>&1 || missing+=(chromium)
  command -v "${FIREFOX_PATH:-/usr/bin/firefox-esr}" >/dev/null 2>&1 || missing+=(firefox-esr)
  command -v WebKitWebDriver >/dev/null 2>&1 || missing+=(webkit2gtk-driver)
  [ -x /usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser ] || [ -x /usr/lib/aarch64-linux-gnu/webkit2gtk-4.1/MiniBrowser ] || missing+=(libwebkit2gtk-4.1-0)
  command -v Xvfb >/dev/null 2>&1 || missing+=(xvfb)
  if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update
    $SUDO apt-get install -y "${missing[@]}"
  fi
fi
