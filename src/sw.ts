/**
 * The service worker: precaches the built app (it opens offline once visited) and serves this
 * site's own pages and worker scripts with the cross-origin isolation headers (COOP + COEP).
 *
 * Why: wasm threads need a cross-origin-isolated page, and static hosts such as GitHub Pages cannot
 * send headers. A page answered by this worker gets them anyway (the coi-serviceworker pattern):
 * the first visit, which the worker does not control yet, reloads once (src/ui/isolation.ts).
 * The Content-Security-Policy is kept: headers the host sent stay, and where it sent none the
 * build's policy (the page's meta tag, `__CSP__`) is added, which also covers the engine worker's
 * script (a meta tag reaches only the page). Model downloads and other requests pass through.
 *
 * Built by vite-plugin-pwa (`strategies: 'injectManifest'`), which fills `self.__WB_MANIFEST`.
 */
import { clientsClaim } from 'workbox-core';
import { addPlugins, cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { NetworkOnly } from 'workbox-strategies';
import type { WorkboxPlugin } from 'workbox-core/types';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<{ url: string; revision: string | null } | string> };
/** The build's Content-Security-Policy (vite.config.ts `define`). */
declare const __CSP__: string | undefined;
const CSP = typeof __CSP__ === 'string' ? __CSP__ : '';

const ISOLATION_HEADERS: Record<string, string> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** The same response with the isolation headers added (an opaque or errored one cannot be rebuilt). */
function withIsolation(response: Response): Response {
  if (response.status === 0 || response.type === 'opaque' || response.type === 'opaqueredirect') return response;
  const headers = new Headers(response.headers);
  for (const [k, v] of Object.entries(ISOLATION_HEADERS)) headers.set(k, v);
  // Pages and scripts (a worker's CSP comes from its script's response) get the policy if the host sent none.
  const type = headers.get('Content-Type') ?? '';
  if (CSP && !headers.has('Content-Security-Policy') && /html|javascript/.test(type)) headers.set('Content-Security-Policy', CSP);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

const isolate: WorkboxPlugin = { handlerWillRespond: async ({ response }) => withIsolation(response) };

// The new worker takes over at once (the page reloads once to be served by it).
void self.skipWaiting();
clientsClaim();
cleanupOutdatedCaches();

addPlugins([isolate]);
precacheAndRoute(self.__WB_MANIFEST);

// Any address of the app (`/?host=…&backend=…`) is the precached page; the test model host is not.
registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html'), { denylist: [/\/hf\//] }));

// Same-origin pages and worker scripts not precached (a newer deploy, the test host's pages).
registerRoute(
  ({ request, url }) => url.origin === self.location.origin && (request.mode === 'navigate' || request.destination === 'worker' || request.destination === 'sharedworker'),
  new NetworkOnly({ plugins: [isolate] }),
);
