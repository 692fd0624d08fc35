/**
 * Stream one file from the model host with progress, speed and ETA, in a way that survives a
 * dropped connection or a closed tab: every chunk is handed to `onChunk` as it arrives (the store
 * persists it), and a later call given those chunks asks only for the rest with `Range: bytes=N-`.
 */
import { HubError, isAbortError } from './errors';
import { isHtml, originOf } from './discover';

export interface DownloadProgress {
  loaded: number;
  /** null when the server did not say how big the file is */
  total: number | null;
  /** recent throughput (bytes received in roughly the last few seconds) */
  bytesPerSec: number;
  /** seconds left at that speed; null when total or speed is unknown */
  etaSec: number | null;
}

export interface DownloadOptions {
  onProgress?(progress: DownloadProgress): void;
  /** Called for each chunk, in order, before the next is read; awaited (back-pressure for the store). */
  onChunk?(chunk: Uint8Array, offset: number): void | Promise<void>;
  /** Called when chunks handed to `onChunk` earlier (or `resumeFrom`) are void: the server started over. */
  onRestart?(): void | Promise<void>;
  /** The validator of the response (ETag), once known, so a resume can check it is the same file. */
  onResponse?(info: { etag: string | null; total: number | null; resumedAt: number }): void | Promise<void>;
  signal?: AbortSignal;
  /** Chunks of this file already stored by an earlier, interrupted download (in order, from byte 0). */
  resumeFrom?: Uint8Array[];
  /** ETag seen when `resumeFrom` was downloaded: a 206 with another ETag is a different file. */
  resumeEtag?: string | null;
  /** for messages: "model X has no file Y" */
  repo?: string;
  file?: string;
  /** injectable for tests; the global fetch otherwise */
  fetch?: typeof fetch;
  /** ms between onProgress calls (the first and last always fire); 100 by default */
  progressIntervalMs?: number;
}

const SPEED_WINDOW_MS = 3000;

/** Download `url` and return its bytes (a fresh, 0-offset array). */
export async function downloadFile(url: string, options: DownloadOptions = {}): Promise<Uint8Array> {
  const doFetch = options.fetch ?? fetch;
  const fileName = options.file ?? url.split('/').pop() ?? url;
  let kept = options.resumeFrom?.filter((c) => c.byteLength > 0) ?? [];
  let start = kept.reduce((n, c) => n + c.byteLength, 0);

  let response = await send(doFetch, url, start, options.signal);
  // 416: we already hold every byte (the previous run died after the last chunk was stored).
  if (response.status === 416 && start > 0) {
    const total = totalFromContentRange(response.headers.get('content-range'));
    if (total === start) {
      const sink = new ByteSink(start);
      for (const c of kept) sink.write(c);
      options.onProgress?.({ loaded: start, total: start, bytesPerSec: 0, etaSec: 0 });
      return sink.bytes();
    }
    await options.onRestart?.();
    kept = [];
    start = 0;
    response = await send(doFetch, url, 0, options.signal);
  }
  checkStatus(response, url, options);

  let offset: number;
  let total: number | null;
  if (response.status === 206) {
    const range = parseContentRange(response.headers.get('content-range'));
    const etag = response.headers.get('etag');
    const sameFile = !options.resumeEtag || !etag || sameEtag(etag, options.resumeEtag);
    if (!range || range.start !== start || !sameFile) {
      // Not the continuation we asked for: drop what we had and fetch the whole file.
      void response.body?.cancel().catch(() => undefined);
      await options.onRestart?.();
      kept = [];
      start = 0;
      response = await send(doFetch, url, 0, options.signal);
      checkStatus(response, url, options);
      offset = 0;
      total = contentLength(response.headers);
    } else {
      offset = start;
      total = range.total;
    }
  } else {
    // 200: the server ignored Range (or there was nothing to resume); start from byte 0.
    if (start > 0) {
      await options.onRestart?.();
      kept = [];
      start = 0;
    }
    offset = 0;
    total = contentLength(response.headers);
  }
  await options.onResponse?.({ etag: response.headers.get('etag'), total, resumedAt: offset });

  if (!response.body) throw new HubError('network', `The model host sent no body for ${fileName}.`);
  const reader = response.body.getReader();
  const sink = new ByteSink(total);
  for (const c of kept) sink.write(c);
  const meter = new SpeedMeter(offset, total, options.onProgress, options.progressIntervalMs ?? 100);
  meter.report(true);
  try {
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (err) {
        throw readFailure(err, url, fileName, offset, total, options.signal);
      }
      if (next.done) break;
      const value = next.value;
      if (value.byteLength === 0) continue;
      if (total !== null && offset + value.byteLength > total) {
        throw new HubError('size-mismatch', `${fileName} is longer than the ${total} bytes the server announced. Try again.`);
      }
      // Errors from onChunk (e.g. StorageFullError) pass through unchanged.
      await options.onChunk?.(value, offset);
      sink.write(value);
      offset += value.byteLength;
      meter.add(value.byteLength);
    }
  } catch (err) {
    void reader.cancel().catch(() => undefined);
    throw err;
  }
  meter.report(true);
  checkLength(offset, total, fileName);
  return sink.bytes();
}

function readFailure(
  err: unknown,
  url: string,
  fileName: string,
  offset: number,
  total: number | null,
  signal: AbortSignal | undefined,
): unknown {
  if (isAbortError(err) || signal?.aborted) return signal?.reason ?? err;
  return new HubError(
    'network',
    `The connection to the model host (${originOf(url)}) dropped after ${formatBytes(offset)}` +
      `${total ? ` of ${formatBytes(total)}` : ''} of ${fileName}. The part received is kept; try again to resume.`,
    { cause: err },
  );
}

function checkLength(loaded: number, total: number | null, fileName: string): void {
  if (total !== null && loaded !== total) {
    throw new HubError(
      'size-mismatch',
      `${fileName} ended after ${loaded} bytes but the server announced ${total}. Try again to resume.`,
    );
  }
}

/**
 * Collects the body. With a known size it writes into one buffer of that size, so a 500 MB file
 * costs 500 MB rather than chunks plus a concatenated copy.
 */
class ByteSink {
  private readonly whole: Uint8Array | null;
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  constructor(total: number | null) {
    this.whole = total !== null ? new Uint8Array(total) : null;
  }

  write(chunk: Uint8Array): void {
    if (this.whole) this.whole.set(chunk, this.length);
    else this.chunks.push(chunk);
    this.length += chunk.byteLength;
  }

  bytes(): Uint8Array {
    if (this.whole) return this.whole;
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    return out;
  }
}

async function send(doFetch: typeof fetch, url: string, start: number, signal?: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = {};
  if (start > 0) headers.Range = `bytes=${start}-`;
  try {
    // no-store: the bytes go into IndexedDB; a second copy in the HTTP cache would double the disk use.
    return await doFetch(url, { headers, signal, redirect: 'follow', cache: 'no-store' });
  } catch (err) {
    if (isAbortError(err) || signal?.aborted) throw signal?.reason ?? err;
    throw new HubError('network', `Could not reach the model host (${originOf(url)}): ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function checkStatus(response: Response, url: string, options: DownloadOptions): void {
  const file = options.file ?? url.split('/').pop() ?? url;
  if (response.status === 404 || response.status === 410) {
    void response.body?.cancel().catch(() => undefined);
    throw new HubError(
      'not-found',
      options.repo ? `Model "${options.repo}" has no file ${file} (404 from ${originOf(url)}).` : `There is no file at ${url} (404).`,
    );
  }
  if (response.status === 401) {
    void response.body?.cancel().catch(() => undefined);
    throw new HubError(
      'not-found',
      `Model "${options.repo ?? url}" was not found on the model host, or it is private or gated (401).`,
    );
  }
  if (!response.ok) {
    void response.body?.cancel().catch(() => undefined);
    throw new HubError('http', `The model host answered ${response.status} ${response.statusText} for ${file}.`);
  }
  if (isHtml(response)) {
    void response.body?.cancel().catch(() => undefined);
    throw new HubError(
      'html',
      `Asked for ${options.repo ? `${options.repo}/` : ''}${file} but the server answered with an HTML page, not the file. ` +
        'A web server does this for a path it does not have (a dev server sends its index.html): ' +
        'the model host address is probably wrong, or the file is missing there.',
    );
  }
}

function contentLength(headers: Headers): number | null {
  // With Content-Encoding the header counts compressed bytes while the stream yields decoded ones.
  const encoding = headers.get('content-encoding');
  if (encoding && encoding !== 'identity') return null;
  const value = headers.get('content-length');
  return value !== null && /^\d+$/.test(value.trim()) ? Number(value) : null;
}

function parseContentRange(value: string | null): { start: number; total: number | null } | null {
  const m = value ? /^bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(value) : null;
  if (!m) return null;
  return { start: Number(m[1]), total: m[3] === '*' ? null : Number(m[3]) };
}

function totalFromContentRange(value: string | null): number | null {
  const m = value ? /\/(\d+)\s*$/.exec(value) : null;
  return m ? Number(m[1]) : null;
}

/** Weak and strong forms of one ETag name the same version for a byte-range resume. */
function sameEtag(a: string, b: string): boolean {
  return a.replace(/^W\//, '') === b.replace(/^W\//, '');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** Speed over a sliding window, so a stall shows quickly and a burst does not linger. */
class SpeedMeter {
  private loaded: number;
  private samples: Array<{ t: number; loaded: number }> = [];
  private lastReport = -Infinity;

  constructor(
    start: number,
    private readonly total: number | null,
    private readonly onProgress: DownloadOptions['onProgress'],
    private readonly intervalMs: number,
  ) {
    this.loaded = start;
    this.samples.push({ t: now(), loaded: start });
  }

  add(bytes: number): void {
    this.loaded += bytes;
    const t = now();
    this.samples.push({ t, loaded: this.loaded });
    while (this.samples.length > 2 && t - this.samples[1].t > SPEED_WINDOW_MS) this.samples.shift();
    this.report(false);
  }

  report(force: boolean): void {
    if (!this.onProgress) return;
    const t = now();
    if (!force && t - this.lastReport < this.intervalMs) return;
    this.lastReport = t;
    const first = this.samples[0];
    const seconds = (t - first.t) / 1000;
    const bytesPerSec = seconds > 0 ? (this.loaded - first.loaded) / seconds : 0;
    const etaSec =
      this.total !== null && bytesPerSec > 0 ? Math.max(0, (this.total - this.loaded) / bytesPerSec) : this.total === this.loaded ? 0 : null;
    this.onProgress({ loaded: this.loaded, total: this.total, bytesPerSec, etaSec });
  }
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
