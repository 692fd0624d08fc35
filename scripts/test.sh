#!/usr/bin/env bash
# Every test: installs first, then type-check, unit tests (Node, tfjs cpu), build, and the
# end-to-end tests in Debian's Chromium (WebGPU on SwiftShader, WebGL, wasm), Firefox ESR and WebKitGTK.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
npm test
