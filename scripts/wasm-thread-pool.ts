/**
 * A build-time fix for tfjs-backend-wasm 4.22's threaded build: its Emscripten glue starts a pool of
 * 8 pthread workers at `setBackend('wasm')` whatever thread count is set, and waits until every one
 * has loaded. Firefox sometimes never starts some of them (about 4 launches in 10 here), and the
 * backend's start never settles. The pool is made the size of the threads actually used: the glue
 * reads `globalThis.__tfjsWasmPthreadPoolSize` (set by src/engine/backend.ts before the start) and
 * keeps 8 when it is unset. Applied to the build and to vite's dev pre-bundling alike; a tfjs
 * upgrade that changes the glue fails the build here instead of silently losing the fix.
 */
import type { Plugin } from 'vite';

const ORIGINAL = 'var pthreadPoolSize=8;';
const PATCHED = 'var pthreadPoolSize=(typeof globalThis!="undefined"&&globalThis.__tfjsWasmPthreadPoolSize)||8;';
const GLUE = /tfjs-backend-wasm[\\/](wasm-out[\\/]tfjs-backend-wasm-threaded-simd|dist[\\/]tf-backend-wasm\.(fesm|es2017))(\.min)?\.js$/;

/** The glue with its pool sized from the global; throws when the glue no longer has the line. */
export function patchPthreadPool(code: string, id: string): string {
  if (code.includes(PATCHED)) return code;
  if (!code.includes(ORIGINAL)) throw new Error(`wasm-thread-pool: "${ORIGINAL}" not found in ${id}; tfjs-backend-wasm changed, revisit scripts/wasm-thread-pool.ts`);
  return code.replace(ORIGINAL, PATCHED);
}

/** The vite (and rolldown pre-bundling) plugin. */
export function wasmThreadPool(): Plugin {
  return {
    name: 'tfjs-wasm-thread-pool',
    enforce: 'pre',
    transform(code, id) {
      if (!GLUE.test(id.split('?')[0])) return null;
      return { code: patchPthreadPool(code, id), map: null };
    },
  };
}
