import { defineConfig, type Plugin } from 'vite';

/**
 * Cross-origin isolation (COOP + COEP) lets the wasm backend use threads (SharedArrayBuffer).
 * The dev and preview servers send the headers; static hosts get them from public/_headers
 * (Netlify, Cloudflare Pages) or run single-threaded, which the page says.
 */
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

function crossOriginIsolation(): Plugin {
  const addHeaders = (server: { middlewares: { use: (fn: (req: unknown, res: { setHeader(k: string, v: string): void }, next: () => void) => void) => void } }) =>
    server.middlewares.use((_req, res, next) => {
      for (const [k, v] of Object.entries(isolationHeaders)) res.setHeader(k, v);
      next();
    });
  return { name: 'cross-origin-isolation', configureServer: addHeaders, configurePreviewServer: addHeaders };
}

export default defineConfig({
  // Relative asset URLs: dist/ works from any static host under any base path.
  base: './',
  plugins: [crossOriginIsolation()],
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 4096,
    // Vite 8's default (oxc) minifier breaks a module of the worker bundle ("e is not defined" at start-up).
    minify: 'esbuild',
  },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
