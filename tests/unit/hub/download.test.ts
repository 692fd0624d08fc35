import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { discoverRepoFiles, probeFile, sizeOf } from '../../../src/hub/discover';
import { downloadFile, type DownloadProgress } from '../../../src/hub/download';
import { HubError } from '../../../src/hub/errors';
import { fileUrl } from '../../../src/hub/urls';
import { tinyDir, tinyFile } from '../../helpers/fixtures';
import { startModelHost, type ModelHost } from '../../helpers/modelHost';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const REPO = 'test/tiny-gpt2';
const weights = tinyFile('model.safetensors');

let host: ModelHost;
const emptyDir = mkdtempSync(join(tmpdir(), 'tweetgpt-empty-'));

beforeAll(async () => {
  host = await startModelHost({ repos: { [REPO]: tinyDir, 'test/empty': emptyDir } });
});
afterAll(() => host.close());
beforeEach(() => {
  host.requests.length = 0;
  host.settings.htmlFallback = false;
  host.settings.ignoreRange = false;
  host.settings.lfsRedirect = false;
  host.settings.refuseHead = false;
});

async function caught(p: Promise<unknown>): Promise<HubError> {
  try {
    await p;
  } catch (err) {
    return err as HubError;
  }
  throw new Error('expected a rejection');
}

describe('downloadFile', () => {
  it('streams the file with monotonic progress ending at the true size', async () => {
    const events: DownloadProgress[] = [];
    const chunks: Array<[number, number]> = [];
    const bytes = await downloadFile(fileUrl(REPO, 'model.safetensors', { host: host.url }), {
      progressIntervalMs: 0,
      onProgress: (p) => events.push(p),
      onChunk: (c, offset) => void chunks.push([offset, c.byteLength]),
    });
    expect(bytes.byteLength).toBe(weights.byteLength);
    expect(sha(bytes)).toBe(sha(weights));
    expect(events.length).toBeGreaterThan(2);
    for (let i = 1; i < events.length; i++) expect(events[i].loaded).toBeGreaterThanOrEqual(events[i - 1].loaded);
    expect(events.every((e) => e.total === weights.byteLength)).toBe(true);
    expect(events[0].loaded).toBe(0);
    expect(events.at(-1)!.loaded).toBe(weights.byteLength);
    expect(events.at(-1)!.etaSec).toBe(0);
    // Chunks are contiguous and cover the file.
    let at = 0;
    for (const [offset, len] of chunks) {
      expect(offset).toBe(at);
      at += len;
    }
    expect(at).toBe(weights.byteLength);
    expect(host.requests).toEqual([{ method: 'GET', path: `/${REPO}/resolve/main/model.safetensors` }]);
  });

  it('resumes a cut download with a Range request and yields the exact bytes', async () => {
    const cutAt = 2_500_000;
    host.breakAfterBytes('model.safetensors', cutAt);
    const url = fileUrl(REPO, 'model.safetensors', { host: host.url });
    const saved: Uint8Array[] = [];
    const first = await caught(
      downloadFile(url, { onChunk: (c) => void saved.push(c.slice()) }),
    );
    expect(first.code).toBe('network');
    expect(first.message).toMatch(/dropped after .* of model\.safetensors/);
    const loaded = saved.reduce((n, c) => n + c.byteLength, 0);
    expect(loaded).toBeGreaterThan(0);
    expect(loaded).toBeLessThanOrEqual(cutAt);

    host.requests.length = 0;
    const progress: DownloadProgress[] = [];
    let restarted = false;
    const bytes = await downloadFile(url, {
      resumeFrom: saved,
      onRestart: () => void (restarted = true),
      onProgress: (p) => progress.push(p),
      progressIntervalMs: 0,
    });
    expect(restarted).toBe(false);
    expect(host.requests).toEqual([{ method: 'GET', path: `/${REPO}/resolve/main/model.safetensors`, range: `bytes=${loaded}-` }]);
    expect(progress[0].loaded).toBe(loaded);
    expect(progress.at(-1)!.loaded).toBe(weights.byteLength);
    expect(sha(bytes)).toBe(sha(weights));
  });

  it('starts over when the server ignores Range and answers 200', async () => {
    host.settings.ignoreRange = true;
    const url = fileUrl(REPO, 'config.json', { host: host.url });
    let restarts = 0;
    const stale = [new Uint8Array([1, 2, 3, 4, 5])];
    const bytes = await downloadFile(url, { resumeFrom: stale, onRestart: () => void restarts++ });
    expect(restarts).toBe(1);
    expect(host.requests[0].range).toBe('bytes=5-');
    expect(sha(bytes)).toBe(sha(tinyFile('config.json')));
  });

  it('says which model lacks which file on 404', async () => {
    const err = await caught(downloadFile(fileUrl(REPO, 'nothing.json', { host: host.url }), { repo: REPO, file: 'nothing.json' }));
    expect(err).toBeInstanceOf(HubError);
    expect(err.code).toBe('not-found');
    expect(err.message).toBe(`Model "test/tiny-gpt2" has no file nothing.json (404 from ${host.url}).`);
  });

  it('refuses an HTML page served for a .json file', async () => {
    host.settings.htmlFallback = true;
    const err = await caught(downloadFile(fileUrl(REPO, 'missing.json', { host: host.url }), { repo: REPO, file: 'missing.json' }));
    expect(err.code).toBe('html');
    expect(err.message).toMatch(/test\/tiny-gpt2\/missing\.json but the server answered with an HTML page/);
    expect(err.message).toMatch(/index\.html/);
  });

  it('reports an unreachable host as such', async () => {
    const server = createServer();
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((ok) => server.close(() => ok()));
    const err = await caught(downloadFile(`http://127.0.0.1:${port}/a/b/resolve/main/config.json`));
    expect(err.code).toBe('network');
    expect(err.message).toMatch(/^Could not reach the model host \(http:\/\/127\.0\.0\.1:\d+\)/);
  });

  it('passes an abort through as an AbortError', async () => {
    const controller = new AbortController();
    const p = downloadFile(fileUrl(REPO, 'model.safetensors', { host: host.url }), {
      signal: controller.signal,
      onChunk: () => controller.abort(),
    });
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('discovery', () => {
  it('probes sizes with HEAD, following an LFS-style redirect', async () => {
    host.settings.lfsRedirect = true;
    expect(await sizeOf(fileUrl(REPO, 'model.safetensors', { host: host.url }))).toBe(weights.byteLength);
    expect(host.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `HEAD /${REPO}/resolve/main/model.safetensors`,
      `HEAD /cdn/${REPO}/~/model.safetensors`,
    ]);
    expect(await sizeOf(fileUrl(REPO, 'config.json', { host: host.url }))).toBe(tinyFile('config.json').byteLength);
  });

  it('asks with a one-byte ranged GET when HEAD is refused', async () => {
    host.settings.refuseHead = true;
    expect(await sizeOf(fileUrl(REPO, 'model.safetensors', { host: host.url }))).toBe(weights.byteLength);
    expect(host.requests).toEqual([
      { method: 'HEAD', path: `/${REPO}/resolve/main/model.safetensors` },
      { method: 'GET', path: `/${REPO}/resolve/main/model.safetensors`, range: 'bytes=0-0' },
    ]);
    await expect(sizeOf(fileUrl(REPO, 'absent.json', { host: host.url }))).rejects.toThrow(/There is no file at/);
  });

  it('lists the files of a GPT-2 repo with their sizes', async () => {
    const plan = await discoverRepoFiles(REPO, { location: { host: host.url } });
    const names = ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'special_tokens_map.json'];
    expect(plan.files.map((f) => f.name)).toEqual(names);
    expect(plan.files.map((f) => f.size)).toEqual(names.map((n) => tinyFile(n).byteLength));
    expect(plan.totalBytes).toBe(names.reduce((s, n) => s + tinyFile(n).byteLength, 0));
    expect(plan.weightsFormat).toBe('safetensors');
    expect(host.requests.every((r) => r.method === 'HEAD')).toBe(true);
  });

  it('says when a repo is not on the host', async () => {
    const err = await caught(discoverRepoFiles('test/nope', { location: { host: host.url } }));
    expect(err.code).toBe('not-found');
    expect(err.message).toMatch(/Model "test\/nope" was not found on the model host, or it is private or gated/);
  });

  it('says which parts a repo lacks', async () => {
    const err = await caught(discoverRepoFiles('test/empty', { location: { host: host.url } }));
    expect(err.code).toBe('not-found');
    expect(err.message).toMatch(/Model "test\/empty" has no file config\.json on http:\/\/127\.0\.0\.1:\d+ \(revision main\)/);
  });

  it('recognizes a dev server answering index.html for config.json', async () => {
    host.settings.htmlFallback = true;
    const probe = await probeFile(fileUrl('test/empty', 'config.json', { host: host.url }));
    expect(probe.status).toBe('html');
    const err = await caught(discoverRepoFiles('test/empty', { location: { host: host.url } }));
    expect(err.code).toBe('html');
    expect(err.message).toMatch(/test\/empty\/config\.json but got an HTML page instead of the file/);
  });
});
