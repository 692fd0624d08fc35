#!/usr/bin/env bash
# Installs, builds and serves the page on http://127.0.0.1:4173 with the cross-origin isolation
# headers (wasm threads). Set PORT to change the port. Builds only when the sources changed since
# dist/ was built (scripts/build-stamp.ts), so a page served from dist/ never sees it rebuilt.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsx scripts/build-stamp.ts --fresh || npm run build
exec npx vite preview --host 127.0.0.1 --port "${PORT:-4173}" --strictPort
