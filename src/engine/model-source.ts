/**
 * Where a model's files come from: the model host (through the IndexedDB store, with per-file
 * progress), files the person dropped (kept in the library), or the library itself.
 */
import { fetchModelFiles, filesFromDrop } from '../hub/load';
import { whenOnline } from '../hub/offline';
import { baseModelId, type ModelInput, type Store } from '../hub/store';
import { parseRepo } from '../hub/urls';
import type { FileProgress, ModelSource } from './api';
import { fingerprint, nameFromConfig } from './library';
import { parseAdapterConfig } from '../model/index';
import { baseOf, droppedAdapterRecord, findBase, missingBase, readAdapterDrop } from './adapters';

export interface ModelFiles {
  files: Record<string, Uint8Array>;
  meta: { id: string; name: string; kind: 'base' | 'finetuned'; baseRepo: string };
  /** Bytes that came over the network (0 when every file was stored). */
  networkBytes: number;
  /** Whether the files are kept in IndexedDB. */
  persisted: boolean;
  /**
   * A LoRA bot: `files` are its base's, and this PEFT adapter goes on top; `record` is set for a
   * dropped adapter, to be stored once it has loaded.
   */
  adapter?: { files: Record<string, Uint8Array>; record?: ModelInput };
}

export interface ModelFilesOptions {
  store: Store;
  host: string;
  onProgress: (p: FileProgress) => void;
  /** Storage filled up during a download: the model still loads, from memory. */
  onStorageFull: (message: string) => void;
  /** Keeps dropped files in the library; false when they could not be kept. */
  saveDropped: (record: Parameters<Store['putModel']>[0], files: Record<string, Uint8Array>) => Promise<boolean>;
}

export async function modelFiles(source: ModelSource, opts: ModelFilesOptions): Promise<ModelFiles> {
  const store = opts.store;
  let networkBytes = 0;
  let persisted = store.persistent;
  let files: Record<string, Uint8Array>;
  let meta: { id: string; name: string; kind: 'base' | 'finetuned'; baseRepo: string };
  let adapter: ModelFiles['adapter'];

  if (source.kind === 'hub') {
    const repo = parseRepo(source.repo);
    const revision = source.revision ?? 'main';
    const seen = new Map<string, number>();
    files = await whenOnline(repo, opts.host, () => fetchModelFiles(repo, {
      store,
      host: opts.host,
      revision,
      onProgress: (file, p) => {
        const fromCache = !seen.has(file) && p.loaded === p.total && p.bytesPerSec === 0;
        if (!fromCache) networkBytes += p.loaded - (seen.get(file) ?? 0);
        seen.set(file, p.loaded);
        opts.onProgress({ file, loaded: p.loaded, total: p.total, bytesPerSec: p.bytesPerSec, etaSec: p.etaSec, fromCache });
      },
      onStorageFull: (err) => {
        persisted = false;
        opts.onStorageFull(err.message);
      },
    }));
    meta = { id: baseModelId(repo, revision), name: repo, kind: 'base', baseRepo: repo };
  } else if (source.kind === 'files') {
    files = await filesFromDrop(source.files);
    const id = `dropped/${await fingerprint(files)}`;
    const name = nameFromConfig(files) ?? 'dropped model';
    meta = { id, name, kind: 'base', baseRepo: name };
    persisted = await opts.saveDropped({ id, name, kind: 'base', baseRepo: name, revision: 'main', files: Object.keys(files) }, files);
    reportStored(files, opts.onProgress);
  } else if (source.kind === 'adapter') {
    const drop = await readAdapterDrop(source.files);
    if (!drop) throw new Error('These files are not a LoRA adapter: drop adapter_config.json with adapter_model.safetensors, or their zip.');
    // A missing or wrong config is refused here, before anything is read from the library.
    const repo = parseAdapterConfig(drop.files['adapter_config.json']).baseModel;
    if (!repo) throw new Error('adapter_config.json names no base model (base_model_name_or_path): the page cannot tell which GPT-2 it adapts.');
    const base = await findBase(store, repo);
    if (!base) throw new Error(missingBase(repo));
    const record = await droppedAdapterRecord(drop, base, new Set((await store.listModels()).map((m) => m.name)));
    files = await store.getModelFiles(base.id);
    meta = { id: record.id, name: record.name, kind: 'finetuned', baseRepo: base.baseRepo };
    adapter = { files: drop.files, record };
    reportStored({ ...files, ...drop.files }, opts.onProgress);
  } else {
    const record = await store.getModel(source.id);
    if (!record) throw new Error('That model is no longer in this browser’s storage.');
    if (record.adapterOf) {
      // A LoRA bot: its base's files, and its own adapter on top.
      adapter = { files: await store.getModelFiles(source.id) };
      files = await store.getModelFiles((await baseOf(store, record)).id);
    } else files = await store.getModelFiles(source.id);
    meta = { id: record.id, name: record.name, kind: record.kind, baseRepo: record.baseRepo };
    reportStored({ ...files, ...adapter?.files }, opts.onProgress);
  }
  // A store that moved to memory while it wrote these files keeps them for this session only.
  return { files, meta, networkBytes, persisted: persisted && store.persistent, adapter };
}

/** Files already in hand (dropped, or read from the library): each reported as complete, from cache. */
function reportStored(files: Record<string, Uint8Array>, onProgress: (p: FileProgress) => void): void {
  for (const [file, bytes] of Object.entries(files)) onProgress({ file, loaded: bytes.byteLength, total: bytes.byteLength, bytesPerSec: 0, etaSec: 0, fromCache: true });
}
