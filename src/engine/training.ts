/**
 * One fine-tuning session as the page sees it: builds the dataset from the merged archives (in
 * chunks, with progress, pausable and cancellable: a big archive takes seconds), picks
 * full fine-tuning or LoRA, runs the Trainer, saves checkpoints to storage every few minutes (and
 * when paused, cancelled or finished), and resumes from one after a reload.
 *
 * Only one tab trains at a time (Web Locks): two tabs writing the same checkpoint would corrupt
 * each other's training.
 */
import { buildDatasetInChunks, type Dataset } from '../train/dataset';
import { activationBytes, chooseMode, memoryBudget, memoryReports } from '../train/memory';
import { defaultTrainSettings as trainerDefaults, Trainer, type TrainProgress as StepProgress } from '../train/trainer';
import { mergeLoRA } from '../train/lora';
import type { TrainingCheckpoint } from '../train/checkpoint';
import type { BackendName, CopyInfo, TrainProgress, TrainSettings } from './api';
import { LIVE_SAMPLE_SHARE, liveSamples } from './live-samples';
import { planInfo, stopSentence, trainerSettings } from './run-settings';
import type { LoadedModel } from './loaded-model';
import type { PersonLoss } from './quality';
import { nextTask } from './next-task';
import { formatInt } from '../locale';

export const CHECKPOINT_ID = 'current';

/** What a checkpoint records besides the trainer's own state, to resume after a reload. */
export interface SessionMeta {
  modelName: string;
  baseModelId: string;
  baseRepo: string;
  settings: TrainSettings;
  mode: 'full' | 'lora';
  modeReason: string;
  valLossBefore: number | null;
  botName: string;
  /**
   * A merged bot: each person's validation loss on the base model, measured when the run started
   * and kept with the checkpoint, so a run resumed in a new page still reports before and after.
   * (Absent in checkpoints from before it was kept.)
   */
  peopleBefore?: PersonLoss[] | null;
}

export interface SessionResult {
  cancelled: boolean;
  steps: number;
  valLossBefore: number;
  valLossAfter: number;
  trainLoss: number | null;
  seconds: number;
  history: Array<{ step: number; loss: number }>;
  valHistory: Array<{ step: number; loss: number }>;
  /** The step whose weights are kept (lowest validation loss), and why training stopped. */
  keptStep: number | null;
  stopReason: string | null;
  /** Epochs trained (a budget or early stopping may end inside one). */
  epochs: number;
}

/** Memory the backend can give training, when the browser says (src/train/memory.ts). */
export function backendMemoryBytes(backend: BackendName): number | null {
  return memoryBudget(backend, memoryReports()).bytes;
}

export function defaultSettings(model: LoadedModel | null, botName: string): TrainSettings {
  const t = trainerDefaults('full');
  return {
    epochs: t.epochs,
    learningRate: t.learningRate,
    batchSize: t.batchSize,
    microBatch: t.microBatchSize,
    blockSize: Math.min(128, model?.gpt2.config.nPositions ?? 128),
    mode: 'auto',
    loraRank: t.lora.rank,
    loraAlpha: t.lora.alpha,
    warmupFraction: t.warmupFraction,
    weightDecay: t.weightDecay,
    clipNorm: t.maxGradNorm,
    seed: 42,
    maxSteps: 0,
    checkpointMinutes: 2,
    modelName: botName || 'my-bot',
    budgetMinutes: 0,
    patience: t.patience,
  };
}

/** Full fine-tuning or LoRA for this model on this backend, with the sentence the page shows. */
export function pickMode(model: LoadedModel, settings: TrainSettings, backend: BackendName): { mode: 'full' | 'lora'; reason: string } {
  if (settings.mode !== 'auto') return { mode: settings.mode, reason: `chosen in the advanced settings` };
  const c = model.gpt2.config;
  const params = model.info.params;
  const budget = memoryBudget(backend, memoryReports());
  const choice = chooseMode(params, budget.bytes, activationBytes(c, settings.microBatch, settings.blockSize), settings.batchSize > settings.microBatch, budget.assumed);
  return { mode: choice.mode, reason: choice.reason };
}

/** Thrown out of the dataset build when the person cancels it. */
export class PreparationCancelled extends Error {
  constructor() {
    super('Training was cancelled while the tweets were being prepared.');
    this.name = 'PreparationCancelled';
  }
}

/**
 * Pause and cancel for the dataset build, before a Trainer exists: between two chunks of tweets
 * the worker answers its messages, waits while paused, and stops when cancelled.
 */
export class PreparationGate {
  private paused: { promise: Promise<void>; resolve(): void } | null = null;
  private cancelled = false;

  get isPaused(): boolean {
    return this.paused !== null;
  }

  get isCancelled(): boolean {
    return this.cancelled;
  }

  pause(): void {
    if (this.paused || this.cancelled) return;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.paused = { promise, resolve };
  }

  resume(): void {
    this.paused?.resolve();
    this.paused = null;
  }

  cancel(): void {
    this.cancelled = true;
    this.resume();
  }

  /** Awaited between chunks (see buildDatasetInChunks' `between`). */
  readonly between = async (): Promise<void> => {
    await nextTask();
    while (this.paused) await this.paused.promise;
    if (this.cancelled) throw new PreparationCancelled();
  };
}

/** The session's dataset, built in chunks; progress goes to the page as the 'preparing' phase. */
export async function datasetFor(
  model: LoadedModel,
  texts: string[],
  s: TrainSettings,
  gate: PreparationGate = new PreparationGate(),
  report: (p: TrainProgress) => void = () => {},
  mode: { mode: 'full' | 'lora'; reason: string } = { mode: 'full', reason: '' },
): Promise<Dataset> {
  let last = 0;
  return buildDatasetInChunks(texts, model.tokenizer, {
    blockSize: s.blockSize,
    nPositions: model.gpt2.config.nPositions,
    seed: s.seed,
    // The worker answers pause, cancel and the page's other messages at least every ~50 ms of work.
    sliceMs: 50,
    between: gate.between,
    onProgress: ({ tweetsDone, tweets }) => {
      // At most ~10 messages a second (and the last one): the page need not see every chunk.
      const now = performance.now();
      if (tweetsDone < tweets && now - last < 100) return;
      last = now;
      report({
        phase: 'preparing',
        step: 0,
        totalSteps: 0,
        epoch: 0,
        trainLoss: null,
        valLoss: null,
        valPerplexity: null,
        valLossBefore: null,
        tokensPerSec: 0,
        elapsedMs: 0,
        etaMs: null,
        lr: 0,
        mode: mode.mode,
        modeReason: mode.reason,
        message: `Preparing the tweets: ${formatInt(tweetsDone)} of ${formatInt(tweets)} tokenized${gate.isPaused ? ' (paused)' : ''}…`,
        prepared: { done: tweetsDone, total: tweets },
      });
    },
  });
}

export interface SessionHooks {
  onProgress(p: TrainProgress): void;
  saveCheckpoint(cp: TrainingCheckpoint, meta: SessionMeta): Promise<void>;
  /** The copy check of the live samples (absent: no live samples). */
  checkCopy?: (text: string) => CopyInfo | null;
}

/** A running (or paused) training session. */
export class TrainingSession {
  private lastSave = performance.now();
  private saving: Promise<void> | null = null;
  /** How long the last live samples took, and the working time when they were written. */
  private sampled: { ms: number | null; atElapsedMs: number } = { ms: null, atElapsedMs: 0 };
  private status: TrainProgress['phase'] = 'preparing';
  /** The trainer's latest figures: a pause, a checkpoint or the end shows them, never zeros. */
  private figures: Pick<TrainProgress, 'epoch' | 'trainLoss' | 'valLoss' | 'valPerplexity' | 'tokensPerSec' | 'elapsedMs' | 'etaMs' | 'lr'> | null = null;

  private constructor(
    readonly trainer: Trainer,
    readonly model: LoadedModel,
    readonly meta: SessionMeta,
    private readonly hooks: SessionHooks,
  ) {}

  /** Builds the dataset (pausable and cancellable through `gate`: a cancel rejects with PreparationCancelled), then the session. */
  static async start(model: LoadedModel, texts: string[], settings: TrainSettings, backend: BackendName, base: { id: string; repo: string }, botName: string, hooks: SessionHooks, gate?: PreparationGate): Promise<TrainingSession> {
    const { mode, reason } = pickMode(model, settings, backend);
    const dataset = await datasetFor(model, texts, settings, gate, hooks.onProgress, { mode, reason });
    const trainer = new Trainer(model.gpt2, dataset, trainerSettings(settings, mode), { onProgress: (p) => session.progress(p), afterValidation: (step) => session.samples(step) });
    // The block length used (the model's positions cap it), so the card and the page state what ran.
    const used = { ...settings, blockSize: dataset.blockSize };
    const meta: SessionMeta = { modelName: settings.modelName, baseModelId: base.id, baseRepo: base.repo, settings: used, mode, modeReason: reason, valLossBefore: null, botName };
    const session: TrainingSession = new TrainingSession(trainer, model, meta, hooks);
    return session;
  }

  static async restore(model: LoadedModel, texts: string[], checkpoint: TrainingCheckpoint, meta: SessionMeta, hooks: SessionHooks, gate?: PreparationGate): Promise<TrainingSession> {
    const dataset = await datasetFor(model, texts, meta.settings, gate, hooks.onProgress, { mode: meta.mode, reason: meta.modeReason });
    const trainer = Trainer.restore(model.gpt2, dataset, checkpoint, { onProgress: (p) => session.progress(p), afterValidation: (step) => session.samples(step) });
    const session: TrainingSession = new TrainingSession(trainer, model, meta, hooks);
    return session;
  }

  async run(): Promise<SessionResult> {
    const t0 = performance.now();
    this.status = this.trainer.step === 0 ? 'evaluating' : 'training';
    this.emit({ phase: this.status, message: this.trainer.step === 0 ? 'Measuring the validation loss before training…' : `Resuming at step ${this.trainer.step}.` });
    const maxSteps = this.meta.settings.maxSteps > 0 ? this.meta.settings.maxSteps : undefined;
    const result = await this.trainer.run({ stopAtStep: maxSteps });
    await this.saving;
    const cancelled = result.status === 'cancelled';
    if (cancelled) await this.checkpoint();
    // Stopped early by "stop after N steps": the trainer validates only on its own schedule, so
    // measure the "after" figure here rather than repeat an older one.
    let after = result.finalValLoss ?? NaN;
    if (result.status === 'stopped') {
      this.emit({ phase: 'evaluating', message: 'Measuring the validation loss after training…' });
      after = (await this.trainer.validationLoss()) ?? NaN;
      if (Number.isFinite(after)) await this.trainer.recordValidation(after);
      this.emit({ phase: 'done', step: result.step, valLoss: after, valPerplexity: Math.exp(after), message: '' });
    }
    // The bot keeps the weights of the lowest validation loss, not the last ones.
    const kept = cancelled ? null : this.trainer.keepBest();
    if (kept) after = kept.loss;
    const stopReason = cancelled ? null : stopSentence(result.status, this.trainer, this.meta.settings, kept);
    const before = result.initialValLoss ?? this.meta.valLossBefore ?? NaN;
    const last = result.history[result.history.length - 1];
    return {
      cancelled,
      steps: result.step,
      valLossBefore: before,
      valLossAfter: after,
      trainLoss: last?.trainLoss ?? null,
      // The page's "Elapsed": the trainer's working time over every session of this run (pauses
      // excluded, time before a reload included), so the card and the page say the same.
      seconds: this.figures ? this.figures.elapsedMs / 1000 : (performance.now() - t0) / 1000,
      history: result.history.map((r) => ({ step: r.step, loss: r.trainLoss })),
      valHistory: this.trainer.validations(),
      keptStep: kept?.step ?? null,
      stopReason,
      epochs: Math.round((10 * result.step) / this.trainer.stepsPerEpoch) / 10,
    };
  }

  /** Folds LoRA adapters into the weights (before saving the fine-tuned model). */
  finish(): void {
    if (this.model.gpt2.adapters.size > 0) mergeLoRA(this.model.gpt2);
    this.trainer.dispose();
  }

  async pause(): Promise<void> {
    this.status = 'paused';
    await this.trainer.pause();
    if (this.status !== 'paused') return; // unpaused or cancelled meanwhile
    this.emit({ phase: 'paused', message: 'Paused. Saving a checkpoint…' });
    await this.checkpoint();
  }

  unpause(): void {
    this.status = 'training';
    this.trainer.resume();
  }

  cancel(): void {
    this.status = 'cancelled';
    this.trainer.cancel();
  }

  async checkpoint(): Promise<void> {
    const save = async () => {
      const cp = await this.trainer.checkpoint(this.meta.botName);
      await this.hooks.saveCheckpoint(cp, this.meta);
      this.lastSave = performance.now();
    };
    const p = (this.saving ?? Promise.resolve()).then(save);
    this.saving = p.catch(() => {});
    await p;
  }

  /**
   * Live samples after the validation at `step`; a failure is said in the page, never stops
   * training. They cost at most 5% of the training time: written only when the last ones took no
   * more than 5% of the working time since them (the first ones once a step was trained).
   */
  async samples(step: number): Promise<void> {
    const check = this.hooks.checkCopy;
    if (!check || this.status === 'cancelled' || step === 0) return;
    // The trainer counts the last samples in its working time: they are not the work since them.
    const worked = (this.figures?.elapsedMs ?? 0) - this.sampled.atElapsedMs - (this.sampled.ms ?? 0);
    if (worked <= 0 || (this.sampled.ms !== null && this.sampled.ms > LIVE_SAMPLE_SHARE * worked)) return;
    const stop = new AbortController();
    try {
      const t0 = performance.now();
      const samples = await liveSamples(this.model, check, stop.signal);
      this.sampled = { ms: performance.now() - t0, atElapsedMs: this.figures?.elapsedMs ?? 0 };
      this.emit({ phase: this.status === 'paused' ? 'paused' : 'training', samples, samplesStep: step, message: '' });
    } catch (err) {
      this.emit({ phase: this.status, message: `The live samples could not be written: ${(err as Error).message}` });
    }
  }

  /** The latest figures (for a checkpoint's progress message). */
  get latest(): Partial<TrainProgress> {
    return { ...this.figures };
  }

  private progress(p: StepProgress): void {
    if (p.trainLoss === undefined && p.valLoss !== undefined && p.step === 0) this.meta.valLossBefore = p.valLoss;
    if (this.status !== 'paused' && this.status !== 'cancelled') this.status = 'training';
    const prev = this.figures;
    this.figures = {
      epoch: p.epoch,
      trainLoss: p.trainLoss ?? prev?.trainLoss ?? null,
      // The last measured validation stays shown until the next one.
      valLoss: p.valLoss ?? prev?.valLoss ?? null,
      valPerplexity: p.valPerplexity ?? prev?.valPerplexity ?? null,
      tokensPerSec: p.tokensPerSec,
      elapsedMs: p.elapsedMs,
      etaMs: null,
      lr: p.lr,
    };
    this.emit({
      phase: p.trainLoss === undefined ? 'evaluating' : this.status,
      step: p.step,
      totalSteps: p.totalSteps,
      epoch: p.epoch,
      trainLoss: p.trainLoss ?? null,
      valLoss: p.valLoss ?? null,
      valPerplexity: p.valPerplexity ?? null,
      tokensPerSec: p.tokensPerSec,
      elapsedMs: p.elapsedMs,
      // The trainer's ETA runs to its full schedule; "stop after N steps" ends sooner.
      etaMs: p.step < p.totalSteps ? (p.etaMs * (Math.min(p.totalSteps, this.cap) - p.step)) / (p.totalSteps - p.step) : 0,
      lr: p.lr,
      message: '',
      ...(p.valLoss !== undefined ? { validations: this.trainer.validations() } : {}),
    });
    if (p.trainLoss !== undefined && performance.now() - this.lastSave > this.meta.settings.checkpointMinutes * 60_000 && !this.saving) {
      this.saving = this.checkpoint()
        .catch((err: unknown) => this.emit({ phase: this.status, message: `The checkpoint could not be saved: ${(err as Error).message}` }))
        .finally(() => (this.saving = null));
    }
  }

  /** The last step this session runs to ("stop after N steps", or the whole schedule). */
  private get cap(): number {
    return this.meta.settings.maxSteps > 0 ? this.meta.settings.maxSteps : Infinity;
  }

  private emit(p: Partial<TrainProgress> & { phase: TrainProgress['phase'] }): void {
    const t = this.trainer;
    const cap = this.cap;
    const f = this.figures;
    this.hooks.onProgress({
      step: t.step,
      epoch: f?.epoch ?? t.epoch + 1,
      trainLoss: f?.trainLoss ?? null,
      valLoss: null,
      valPerplexity: null,
      valLossBefore: this.meta.valLossBefore,
      tokensPerSec: f?.tokensPerSec ?? 0,
      elapsedMs: f?.elapsedMs ?? 0,
      etaMs: null,
      lr: f?.lr ?? 0,
      mode: this.meta.mode,
      modeReason: this.meta.modeReason,
      message: '',
      plan: planInfo(t),
      best: t.best,
      ...p,
      // "Stop after N steps" caps what the page shows as the end.
      totalSteps: Math.min(p.totalSteps ?? t.totalSteps, cap),
    });
  }
}

