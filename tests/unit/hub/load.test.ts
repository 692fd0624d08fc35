import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DownloadProgress } from '../../../src/hub/download';
import { HubError, StorageFullError } from '../../../src/hub/errors';
import { fetchModelFiles, filesFromDrop, type ModelDownloadPlan } from '../../../src/hub/load';
import { openStore, type Store } from '../../../src/hub/store';
import { buildExportZip } from '../../../src/export/exportZip';
import { tinyDir, tinyFile, tinyJson } from '../../helpers/fixtures';
import { startModelHost, type ModelHost } from '../../helpers/modelHost';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const REPO = 'test/tiny-gpt2';
const MODERN = ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'special_tokens_map.json'];

// A 2021-style repo: pickled weights and vocab.json + merges.txt, no tokenizer.json.
const legacyDir = mkdtempSync(join(tmpdir(), 'tweetgpt-legacy-'));
for (const f of ['config.json', 'pytorch_model.bin', 'vocab.json', 'merges.txt']) copyFileSync(join(tinyDir, f), join(legacyDir, f));
// A sharded repo: the index names two shards.
const shardedDir = mkdtempSync(join(tmpdir(), 'tweetgpt-sharded-'));
const weights = tinyFile('model.safetensors');
for (const f of ['config.json', 'tokenizer.json']) copyFileSync(join(tinyDir, f), join(shardedDir, f));
writeFileSync(join(shardedDir, 'model-00001-of-00002.safetensors'), weights.subarray(0, 1000));
writeFileSync(join(shardedDir, 'model-00002-of-00002.safetensors'), weights.subarray(1000, 3000));
writeFileSync(
  join(shardedDir, 'model.safetensors.index.json'),
  JSON.stringify({ metadata: {}, weight_map: { 'wte.weight': 'model-00001-of-00002.safetensors', 'wpe.weight': 'model-00002-of-00002.safetensors' } }),
);

let host: ModelHost;
let store: Store;
let dbCount = 0;

beforeAll(async () => {
  host = await startModelHost({ repos: { [REPO]: tinyDir, 'tiny-legacy': legacyDir, 'test/sharded': shardedDir } });
});
afterAll(() => host.close());
beforeEach(async () => {
  host.requests.length = 0;
  host.settings.lfsRedirect = false;
  store = await openStore({ name: `tweetgpt-load-${++dbCount}` });
});
const realPut = IDBObjectStore.prototype.put;
afterEach(() => {
  IDBObjectStore.prototype.put = realPut;
  store.close();
});

function collectProgress() {
  const events = new Map<string, DownloadProgress[]>();
  return {
    events,
    onProgress(file: string, p: DownloadProgress) {
      if (!events.has(file)) events.set(file, []);
      events.get(file)!.push(p);
    },
  };
}

describe('fetchModelFiles', () => {
  it('downloads a repo once, then loads it from the library with zero requests', async () => {
    host.settings.lfsRedirect = true;
    const progress = collectProgress();
    const plans: ModelDownloadPlan[] = [];
    const files = await fetchModelFiles(REPO, { store, host: host.url, onProgress: progress.onProgress, onPlan: (p) => plans.push(p) });

    expect(Object.keys(files)).toEqual(MODERN);
    for (const name of MODERN) expect(sha(files[name])).toBe(sha(tinyFile(name)));

    // The plan came before any download, with the sizes from HEAD (x-linked-size for the weights).
    expect(plans).toHaveLength(1);
    expect(plans[0].files.map((f) => [f.name, f.size, f.stored])).toEqual(MODERN.map((n) => [n, tinyFile(n).byteLength, false]));
    expect(plans[0].downloadBytes).toBe(MODERN.reduce((s, n) => s + tinyFile(n).byteLength, 0));

    for (const name of MODERN) {
      const events = progress.events.get(name)!;
      for (let i = 1; i < events.length; i++) expect(events[i].loaded).toBeGreaterThanOrEqual(events[i - 1].loaded);
      expect(events.at(-1)).toMatchObject({ loaded: tinyFile(name).byteLength, total: tinyFile(name).byteLength });
    }
    const gets = host.requests.filter((r) => r.method === 'GET').map((r) => r.path);
    expect(gets).toEqual([
      `/${REPO}/resolve/main/config.json`,
      `/${REPO}/resolve/main/model.safetensors`,
      `/cdn/${REPO}/~/model.safetensors`,
      ...MODERN.slice(2).map((n) => `/${REPO}/resolve/main/${n}`),
    ]);

    const [record] = await store.listModels();
    expect(record).toMatchObject({
      id: 'test/tiny-gpt2@main',
      name: REPO,
      kind: 'base',
      baseRepo: REPO,
      revision: 'main',
      files: MODERN,
      sizeBytes: plans[0].downloadBytes,
      complete: true,
    });
    expect((await store.getFile(REPO, 'main', 'model.safetensors'))?.sha256).toBe(sha(weights));

    host.requests.length = 0;
    const again = await fetchModelFiles(REPO, { store, host: host.url });
    expect(host.requests).toEqual([]);
    for (const name of MODERN) expect(sha(again[name])).toBe(sha(tinyFile(name)));
  });

  it('resumes an interrupted download from the stored part with a Range request', async () => {
    host.breakAfterBytes('model.safetensors', 3_000_000);
    const first = await fetchModelFiles(REPO, { store, host: host.url }).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(HubError);
    expect((first as HubError).code).toBe('network');
    expect(await store.listModels()).toEqual([]);
    const partial = await store.getPartial(REPO, 'main', 'model.safetensors');
    expect(partial!.loaded).toBeGreaterThan(0);
    expect(partial!.loaded).toBeLessThanOrEqual(3_000_000);
    expect(await store.hasFiles(REPO, 'main', ['config.json'])).toBe(true);

    host.requests.length = 0;
    const plans: ModelDownloadPlan[] = [];
    const files = await fetchModelFiles(REPO, { store, host: host.url, onPlan: (p) => plans.push(p) });
    expect(plans[0].files.find((f) => f.name === 'model.safetensors')?.resumeFrom).toBe(partial!.loaded);
    expect(plans[0].files.find((f) => f.name === 'config.json')?.stored).toBe(true);
    const weightGets = host.requests.filter((r) => r.method === 'GET' && r.path.endsWith('model.safetensors'));
    expect(weightGets).toEqual([{ method: 'GET', path: `/${REPO}/resolve/main/model.safetensors`, range: `bytes=${partial!.loaded}-` }]);
    // config.json was already stored: not fetched again.
    expect(host.requests.some((r) => r.method === 'GET' && r.path === `/${REPO}/resolve/main/config.json`)).toBe(false);
    expect(sha(files['model.safetensors'])).toBe(sha(weights));
    expect((await store.getFile(REPO, 'main', 'model.safetensors'))?.sha256).toBe(sha(weights));
    expect(await store.getPartial(REPO, 'main', 'model.safetensors')).toBeUndefined();
    expect((await store.listModels()).map((m) => m.id)).toEqual(['test/tiny-gpt2@main']);
  });

  it('loads a 2021-style repo (pytorch_model.bin, vocab.json + merges.txt) by a bare name', async () => {
    const files = await fetchModelFiles('tiny-legacy', { store, host: host.url });
    expect(Object.keys(files)).toEqual(['config.json', 'pytorch_model.bin', 'vocab.json', 'merges.txt']);
    expect(sha(files['pytorch_model.bin'])).toBe(sha(tinyFile('pytorch_model.bin')));
    expect((await store.listModels())[0].id).toBe('tiny-legacy@main');
  });

  it('fetches a sharded safetensors repo, index included, without fetching the index twice', async () => {
    const files = await fetchModelFiles('test/sharded', { store, host: host.url });
    expect(Object.keys(files)).toEqual([
      'config.json',
      'model.safetensors.index.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
      'tokenizer.json',
    ]);
    expect(Array.from(files['model-00002-of-00002.safetensors'])).toEqual(Array.from(weights.subarray(1000, 3000)));
    expect(host.requests.filter((r) => r.method === 'GET' && r.path.endsWith('index.json'))).toHaveLength(1);
  });

  it('says clearly when the repo does not exist', async () => {
    await expect(fetchModelFiles('test/nope', { store, host: host.url })).rejects.toThrow(
      /Model "test\/nope" was not found on the model host/,
    );
    await expect(fetchModelFiles('not a name', { store, host: host.url })).rejects.toThrow(/is not a model name/);
    expect(host.requests.every((r) => !r.path.includes('not'))).toBe(true);
  });

  it('throws StorageFullError on a full disk and keeps nothing half-stored', async () => {
    let puts = 0;
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (this.name === 'files' && ++puts === 2) throw new DOMException('quota', 'QuotaExceededError');
      return realPut.apply(this, args);
    };
    await expect(fetchModelFiles(REPO, { store, host: host.url })).rejects.toBeInstanceOf(StorageFullError);
    IDBObjectStore.prototype.put = realPut;
    expect(await store.listModels()).toEqual([]);
    expect(await store.getModel('test/tiny-gpt2@main')).toBeUndefined();
    expect(await store.hasFiles(REPO, 'main', ['config.json'])).toBe(false);
    expect((await store.estimate()).usage).toBe(0);
  });

  it('goes on in memory on a full disk when asked to', async () => {
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (this.name === 'files' && (args[0] as { file: string }).file === 'model.safetensors') {
        throw new DOMException('quota', 'QuotaExceededError');
      }
      return realPut.apply(this, args);
    };
    const warnings: StorageFullError[] = [];
    const files = await fetchModelFiles(REPO, { store, host: host.url, onStorageFull: (e) => warnings.push(e) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0].message).toMatch(/^Your browser's storage is full/);
    expect(Object.keys(files)).toEqual(MODERN);
    expect(sha(files['model.safetensors'])).toBe(sha(weights));
    IDBObjectStore.prototype.put = realPut;
    expect(await store.listModels()).toEqual([]);
    expect((await store.estimate()).usage).toBe(0);
  });
});

describe('filesFromDrop', () => {
  const blob = (name: string) => new Blob([tinyFile(name) as Uint8Array<ArrayBuffer>]);

  it('loads a dropped folder, ignoring other files and nested copies', async () => {
    const files = await filesFromDrop([
      { name: 'gpt2/config.json', file: blob('config.json') },
      { name: 'gpt2/model.safetensors', file: blob('model.safetensors') },
      { name: 'gpt2/tokenizer.json', file: blob('tokenizer.json') },
      { name: 'gpt2/generation_config.json', file: blob('generation_config.json') },
      { name: 'gpt2/reference.json', file: blob('reference.json') },
      { name: 'gpt2/onnx/config.json', file: blob('config.json') },
      { name: 'gpt2/.DS_Store', file: new Blob(['x']) },
    ]);
    expect(Object.keys(files)).toEqual(['config.json', 'model.safetensors', 'tokenizer.json', 'generation_config.json']);
    expect(sha(files['model.safetensors'])).toBe(sha(weights));
  });

  it('names what a drop lacks', async () => {
    await expect(filesFromDrop([{ name: 'model.safetensors', file: blob('model.safetensors') }])).rejects.toThrow(
      'These files are not a complete GPT-2 model: config.json and tokenizer (tokenizer.json, or vocab.json + merges.txt) are missing.',
    );
    await expect(
      filesFromDrop([
        { name: 'config.json', file: blob('config.json') },
        { name: 'vocab.json', file: blob('vocab.json') },
        { name: 'merges.txt', file: blob('merges.txt') },
      ]),
    ).rejects.toThrow(/: weights \(model\.safetensors or pytorch_model\.bin\) is missing/);
  });

  it('loads a dropped tweetgpt zip', async () => {
    const small = weights.slice(0, 100_000);
    const zip = await buildExportZip({
      safetensors: small,
      config: tinyJson('config.json') as object,
      generationConfig: tinyJson('generation_config.json') as object,
      tokenizerFiles: { 'tokenizer.json': tinyFile('tokenizer.json') },
      card: '# card',
    });
    const files = await filesFromDrop([{ name: 'alice-bot.zip', file: new Blob([zip as Uint8Array<ArrayBuffer>]) }]);
    expect(Object.keys(files).sort()).toEqual(['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json']);
    expect(sha(files['model.safetensors'])).toBe(sha(small));
  });
});
