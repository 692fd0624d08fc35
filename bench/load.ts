/**
 * Loading a model as the page does: `fetchModelFiles` (IndexedDB when it holds the model, else
 * the model host, storing each file) then `loadGPT2`. Run once for a first visit and once, in a
 * fresh worker, for a return visit; and once more from a copy of the library in the format the
 * store used before files became Blobs (`legacy`), loaded the way the code then did (every tensor
 * copied out of the file), as the return visit's baseline in the same run.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fetchModelFiles } from '../src/hub/load';
import { baseModelId, openStore } from '../src/hub/store';
import { GPT2, loadTokenizer, parseGPT2Config } from '../src/model';
import { readGPT2Checkpoint } from '../src/model/weights';
import type { Log } from './measure';
import { PROBE_TENSOR, PROBE_VALUES, type LoadFigures } from './protocol';

export const BENCH_DB = 'tweetgpt-bench';
/** The same library, stored as the store did before the Blob format. */
export const LEGACY_BENCH_DB = 'tweetgpt-bench-legacy';

export async function measureLoad(repo: string, host: string, log: Log, legacy = false): Promise<LoadFigures> {
  const store = await openStore({ name: legacy ? LEGACY_BENCH_DB : BENCH_DB });
  try {
    const t0 = performance.now();
    let lastLog = 0;
    const files = await fetchModelFiles(repo, {
      store,
      host,
      onProgress: (file, p) => {
        const t = performance.now();
        if (t - lastLog > 2000 || p.loaded === p.total) {
          lastLog = t;
          log(`load: ${file} ${(p.loaded / 1e6).toFixed(0)}${p.total ? ` / ${(p.total / 1e6).toFixed(0)}` : ''} MB`);
        }
      },
    });
    const filesMs = performance.now() - t0;
    // loadGPT2, in its two parts: the safetensors parse (views, or copies for the old way) and
    // the upload of every tensor into the backend's memory as a variable.
    const b0 = performance.now();
    const config = parseGPT2Config(files['config.json']);
    const weights = await readGPT2Checkpoint(files, config, { shareBuffer: !legacy });
    const parseMs = performance.now() - b0;
    const u0 = performance.now();
    const model = GPT2.fromWeights(config, weights);
    const uploadMs = performance.now() - u0;
    const buildMs = performance.now() - b0;
    // The page also builds the tokenizer on a return visit (not in totalMs, as before).
    const k0 = performance.now();
    loadTokenizer(files);
    const tokenizerMs = performance.now() - k0;
    const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    log(`load (${legacy ? 'pre-Blob format, the old way' : 'Blob format'}): files ${sec(filesMs)}, parse ${sec(parseMs)}, upload ${sec(uploadMs)}`);
    try {
      const probe = tf.tidy(() => tf.slice(tf.reshape(model.params[PROBE_TENSOR], [-1]), [0], [PROBE_VALUES]));
      const values = Array.from(await probe.data());
      probe.dispose();
      return {
        filesMs,
        buildMs,
        parseMs,
        uploadMs,
        tokenizerMs,
        totalMs: filesMs + buildMs,
        bytes: Object.values(files).reduce((n, b) => n + b.byteLength, 0),
        files: Object.keys(files),
        persistent: store.persistent,
        probe: values,
        format: legacy ? 'legacy' : 'blob',
      };
    } finally {
      model.dispose();
    }
  } finally {
    store.close();
  }
}

/**
 * Copies the bench library into LEGACY_BENCH_DB as the store wrote it before the Blob format:
 * each file's bytes a Uint8Array value, the model record beside them.
 */
export async function writeLegacyLibrary(repo: string, log: Log): Promise<void> {
  const source = await openStore({ name: BENCH_DB });
  const id = baseModelId(repo, 'main');
  try {
    const record = await source.getModel(id);
    if (!record) throw new Error(`${id} is not in ${BENCH_DB}`);
    await deleteDatabase(LEGACY_BENCH_DB);
    (await openStore({ name: LEGACY_BENCH_DB })).close(); // the current schema
    const db = await request<IDBDatabase>(indexedDB.open(LEGACY_BENCH_DB));
    try {
      for (const name of record.files) {
        const file = await source.getFile(record.fileRepo, record.revision, name);
        if (!file) throw new Error(`${name} is missing from ${BENCH_DB}`);
        const tx = db.transaction('files', 'readwrite');
        tx.objectStore('files').put({ ...file, bytes: file.bytes });
        await done(tx);
        log(`load: legacy copy of ${name} written (${(file.size / 1e6).toFixed(0)} MB)`);
      }
      const tx = db.transaction('models', 'readwrite');
      tx.objectStore('models').put(record);
      await done(tx);
    } finally {
      db.close();
    }
  } finally {
    source.close();
  }
}

function request<T>(req: IDBRequest): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result as T);
    req.onerror = () => reject(req.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.deleteDatabase(name);
    req.onsuccess = () => resolve();
    req.onerror = () => reject(req.error);
    req.onblocked = () => resolve();
  });
}
