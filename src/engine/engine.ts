/**
 * The engine: everything the page asks of the worker, behind the one `Engine` interface.
 * Owns the tfjs backend, the archives, the current model and generation; training runs are
 * `runs.ts`'s.
 */
import * as tf from '@tensorflow/tfjs-core';
import { discoverRepoFiles } from '../hub/discover';
import { baseModelId, MemoryStore, openStore, type Store } from '../hub/store';
import { hubLocation, parseRepo } from '../hub/urls';
import { whenOnline } from '../hub/offline';
import { readExportZip } from '../export/exportZip';
import { slugify } from '../export/modelCard';
import type {
  AdapterCheck,
  AddArchiveResult,
  ArchiveInput,
  ArchiveSummary,
  BackendReport,
  CheckpointInfo,
  CopyInfo,
  GameRound,
  QualityReport,
  Engine,
  EngineFault,
  EngineInit,
  FileProgress,
  GenerateEvent,
  GenerateSettings,
  LibraryEntry,
  ModelInfo,
  ModelSource,
  StorageInfo,
  TrainingDataInfo,
  TrainProgress,
  TrainResult,
  TrainSettings,
} from './api';
import { ArchiveSet, type StoredArchive } from './archives';
import { modelFiles } from './model-source';
import { exportModelGguf, exportModelZip, fingerprint, importedNotes, libraryEntry, nameFromConfig, type ExportMeta, type FinetuneNotes } from './library';
import { applyAdapter, checkAdapter, refuseUsedBase, exportAdapterZip, libraryEntries, mergedBotFiles } from './adapters';
import { DEFAULT_DEADLINES, pickBackend, webgpuDevice, withDeadline } from './backend';
import { CopyChecker } from './copy-check';
import { gameRound } from './quality';
import { writeTweets } from './writing';
import { buildModel, type LoadedModel } from './loaded-model';
import { defaultSettings } from './training';
import { TrainingRuns } from './runs';

export class EngineImpl implements Engine {
  private backend: BackendReport | null = null;
  private modelHost = 'https://huggingface.co';
  private store: Store | null = null;
  private storageNote: string | null = null;
  private readonly archives = new ArchiveSet();
  private model: LoadedModel | null = null;
  private generation: AbortController | null = null;
  /** The copy check's index of every kept tweet, rebuilt when the archives change. */
  private readonly copies = new CopyChecker(() => this.archives.all);
  /** Training runs: one at a time, with its checkpoints and the model it saves. */
  private readonly runs = new TrainingRuns({
    store: () => this.storage$(),
    archives: this.archives,
    checkCopy: (text) => this.copies.check(text),
    backendName: () => this.backendName(),
    requireModel: () => this.requireModel(),
    loadBase: async (id) => void (await this.load({ kind: 'library', id }, () => {})),
    saveToLibrary: (record, files) => this.saveToLibrary(record, files),
    finished: (modelId, quality) => (this.lastQuality = { modelId, quality }),
  });
  /** The last fine-tune's quality, also when storage could not keep the model (private windows). */
  private lastQuality: { modelId: string; quality: QualityReport } | null = null;

  /** What the engine is doing, for `ping` (start-up stages). */
  private stage = 'idle';

  async ping(): Promise<string> {
    return this.stage;
  }

  async init(opts: EngineInit, onFault: (f: EngineFault) => void): Promise<BackendReport> {
    this.modelHost = opts.modelHost;
    this.backend = await pickBackend(opts.backend, opts.avoid, DEFAULT_DEADLINES, { wasmThreads: opts.wasmThreads ?? true, onStage: (s) => (this.stage = s) });
    // A lost GPU (driver reset, device removed, too long a kernel) kills every tensor: training and
    // generation cannot go on here. The page restarts the engine on another backend.
    void webgpuDevice()?.lost.then((info) => {
      this.runs.cancel();
      this.generation?.abort();
      onFault({ kind: 'device-lost', message: `The GPU stopped working (${info.reason === 'destroyed' ? 'device destroyed' : info.message || 'device lost'}).` });
    });
    this.stage = 'opening storage';
    this.store = opts.storageAvailable ? await openStore() : new MemoryStore('This browser gives the page no storage (a private window?), so models are kept only until the page closes.');
    if (!this.store.persistent) this.storageNote = this.store.reason ?? 'This browser gives no storage: models are kept only until the page closes.';
    this.stage = 'reading the kept archives';
    const kept = await withDeadline(this.store.getArchives(), DEFAULT_DEADLINES.startMs, 'Reading the kept archives').catch(() => []);
    this.archives.restore(kept.map((r) => ({ summary: r.summary as ArchiveSummary, tweets: r.tweets as string[], tweetDates: r.tweetDates as Array<string | null> | undefined, addedAt: r.savedAt })));
    this.stage = 'ready';
    return this.backend;
  }

  async debugLoseDevice(): Promise<void> {
    const device = webgpuDevice();
    if (!device) throw new Error('Not running on WebGPU.');
    device.destroy();
  }

  // ---- archives ---------------------------------------------------------------------------------

  async addArchive(input: ArchiveInput): Promise<AddArchiveResult> {
    const { item, duplicate } = await this.archives.add(input);
    if (!duplicate) await this.keepArchive(item);
    return { archive: item.summary, duplicate, data: this.archives.info() as TrainingDataInfo };
  }

  async removeArchive(id: string): Promise<TrainingDataInfo> {
    this.archives.remove(id);
    await this.storage$().deleteArchives(id).catch(() => {});
    return this.dataInfo();
  }

  async renameArchive(id: string, username: string, displayName: string): Promise<TrainingDataInfo> {
    this.archives.rename(id, username, displayName);
    const item = this.archives.all.find((a) => a.summary.id === id);
    if (item) await this.keepArchive(item);
    return this.dataInfo();
  }

  async forgetArchives(): Promise<TrainingDataInfo> {
    this.archives.clear();
    await this.storage$().deleteArchives().catch(() => {});
    return this.dataInfo();
  }

  async listArchives(): Promise<ArchiveSummary[]> {
    return this.archives.summaries();
  }

  async trainingData(): Promise<TrainingDataInfo | null> {
    return this.archives.info();
  }

  /** Keeps the cleaned kept tweets and the summary (never anything else of the archive) so training can resume after a reload. */
  private async keepArchive(item: StoredArchive): Promise<void> {
    try {
      await this.storage$().putArchive({ id: item.summary.id, label: item.summary.username, summary: item.summary, tweets: item.tweets, tweetDates: item.tweetDates, savedAt: item.addedAt });
    } catch (err) {
      this.storageNote = `The tweets could not be kept in this browser (${(err as Error).message}); they stay in this page until it closes.`;
    }
  }

  private dataInfo(): TrainingDataInfo {
    return this.archives.info() ?? { botName: '', usernames: [], displayNames: [], chars: 0, level: 'empty', message: 'No archive yet.' };
  }

  // ---- models -----------------------------------------------------------------------------------

  async modelDownloadSize(repo: string, revision?: string): Promise<number | null> {
    const name = parseRepo(repo);
    // Already stored: nothing to download, and no request to the host either.
    if ((await this.storage$().getModel(baseModelId(name, revision ?? 'main')))?.complete) return 0;
    const plan = await whenOnline(name, this.modelHost, () => discoverRepoFiles(name, { location: hubLocation({ host: this.modelHost, revision }) }));
    return plan.totalBytes;
  }

  async loadModel(source: ModelSource, onProgress: (p: FileProgress) => void): Promise<ModelInfo> {
    if (this.runs.busy) throw new Error('Training is running: cancel it before loading another model.');
    return this.load(source, onProgress);
  }

  private async load(source: ModelSource, onProgress: (p: FileProgress) => void): Promise<ModelInfo> {
    const startedAt = performance.now();
    const store = this.storage$();
    const { files, meta, networkBytes, adapter, ...rest } = await modelFiles(source, {
      store,
      host: this.modelHost,
      onProgress,
      onStorageFull: (message) => (this.storageNote = message),
      saveDropped: (record, files) => this.saveToLibrary(record, files),
    });

    let persisted = rest.persisted;
    let loaded: LoadedModel;
    try {
      loaded = await buildModel(files, { ...meta, networkBytes, persisted }, { maxTensorBytes: this.maxTensorBytes(), startedAt });
    } catch (err) {
      // Files that do not make a model (corrupt weights, a wrong config) must not stay in the library.
      if (source.kind === 'files' || source.kind === 'hub') await store.deleteModel(meta.id).catch(() => {});
      throw err;
    }
    if (adapter) {
      // A LoRA bot: a bad adapter is refused before it is stored; the current model stays.
      try {
        await applyAdapter(loaded.gpt2, adapter.files);
      } catch (err) {
        loaded.gpt2.dispose();
        throw err;
      }
      if (adapter.record) persisted = await this.saveToLibrary(adapter.record, adapter.files);
      loaded.info = { ...loaded.info, persisted };
    }
    this.model?.gpt2.dispose();
    this.model = loaded;
    // A library stored before files were Blobs loads several times slower: rewrite it once, after
    // this load (not awaited; a failure only leaves the old, still readable format).
    if (source.kind !== 'files' && !adapter && persisted) void this.migrateStoredFiles(meta.id).catch(() => {});
    return loaded.info;
  }

  private async migrateStoredFiles(id: string): Promise<void> {
    const store = this.storage$();
    const record = await store.getModel(id);
    if (record?.complete) await store.migrateFiles(record.fileRepo, record.revision, record.files);
  }

  async currentModel(): Promise<ModelInfo | null> {
    return this.model?.info ?? null;
  }

  async library(): Promise<LibraryEntry[]> {
    return libraryEntries(await this.storage$().listModels());
  }

  async storage(): Promise<StorageInfo> {
    const store = this.storage$();
    const est = await store.estimate().catch(() => null);
    // The store's own reason appears once a write found out it refuses Blobs or writes.
    return { persistent: store.persistent, note: this.storageNote ?? store.reason ?? null, usage: est?.usage ?? null, quota: est?.quota ?? null, persisted: null };
  }

  async renameModel(id: string, name: string): Promise<void> {
    await this.storage$().renameModel(id, name);
    if (this.model?.info.id === id) this.model.info = { ...this.model.info, name };
  }

  async deleteModel(id: string, opts: { evenIfUsed?: boolean } = {}): Promise<void> {
    const store = this.storage$();
    if (!opts.evenIfUsed) await refuseUsedBase(store, id);
    await store.deleteModel(id);
  }

  async inspectAdapter(files: Array<{ name: string; file: Blob }>): Promise<AdapterCheck | null> {
    return checkAdapter(this.storage$(), files);
  }

  // ---- training ---------------------------------------------------------------------------------

  async defaultTrainSettings(): Promise<TrainSettings> {
    return defaultSettings(this.model, this.archives.info()?.botName ?? '');
  }

  train(settings: TrainSettings, onProgress: (p: TrainProgress) => void): Promise<TrainResult> {
    return this.runs.train(settings, onProgress);
  }

  pendingCheckpoint(): Promise<CheckpointInfo | null> {
    return this.runs.pendingCheckpoint();
  }

  resumeTraining(onProgress: (p: TrainProgress) => void): Promise<TrainResult> {
    return this.runs.resume(onProgress);
  }

  discardCheckpoint(): Promise<void> {
    return this.runs.discardCheckpoint();
  }

  pause(): Promise<void> {
    return this.runs.pause();
  }

  async unpause(): Promise<void> {
    this.runs.unpause();
  }

  async cancel(): Promise<void> {
    this.runs.cancel();
  }

  // ---- generation -------------------------------------------------------------------------------

  async generate(settings: GenerateSettings, onEvent: (e: GenerateEvent) => void): Promise<string[]> {
    const model = this.requireModel();
    if (this.runs.training) throw new Error('Training is running: pause it to generate.');
    this.generation?.abort();
    const controller = new AbortController();
    this.generation = controller;
    try {
      return await writeTweets(model, settings, (text) => this.copies.check(text), controller.signal, onEvent);
    } finally {
      if (this.generation === controller) this.generation = null;
    }
  }

  async stopGenerating(): Promise<void> {
    this.generation?.abort();
  }

  async checkCopies(texts: string[]): Promise<Array<CopyInfo | null>> {
    return texts.map((t) => this.copies.check(t));
  }

  async qualityReport(): Promise<QualityReport | null> {
    if (!this.model) return null;
    if (this.lastQuality?.modelId === this.model.info.id) return this.lastQuality.quality;
    const record = await this.storage$().getModel(this.model.info.id).catch(() => undefined);
    return (record?.archiveSummary as FinetuneNotes | undefined)?.quality ?? null;
  }

  async gameRound(round: number): Promise<GameRound> {
    const model = this.requireModel();
    if (this.runs.training) throw new Error('Training is running: pause it to play.');
    const texts = this.archives.merged().texts;
    if (texts.length === 0) throw new Error('Add an archive first: the real tweets come from it.');
    const record = await this.storage$().getModel(model.info.id).catch(() => undefined);
    const seed = (record?.archiveSummary as FinetuneNotes | undefined)?.settings.seed ?? defaultSettings(model, '').seed;
    this.generation?.abort();
    const controller = new AbortController();
    this.generation = controller;
    try {
      return await gameRound(model, texts, seed, round, (t) => this.copies.check(t), controller.signal);
    } finally {
      if (this.generation === controller) this.generation = null;
    }
  }

  // ---- export / import --------------------------------------------------------------------------

  async exportModel(id: string): Promise<{ fileName: string; blob: Blob }> {
    const store = this.storage$();
    const record = await store.getModel(id);
    if (!record) throw new Error('That model is no longer in this browser’s storage.');
    const files = record.adapterOf ? await mergedBotFiles(store, record, { maxTensorBytes: this.maxTensorBytes() }) : await store.getModelFiles(id);
    return exportModelZip(record, files);
  }

  async exportAdapter(id: string): Promise<{ fileName: string; blob: Blob }> {
    const store = this.storage$();
    const record = await store.getModel(id);
    if (!record?.adapterOf) throw new Error('Only a bot fine-tuned with LoRA (kept as an adapter) can be exported as an adapter.');
    return exportAdapterZip(record, await store.getModelFiles(id));
  }

  async exportGguf(id: string, dtype: 'f32' | 'q8_0'): Promise<{ fileName: string; blob: Blob }> {
    const store = this.storage$();
    const record = await store.getModel(id);
    if (!record) throw new Error('That model is no longer in this browser’s storage.');
    // A LoRA bot kept as an adapter is merged into its base first, as for the zip.
    const files = record.adapterOf ? await mergedBotFiles(store, record, { maxTensorBytes: this.maxTensorBytes() }) : await store.getModelFiles(id);
    return exportModelGguf(record, files, dtype);
  }

  async importModelZip(file: Blob): Promise<LibraryEntry> {
    const { files, meta, images } = await readExportZip(file);
    const m = (meta ?? {}) as ExportMeta;
    const name = m.name ?? nameFromConfig(files) ?? 'imported model';
    // Check the weights load before listing the model: a broken zip must not enter the library.
    const probe = await buildModel(files, { id: 'probe', name, kind: 'finetuned', baseRepo: '', networkBytes: 0, persisted: false }, { maxTensorBytes: this.maxTensorBytes(), startedAt: performance.now() });
    probe.gpt2.dispose();
    const id = `imported/${slugify(name)}-${(await fingerprint(files)).slice(0, 10)}`;
    await this.saveToLibrary(
      { id, name, kind: 'finetuned', baseRepo: m.baseRepo ?? nameFromConfig(files) ?? 'unknown', revision: 'main', files: Object.keys(files), archiveSummary: importedNotes(m, images), finalValLoss: m.finalValLoss ?? undefined },
      files,
    );
    const record = await this.storage$().getModel(id);
    if (!record) throw new Error(this.storageNote ?? 'The model could not be stored in this browser.');
    return libraryEntry(record);
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private storage$(): Store {
    if (!this.store) throw new Error('The engine is not started yet.');
    return this.store;
  }

  private requireModel(): LoadedModel {
    if (!this.model) throw new Error('Load a model first.');
    return this.model;
  }

  private backendName() {
    return this.backend?.name ?? (tf.getBackend() as BackendReport['name']);
  }

  /** WebGPU binds at most maxStorageBufferBindingSize per tensor: bigger embeddings are split by rows. */
  private maxTensorBytes(): number | undefined {
    return this.backend?.name === 'webgpu' && this.backend.adapter ? this.backend.adapter.maxBindingBytes : undefined;
  }

  /** Stores a model; false (and a note) when storage is full or missing, so it lives in memory only. */
  private async saveToLibrary(record: Parameters<Store['putModel']>[0], files: Record<string, Uint8Array>): Promise<boolean> {
    const store = this.storage$();
    if (!store.persistent) return false;
    try {
      await store.putModel(record, files);
      return true;
    } catch (err) {
      this.storageNote = (err as Error).message;
      return false;
    }
  }
}
