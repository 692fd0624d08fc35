import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StorageFullError } from '../../../src/hub/errors';
import { MemoryStore, openStore, type Store } from '../../../src/hub/store';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);

let dbCount = 0;
const opened: Store[] = [];
async function freshStore(): Promise<Store> {
  const store = await openStore({ name: `tweetgpt-test-${++dbCount}` });
  opened.push(store);
  return store;
}

const realPut = IDBObjectStore.prototype.put;
afterEach(() => {
  IDBObjectStore.prototype.put = realPut;
  vi.unstubAllGlobals();
  for (const s of opened.splice(0)) s.close();
});

/** Make IndexedDB refuse writes to `storeName` the way a full disk does. */
function failPutsTo(storeName: string, afterOk = 0) {
  let ok = afterOk;
  IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
    if (this.name === storeName && ok-- <= 0) {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    }
    return realPut.apply(this, args);
  };
}

const model = (id: string, files: string[], extra: object = {}) => ({
  id,
  name: id,
  kind: 'finetuned' as const,
  baseRepo: 'test/tiny-gpt2',
  revision: 'main',
  files,
  ...extra,
});

describe.each([
  ['IndexedDB', freshStore],
  ['memory', async () => new MemoryStore() as Store],
])('%s store', (_kind, make) => {
  it('stores files with their size and sha256', async () => {
    const store = await make();
    const data = bytes(1000, 7);
    expect(await store.putFile('a/b', 'main', 'model.safetensors', data)).toEqual({ size: 1000, sha256: sha(data) });
    const file = await store.getFile('a/b', 'main', 'model.safetensors');
    expect(file?.size).toBe(1000);
    expect(file?.sha256).toBe(sha(data));
    expect(Array.from(file!.bytes)).toEqual(Array.from(data));
    expect(await store.hasFiles('a/b', 'main', ['model.safetensors'])).toBe(true);
    expect(await store.hasFiles('a/b', 'main', ['model.safetensors', 'config.json'])).toBe(false);
    expect(await store.hasFiles('a/b', 'other', ['model.safetensors'])).toBe(false);
  });

  it('stores a view of a larger buffer without the rest of the buffer', async () => {
    const store = await make();
    const big = bytes(4096, 1);
    await store.putFile('a/b', 'main', 'x.bin', big.subarray(100, 200));
    const file = await store.getFile('a/b', 'main', 'x.bin');
    expect(file!.bytes.buffer.byteLength).toBe(100);
    expect(file!.bytes[0]).toBe(big[100]);
  });

  it('lists only complete models and refuses to list one whose files are missing', async () => {
    const store = await make();
    await expect(store.putModel(model('m1', ['config.json', 'model.safetensors']))).rejects.toThrow(/some of its files are not stored/);
    expect(await store.listModels()).toEqual([]);
    const saved = await store.putModel(model('m1', ['config.json', 'model.safetensors'], { createdAt: 5 }), {
      'config.json': bytes(10, 1),
      'model.safetensors': bytes(300, 2),
    });
    expect(saved).toMatchObject({ id: 'm1', fileRepo: 'local/m1', sizeBytes: 310, complete: true, createdAt: 5 });
    await store.putModel(model('m2', ['config.json'], { createdAt: 9 }), { 'config.json': bytes(4, 3) });
    expect((await store.listModels()).map((m) => m.id)).toEqual(['m2', 'm1']);
    const files = await store.getModelFiles('m1');
    expect(Object.keys(files)).toEqual(['config.json', 'model.safetensors']);
    expect(Array.from(files['model.safetensors'])).toEqual(Array.from(bytes(300, 2)));
  });

  it('renames, and deletes a model with its files, so the usage drops', async () => {
    const store = await make();
    await store.putModel(model('m1', ['model.safetensors']), { 'model.safetensors': bytes(5000, 4) });
    await store.putModel(model('m2', ['model.safetensors']), { 'model.safetensors': bytes(700, 5) });
    await store.renameModel('m1', '  Alice bot ');
    expect((await store.getModel('m1'))?.name).toBe('Alice bot');
    const before = await store.estimate();
    expect(before).toEqual({ usage: 5700, quota: null, source: 'store' });
    await store.deleteModel('m1');
    expect(await store.getFile('local/m1', 'main', 'model.safetensors')).toBeUndefined();
    expect((await store.listModels()).map((m) => m.id)).toEqual(['m2']);
    expect((await store.estimate()).usage).toBe(700);
    await expect(store.getModelFiles('m1')).rejects.toThrow(/No model "m1"/);
  });

  it('keeps two models sharing a file folder intact when one is deleted', async () => {
    const store = await make();
    await store.putModel(model('x', ['config.json', 'a.bin'], { fileRepo: 'shared', kind: 'base' }), {
      'config.json': bytes(3, 1),
      'a.bin': bytes(3, 2),
    });
    await store.putModel(model('y', ['config.json'], { fileRepo: 'shared', kind: 'base' }));
    await store.deleteModel('x');
    expect(await store.hasFiles('shared', 'main', ['config.json'])).toBe(true);
    expect(await store.hasFiles('shared', 'main', ['a.bin'])).toBe(false);
    expect(Object.keys(await store.getModelFiles('y'))).toEqual(['config.json']);
  });

  it('keeps partial downloads in order and only the run contiguous from 0', async () => {
    const store = await make();
    const base = { repo: 'a/b', revision: 'main', file: 'w.bin', etag: '"e1"', total: 30 };
    await store.putPartialChunk({ ...base, offset: 10, bytes: bytes(10, 2) });
    await store.putPartialChunk({ ...base, offset: 0, bytes: bytes(10, 1) });
    await store.putPartialChunk({ ...base, offset: 25, bytes: bytes(5, 3) }); // after a gap
    const partial = await store.getPartial('a/b', 'main', 'w.bin');
    expect(partial?.loaded).toBe(20);
    expect(partial?.etag).toBe('"e1"');
    expect(partial?.total).toBe(30);
    expect(partial?.chunks.map((c) => c[0])).toEqual([bytes(10, 1)[0], bytes(10, 2)[0]]);
    await store.clearPartial('a/b', 'main', 'w.bin');
    expect(await store.getPartial('a/b', 'main', 'w.bin')).toBeUndefined();
  });

  it('keeps checkpoints and archives', async () => {
    const store = await make();
    const wte = new Float32Array([1.5, -2, 3.25]);
    await store.putCheckpoint('run1', { step: 40 }, { 'wte.weight': wte });
    wte[0] = 99; // the stored copy must not alias the caller's array
    const ckpt = await store.getCheckpoint('run1');
    expect(ckpt?.meta).toEqual({ step: 40 });
    expect(Array.from(ckpt!.tensors['wte.weight'])).toEqual([1.5, -2, 3.25]);
    expect(ckpt!.tensors['wte.weight']).toBeInstanceOf(Float32Array);
    await store.deleteCheckpoint('run1');
    expect(await store.getCheckpoint('run1')).toBeUndefined();

    // Returned in the order they were added (the merged training texts depend on it), whatever the ids.
    await store.putArchive({ id: 'b1', summary: { kept: 2 }, tweets: ['hi', 'there'], savedAt: 1 });
    await store.putArchive({ id: 'a2', summary: { kept: 1 }, tweets: ['yo'], savedAt: 2 });
    expect((await store.getArchives()).map((a) => a.id)).toEqual(['b1', 'a2']);
    await store.deleteArchives('b1');
    await store.putArchive({ id: 'a1', summary: { kept: 2 }, tweets: ['hi', 'there'], savedAt: 1 });
    await store.deleteArchives('a2');
    expect((await store.getArchives()).map((a) => a.tweets)).toEqual([['hi', 'there']]);
    await store.deleteArchives();
    expect(await store.getArchives()).toEqual([]);
  });
});

describe('openStore', () => {
  it('opens IndexedDB when there is one', async () => {
    const store = await freshStore();
    expect(store.persistent).toBe(true);
    expect(store.reason).toBeUndefined();
  });

  it('falls back to memory when IndexedDB is undefined', async () => {
    vi.stubGlobal('indexedDB', undefined);
    const store = await openStore({ name: 'tweetgpt-no-idb' });
    expect(store).toBeInstanceOf(MemoryStore);
    expect(store.persistent).toBe(false);
    expect(store.reason).toMatch(/IndexedDB is not available/);
    await store.putModel(model('m', ['config.json']), { 'config.json': bytes(5, 1) });
    expect((await store.listModels()).map((m) => m.id)).toEqual(['m']);
    expect(await store.persist()).toBe(false);
  });

  it('falls back to memory when opening throws', async () => {
    vi.stubGlobal('indexedDB', {
      open() {
        throw new DOMException('A mutation operation was attempted on a database that did not allow mutations.', 'InvalidStateError');
      },
    });
    const store = await openStore({ name: 'tweetgpt-broken' });
    expect(store.persistent).toBe(false);
    expect(store.reason).toMatch(/The browser refused to open its database \(A mutation operation/);
  });
});

describe('a full disk', () => {
  it('turns a QuotaExceededError into StorageFullError and lists no half model', async () => {
    const store = await freshStore();
    failPutsTo('files', 1); // config.json goes in, the weights do not
    const err = await store
      .putModel(model('m1', ['config.json', 'model.safetensors']), {
        'config.json': bytes(10, 1),
        'model.safetensors': bytes(5000, 2),
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageFullError);
    expect((err as Error).message).toMatch(/^Your browser's storage is full: local\/m1\/model\.safetensors could not be saved, so models will not be kept/);
    expect((err as Error).cause).toMatchObject({ name: 'QuotaExceededError' });
    IDBObjectStore.prototype.put = realPut;
    expect(await store.listModels()).toEqual([]);
    expect(await store.getModel('m1')).toBeUndefined();
    // The file written before the failure was rolled back.
    expect(await store.hasFiles('local/m1', 'main', ['config.json'])).toBe(false);
    expect((await store.estimate()).usage).toBe(0);
  });

  it('fails the record write cleanly too', async () => {
    const store = await freshStore();
    failPutsTo('models');
    await expect(store.putModel(model('m1', ['config.json']), { 'config.json': bytes(10, 1) })).rejects.toBeInstanceOf(StorageFullError);
    IDBObjectStore.prototype.put = realPut;
    expect(await store.listModels()).toEqual([]);
    expect(await store.hasFiles('local/m1', 'main', ['config.json'])).toBe(false);
  });

  it('reports a full disk for checkpoints', async () => {
    const store = await freshStore();
    failPutsTo('checkpoints');
    await expect(store.putCheckpoint('c', {}, { w: new Float32Array(4) })).rejects.toThrow(/the training checkpoint could not be saved/);
  });
});

describe('files stored before the Blob format', () => {
  /** Writes rows exactly as the store wrote them before: the bytes as a Uint8Array value. */
  async function putLegacyRows(dbName: string, rows: object[]): Promise<void> {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(dbName);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const tx = db.transaction(['files', 'models'], 'readwrite');
    for (const row of rows) tx.objectStore('row' in row ? 'models' : 'files').put('row' in row ? (row as { row: object }).row : row);
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
    db.close();
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

  it('still load, and are rewritten as Blobs once by migrateFiles', async () => {
    const name = `tweetgpt-test-legacy-${++dbCount}`;
    const store = await openStore({ name });
    opened.push(store);
    const weights = bytes(5000, 3);
    const config = bytes(40, 9);
    const legacy = (file: string, data: Uint8Array) => ({ repo: 'a/b', revision: 'main', file, bytes: data, size: data.byteLength, sha256: sha(data), storedAt: 1 });
    await putLegacyRows(name, [
      legacy('model.safetensors', weights),
      legacy('config.json', config),
      { row: { ...model('a/b@main', ['model.safetensors', 'config.json']), kind: 'base', fileRepo: 'a/b', sizeBytes: 5040, createdAt: 1, complete: true } },
    ]);
    const before = await store.getModelFiles('a/b@main');
    expect(Array.from(before['model.safetensors'])).toEqual(Array.from(weights));
    expect((await rawRow(name, ['a/b', 'main', 'model.safetensors'])).blob).toBeUndefined();

    expect(await store.migrateFiles('a/b', 'main', ['model.safetensors', 'config.json', 'absent.bin'])).toBe(2);
    const row = await rawRow(name, ['a/b', 'main', 'model.safetensors']);
    expect(row.blob).toBeInstanceOf(Blob);
    expect(row.bytes).toBeUndefined();
    expect(row.sha256).toBe(sha(weights));
    const after = await store.getModelFiles('a/b@main');
    expect(Array.from(after['model.safetensors'])).toEqual(Array.from(weights));
    expect(Array.from(after['config.json'])).toEqual(Array.from(config));
    expect(await store.migrateFiles('a/b', 'main', ['model.safetensors', 'config.json'])).toBe(0);
  });

  it('are not brought back by a migration after the model was deleted', async () => {
    const name = `tweetgpt-test-legacy-${++dbCount}`;
    const store = await openStore({ name });
    opened.push(store);
    const data = bytes(100, 1);
    await putLegacyRows(name, [{ repo: 'a/b', revision: 'main', file: 'x.bin', bytes: data, size: 100, sha256: sha(data), storedAt: 1 }]);
    await store.deleteFiles('a/b', 'main');
    expect(await store.migrateFiles('a/b', 'main', ['x.bin'])).toBe(0);
    expect(await store.hasFiles('a/b', 'main', ['x.bin'])).toBe(false);
  });
});
