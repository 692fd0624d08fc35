/**
 * Storage that refuses Blobs (Safari's private windows, some embedded browsers) or refuses writes
 * altogether: the store finds out on the first write and keeps working (bytes instead of Blobs,
 * else memory over what is already stored), and says which.
 */
import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { StorageFullError } from '../../../src/hub/errors';
import { openStore, type Store } from '../../../src/hub/store';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);
const weights = bytes(3000, 1);
const config = new TextEncoder().encode('{"n_layer":2}');

let dbCount = 0;
const opened: Store[] = [];
async function open(name: string): Promise<Store> {
  const store = await openStore({ name });
  opened.push(store);
  return store;
}

const realPut = IDBObjectStore.prototype.put;
afterEach(() => {
  IDBObjectStore.prototype.put = realPut;
  for (const s of opened.splice(0)) s.close();
});

const holdsBlob = (value: unknown) => typeof value === 'object' && value !== null && Object.values(value).some((v) => v instanceof Blob);

/**
 * Make IndexedDB refuse values holding a Blob, as WebKit's ephemeral sessions do: either at once
 * ('sync', the put throws) or when the request runs ('async', the transaction aborts).
 */
function refuseBlobs(how: 'sync' | 'async') {
  IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
    if (!holdsBlob(args[0])) return realPut.apply(this, args);
    if (how === 'sync') throw new DOMException('Error preparing Blob/File data to be stored in object store', 'UnknownError');
    const request = realPut.apply(this, args);
    queueMicrotask(() => this.transaction.abort());
    return request;
  };
}

/** Make IndexedDB refuse every write to `storeName` for a reason other than a full disk. */
function refuseWrites(storeName: string) {
  IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
    if (this.name === storeName) throw new DOMException('The operation failed for reasons unrelated to the database itself.', 'UnknownError');
    return realPut.apply(this, args);
  };
}

async function rawRow(dbName: string, key: string[]): Promise<Record<string, unknown>> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(dbName);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const row = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const req = db.transaction('files').objectStore('files').get(key);
    req.onsuccess = () => resolve(req.result as Record<string, unknown>);
    req.onerror = () => reject(req.error);
  });
  db.close();
  return row;
}

const model = (id: string) => ({ id, name: id, kind: 'base' as const, baseRepo: id.split('@')[0], revision: 'main', files: ['config.json', 'model.safetensors'] });

describe.each(['sync', 'async'] as const)('a store whose Blob writes fail (%s)', (how) => {
  it('stores the files as bytes, loads them, and says models are kept for this session only', async () => {
    const name = `tweetgpt-noblob-${how}-${++dbCount}`;
    refuseBlobs(how);
    const store = await open(name);
    expect(store.reason).toBeUndefined();

    const record = await store.putModel(model('a/b@main'), { 'config.json': config, 'model.safetensors': weights });
    expect(record.sizeBytes).toBe(config.byteLength + weights.byteLength);
    expect(store.persistent).toBe(true);
    expect(store.reason).toMatch(/^This browser's storage refuses files \(.+\).*kept for this session only/);
    if (how === 'sync') expect(store.reason).toContain('Error preparing Blob/File data');

    const row = await rawRow(name, ['a/b', 'main', 'model.safetensors']);
    expect(row.blob).toBeUndefined();
    expect(row.bytes).toBeInstanceOf(Uint8Array);
    expect(row.sha256).toBe(sha(weights));
    const files = await store.getModelFiles('a/b@main');
    expect(Array.from(files['model.safetensors'])).toEqual(Array.from(weights));

    // A reload in the same (still Blob-refusing) session: listed, loadable, and never rewritten as Blobs.
    store.close();
    const again = await open(name);
    expect((await again.listModels()).map((m) => m.id)).toEqual(['a/b@main']);
    expect(await again.migrateFiles('a/b', 'main', ['config.json', 'model.safetensors'])).toBe(0);
    expect(again.reason).toMatch(/kept for this session only/);
    expect((await rawRow(name, ['a/b', 'main', 'model.safetensors'])).bytes).toBeInstanceOf(Uint8Array);
    expect(Array.from((await again.getModelFiles('a/b@main'))['model.safetensors'])).toEqual(Array.from(weights));
  });

  it('still reads a library stored as Blobs before', async () => {
    const name = `tweetgpt-noblob-old-${how}-${++dbCount}`;
    const before = await open(name);
    await before.putModel(model('c/d@main'), { 'config.json': config, 'model.safetensors': weights });
    expect((await rawRow(name, ['c/d', 'main', 'model.safetensors'])).blob).toBeInstanceOf(Blob);
    before.close();

    refuseBlobs(how);
    const store = await open(name);
    expect(Array.from((await store.getModelFiles('c/d@main'))['model.safetensors'])).toEqual(Array.from(weights));
    await store.putFile('e/f', 'main', 'config.json', config);
    expect((await store.getFile('e/f', 'main', 'config.json'))?.sha256).toBe(sha(config));
    expect((await store.listModels()).map((m) => m.id)).toEqual(['c/d@main']);
  });
});

describe('a store whose writes fail', () => {
  it('keeps new models in memory for the session, still lists the stored ones, and says so', async () => {
    const name = `tweetgpt-nowrite-${++dbCount}`;
    const before = await open(name);
    await before.putModel(model('old/one@main'), { 'config.json': config, 'model.safetensors': weights });
    before.close();

    refuseWrites('files');
    const store = await open(name);
    expect(store.persistent).toBe(true);
    const fresh = bytes(500, 9);
    await store.putModel(model('new/two@main'), { 'config.json': config, 'model.safetensors': fresh });
    expect(store.persistent).toBe(false);
    expect(store.reason).toMatch(/refused to keep new\/two\/config\.json .*kept for this session only, in memory/);

    expect((await store.listModels()).map((m) => m.id).sort()).toEqual(['new/two@main', 'old/one@main']);
    expect(Array.from((await store.getModelFiles('new/two@main'))['model.safetensors'])).toEqual(Array.from(fresh));
    expect(Array.from((await store.getModelFiles('old/one@main'))['model.safetensors'])).toEqual(Array.from(weights));
    expect((await store.estimate()).source).toBe('store');

    await store.deleteModel('old/one@main');
    expect((await store.listModels()).map((m) => m.id)).toEqual(['new/two@main']);
    store.close();

    // Nothing new reached the database: the next visit sees neither the new model nor the deleted one.
    IDBObjectStore.prototype.put = realPut;
    const next = await open(name);
    expect(await next.listModels()).toEqual([]);
  });

  it('still reports a full disk as such', async () => {
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (holdsBlob(args[0])) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return realPut.apply(this, args);
    };
    const store = await open(`tweetgpt-full-${++dbCount}`);
    await expect(store.putFile('a/b', 'main', 'model.safetensors', weights)).rejects.toBeInstanceOf(StorageFullError);
    expect(store.persistent).toBe(true);
    expect(store.reason).toBeUndefined();
  });
});
