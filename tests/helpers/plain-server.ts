/**
 * A static file server that sends no headers beyond Content-Type and Content-Length: what GitHub
 * Pages-like hosts give (no COOP/COEP, no CSP header, `_headers` ignored). Counts page loads, so a
 * test can see the service worker's one reload.
 */
import { createServer } from 'node:http';
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';
import { repoRoot } from './fixtures';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.zip': 'application/zip',
  '.webmanifest': 'application/manifest+json',
};

export interface PlainServer {
  url: string;
  /** Requests for the page itself (`/` or `/index.html`), from the network, in order. */
  pageLoads: number;
  close(): Promise<void>;
}

export async function startPlainServer(root = join(repoRoot, 'dist')): Promise<PlainServer> {
  const dir = resolve(root);
  const state = { pageLoads: 0 };
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = normalize(join(dir, path));
    if (!file.startsWith(dir)) return void res.writeHead(403).end();
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) return void res.writeHead(404).end();
    if (file === join(dir, 'index.html')) state.pageLoads++;
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': statSync(file).size });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url,
    get pageLoads() {
      return state.pageLoads;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
