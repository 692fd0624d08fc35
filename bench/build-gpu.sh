#!/usr/bin/env bash
# Bundle bench/gpu.ts into one ES module for Node (the device machine has no node_modules).
# usage: bash bench/build-gpu.sh [OUT]   (default .gpu-kit/bench.mjs; make the kit with ../shared/gpu/make-kit.sh)
#  --main-fields=module,main: the tfjs packages' ES builds, so every backend registers with the one engine;
#  --loader:.wasm=empty: src/engine/backend imports the wasm binaries as `?url` assets, unused in Node;
#  the banner: tfjs-core's Node platform calls require('util').
set -euo pipefail
out=${1:-.gpu-kit/bench.mjs}
npx esbuild bench/gpu.ts --bundle --platform=node --format=esm --main-fields=module,main \
  --loader:.wasm=empty --log-level=warning --outfile="$out" \
  "--banner:js=import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);"
echo "bundled $out ($(du -h "$out" | cut -f1))"
