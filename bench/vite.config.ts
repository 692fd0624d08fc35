/**
 * Builds the benchmark page (bench/index.html, page.ts, bench.worker.ts) into .tmp/bench-dist,
 * never into the product's dist/. Same choices as the product build where they matter: relative
 * base, es-module workers, esbuild minifier (vite 8's oxc minifier breaks the tfjs worker bundle).
 * `_headers` makes the test site send COOP/COEP, so the wasm backend gets its threads.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

function isolationHeaders(): Plugin {
  return {
    name: 'bench-isolation-headers',
    generateBundle() {
      const source = ['/*', '  Cross-Origin-Opener-Policy: same-origin', '  Cross-Origin-Embedder-Policy: require-corp', ''].join('\n');
      this.emitFile({ type: 'asset', fileName: '_headers', source });
    },
  };
}

export default defineConfig({
  root: here,
  base: './',
  publicDir: false,
  logLevel: 'error',
  plugins: [isolationHeaders()],
  worker: { format: 'es' },
  build: {
    outDir: fileURLToPath(new URL('../.tmp/bench-dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    minify: 'esbuild',
    chunkSizeWarningLimit: 8192,
    reportCompressedSize: false,
  },
});
