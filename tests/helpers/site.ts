/**
 * The test site: serves the built `dist/` and, under `/hf`, a model host with the Hugging Face URL
 * layout (`/hf/<org>/<repo>/resolve/<revision>/<file>`) backed by folders such as the shared
 * tiny-gpt2 fixture. Same origin as the page, so the page's strict CSP (`connect-src 'self' …`)
 * holds in tests exactly as for users. Every request is logged (method, path, body size) so tests
 * can count what the page asked for and prove what it never sent.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';
import { repoRoot, tinyDir } from './fixtures';

export interface LoggedRequest {
  method: string;
  path: string;
  host: string;
  range: string | null;
  body: Buffer;
}

export interface SiteOptions {
  /** Folder to serve at `/` (default: dist/). */
  root?: string;
  /** Send COOP/COEP so wasm can use threads (default true). */
  isolation?: boolean;
  /** Repos the model host serves: `org/name` → folder. Default: `test/tiny-gpt2` → the fixture. */
  repos?: Record<string, string>;
  port?: number;
  /** Paths (of the site, not the model host) whose requests are never answered: a start that hangs. */
  hold?: RegExp;
  /** The first request for a matching path with this `Sec-Fetch-Dest` is never answered; later ones are (a worker that never starts, once). */
  holdFirst?: { path: RegExp; dest: string };
}

export interface Site {
  url: string;
  /** Base URL of the model host (pass as `?host=`). */
  hostUrl: string;
  requests: LoggedRequest[];
  /** Model-host requests only. */
  modelRequests(): LoggedRequest[];
  /** Makes the next downloads of `file` fail after `bytes` bytes (a broken connection). */
  breakFile(file: string, bytes: number): void;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.zip': 'application/zip',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

export async function startSite(opts: SiteOptions = {}): Promise<Site> {
  const root = resolve(opts.root ?? join(repoRoot, 'dist'));
  const repos = opts.repos ?? { 'test/tiny-gpt2': tinyDir };
  const isolation = opts.isolation ?? true;
  const requests: LoggedRequest[] = [];
  const breaks = new Map<string, number>();
  let holdFirst = opts.holdFirst;
  const siteHeaders = readHeadersFile(join(root, '_headers'));

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      requests.push({ method: req.method ?? 'GET', path: url.pathname, host: req.headers.host ?? '', range: req.headers.range ?? null, body: Buffer.concat(chunks) });
      // The built site's `_headers` (CSP, COOP/COEP), as a static host that reads that file sends them.
      for (const [k, v] of siteHeaders) if (isolation || !k.startsWith('Cross-Origin')) res.setHeader(k, v);
      res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
      if (url.pathname.startsWith('/hf/')) return serveModel(req, res, decodeURIComponent(url.pathname.slice(4)));
      if (opts.hold?.test(url.pathname)) return; // never answered; the socket closes with the server
      if (holdFirst && holdFirst.path.test(url.pathname) && req.headers['sec-fetch-dest'] === holdFirst.dest) {
        holdFirst = undefined;
        return;
      }
      return serveStatic(res, url.pathname);
    });
  });

  const serveStatic = (res: ServerResponse, pathname: string) => {
    let file = normalize(join(root, decodeURIComponent(pathname)));
    if (!file.startsWith(root)) return send(res, 403, 'forbidden');
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) return send(res, 404, 'not found');
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': statSync(file).size, 'Cache-Control': 'no-cache' });
    createReadStream(file).pipe(res);
  };

  const serveModel = (req: IncomingMessage, res: ServerResponse, rest: string) => {
    // <org>/<repo>/resolve/<revision>/<file>  or  <repo>/resolve/<revision>/<file> (legacy names)
    const m = /^(.+?)\/resolve\/([^/]+)\/(.+)$/.exec(rest);
    const dir = m ? repos[m[1]] : undefined;
    if (!m || !dir) return send(res, 404, 'Repository not found', { 'X-Error-Code': 'RepoNotFound' });
    const file = normalize(join(dir, m[3]));
    if (!file.startsWith(resolve(dir)) || !existsSync(file) || statSync(file).isDirectory()) return send(res, 404, 'Entry not found', { 'X-Error-Code': 'EntryNotFound' });
    const size = statSync(file).size;
    const headers: Record<string, string | number> = { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Accept-Ranges': 'bytes', ETag: `"${size}-${statSync(file).mtimeMs}"` };
    if (req.method === 'HEAD') {
      res.writeHead(200, { ...headers, 'Content-Length': size });
      return res.end();
    }
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    let start = 0;
    let end = size - 1;
    if (range) {
      start = Number(range[1]);
      if (range[2]) end = Math.min(end, Number(range[2]));
      if (start > end) return send(res, 416, 'range not satisfiable', { 'Content-Range': `bytes */${size}` });
      res.writeHead(206, { ...headers, 'Content-Length': end - start + 1, 'Content-Range': `bytes ${start}-${end}/${size}` });
    } else res.writeHead(200, { ...headers, 'Content-Length': size });
    const cut = breaks.get(m[3]);
    if (cut !== undefined && !range) {
      // Simulate a broken connection: send the first `cut` bytes, then drop the socket.
      breaks.delete(m[3]);
      res.write(readFileSync(file).subarray(0, cut), () => res.destroy());
      return;
    }
    createReadStream(file, { start, end }).pipe(res);
  };

  await new Promise<void>((r) => server.listen(opts.port ?? 0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/`;
  return {
    url,
    hostUrl: `${url}hf`,
    requests,
    modelRequests: () => requests.filter((r) => r.path.startsWith('/hf/')),
    breakFile: (file, bytes) => breaks.set(file, bytes),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** The `/*` block of a Netlify-style `_headers` file. */
function readHeadersFile(path: string): Array<[string, string]> {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => /^\s+\S+:/.test(l))
    .map((l) => {
      const i = l.indexOf(':');
      return [l.slice(0, i).trim(), l.slice(i + 1).trim()] as [string, string];
    });
}

function send(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  res.end(text);
}
