/**
 * Everything tweetgpt keeps between visits, in one IndexedDB database (`tweetgpt`):
 *
 *   files        [repo, revision, file] -> the bytes of one model file, with size and sha256
 *   partials     [repo, revision, file, offset] -> chunks of a download in progress (for resume)
 *   models       id -> the model library: base models and fine-tuned ones
 *   checkpoints  id -> training state (tensors by name) to resume a run
 *   archives     id -> the cleaned tweets and summary a person chose to keep
 *
 * A model is listed only once all its files are stored: files are written first, then the
 * record, marked complete, in its own transaction; a failure between the two leaves no record.
 *
 * A file's bytes are stored as a Blob (`blob`): Chromium keeps a large Blob value as a file of its
 * own and `blob.arrayBuffer()` reads it back at disk speed into one fresh ArrayBuffer, where a
 * Uint8Array value (`bytes`, as libraries stored before this format hold) is read through the
 * structured-clone path, several times slower for a 500 MB model. Both load; `migrateFiles`
 * rewrites old rows once.
 * When IndexedDB is missing or refuses to open, `openStore` hands back a MemoryStore with the same
 * interface, `persistent: false` and the reason, so the app still works for the session.
 * Where it opens but refuses Blob values (Safari's private windows), the first file write finds
 * out: files are then stored as bytes (`bytes`, the old format) and `reason` says so. Where it
 * refuses a write for any other reason than a full disk, the store moves to memory over what is
 * already stored (`OverlayBackend`): `persistent` turns false and `reason` says why.
 */
import { openDB, type IDBPDatabase } from 'idb';
import { StorageFullError, isQuotaError } from './errors';
import type { ArchiveRecord, CheckpointRecord, ModelInput, ModelRecord, PartialChunk, PartialDownload, StorageEstimate, Store, StoredFile, StoredFileRow } from './store-records';
import { IdbBackend, KEY_PATHS, MemoryBackend, OverlayBackend, type Backend, type StoreName, type TweetgptSchema } from './store-backends';

export type { ArchiveRecord, CheckpointRecord, ModelInput, ModelKind, ModelRecord, PartialChunk, PartialDownload, StorageEstimate, Store, StoredFile } from './store-records';

export const DB_NAME = 'tweetgpt';
const DB_VERSION = 1;

/** The bytes of a stored row: a Blob is read into one fresh ArrayBuffer, viewed without a copy. */
async function rowBytes(row: StoredFileRow): Promise<Uint8Array> {
  if (row.blob) return new Uint8Array(await row.blob.arrayBuffer());
  if (row.bytes) return row.bytes;
  throw new Error(`The stored file ${row.repo}/${row.file} holds no bytes.`);
}

/** The id of a downloaded base model. */
export function baseModelId(repo: string, revision: string): string {
  return `${repo}@${revision}`;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

// ---- the store ----------------------------------------------------------------------------------

/** A tight copy when `bytes` views part of a larger buffer: structured clone would store the whole buffer. */
function ownBytes(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
}

function ownTensor(t: Float32Array): Float32Array {
  return t.byteOffset === 0 && t.byteLength === t.buffer.byteLength ? t : t.slice();
}

function message(err: unknown): string {
  return (err as Error | undefined)?.message || String(err);
}

abstract class BackedStore implements Store {
  /** whether files go in as Blobs; false once the browser refused one */
  private blobs = true;

  protected constructor(
    private backend: Backend,
    public persistent: boolean,
    public reason?: string,
  ) {}

  /**
   * A write; quota failures become StorageFullError naming what could not be kept. Any other
   * refusal moves the store to memory (over what it already holds) and writes there.
   */
  private async write(store: StoreName, value: object, what: string): Promise<void> {
    try {
      await this.backend.put(store, value);
    } catch (err) {
      if (isQuotaError(err)) throw new StorageFullError(what, { cause: err });
      if (!this.persistent) throw err;
      this.backend = new OverlayBackend(this.backend);
      this.persistent = false;
      this.reason = `This browser's storage refused to keep ${what} (${message(err)}), so models are kept for this session only, in memory.`;
      await this.backend.put(store, value);
    }
  }

  /** The browser refused a Blob value (Safari's private windows do): files go in as bytes from now on. */
  private blobsRefused(err: unknown): void {
    this.blobs = false;
    this.reason ??=
      `This browser's storage refuses files (${message(err)}), as Safari's private windows do: ` +
      'models are stored as plain bytes and kept for this session only (a private window forgets them when it closes).';
  }

  async putFile(repo: string, revision: string, file: string, bytes: Uint8Array) {
    const sha256 = await sha256Hex(bytes);
    const row: StoredFileRow = { repo, revision, file, size: bytes.byteLength, sha256, storedAt: Date.now() };
    const what = `${repo}/${file}`;
    if (this.blobs) {
      try {
        // The Blob holds a copy of exactly the view's bytes, whatever buffer they sit in.
        await this.backend.put('files', { ...row, blob: new Blob([bytes as Uint8Array<ArrayBuffer>]) });
        return { size: bytes.byteLength, sha256 };
      } catch (err) {
        if (isQuotaError(err)) throw new StorageFullError(what, { cause: err });
        this.blobsRefused(err);
      }
    }
    await this.write('files', { ...row, bytes: ownBytes(bytes) }, what);
    return { size: bytes.byteLength, sha256 };
  }

  async getFile(repo: string, revision: string, file: string): Promise<StoredFile | undefined> {
    const row = await this.backend.get<StoredFileRow>('files', [repo, revision, file]);
    if (!row) return undefined;
    const { blob: _blob, ...rest } = row;
    return { ...rest, bytes: await rowBytes(row) };
  }

  async migrateFiles(repo: string, revision: string, names: string[]) {
    let rewritten = 0;
    for (const name of names) {
      // Where Blobs are refused (or the store moved to memory) the bytes rows stay as they are.
      if (!this.blobs || !this.persistent) break;
      try {
        // One transaction per file: a model deleted meanwhile is not brought back.
        const changed = await this.backend.update<StoredFileRow>('files', [repo, revision, name], (row) => {
          if (!row || row.blob || !row.bytes) return undefined;
          const { bytes, ...rest } = row;
          return { ...rest, blob: new Blob([bytes as Uint8Array<ArrayBuffer>]) };
        });
        if (changed) rewritten++;
      } catch (err) {
        if (isQuotaError(err)) throw new StorageFullError(`${repo}/${name}`, { cause: err });
        this.blobsRefused(err); // the row is untouched: the transaction that failed wrote nothing
      }
    }
    return rewritten;
  }

  async hasFiles(repo: string, revision: string, names: string[]) {
    const present = await Promise.all(names.map((n) => this.backend.has('files', [repo, revision, n])));
    return present.every(Boolean);
  }

  async deleteFiles(repo: string, revision: string, names?: string[]) {
    if (!names) {
      await this.backend.deletePrefix('files', [repo, revision]);
      await this.backend.deletePrefix('partials', [repo, revision]);
      return;
    }
    for (const n of names) {
      await this.backend.delete('files', [repo, revision, n]);
      await this.backend.deletePrefix('partials', [repo, revision, n]);
    }
  }

  async putPartialChunk(chunk: PartialChunk) {
    await this.write('partials', { ...chunk, bytes: ownBytes(chunk.bytes) }, `the partial download of ${chunk.file}`);
  }

  async getPartial(repo: string, revision: string, file: string): Promise<PartialDownload | undefined> {
    const rows = await this.backend.getAll<PartialChunk>('partials', [repo, revision, file]);
    if (rows.length === 0) return undefined;
    // Only a run of chunks contiguous from byte 0 is usable; anything after a gap is dropped.
    const chunks: Uint8Array[] = [];
    let loaded = 0;
    for (const row of rows.sort((a, b) => a.offset - b.offset)) {
      if (row.offset !== loaded || (rows[0].etag ?? null) !== (row.etag ?? null)) break;
      chunks.push(row.bytes);
      loaded += row.bytes.byteLength;
    }
    if (loaded === 0) return undefined;
    return { chunks, loaded, etag: rows[0].etag, total: rows[0].total };
  }

  clearPartial(repo: string, revision: string, file: string) {
    return this.backend.deletePrefix('partials', [repo, revision, file]);
  }

  async putModel(model: ModelInput, files: Record<string, Uint8Array> = {}): Promise<ModelRecord> {
    const fileRepo = model.fileRepo ?? (model.kind === 'base' ? model.baseRepo : `local/${model.id}`);
    const written: string[] = [];
    try {
      let sizeBytes = 0;
      for (const [name, bytes] of Object.entries(files)) {
        const { size } = await this.putFile(fileRepo, model.revision, name, bytes);
        written.push(name);
        if (model.files.includes(name)) sizeBytes += size;
      }
      const others = model.files.filter((n) => !(n in files));
      if (!(await this.hasFiles(fileRepo, model.revision, others))) {
        throw new Error(`Cannot list model "${model.name}": some of its files are not stored (${others.join(', ')}).`);
      }
      if (model.sizeBytes !== undefined) sizeBytes = model.sizeBytes;
      else for (const n of others) sizeBytes += (await this.getFile(fileRepo, model.revision, n))?.size ?? 0;

      const record: ModelRecord = {
        ...model,
        fileRepo,
        sizeBytes,
        createdAt: model.createdAt ?? Date.now(),
        complete: true,
      };
      await this.write('models', record, `model "${model.name}"`);
      return record;
    } catch (err) {
      // Roll back what this call wrote, so a failed save leaves neither a record nor orphan bytes.
      if (written.length > 0) await this.deleteFiles(fileRepo, model.revision, written).catch(() => undefined);
      throw err;
    }
  }

  getModel(id: string) {
    return this.backend.get<ModelRecord>('models', id);
  }

  async listModels() {
    const all = await this.backend.getAll<ModelRecord>('models');
    return all.filter((m) => m.complete === true).sort((a, b) => b.createdAt - a.createdAt);
  }

  async getModelFiles(id: string) {
    const model = await this.getModel(id);
    if (!model || !model.complete) throw new Error(`No model "${id}" in the library.`);
    // In parallel: each Blob is read on its own, so small files do not wait behind the weights.
    const files = await Promise.all(model.files.map((name) => this.getFile(model.fileRepo, model.revision, name)));
    const out: Record<string, Uint8Array> = {};
    model.files.forEach((name, i) => {
      const file = files[i];
      if (!file) throw new Error(`Model "${model.name}" is damaged: its file ${name} is missing. Delete it and add it again.`);
      out[name] = file.bytes;
    });
    return out;
  }

  async renameModel(id: string, name: string) {
    const model = await this.getModel(id);
    if (!model) throw new Error(`No model "${id}" in the library.`);
    const trimmed = name.trim();
    if (trimmed === '') throw new Error('A model name cannot be empty.');
    await this.write('models', { ...model, name: trimmed }, `model "${trimmed}"`);
  }

  async deleteModel(id: string) {
    const model = await this.getModel(id);
    if (!model) return;
    // The record goes first: if deleting files fails half-way, nothing lists the damaged model.
    await this.backend.delete('models', id);
    const sharing = (await this.backend.getAll<ModelRecord>('models')).filter(
      (m) => m.fileRepo === model.fileRepo && m.revision === model.revision,
    );
    if (sharing.length === 0) {
      await this.deleteFiles(model.fileRepo, model.revision);
    } else {
      const used = new Set(sharing.flatMap((m) => m.files));
      await this.deleteFiles(model.fileRepo, model.revision, model.files.filter((n) => !used.has(n)));
    }
  }

  async putCheckpoint(id: string, meta: unknown, tensors: Record<string, Float32Array>) {
    const own: Record<string, Float32Array> = {};
    for (const [name, t] of Object.entries(tensors)) own[name] = ownTensor(t);
    await this.write('checkpoints', { id, meta, tensors: own, savedAt: Date.now() }, 'the training checkpoint');
  }

  getCheckpoint(id: string) {
    return this.backend.get<CheckpointRecord>('checkpoints', id);
  }

  deleteCheckpoint(id: string) {
    return this.backend.delete('checkpoints', id);
  }

  async putArchive(archive: Omit<ArchiveRecord, 'savedAt'> & { savedAt?: number }) {
    await this.write('archives', { ...archive, savedAt: archive.savedAt ?? Date.now() }, 'the kept tweets');
  }

  async getArchives() {
    const all = await this.backend.getAll<ArchiveRecord>('archives');
    return all.sort((a, b) => a.savedAt - b.savedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async deleteArchives(id?: string) {
    if (id === undefined) await this.backend.clear('archives');
    else await this.backend.delete('archives', id);
  }

  async estimate(): Promise<StorageEstimate> {
    const storage = typeof navigator !== 'undefined' ? navigator.storage : undefined;
    if (this.persistent && storage?.estimate) {
      const e = await storage.estimate();
      return { usage: e.usage ?? 0, quota: e.quota ?? null, source: 'browser' };
    }
    return { usage: await this.countBytes(), quota: null, source: 'store' };
  }

  /** The bytes of files, partial downloads and checkpoints this store holds. */
  private async countBytes(): Promise<number> {
    let usage = 0;
    for (const f of await this.backend.getAll<StoredFileRow>('files')) usage += f.size;
    for (const p of await this.backend.getAll<PartialChunk>('partials')) usage += p.bytes.byteLength;
    for (const c of await this.backend.getAll<CheckpointRecord>('checkpoints')) {
      for (const t of Object.values(c.tensors)) usage += t.byteLength;
    }
    return usage;
  }

  async persist(): Promise<boolean> {
    const storage = typeof navigator !== 'undefined' ? navigator.storage : undefined;
    if (!this.persistent || !storage?.persist) return false;
    try {
      return await storage.persist();
    } catch {
      return false;
    }
  }

  close(): void {
    this.backend.close();
  }
}

export class IdbStore extends BackedStore {
  private constructor(db: IDBPDatabase<TweetgptSchema>) {
    super(new IdbBackend(db as unknown as IDBPDatabase<unknown>), true);
  }

  static async open(name = DB_NAME): Promise<IdbStore> {
    const db = await openDB<TweetgptSchema>(name, DB_VERSION, {
      upgrade(database) {
        database.createObjectStore('files', { keyPath: KEY_PATHS.files });
        database.createObjectStore('partials', { keyPath: KEY_PATHS.partials });
        database.createObjectStore('models', { keyPath: 'id' });
        database.createObjectStore('checkpoints', { keyPath: 'id' });
        database.createObjectStore('archives', { keyPath: 'id' });
      },
      // Another tab wants a newer schema: let it have the database rather than block it.
      blocking() {
        db.close();
      },
    });
    return new IdbStore(db);
  }
}

/** The same store, held in memory: used when IndexedDB is unavailable, and in tests. */
export class MemoryStore extends BackedStore {
  constructor(reason = 'kept in memory only') {
    super(new MemoryBackend(), false, reason);
  }
}

const OPEN_TIMEOUT_MS = 10_000;

/**
 * Open the IndexedDB store, or fall back to memory (private windows, disabled storage, a
 * database that never answers) with the reason in `reason`.
 */
export async function openStore(options: { name?: string } = {}): Promise<Store> {
  if (typeof indexedDB === 'undefined') {
    return new MemoryStore('IndexedDB is not available here, so models are kept only until the page closes.');
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer after ${OPEN_TIMEOUT_MS / 1000} s`)), OPEN_TIMEOUT_MS);
    });
    return await Promise.race([IdbStore.open(options.name), timeout]);
  } catch (err) {
    return new MemoryStore(
      `The browser refused to open its database (${(err as Error).message ?? String(err)}), ` +
        'so models are kept only until the page closes.',
    );
  } finally {
    clearTimeout(timer);
  }
}
