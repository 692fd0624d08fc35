import { defineConfig, loadEnv, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { wasmThreadPool } from './scripts/wasm-thread-pool';
import { buildStamp } from './scripts/build-stamp';

/**
 * Cross-origin isolation (COOP + COEP) lets the wasm backend use threads (SharedArrayBuffer).
 * The dev and preview servers send the headers; static hosts get them from the built `_headers`
 * (Netlify, Cloudflare Pages) or, where a host sends no headers (GitHub Pages), from the service
 * worker (src/sw.ts), which re-serves the page with them after one reload.
 */
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

function crossOriginIsolation(): Plugin {
  // Returns nothing on purpose: vite calls a function returned from these hooks as a post-hook
  // (which crashed `vite preview` and `vite dev` with "reading 'url'").
  const addHeaders = (server: { middlewares: { use: (fn: (req: unknown, res: { setHeader(k: string, v: string): void }, next: () => void) => void) => unknown } }): void => {
    server.middlewares.use((_req, res, next) => {
      for (const [k, v] of Object.entries(isolationHeaders)) res.setHeader(k, v);
      next();
    });
  };
  return { name: 'cross-origin-isolation', configureServer: addHeaders, configurePreviewServer: addHeaders };
}

/**
 * The Content-Security-Policy, as a meta tag so any static host applies it: scripts, workers and
 * wasm only from this site (plus the blob: URLs the wasm backend makes for its thread workers),
 * network only to this site and the model host(s). No inline scripts, no third-party anything.
 */
export function contentSecurityPolicy(modelHosts: string[]): string {
  return [
    "default-src 'self'",
    // blob: only for the wasm backend's thread workers, which load the backend from a blob URL.
    "script-src 'self' 'wasm-unsafe-eval' blob:",
    "worker-src 'self' blob:",
    `connect-src 'self' ${modelHosts.join(' ')}`,
    "img-src 'self' data: blob:",
    "style-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'none'",
  ].join('; ');
}

/** The hosts the page may download models from: the configured host, and the hub's file CDNs. */
export function modelHostsFor(host: string): string[] {
  const origin = new URL(host).origin;
  return origin === 'https://huggingface.co' ? [origin, 'https://*.huggingface.co', 'https://*.hf.co'] : [origin];
}

/**
 * The CSP goes in a meta tag (any static host) and, with the isolation headers, in `_headers`
 * (Netlify / Cloudflare Pages format), which also covers the worker: a meta tag does not reach it.
 * The test site serves `_headers` as real headers, so tests see what users of such hosts get.
 */
function securityHeaders(modelHosts: string[]): Plugin {
  const csp = contentSecurityPolicy(modelHosts);
  return {
    name: 'security-headers',
    transformIndexHtml: {
      order: 'post',
      handler: (html) => html.replace('<meta charset="utf-8" />', `<meta charset="utf-8" />\n    <meta http-equiv="Content-Security-Policy" content="${csp}" />`),
    },
    generateBundle() {
      const lines = ['/*', ...Object.entries({ ...isolationHeaders, 'Content-Security-Policy': csp }).map(([k, v]) => `  ${k}: ${v}`)];
      this.emitFile({ type: 'asset', fileName: '_headers', source: lines.join('\n') + '\n' });
    },
  };
}

export default defineConfig(({ mode }) => {
  const env = loadEnv(mode, process.cwd(), 'VITE_');
  const modelHosts = modelHostsFor(env.VITE_MODEL_HOST || 'https://huggingface.co');
  return {
  // Relative asset URLs: dist/ works from any static host under any base path.
  base: './',
  plugins: [
    wasmThreadPool(),
    crossOriginIsolation(),
    // Dev keeps the CSP off: vite's client injects inline scripts and a websocket.
    ...(mode === 'production' ? [securityHeaders(modelHosts), buildStamp()] : []),
    // The app shell works offline once visited: a service worker precaches every built asset.
    VitePWA({
      // Our own worker (src/sw.ts): it precaches like the generated one and also gives the page the
      // cross-origin isolation headers on hosts that cannot send them (GitHub Pages).
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      registerType: 'autoUpdate',
      injectRegister: 'script',
      manifest: {
        name: 'tweetgpt',
        short_name: 'tweetgpt',
        description: 'A GPT-2 that writes like you, trained in your browser from your Twitter/X archive.',
        theme_color: '#1d9bf0',
        background_color: '#f7f9fa',
        icons: [{ src: 'favicon.svg', sizes: 'any', type: 'image/svg+xml' }],
      },
      injectManifest: {
        globPatterns: ['**/*.{js,css,html,wasm,svg,zip,webmanifest}'],
        maximumFileSizeToCacheInBytes: 16 * 1024 * 1024,
        // esbuild, as for the app: vite 8's default minifier broke a worker bundle here.
        minify: 'esbuild',
      },
    }),
  ],
  // The service worker (src/sw.ts) adds the same CSP to the pages and scripts it serves.
  define: mode === 'production' ? { __CSP__: JSON.stringify(contentSecurityPolicy(modelHosts)) } : {},
  // The engine worker is bundled by its own plugin pipeline: it needs the pool fix too.
  worker: { format: 'es', plugins: () => [wasmThreadPool()] },
  // `vite dev` pre-bundles tfjs-backend-wasm: the fix goes into that bundle as well.
  optimizeDeps: { rolldownOptions: { plugins: [wasmThreadPool()] } },
  build: {
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 4096,
    // Vite 8's default (oxc) minifier breaks a module of the worker bundle ("e is not defined" at start-up).
    minify: 'esbuild',
  },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  };
});
