/**
 * The places the store keeps its values: IndexedDB (through idb); where IndexedDB is missing or
 * refuses to open, memory; and where it opens but refuses writes, memory over it (`OverlayBackend`:
 * new values in memory, the values already stored still read). Each gives the few primitives
 * `BackedStore` (store.ts) needs.
 */
import type { DBSchema, IDBPDatabase } from 'idb';
import type { ArchiveRecord, CheckpointRecord, ModelRecord, PartialChunk, StoredFileRow } from './store-records';

export type StoreName = 'files' | 'partials' | 'models' | 'checkpoints' | 'archives';
export type Key = string | Array<string | number>;

/** The few primitives the store logic needs; one IndexedDB version, one in-memory. */
export interface Backend {
  get<T>(store: StoreName, key: Key): Promise<T | undefined>;
  has(store: StoreName, key: Key): Promise<boolean>;
  /** Resolves once the write is committed (an IndexedDB quota failure shows up at commit). */
  put(store: StoreName, value: object): Promise<void>;
  delete(store: StoreName, key: Key): Promise<void>;
  /** Read-modify-write of one value in one transaction; `change` returning undefined writes nothing. */
  update<T>(store: StoreName, key: Key, change: (value: T | undefined) => T | undefined): Promise<boolean>;
  /** values whose array key starts with `prefix` (all values without one), in key order */
  getAll<T>(store: StoreName, prefix?: Array<string | number>): Promise<T[]>;
  deletePrefix(store: StoreName, prefix: Array<string | number>): Promise<void>;
  clear(store: StoreName): Promise<void>;
  close(): void;
}

export interface TweetgptSchema extends DBSchema {
  files: { key: [string, string, string]; value: StoredFileRow };
  partials: { key: [string, string, string, number]; value: PartialChunk };
  models: { key: string; value: ModelRecord };
  checkpoints: { key: string; value: CheckpointRecord };
  archives: { key: string; value: ArchiveRecord };
}

/** Arrays sort after every string and number in IndexedDB, so [...prefix, []] bounds a prefix. */
function prefixRange(prefix: Array<string | number>): IDBKeyRange {
  return IDBKeyRange.bound(prefix, [...prefix, []]);
}

export class IdbBackend implements Backend {
  // idb's per-store typing does not help generic code over store names; the schema above is the contract.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  constructor(private readonly db: IDBPDatabase<any>) {}

  get<T>(store: StoreName, key: Key): Promise<T | undefined> {
    return this.db.get(store, key) as Promise<T | undefined>;
  }
  async has(store: StoreName, key: Key): Promise<boolean> {
    return (await this.db.getKey(store, key)) !== undefined;
  }
  async put(store: StoreName, value: object): Promise<void> {
    const tx = this.db.transaction(store, 'readwrite');
    await Promise.all([tx.store.put(value), tx.done]);
  }
  async delete(store: StoreName, key: Key): Promise<void> {
    const tx = this.db.transaction(store, 'readwrite');
    await Promise.all([tx.store.delete(key), tx.done]);
  }
  async update<T>(store: StoreName, key: Key, change: (value: T | undefined) => T | undefined): Promise<boolean> {
    const tx = this.db.transaction(store, 'readwrite');
    const next = change((await tx.store.get(key)) as T | undefined);
    // A refused put also rejects tx.done: await both, so neither rejection goes unhandled.
    if (next !== undefined) await Promise.all([tx.store.put(next), tx.done]);
    else await tx.done;
    return next !== undefined;
  }
  getAll<T>(store: StoreName, prefix?: Array<string | number>): Promise<T[]> {
    return this.db.getAll(store, prefix ? prefixRange(prefix) : undefined) as Promise<T[]>;
  }
  async deletePrefix(store: StoreName, prefix: Array<string | number>): Promise<void> {
    const tx = this.db.transaction(store, 'readwrite');
    await Promise.all([tx.store.delete(prefixRange(prefix)), tx.done]);
  }
  async clear(store: StoreName): Promise<void> {
    const tx = this.db.transaction(store, 'readwrite');
    await Promise.all([tx.store.clear(), tx.done]);
  }
  close(): void {
    this.db.close();
  }
}

export const KEY_PATHS: Record<StoreName, string[]> = {
  files: ['repo', 'revision', 'file'],
  partials: ['repo', 'revision', 'file', 'offset'],
  models: ['id'],
  checkpoints: ['id'],
  archives: ['id'],
};

function compareKeys(a: Key, b: Key): number {
  const xs = Array.isArray(a) ? a : [a];
  const ys = Array.isArray(b) ? b : [b];
  for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
    const x = xs[i];
    const y = ys[i];
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'string') return -1; // numbers sort before strings, as in IndexedDB
    if (typeof x === 'string' && typeof y === 'number') return 1;
    return x < y ? -1 : 1;
  }
  return xs.length - ys.length;
}

/** Values are structured-cloned in and out, as IndexedDB does, so callers cannot alias stored data. */
export class MemoryBackend implements Backend {
  private readonly stores = new Map<StoreName, Map<string, { key: Key; value: object }>>();

  private table(store: StoreName) {
    let t = this.stores.get(store);
    if (!t) this.stores.set(store, (t = new Map()));
    return t;
  }
  private keyOf(store: StoreName, value: object): Key {
    return keyFrom(KEY_PATHS[store], value);
  }
  async get<T>(store: StoreName, key: Key): Promise<T | undefined> {
    const row = this.table(store).get(JSON.stringify(key));
    return row ? (structuredClone(row.value) as T) : undefined;
  }
  async has(store: StoreName, key: Key): Promise<boolean> {
    return this.table(store).has(JSON.stringify(key));
  }
  async put(store: StoreName, value: object): Promise<void> {
    const key = this.keyOf(store, value);
    this.table(store).set(JSON.stringify(key), { key, value: structuredClone(value) });
  }
  async delete(store: StoreName, key: Key): Promise<void> {
    this.table(store).delete(JSON.stringify(key));
  }
  async update<T>(store: StoreName, key: Key, change: (value: T | undefined) => T | undefined): Promise<boolean> {
    const next = change(await this.get<T>(store, key));
    if (next !== undefined) await this.put(store, next as object);
    return next !== undefined;
  }
  private matching(store: StoreName, prefix?: Array<string | number>) {
    return [...this.table(store).values()]
      .filter((row) => !prefix || (Array.isArray(row.key) && prefix.every((p, i) => row.key[i] === p)))
      .sort((a, b) => compareKeys(a.key, b.key));
  }
  async getAll<T>(store: StoreName, prefix?: Array<string | number>): Promise<T[]> {
    return this.matching(store, prefix).map((row) => structuredClone(row.value) as T);
  }
  async deletePrefix(store: StoreName, prefix: Array<string | number>): Promise<void> {
    for (const row of this.matching(store, prefix)) this.table(store).delete(JSON.stringify(row.key));
  }
  async clear(store: StoreName): Promise<void> {
    this.table(store).clear();
  }
  close(): void {}
}


/**
 * Memory over a backend that refuses writes: writes go to memory, reads see memory first and then
 * what the backend already held (a library stored on an earlier visit stays listed and loadable);
 * deletes reach both, a refused delete below only leaving the old value where it was.
 */
export class OverlayBackend implements Backend {
  private readonly top = new MemoryBackend();
  constructor(private readonly below: Backend) {}

  async get<T>(store: StoreName, key: Key): Promise<T | undefined> {
    return (await this.top.get<T>(store, key)) ?? (await this.below.get<T>(store, key).catch(() => undefined));
  }
  async has(store: StoreName, key: Key): Promise<boolean> {
    return (await this.top.has(store, key)) || (await this.below.has(store, key).catch(() => false));
  }
  put(store: StoreName, value: object): Promise<void> {
    return this.top.put(store, value);
  }
  async delete(store: StoreName, key: Key): Promise<void> {
    await this.top.delete(store, key);
    await this.below.delete(store, key).catch(() => undefined);
  }
  async update<T>(store: StoreName, key: Key, change: (value: T | undefined) => T | undefined): Promise<boolean> {
    const next = change(await this.get<T>(store, key));
    if (next !== undefined) await this.top.put(store, next as object);
    return next !== undefined;
  }
  async getAll<T>(store: StoreName, prefix?: Array<string | number>): Promise<T[]> {
    const rows = new Map<string, { key: Key; value: T }>();
    const add = (value: T) => {
      const key = keyFrom(KEY_PATHS[store], value);
      rows.set(JSON.stringify(key), { key, value });
    };
    (await this.below.getAll<T>(store, prefix).catch(() => [] as T[])).forEach(add);
    (await this.top.getAll<T>(store, prefix)).forEach(add); // memory's values win
    return [...rows.values()].sort((a, b) => compareKeys(a.key, b.key)).map((r) => r.value);
  }
  async deletePrefix(store: StoreName, prefix: Array<string | number>): Promise<void> {
    await this.top.deletePrefix(store, prefix);
    await this.below.deletePrefix(store, prefix).catch(() => undefined);
  }
  async clear(store: StoreName): Promise<void> {
    await this.top.clear(store);
    await this.below.clear(store).catch(() => undefined);
  }
  close(): void {
    this.below.close();
  }
}

function keyFrom(path: string[], value: unknown): Key {
  const parts = path.map((p) => (value as Record<string, string | number>)[p]);
  return path.length === 1 ? (parts[0] as string) : parts;
}
