/**
 * The training loop: mini-batches of packed blocks, gradient accumulation, global-norm clipping,
 * AdamW, a warm-up/decay schedule, periodic validation, progress events, cooperative
 * pause/resume/cancel, and checkpoints that resume bit-for-bit.
 *
 * One optimizer step ("step") sees `batchSize` blocks, computed as micro-batches of at most
 * `microBatchSize` blocks whose gradients are summed, each weighted by its share of the batch: the
 * update is the gradient of the batch's mean loss whatever the micro-batch size, so the effective
 * batch does not depend on the device's memory. Steps per epoch = ceil(train blocks / batchSize);
 * the last batch of an epoch may be smaller.
 *
 * Determinism: block order comes from `epochOrder(…, dataset.seed)`, dropout masks from
 * (settings.seed, step, micro-batch), LoRA's initialisation from settings.seed. Nothing depends on
 * wall time or on where a run was paused, so stopping, checkpointing and resuming reproduces the
 * losses and weights of an uninterrupted run.
 *
 * Responsiveness: before every micro-batch the loop yields to the event loop (a worker then handles
 * its messages) and honours pause and cancel. Cancel drops a half-accumulated step, so the model
 * and optimizer always sit at a step boundary.
 */
import * as tf from '@tensorflow/tfjs-core';
import { AdamW } from './adamw';
import { meanValidationLoss, stepGradients, type TrainableModel } from './batch-gradients';
import {
  adamKey,
  alignTensors,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  checkCheckpointFits,
  weightKey,
  type EvalRecord,
  type StepRecord,
  type TrainingCheckpoint,
} from './checkpoint';
import { clipCoefficient, globalNorm } from './clip';
import { epochOrder, type Dataset } from './dataset';
import { addLoRA, loraParams } from './lora';
import { mixSeed } from '../random';
import { RunGate } from './run-gate';
import { lrAt } from './schedule';
import { BestKeeper, bestKey, type BestRecord } from './best';
import { BudgetPlanner, budgetLr, type BudgetPlan } from './budget';
import { shouldStop } from './early-stop';
import { resolveSettings, type TrainerCallbacks, type TrainResult, type TrainSettings } from './settings';
import { now, WorkClock } from './work-clock';

export type { TrainableModel } from './batch-gradients';
export { defaultTrainSettings, resolveSettings } from './settings';
export type { TrainerCallbacks, TrainProgress, TrainResult, TrainSettings } from './settings';

export class Trainer {
  readonly settings: TrainSettings;
  readonly stepsPerEpoch: number;
  /** The recipe's steps (epochs × steps per epoch). */
  readonly recipeSteps: number;
  /** With a time budget: the plan (null until the step time is measured). */
  readonly planner: BudgetPlanner | null;
  /** The lowest validation loss so far and its weights. */
  readonly keeper = new BestKeeper();
  /** Why the last run() ended early: early stopping, or null. */
  stopReason: string | null = null;
  /** The variables being trained: every weight (full) or the adapter matrices (LoRA). */
  readonly trainable: Record<string, tf.Variable>;
  /** Optimizer steps completed. */
  step = 0;
  /**
   * Wall time of the last step's update (global norm, clipping coefficient, AdamW). On wasm and
   * cpu the work itself; on GPU backends, whose kernels run asynchronously, only their dispatch.
   */
  lastUpdateMs = 0;
  history: StepRecord[] = [];
  valHistory: EvalRecord[] = [];
  private readonly optimizer: AdamW;
  /** Working time: steps and validations, without yields and pauses. */
  private readonly clock = new WorkClock();
  private readonly runGate = new RunGate();

  constructor(
    readonly model: TrainableModel,
    readonly dataset: Dataset,
    settings: Partial<TrainSettings> = {},
    private readonly callbacks: TrainerCallbacks = {},
  ) {
    this.settings = resolveSettings(settings);
    if (dataset.train.length === 0) throw new Error('the dataset has no training blocks');
    if (dataset.blockSize > model.config.nPositions) {
      throw new Error(`blocks of ${dataset.blockSize} positions do not fit the model's ${model.config.nPositions}`);
    }
    if (this.settings.mode === 'lora') {
      if (model.adapters.size === 0) addLoRA(model, { ...this.settings.lora, seed: this.settings.seed });
      this.trainable = loraParams(model);
    } else {
      if (model.adapters.size > 0) throw new Error('full fine-tuning needs a model without LoRA adapters (merge or remove them)');
      this.trainable = { ...model.params };
    }
    this.optimizer = new AdamW(this.trainable, { weightDecay: this.settings.weightDecay });
    this.stepsPerEpoch = Math.ceil(dataset.train.length / this.settings.batchSize);
    this.recipeSteps = this.settings.epochs * this.stepsPerEpoch;
    this.planner =
      this.settings.budgetMs > 0
        ? new BudgetPlanner({ budgetMs: this.settings.budgetMs, warmupFraction: this.settings.warmupFraction, evalEvery: this.evalEvery })
        : null;
  }

  /** Steps the run ends after: the budget's plan, or the recipe's epochs. */
  get totalSteps(): number {
    return this.planner?.plan?.totalSteps ?? this.recipeSteps;
  }

  /** Epochs of the run (a budget's plan may end inside one). */
  get epochs(): number {
    return Math.max(1, Math.ceil(this.totalSteps / this.stepsPerEpoch));
  }

  get plan(): BudgetPlan | null {
    return this.planner?.plan ?? null;
  }

  get best(): BestRecord | null {
    return this.keeper.best;
  }

  /** Put the weights of the lowest validation loss back into the model (at the end of a run). */
  keepBest(): BestRecord | null {
    return this.keeper.restore(this.trainable, this.step);
  }

  /** Rebuild a trainer from a checkpoint on a freshly loaded base model and the same dataset. */
  static restore(model: TrainableModel, dataset: Dataset, checkpoint: TrainingCheckpoint, callbacks: TrainerCallbacks = {}): Trainer {
    checkCheckpointFits(checkpoint, model, dataset);
    const trainer = new Trainer(model, dataset, checkpoint.meta.settings, callbacks);
    trainer.loadCheckpoint(checkpoint);
    return trainer;
  }

  get epoch(): number {
    return Math.min(Math.floor(this.step / this.stepsPerEpoch), this.epochs - 1);
  }

  /** Learning rate of the update with 0-based index `step`. */
  lrAt(step: number): number {
    const s = this.settings;
    if (this.planner) {
      return budgetLr(step, this.planner.plan, { peakLr: s.learningRate, minLr: s.minLr, decay: s.decay, provisionalWarmup: Math.round(this.recipeSteps * s.warmupFraction) });
    }
    return lrAt(step, this.totalSteps, { peakLr: s.learningRate, warmupFraction: s.warmupFraction, decay: s.decay, minLr: s.minLr });
  }

  /** Indices (into dataset.train) of the blocks of step `step`. */
  batchIndices(step: number): Int32Array {
    const epoch = Math.floor(step / this.stepsPerEpoch);
    const i = step % this.stepsPerEpoch;
    const order = epochOrder(this.dataset.train.length, epoch, this.dataset.seed);
    return order.slice(i * this.settings.batchSize, Math.min((i + 1) * this.settings.batchSize, order.length));
  }

  /**
   * Train until the last step (or `stopAtStep`), validating before the first step, at each
   * evaluation point and after the last. Resolves when finished, stopped or cancelled.
   */
  async run(opts: { stopAtStep?: number } = {}): Promise<TrainResult> {
    if (this.runGate.isRunning) throw new Error('this trainer is already running');
    this.runGate.start();
    this.clock.newSession();
    this.stopReason = null;
    const stopAt = (): number => Math.min(opts.stopAtStep ?? Infinity, this.totalSteps);
    try {
      // A run cancelled during a validation, or a fresh one, validates the step it starts from.
      if (this.evalDue(this.step) && this.lastEvalStep() !== this.step) {
        const valLoss = await this.validateAndRecord();
        if (valLoss === null) return this.result('cancelled');
        if (valLoss !== undefined) {
          this.emit(undefined, valLoss);
          await this.afterValidation();
        }
      }
      while (this.step < stopAt()) {
        const record = await this.trainStep();
        if (record === null) return this.result('cancelled');
        const plan = this.planner?.observe(this.step, this.clock.elapsedMs, (k) => this.lrAt(k), this.clock.sessionSteps, this.clock.validationTime);
        if (plan) this.callbacks.onPlan?.(plan);
        let valLoss: number | undefined;
        if (this.evalDue(this.step)) {
          const v = await this.validateAndRecord();
          if (v === null) {
            this.emit(record);
            return this.result('cancelled');
          }
          valLoss = v;
        }
        this.emit(record, valLoss);
        if (valLoss !== undefined) await this.afterValidation();
        if (valLoss !== undefined && this.step < this.totalSteps && shouldStop(this.validations(), this.settings.patience)) {
          this.stopReason = `the validation loss has not improved for ${this.settings.patience} validation${this.settings.patience === 1 ? '' : 's'}`;
          return this.result('early-stopped');
        }
      }
      return this.result(this.step >= this.totalSteps ? 'done' : 'stopped');
    } finally {
      this.runGate.finish();
    }
  }

  /** Stop at the next micro-batch boundary; resolves once the loop is parked (at once when not running). */
  pause(): Promise<void> {
    return this.runGate.pause();
  }

  resume(): void {
    this.runGate.resume();
  }

  /** Stop at the next micro-batch boundary; run() then resolves with status 'cancelled'. */
  cancel(): void {
    this.runGate.cancel();
  }

  get isPaused(): boolean {
    return this.runGate.isPaused;
  }

  /**
   * Mean next-token loss over all validation blocks (deterministic, no dropout), or null without
   * validation data. Not cancellable; use it outside run().
   */
  async validationLoss(): Promise<number | null> {
    const v = await this.validate(false);
    return v ?? null;
  }

  /** The whole training state at the current step boundary; safe to call while running (the loop waits). */
  checkpoint(archiveSummary: unknown = null): Promise<TrainingCheckpoint> {
    return this.runGate.hold(() => this.snapshot(archiveSummary));
  }

  /** The checkpoint of the current state; only while the loop is parked or not running. */
  private async snapshot(archiveSummary: unknown): Promise<TrainingCheckpoint> {
    const tensors: Record<string, Float32Array> = {};
    const shapes: Record<string, number[]> = {};
    for (const [name, v] of Object.entries(this.trainable)) {
      tensors[weightKey(name)] = ((await v.data()) as Float32Array).slice();
      shapes[name] = [...v.shape];
    }
    const adam = await this.optimizer.exportState();
    for (const name of Object.keys(this.trainable)) {
      tensors[adamKey('m', name)] = adam.m[name];
      tensors[adamKey('v', name)] = adam.v[name];
    }
    Object.assign(tensors, this.keeper.exportTensors());
    const { nLayer, nHead, nEmbd, nPositions, vocabSize } = this.model.config;
    return {
      meta: {
        format: CHECKPOINT_FORMAT,
        version: CHECKPOINT_VERSION,
        savedAt: new Date().toISOString(),
        settings: structuredClone(this.settings),
        step: this.step,
        totalSteps: this.totalSteps,
        stepsPerEpoch: this.stepsPerEpoch,
        epoch: Math.floor(this.step / this.stepsPerEpoch),
        stepInEpoch: this.step % this.stepsPerEpoch,
        dataset: {
          seed: this.dataset.seed,
          blockSize: this.dataset.blockSize,
          fingerprint: this.dataset.fingerprint,
          trainBlocks: this.dataset.train.length,
          valBlocks: this.dataset.val.length,
        },
        model: { nLayer, nHead, nEmbd, nPositions, vocabSize },
        shapes,
        adamStep: adam.step,
        elapsedMs: this.clock.elapsedMs,
        validationMs: this.clock.validationMs,
        history: this.history.map((r) => ({ ...r })),
        valHistory: this.valHistory.map((r) => ({ ...r })),
        best: this.keeper.best ? { ...this.keeper.best } : null,
        plan: this.plan ? structuredClone(this.plan) : null,
        archiveSummary,
      },
      tensors,
    };
  }

  /** Free the optimizer state (the model and its adapters belong to the caller). */
  dispose(): void {
    this.cancel();
    this.optimizer.dispose();
  }

  // ---------------------------------------------------------------------------------------------

  /** Steps between validations (besides the ones before the first and after the last step). */
  get evalEvery(): number {
    return this.settings.evalEvery > 0 ? this.settings.evalEvery : this.stepsPerEpoch;
  }

  private evalDue(step: number): boolean {
    if (this.dataset.val.length === 0) return false;
    if (step === 0 || step === this.totalSteps) return true;
    return step % this.evalEvery === 0;
  }

  /** The validation losses as early stopping reads them. */
  validations(): Array<{ step: number; loss: number }> {
    return this.valHistory.map((r) => ({ step: r.step, loss: r.valLoss }));
  }

  /** Record a validation measured outside run() (the end of "stop after N steps"), best-tracked like the others. */
  async recordValidation(loss: number): Promise<void> {
    if (this.lastEvalStep() === this.step) return;
    this.valHistory.push({ step: this.step, valLoss: loss });
    await this.keeper.observe(this.step, loss, this.trainable);
  }

  private lastEvalStep(): number | null {
    return this.valHistory.length > 0 ? this.valHistory[this.valHistory.length - 1].step : null;
  }

  /**
   * The gradient of step `step`'s batch mean loss, summed over its micro-batches, before clipping,
   * keyed like `trainable`, with that loss; null when cancelled. The caller disposes the tensors.
   */
  async gradients(step: number): Promise<{ grads: Record<string, tf.Tensor>; loss: tf.Scalar } | null> {
    return stepGradients(this.model, this.trainable, this.dataset, this.batchIndices(step), {
      microBatchSize: this.settings.microBatchSize,
      dropout: this.settings.dropout,
      seed: (k) => mixSeed(this.settings.seed, step, k, 0xd209),
      between: () => (this.runGate.isRunning ? this.gate() : Promise.resolve(true)),
    });
  }

  /** One optimizer step; null when cancelled before it completed (nothing changed then). */
  private async trainStep(): Promise<StepRecord | null> {
    const step = this.step;
    this.clock.start();
    const batch = await this.gradients(step);
    if (batch === null) return null;
    // From here to `this.step = …` nothing awaits: a checkpoint never sees a half-applied update.
    const lr = this.lrAt(step);
    const u0 = now();
    // Clipping scales each gradient inside the optimizer's update: no clipped copies.
    const norm = globalNorm(batch.grads);
    const coef = this.settings.maxGradNorm > 0 ? clipCoefficient(norm, this.settings.maxGradNorm) : 1;
    this.optimizer.step(batch.grads, lr, coef);
    this.lastUpdateMs = now() - u0;
    this.step = step + 1;
    if (typeof coef !== 'number') coef.dispose();
    tf.dispose(batch.grads);
    const stats = tf.tidy(() => tf.stack([batch.loss, norm]));
    tf.dispose([norm, batch.loss]);
    const [trainLoss, gradNorm] = await stats.data();
    stats.dispose();
    // Wall time of the step minus the yields to the event loop and any pause.
    this.clock.stepDone(this.batchIndices(step).length * this.dataset.blockSize);
    const record: StepRecord = { step: step + 1, trainLoss, lr, gradNorm };
    this.history.push(record);
    return record;
  }

  /** Validation loss, recorded in valHistory; null if cancelled, undefined without validation data. */
  private async validateAndRecord(): Promise<number | null | undefined> {
    this.clock.start();
    const v = await this.validate(true);
    this.clock.validationDone(typeof v === 'number');
    if (typeof v === 'number') {
      this.valHistory.push({ step: this.step, valLoss: v });
      await this.keeper.observe(this.step, v, this.trainable);
    }
    return v;
  }

  /** The caller's work after a validation (live samples), counted as part of the validation's time. */
  private async afterValidation(): Promise<void> {
    if (!this.callbacks.afterValidation) return;
    const t0 = now();
    await this.callbacks.afterValidation(this.step);
    this.clock.addToValidation(now() - t0);
  }

  private validate(cancellable: boolean): Promise<number | null | undefined> {
    const size = this.settings.evalBatchSize > 0 ? this.settings.evalBatchSize : this.settings.microBatchSize;
    return meanValidationLoss(this.model, this.dataset, size, cancellable ? () => this.gate() : null);
  }

  private emit(record: StepRecord | undefined, valLoss?: number): void {
    if (!this.callbacks.onProgress) return;
    const remaining = this.totalSteps - this.step;
    this.callbacks.onProgress({
      step: this.step,
      totalSteps: this.totalSteps,
      epoch: Math.min(Math.floor(Math.max(this.step - 1, 0) / this.stepsPerEpoch), this.epochs - 1) + 1,
      epochs: this.epochs,
      ...(record ? { trainLoss: record.trainLoss, gradNorm: record.gradNorm } : {}),
      ...(valLoss !== undefined ? { valLoss, valPerplexity: Math.exp(valLoss) } : {}),
      lr: record ? record.lr : this.lrAt(this.step),
      tokensPerSec: this.clock.tokensPerSec,
      elapsedMs: this.clock.elapsedMs,
      etaMs: remaining * this.clock.msPerStep,
    });
  }

  private result(status: TrainResult['status']): TrainResult {
    return {
      status,
      step: this.step,
      totalSteps: this.totalSteps,
      initialValLoss: this.valHistory.find((r) => r.step === 0)?.valLoss ?? null,
      finalValLoss: this.valHistory.length > 0 ? this.valHistory[this.valHistory.length - 1].valLoss : null,
      history: this.history,
      valHistory: this.valHistory,
      best: this.keeper.best,
      stopReason: this.stopReason,
      plan: this.plan,
    };
  }

  /** Yield to the event loop, then wait while paused or checkpointing; false when cancelled. Not working time. */
  private async gate(): Promise<boolean> {
    const t0 = now();
    const open = await this.runGate.pass();
    this.clock.gated(now() - t0);
    return open;
  }

  private loadCheckpoint(cp: TrainingCheckpoint): void {
    const { meta, tensors } = cp;
    const shapes: Record<string, number[]> = {};
    for (const [name, v] of Object.entries(this.trainable)) shapes[name] = v.shape;
    const load = (key: (name: string) => string) => alignTensors(meta.shapes, (name) => tensors[key(name)], shapes);
    const weights = load(weightKey);
    const m = load((name) => adamKey('m', name));
    const v = load((name) => adamKey('v', name));
    for (const [name, variable] of Object.entries(this.trainable)) {
      tf.tidy(() => variable.assign(tf.tensor(weights[name], variable.shape, 'float32')));
    }
    this.optimizer.importState({ step: meta.adamStep, m, v });
    this.step = meta.step;
    this.clock.restore(meta.elapsedMs, meta.validationMs);
    this.history = meta.history.map((r) => ({ ...r }));
    this.valHistory = meta.valHistory.map((r) => ({ ...r }));
    this.keeper.importWeights(meta.best ?? null, meta.best ? load(bestKey) : {});
    if (this.planner && meta.plan) this.planner.plan = structuredClone(meta.plan);
  }
}
