/**
 * Training runs as the engine wires them: start or resume one (one at a time, in one tab: a Web
 * Lock), pause, resume and cancel reaching it from the moment it is asked for, checkpoints into
 * storage, and at the end the quality report and the fine-tuned model saved to the library.
 */
import { saveSafetensors } from '../model/index';
import type { Store } from '../hub/store';
import { slugify } from '../export/modelCard';
import type { TrainingCheckpoint } from '../train/checkpoint';
import type { BackendName, CheckpointInfo, CopyInfo, QualityReport, TrainProgress, TrainResult, TrainSettings } from './api';
import type { ArchiveSet } from './archives';
import { adapterToKeep } from './adapters';
import { finetuneNotes, freeName } from './library';
import { measureQuality, peopleLosses } from './quality';
import { sideFiles, type LoadedModel } from './loaded-model';
import { CHECKPOINT_ID, PreparationCancelled, PreparationGate, TrainingSession, type SessionMeta, type SessionResult } from './training';

/** What the runs need of the engine. */
export interface RunsContext {
  store(): Store;
  readonly archives: ArchiveSet;
  checkCopy(text: string): CopyInfo | null;
  backendName(): BackendName;
  requireModel(): LoadedModel;
  /** Make a library model the current one (a resumed run starts from its base). */
  loadBase(id: string): Promise<void>;
  /** Store a model; false when it lives in memory only. */
  saveToLibrary(record: Parameters<Store['putModel']>[0], files: Record<string, Uint8Array>): Promise<boolean>;
  /** A run finished and its model was saved with this report. */
  finished(modelId: string, quality: QualityReport): void;
}

export class TrainingRuns {
  private session: TrainingSession | null = null;
  /** The gate of a run being set up (lock, base model, dataset): pause and cancel reach it there. */
  private preparing: PreparationGate | null = null;

  constructor(private readonly ctx: RunsContext) {}

  /** A run is being set up or training (paused or not). */
  get busy(): boolean {
    return this.session !== null || this.preparing !== null;
  }

  /** A run is training and not paused: the model is not free for writing. */
  get training(): boolean {
    return this.session !== null && !this.session.trainer.isPaused;
  }

  async train(settings: TrainSettings, onProgress: (p: TrainProgress) => void): Promise<TrainResult> {
    const model = this.ctx.requireModel();
    const data = this.ctx.archives.info();
    if (!data || data.level === 'refuse' || data.level === 'empty') throw new Error(data?.message ?? 'Add an archive first.');
    if (this.busy) throw new Error('Training is already running.');
    const gate = this.startGate();
    const texts = this.ctx.archives.merged().texts;
    const base = { id: model.info.id, repo: model.info.baseRepo };
    return withTrainingLock(async () => {
      // A merged bot: each person's validation loss on the base model (the trainer measures the
      // total). Inside the lock: a tab that may not train must not spend minutes measuring first.
      const all = this.ctx.archives.all;
      const peopleBefore = all.length > 1 ? await peopleLosses(model, all, texts, settings.seed, settings.blockSize) : null;
      const session = await this.prepare(gate, () => TrainingSession.start(model, texts, settings, this.ctx.backendName(), base, data.botName, this.hooks(onProgress), gate));
      // Before its first checkpoint, so a resumed run keeps them.
      if (session) session.meta.peopleBefore = peopleBefore;
      return session ? this.run(session, onProgress) : cancelledBeforeTraining(settings.modelName);
    }).finally(() => this.endGate(gate));
  }

  async pendingCheckpoint(): Promise<CheckpointInfo | null> {
    if (this.session) return null;
    const record = await this.ctx.store().getCheckpoint(CHECKPOINT_ID).catch(() => undefined);
    if (!record) return null;
    const { session, trainer } = record.meta as { session: SessionMeta; trainer: TrainingCheckpoint['meta'] };
    const totalSteps = session.settings.maxSteps > 0 ? Math.min(session.settings.maxSteps, trainer.totalSteps) : trainer.totalSteps;
    return { id: CHECKPOINT_ID, name: session.modelName, step: trainer.step, totalSteps, savedAt: trainer.savedAt, baseRepo: session.baseRepo };
  }

  async resume(onProgress: (p: TrainProgress) => void): Promise<TrainResult> {
    if (this.busy) throw new Error('Training is already running.');
    const gate = this.startGate();
    const run = async () => {
      const record = await this.ctx.store().getCheckpoint(CHECKPOINT_ID);
      if (!record) throw new Error('There is no checkpoint to resume.');
      const { session: meta, trainer } = record.meta as { session: SessionMeta; trainer: TrainingCheckpoint['meta'] };
      // Start again from the base weights the run started from, then apply the checkpoint.
      await this.ctx.loadBase(meta.baseModelId);
      const model = this.ctx.requireModel();
      const texts = this.ctx.archives.merged().texts;
      const checkpoint: TrainingCheckpoint = { meta: trainer, tensors: record.tensors };
      return withTrainingLock(async () => {
        const session = await this.prepare(gate, () => TrainingSession.restore(model, texts, checkpoint, meta, this.hooks(onProgress), gate));
        return session ? this.run(session, onProgress) : cancelledBeforeTraining(meta.modelName);
      });
    };
    return run().finally(() => this.endGate(gate));
  }

  async discardCheckpoint(): Promise<void> {
    await this.ctx.store().deleteCheckpoint(CHECKPOINT_ID);
  }

  async pause(): Promise<void> {
    this.preparing?.pause();
    await this.session?.pause();
  }

  unpause(): void {
    this.preparing?.resume();
    this.session?.unpause();
  }

  cancel(): void {
    this.preparing?.cancel();
    this.session?.cancel();
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * The gate of a run that is starting, set before its first await: a pause or cancel clicked at
   * once (while the lock, the base model or the dataset is on its way) reaches the run.
   */
  private startGate(): PreparationGate {
    const gate = new PreparationGate();
    this.preparing = gate;
    return gate;
  }

  private endGate(gate: PreparationGate): void {
    if (this.preparing === gate) this.preparing = null;
  }

  /** Builds a session while pause and cancel reach its dataset build; null when it was cancelled. */
  private async prepare(gate: PreparationGate, build: () => Promise<TrainingSession>): Promise<TrainingSession | null> {
    try {
      if (gate.isCancelled) return null;
      const session = await build();
      // Paused or cancelled after the last chunk: the session starts that way.
      if (gate.isCancelled) session.cancel();
      else if (gate.isPaused) void session.pause().catch(() => {});
      return session;
    } catch (err) {
      if (err instanceof PreparationCancelled) return null;
      throw err;
    } finally {
      this.endGate(gate);
    }
  }

  private hooks(onProgress: (p: TrainProgress) => void) {
    return {
      onProgress,
      saveCheckpoint: async (cp: TrainingCheckpoint, meta: SessionMeta) => {
        await this.ctx.store().putCheckpoint(CHECKPOINT_ID, { session: meta, trainer: cp.meta }, cp.tensors);
        const paused = this.session?.trainer.isPaused ? ' Paused: resume when you like.' : '';
        onProgress({ ...lastProgress(meta), ...this.session?.latest, phase: 'checkpoint', step: cp.meta.step, totalSteps: cp.meta.totalSteps, message: `Checkpoint saved at step ${cp.meta.step}.${paused}` });
      },
      checkCopy: (text: string) => this.ctx.checkCopy(text),
    };
  }

  private async run(session: TrainingSession, onProgress: (p: TrainProgress) => void): Promise<TrainResult> {
    this.session = session;
    try {
      const result = await session.run();
      if (result.cancelled) {
        return { modelId: null, name: session.meta.modelName, steps: result.steps, valLossBefore: result.valLossBefore, valLossAfter: result.valLossAfter, cancelled: true, seconds: result.seconds };
      }
      const store = this.ctx.store();
      // A LoRA run on a stored base is kept as its adapter (taken before finish() merges it).
      const adapter = await adapterToKeep(store, session.model.gpt2, { id: session.meta.baseModelId, repo: session.meta.baseRepo });
      session.finish();
      const quality = await this.measureQuality(session, result, onProgress);
      const modelId = await this.saveFinetuned(session, result, quality, adapter);
      this.ctx.finished(modelId, quality);
      await store.deleteCheckpoint(CHECKPOINT_ID).catch(() => {});
      return { modelId, name: session.model.info.name, steps: result.steps, valLossBefore: result.valLossBefore, valLossAfter: result.valLossAfter, cancelled: false, seconds: result.seconds, quality, keptStep: result.keptStep, stopReason: result.stopReason };
    } finally {
      this.session = null;
    }
  }

  /** After training: each person's validation loss (merged bots) and the seeded tweets, checked for copies. */
  private measureQuality(session: TrainingSession, result: SessionResult, onProgress: (p: TrainProgress) => void): Promise<QualityReport> {
    const say = (message: string) => onProgress({ ...lastProgress(session.meta), ...session.latest, phase: 'evaluating', step: result.steps, totalSteps: result.steps, message });
    const archives = this.ctx.archives;
    return measureQuality(session.model, archives.all, archives.merged().texts, session.meta, result, (t) => this.ctx.checkCopy(t), say);
  }

  /** Saves the fine-tuned weights as a library model and makes it the current model. */
  private async saveFinetuned(session: TrainingSession, result: SessionResult, quality: QualityReport, adapter: Record<string, Uint8Array> | null): Promise<string> {
    const model = session.model;
    const meta = session.meta;
    const name = freeName(meta.modelName, new Set((await this.ctx.store().listModels().catch(() => [])).map((r) => r.name)));
    const id = `finetuned/${slugify(name)}-${Date.now().toString(36)}`;
    // A LoRA bot keeps its adapter and a reference to its base; a full fine-tune, its own weights.
    const files = adapter ?? { ...sideFiles(model.files), 'model.safetensors': await saveSafetensors(model.gpt2, { format: 'pt' }) };
    const notes = finetuneNotes(meta, result, quality, this.ctx.archives, this.ctx.backendName());
    const persisted = await this.ctx.saveToLibrary(
      { id, name, kind: 'finetuned', baseRepo: meta.baseRepo, revision: 'main', files: Object.keys(files), archiveSummary: notes, finalValLoss: result.valLossAfter, trainingSettings: meta.settings, losses: { train: result.history, val: result.valHistory }, ...(adapter ? { adapterOf: meta.baseModelId } : {}) },
      files,
    );
    model.files = adapter ? sideFiles(model.files) : files;
    model.info = { ...model.info, id, name, kind: 'finetuned', persisted };
    return id;
  }
}

/** One training run across this page's tabs: another tab's run is said, not raced. */
async function withTrainingLock<T>(run: () => Promise<T>): Promise<T> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks) return run();
  return locks.request('tweetgpt-training', { ifAvailable: true }, async (lock) => {
    if (!lock) throw new Error('Training is already running in another tab of this page. Wait for it to finish, or stop it there.');
    return run();
  }) as Promise<T>;
}

/** What train() answers when it was cancelled before its first step. */
function cancelledBeforeTraining(name: string): TrainResult {
  return { modelId: null, name, steps: 0, valLossBefore: NaN, valLossAfter: NaN, cancelled: true };
}

function lastProgress(meta: SessionMeta): TrainProgress {
  return { phase: 'checkpoint', step: 0, totalSteps: 0, epoch: 0, trainLoss: null, valLoss: null, valPerplexity: null, valLossBefore: meta.valLossBefore, tokensPerSec: 0, elapsedMs: 0, etaMs: null, lr: 0, mode: meta.mode, modeReason: meta.modeReason, message: '' };
}
