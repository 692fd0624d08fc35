/**
 * Find out which files a repo has, and how big they are, with plain HEAD/GET requests on the
 * /resolve/ URLs: the hub's JSON API may not be reachable (a local mirror, a test host), while any
 * static server that mirrors the layout answers these.
 */
import { HubError } from './errors';
import { chooseModelFiles, fileUrl, hubLocation, type HubLocation, type WeightsFormat } from './urls';

export interface ProbeOptions {
  signal?: AbortSignal;
  /** injectable for tests; the global fetch otherwise */
  fetch?: typeof fetch;
}

export interface ProbeResult {
  /** 'html': the server answered an HTML page, as dev servers do for any unknown path */
  status: 'ok' | 'missing' | 'html';
  /** bytes, when the server says; null when it does not */
  size: number | null;
  etag: string | null;
  /** HTTP status of the final answer */
  httpStatus: number;
}

/**
 * HEAD a file. On the Hugging Face hub a HEAD of /resolve/ on a large (LFS) file redirects to a
 * CDN; fetch follows it, and `x-linked-size` (sent with the redirect, and kept by some proxies) or
 * the CDN's `content-length` gives the size. Hosts that refuse HEAD (405, or a signed CDN URL
 * that only allows GET: 403) are asked again with a one-byte ranged GET.
 */
export async function probeFile(url: string, options: ProbeOptions = {}): Promise<ProbeResult> {
  const doFetch = options.fetch ?? fetch;
  let response = await request(doFetch, url, { method: 'HEAD', signal: options.signal });
  if (response.status === 405 || response.status === 501 || response.status === 403) {
    response = await request(doFetch, url, { method: 'GET', headers: { Range: 'bytes=0-0' }, signal: options.signal });
    void response.body?.cancel().catch(() => undefined);
  }
  const etag = response.headers.get('etag');
  if (response.status === 404 || response.status === 410) return { status: 'missing', size: null, etag, httpStatus: response.status };
  if (response.status === 401) {
    throw new HubError('not-found', `${describeRepoOf(url)} was not found on the model host, or it is private or gated (the host answered 401).`);
  }
  if (!response.ok) {
    throw new HubError('http', `The model host answered ${response.status} ${response.statusText} for ${url}.`);
  }
  if (isHtml(response)) return { status: 'html', size: null, etag, httpStatus: response.status };
  return { status: 'ok', size: sizeFromHeaders(response.headers), etag, httpStatus: response.status };
}

/** Download size of one file before downloading it, or null when the server does not say. */
export async function sizeOf(url: string, options: ProbeOptions = {}): Promise<number | null> {
  const probe = await probeFile(url, options);
  if (probe.status === 'missing') throw new HubError('not-found', `There is no file at ${url}.`);
  return probe.size;
}

export function sizeFromHeaders(headers: Headers): number | null {
  const linked = numberOrNull(headers.get('x-linked-size'));
  if (linked !== null) return linked;
  const range = headers.get('content-range'); // "bytes 0-0/6586480" from the ranged fallback
  const total = range ? /\/(\d+)\s*$/.exec(range) : null;
  if (total) return Number(total[1]);
  // A compressed body's content-length is the compressed size, not the file's.
  const encoding = headers.get('content-encoding');
  if (encoding && encoding !== 'identity') return null;
  return numberOrNull(headers.get('content-length'));
}

function numberOrNull(value: string | null): number | null {
  if (value === null || !/^\d+$/.test(value.trim())) return null;
  return Number(value);
}

export function isHtml(response: Response): boolean {
  return (response.headers.get('content-type') ?? '').toLowerCase().includes('text/html');
}

async function request(doFetch: typeof fetch, url: string, init: RequestInit): Promise<Response> {
  try {
    return await doFetch(url, { ...init, redirect: 'follow', cache: 'no-store' });
  } catch (err) {
    if ((err as { name?: string }).name === 'AbortError') throw err;
    throw new HubError('network', `Could not reach the model host (${originOf(url)}): ${(err as Error).message}`, { cause: err });
  }
}

export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

function describeRepoOf(url: string): string {
  const m = /^https?:\/\/[^/]+\/(.+?)\/resolve\//.exec(url);
  return m ? `Model "${decodeURIComponent(m[1])}"` : url;
}

// ---- a whole repo -------------------------------------------------------------------------------

export interface RepoFile {
  name: string;
  size: number | null;
  etag: string | null;
}

export interface RepoPlan {
  repo: string;
  location: HubLocation;
  files: RepoFile[];
  weightsFormat: WeightsFormat;
  /** sum of known sizes; null if any size is unknown */
  totalBytes: number | null;
  /** files fetched whole during discovery (the shard index), so they need not be fetched twice */
  prefetched: Record<string, Uint8Array>;
}

/**
 * Work out the files of a GPT-2 repo by probing in preference order and falling back on 404:
 * model.safetensors, else the sharded index and its shards, else pytorch_model.bin; tokenizer.json,
 * else vocab.json + merges.txt; plus the optional configs.
 */
export async function discoverRepoFiles(
  repo: string,
  options: ProbeOptions & { location?: Partial<HubLocation> } = {},
): Promise<RepoPlan> {
  const location = hubLocation(options.location);
  const probes = new Map<string, ProbeResult>();
  const htmlAnswers: string[] = [];
  const prefetched: Record<string, Uint8Array> = {};

  const has = async (name: string): Promise<boolean> => {
    let probe = probes.get(name);
    if (!probe) {
      probe = await probeFile(fileUrl(repo, name, location), options);
      probes.set(name, probe);
      if (probe.status === 'html') htmlAnswers.push(name);
    }
    return probe.status === 'ok';
  };
  const read = async (name: string): Promise<Uint8Array> => {
    const url = fileUrl(repo, name, location);
    const response = await request(options.fetch ?? fetch, url, { signal: options.signal });
    if (!response.ok) throw new HubError('http', `The model host answered ${response.status} for ${url}.`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    prefetched[name] = bytes;
    return bytes;
  };

  // config.json first: a 404 there means the repo (or revision) is not there at all.
  if (!(await has('config.json'))) {
    const probe = probes.get('config.json')!;
    if (probe.status === 'html') throw htmlError(repo, 'config.json', location);
    throw new HubError(
      'not-found',
      `Model "${repo}" has no file config.json on ${location.host} (revision ${location.revision}). ` +
        'Check the model name; it must be a GPT-2 model repository.',
    );
  }

  const choice = await chooseModelFiles({ has, read });
  if (choice.missing.length > 0 || choice.weightsFormat === null) {
    if (htmlAnswers.length > 0) throw htmlError(repo, htmlAnswers[0], location);
    throw new HubError(
      'not-found',
      `Model "${repo}" has no ${choice.missing.join(', no ')} on ${location.host}, so it cannot be loaded as a GPT-2.`,
    );
  }

  const files = choice.files.map((name) => {
    const probe = probes.get(name);
    return { name, size: prefetched[name]?.byteLength ?? probe?.size ?? null, etag: probe?.etag ?? null };
  });
  const totalBytes = files.every((f) => f.size !== null) ? files.reduce((s, f) => s + (f.size ?? 0), 0) : null;
  return { repo, location, files, weightsFormat: choice.weightsFormat, totalBytes, prefetched };
}

export function htmlError(repo: string, file: string, location: HubLocation): HubError {
  return new HubError(
    'html',
    `Asked ${location.host} for ${repo}/${file} but got an HTML page instead of the file. ` +
      'A web server answers this way for a path it does not have (a dev server sends its index.html): ' +
      'the model host address is probably wrong, or the file is missing there.',
  );
}
