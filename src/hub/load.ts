/**
 * Get the files of a GPT-2: from the library when it holds them (no network at all), otherwise
 * from the model host, resuming any interrupted download and storing each file as it completes;
 * or from files a person dropped on the page.
 */
import { discoverRepoFiles, type RepoPlan } from './discover';
import { downloadFile, type DownloadProgress } from './download';
import { HubError, StorageFullError } from './errors';
import { baseModelId, type Store } from './store';
import { chooseFromNames, describeMissing, fileUrl, hubLocation, parseRepo } from './urls';
import { readExportZip } from '../export/exportZip';

export interface FetchModelOptions {
  store: Store;
  host?: string;
  revision?: string;
  signal?: AbortSignal;
  /** progress of one file (stored files report once, complete) */
  onProgress?(file: string, progress: DownloadProgress): void;
  /** the files about to be fetched and the bytes still to download, before any download starts */
  onPlan?(plan: ModelDownloadPlan): void;
  /**
   * Storage ran out. With this callback the load goes on in memory (nothing half-stored stays);
   * without it, the StorageFullError is thrown.
   */
  onStorageFull?(error: StorageFullError): void;
  /** injectable for tests; the global fetch otherwise */
  fetch?: typeof fetch;
}

export interface ModelDownloadPlan {
  repo: string;
  revision: string;
  files: Array<{ name: string; size: number | null; stored: boolean; resumeFrom: number }>;
  /** bytes left to download (null if the host did not give every size) */
  downloadBytes: number | null;
}

/** Buffer partial chunks up to this size: one IndexedDB write per network chunk (~64 KB) is slow. */
const PARTIAL_FLUSH_BYTES = 4 * 1024 * 1024;

export async function fetchModelFiles(repoName: string, options: FetchModelOptions): Promise<Record<string, Uint8Array>> {
  const repo = parseRepo(repoName);
  const location = hubLocation({ host: options.host, revision: options.revision });
  const { revision } = location;
  const { store } = options;
  const id = baseModelId(repo, revision);

  const known = await store.getModel(id);
  if (known?.complete) {
    try {
      const files = await store.getModelFiles(id);
      for (const [name, bytes] of Object.entries(files)) options.onProgress?.(name, done(bytes.byteLength));
      return files;
    } catch {
      // A damaged record (a file evicted or deleted): fetch it again below.
    }
  }

  const plan: RepoPlan = await discoverRepoFiles(repo, { location, signal: options.signal, fetch: options.fetch });
  const stored = await Promise.all(plan.files.map((f) => store.hasFiles(repo, revision, [f.name])));
  const partials = await Promise.all(
    plan.files.map((f, i) => (stored[i] ? undefined : store.getPartial(repo, revision, f.name))),
  );
  const toFetch = plan.files.map((f, i) => ({
    name: f.name,
    size: f.size,
    stored: stored[i],
    resumeFrom: partials[i]?.loaded ?? 0,
  }));
  const left = toFetch.filter((f) => !f.stored);
  options.onPlan?.({
    repo,
    revision,
    files: toFetch,
    downloadBytes: left.every((f) => f.size !== null) ? left.reduce((s, f) => s + (f.size ?? 0) - f.resumeFrom, 0) : null,
  });

  let keeping = true;
  const storageFull = async (err: StorageFullError) => {
    keeping = false;
    // This model will not be complete in storage: free everything of it rather than keep half.
    await store.deleteFiles(repo, revision).catch(() => undefined);
    if (!options.onStorageFull) throw err;
    options.onStorageFull(err);
  };

  const files: Record<string, Uint8Array> = {};
  for (let i = 0; i < plan.files.length; i++) {
    const { name } = plan.files[i];
    if (stored[i] && keeping) {
      const file = await store.getFile(repo, revision, name);
      if (file) {
        files[name] = file.bytes;
        options.onProgress?.(name, done(file.size));
        continue;
      }
    }
    let bytes = plan.prefetched[name];
    if (bytes) options.onProgress?.(name, done(bytes.byteLength));
    else bytes = await downloadResumable(repo, name, partials[i], { ...options, location, keeping: () => keeping });
    files[name] = bytes;
    if (keeping) {
      try {
        await store.putFile(repo, revision, name, bytes);
        await store.clearPartial(repo, revision, name);
      } catch (err) {
        if (!(err instanceof StorageFullError)) throw err;
        await storageFull(err);
      }
    }
  }

  if (keeping) {
    try {
      await store.putModel({
        id,
        name: repo,
        kind: 'base',
        baseRepo: repo,
        revision,
        files: plan.files.map((f) => f.name),
        sizeBytes: Object.values(files).reduce((s, b) => s + b.byteLength, 0),
      });
    } catch (err) {
      if (!(err instanceof StorageFullError)) throw err;
      await storageFull(err);
    }
  }
  return files;
}

function done(size: number): DownloadProgress {
  return { loaded: size, total: size, bytesPerSec: 0, etaSec: 0 };
}

async function downloadResumable(
  repo: string,
  name: string,
  partial: Awaited<ReturnType<Store['getPartial']>>,
  options: FetchModelOptions & { location: ReturnType<typeof hubLocation>; keeping(): boolean },
): Promise<Uint8Array> {
  const { store, location } = options;
  const { revision } = location;
  let etag: string | null = partial?.etag ?? null;
  let total: number | null = partial?.total ?? null;
  let pending: Uint8Array[] = [];
  let pendingAt = partial?.loaded ?? 0;
  let pendingBytes = 0;
  let saving = true;

  const flush = async () => {
    if (pendingBytes === 0) return;
    const bytes = new Uint8Array(pendingBytes);
    let at = 0;
    for (const c of pending) {
      bytes.set(c, at);
      at += c.byteLength;
    }
    const offset = pendingAt;
    pending = [];
    pendingAt += pendingBytes;
    pendingBytes = 0;
    if (!saving || !options.keeping()) return;
    try {
      await store.putPartialChunk({ repo, revision, file: name, offset, bytes, etag, total });
    } catch (err) {
      // Losing resumability is no reason to stop the download; the final put reports a full disk.
      if (err instanceof StorageFullError) saving = false;
      else throw err;
    }
  };

  try {
    return await downloadFile(fileUrl(repo, name, location), {
      repo,
      file: name,
      signal: options.signal,
      fetch: options.fetch,
      resumeFrom: partial?.chunks,
      resumeEtag: partial?.etag,
      onProgress: (p) => options.onProgress?.(name, p),
      onResponse: (info) => {
        etag = info.etag;
        total = info.total;
        pendingAt = info.resumedAt;
      },
      onRestart: async () => {
        pending = [];
        pendingBytes = 0;
        pendingAt = 0;
        await store.clearPartial(repo, revision, name);
      },
      onChunk: async (chunk, offset) => {
        if (pendingBytes === 0) pendingAt = offset;
        pending.push(chunk);
        pendingBytes += chunk.byteLength;
        if (pendingBytes >= PARTIAL_FLUSH_BYTES) await flush();
      },
    });
  } catch (err) {
    // Keep what arrived before the failure, so the next try resumes from there.
    await flush().catch(() => undefined);
    throw err;
  }
}

// ---- dropped files ------------------------------------------------------------------------------

export interface DroppedFile {
  /** the file name, or its path inside a dropped folder ("gpt2/config.json") */
  name: string;
  file: Blob;
}

/**
 * The files of a GPT-2 from a drop: a folder (or loose files) holding config.json, the weights and
 * the tokenizer, or one zip exported by tweetgpt. Only the needed files are read, so a folder that
 * also holds TensorFlow or ONNX weights costs nothing extra.
 */
export async function filesFromDrop(dropped: DroppedFile[]): Promise<Record<string, Uint8Array>> {
  const real = dropped.filter((d) => !isJunk(d.name));
  if (real.length === 1 && /\.zip$/i.test(real[0].name)) {
    return (await readExportZip(real[0].file)).files;
  }

  // The folder that holds config.json (the shallowest, if nested copies exist) is the model.
  const withPath = real.map((d) => ({ ...d, path: d.name.replace(/\\/g, '/').replace(/^\/+/, '') }));
  const configs = withPath
    .filter((d) => baseName(d.path) === 'config.json')
    .sort((a, b) => a.path.split('/').length - b.path.split('/').length);
  const dir = configs.length > 0 ? dirName(configs[0].path) : shallowestDir(withPath.map((d) => d.path));
  const byName = new Map<string, Blob>();
  for (const d of withPath) if (dirName(d.path) === dir) byName.set(baseName(d.path), d.file);

  const read = async (name: string) => new Uint8Array(await byName.get(name)!.arrayBuffer());
  const choice = await chooseFromNames(byName.keys(), read);
  if (choice.missing.length > 0) {
    throw new HubError(
      'incomplete-model',
      `These files are not a complete GPT-2 model: ${describeMissing(choice.missing)} ${choice.missing.length > 1 ? 'are' : 'is'} missing. ` +
        'Drop the whole model folder (config.json, model.safetensors or pytorch_model.bin, and tokenizer.json or vocab.json + merges.txt), ' +
        'or a zip exported by tweetgpt.',
    );
  }
  const out: Record<string, Uint8Array> = {};
  for (const name of choice.files) out[name] = await read(name);
  return out;
}

function isJunk(path: string): boolean {
  const base = baseName(path);
  return base === '.DS_Store' || base === 'Thumbs.db' || path.includes('__MACOSX/') || base.startsWith('._');
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function dirName(path: string): string {
  const i = path.lastIndexOf('/');
  return i === -1 ? '' : path.slice(0, i);
}

function shallowestDir(paths: string[]): string {
  const dirs = paths.map(dirName).sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
  return dirs[0] ?? '';
}
