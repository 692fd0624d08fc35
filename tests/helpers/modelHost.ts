/**
 * A local stand-in for the Hugging Face hub's file server: serves
 * `/<org>/<name>/resolve/<revision>/<file>` (and `/<name>/resolve/...` for legacy names) from
 * folders on disk, with HEAD, byte ranges, ETags, CORS (so a page on another 127.0.0.1 port can
 * fetch it) and a log of every request. Knobs let tests reproduce what real hosts do: the LFS
 * redirect with `x-linked-size`, a connection cut mid-file, a server that ignores Range, a dev
 * server that answers unknown paths with index.html.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve, sep } from 'node:path';

export interface ModelHostRequest {
  method: string;
  path: string;
  range?: string;
}

export interface ModelHostSettings {
  /** answer any missing path with 200 text/html, as a single-page-app dev server does */
  htmlFallback: boolean;
  /** answer ranged GETs with 200 and the whole file, as some servers do */
  ignoreRange: boolean;
  /** redirect weight files (.safetensors, .bin) to /cdn/... with x-linked-size, like the hub's LFS files */
  lfsRedirect: boolean;
  /** answer HEAD with 405, as some static hosts and signed CDN URLs do */
  refuseHead: boolean;
}

export interface ModelHostOptions extends Partial<ModelHostSettings> {
  /** a folder of repos: <root>/<org>/<name>/ (or <root>/<name>/ for a legacy name) */
  root?: string;
  /** repo name -> folder, e.g. { 'test/tiny-gpt2': tinyDir } (checked before root) */
  repos?: Record<string, string>;
  /** 127.0.0.1 by default */
  hostname?: string;
  /** 0 (any free port) by default */
  port?: number;
}

export interface ModelHost {
  /** e.g. http://127.0.0.1:41234 (no trailing slash) */
  url: string;
  /** every request in arrival order; clear it with `requests.length = 0` */
  requests: ModelHostRequest[];
  settings: ModelHostSettings;
  /** The next GET whose path ends with `pathSuffix` sends `bytes` body bytes, then the socket is destroyed. */
  breakAfterBytes(pathSuffix: string, bytes: number): void;
  close(): Promise<void>;
}

const EXPOSED_HEADERS = 'Content-Length, Content-Range, Content-Type, Accept-Ranges, ETag, x-linked-size, x-linked-etag, x-error-code';

const CONTENT_TYPES: Record<string, string> = {
  json: 'application/json; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
};

const INDEX_HTML = '<!doctype html><html><head><title>dev server</title></head><body><div id="app"></div></body></html>\n';

function contentType(file: string): string {
  return CONTENT_TYPES[file.slice(file.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
}

function isLfs(file: string): boolean {
  return /\.(safetensors|bin|h5|msgpack|onnx)$/.test(file);
}

export async function startModelHost(options: ModelHostOptions = {}): Promise<ModelHost> {
  const settings: ModelHostSettings = {
    htmlFallback: options.htmlFallback ?? false,
    ignoreRange: options.ignoreRange ?? false,
    lfsRedirect: options.lfsRedirect ?? false,
    refuseHead: options.refuseHead ?? false,
  };
  const requests: ModelHostRequest[] = [];
  const breaks: Array<{ suffix: string; bytes: number }> = [];

  function repoDir(repo: string): string | null {
    const mapped = options.repos?.[repo];
    if (mapped) return resolve(mapped);
    if (options.root) {
      const dir = resolve(options.root, ...repo.split('/'));
      if (dir.startsWith(resolve(options.root) + sep) && existsSync(dir)) return dir;
    }
    return null;
  }

  /** The file on disk for a repo path, or null (never outside the repo folder). */
  function locate(repo: string, file: string): { path: string; size: number; etag: string } | null {
    const dir = repoDir(repo);
    if (!dir || file.split('/').some((p) => p === '..' || p === '')) return null;
    const path = join(dir, file);
    if (!path.startsWith(dir + sep) || !existsSync(path)) return null;
    const stat = statSync(path);
    if (!stat.isFile()) return null;
    return { path, size: stat.size, etag: `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"` };
  }

  function notFound(res: ServerResponse, method: string, message: string): void {
    if (settings.htmlFallback) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(INDEX_HTML) });
      res.end(method === 'HEAD' ? undefined : INDEX_HTML);
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'x-error-code': 'EntryNotFound' });
    res.end(method === 'HEAD' ? undefined : message);
  }

  function serveFile(req: IncomingMessage, res: ServerResponse, urlPath: string, file: { path: string; size: number; etag: string }, name: string): void {
    const method = req.method ?? 'GET';
    const headers: Record<string, string | number> = {
      'Content-Type': contentType(name),
      'Accept-Ranges': 'bytes',
      ETag: file.etag,
    };
    let start = 0;
    let end = file.size - 1;
    let status = 200;
    const range = req.headers.range;
    if (range && !settings.ignoreRange) {
      const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
      if (m && (m[1] !== '' || m[2] !== '')) {
        if (m[1] === '') {
          start = Math.max(0, file.size - Number(m[2]));
        } else {
          start = Number(m[1]);
          if (m[2] !== '') end = Math.min(end, Number(m[2]));
        }
        if (start >= file.size || start > end) {
          res.writeHead(416, { ...headers, 'Content-Range': `bytes */${file.size}` });
          res.end();
          return;
        }
        status = 206;
        headers['Content-Range'] = `bytes ${start}-${end}/${file.size}`;
      }
    }
    const length = end - start + 1;
    headers['Content-Length'] = length;
    res.writeHead(status, headers);
    if (method === 'HEAD' || length === 0) {
      res.end();
      return;
    }
    const cut = method === 'GET' ? breaks.findIndex((b) => urlPath.endsWith(b.suffix)) : -1;
    if (cut !== -1) {
      const { bytes } = breaks.splice(cut, 1)[0];
      const stream = createReadStream(file.path, { start, end: Math.min(end, start + bytes - 1) });
      stream.on('data', (chunk) => res.write(chunk));
      // Let the bytes reach the client and be read, then drop the connection mid-body.
      stream.on('end', () => res.write('', () => setTimeout(() => res.socket?.destroy(), 50)));
      return;
    }
    createReadStream(file.path, { start, end }).pipe(res);
  }

  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://localhost');
    const range = req.headers.range;
    requests.push(range ? { method, path: url.pathname, range } : { method, path: url.pathname });

    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    if (method === 'OPTIONS') {
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
        'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] ?? 'Range, If-Range, Content-Type',
        'Access-Control-Max-Age': '600',
      });
      res.end();
      return;
    }
    if ((method !== 'GET' && method !== 'HEAD') || (method === 'HEAD' && settings.refuseHead)) {
      res.writeHead(405, { Allow: 'GET, HEAD, OPTIONS' });
      res.end();
      return;
    }

    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      notFound(res, method, 'Bad path');
      return;
    }
    const cdn = /^\/cdn\/(.+?)\/~\/(.+)$/.exec(path);
    if (cdn) {
      const file = locate(cdn[1], cdn[2]);
      if (!file) notFound(res, method, 'Entry not found');
      else serveFile(req, res, url.pathname, file, cdn[2]);
      return;
    }
    const m = /^\/(.+?)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (!m) {
      notFound(res, method, 'Not found');
      return;
    }
    const [, repo, revision, name] = m;
    if (!repoDir(repo)) {
      if (settings.htmlFallback) notFound(res, method, '');
      else {
        // What the hub answers for a repo it does not have (or will not show).
        res.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8', 'x-error-code': 'RepoNotFound' });
        res.end(method === 'HEAD' ? undefined : 'Repository not found');
      }
      return;
    }
    const file = locate(repo, name);
    if (!file) {
      notFound(res, method, 'Entry not found');
      return;
    }
    if (settings.lfsRedirect && isLfs(name)) {
      res.writeHead(302, {
        Location: `/cdn/${repo.split('/').map(encodeURIComponent).join('/')}/~/${name.split('/').map(encodeURIComponent).join('/')}?rev=${encodeURIComponent(revision)}`,
        'x-linked-size': file.size,
        'x-linked-etag': file.etag,
        'Content-Length': 0,
      });
      res.end();
      return;
    }
    serveFile(req, res, url.pathname, file, name);
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, options.hostname ?? '127.0.0.1', () => ok());
  });
  const address = server.address() as AddressInfo;

  return {
    url: `http://${options.hostname ?? '127.0.0.1'}:${address.port}`,
    requests,
    settings,
    breakAfterBytes(pathSuffix: string, bytes: number) {
      breaks.push({ suffix: pathSuffix, bytes });
    },
    close() {
      return new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      });
    },
  };
}
