/**
 * Builds the parity page (tests/browser) into .tmp/browser-tests, which tests/e2e/parity.e2e.ts
 * serves with the test site (its `/hf/...` model host serves the tiny fixture):
 *   npx vite build --config tests/browser/vite.config.ts
 */
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));
export const parityOutDir = fileURLToPath(new URL('../../.tmp/browser-tests', import.meta.url));

/** COOP/COEP as the product's `_headers`, so the wasm backend runs threaded as it does for users. */
function isolationHeaders(): Plugin {
  return {
    name: 'parity-isolation-headers',
    generateBundle() {
      const source = '/*\n  Cross-Origin-Opener-Policy: same-origin\n  Cross-Origin-Embedder-Policy: require-corp\n';
      this.emitFile({ type: 'asset', fileName: '_headers', source });
    },
  };
}

export default defineConfig({
  root: here,
  base: './',
  // No public/ folder here: the repo's public/ (service worker icons, sample archive) is the product's.
  publicDir: false,
  plugins: [isolationHeaders()],
  worker: { format: 'es' },
  build: {
    outDir: parityOutDir,
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 8192,
    // Vite 8's default (oxc) minifier breaks the tfjs worker bundle ("e is not defined" at start-up).
    minify: 'esbuild',
  },
  logLevel: 'warn',
});
