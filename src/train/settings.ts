/**
 * What a training run is told and what it reports: the settings (with their defaults and
 * checks), the progress event after each step, the result of run(), and the callbacks.
 */
import { ALL_LORA_TARGETS, DEFAULT_LORA, type LoRATarget } from './lora';
import type { EvalRecord, StepRecord } from './checkpoint';
import type { TrainMode } from './memory';
import type { Decay } from './schedule';
import type { BestRecord } from './best';
import type { BudgetPlan } from './budget';

export interface TrainSettings {
  mode: TrainMode;
  epochs: number;
  /** Blocks per optimizer step (the effective batch). */
  batchSize: number;
  /** Blocks per forward/backward pass; memory use scales with it, results do not. */
  microBatchSize: number;
  /** Peak learning rate. */
  learningRate: number;
  warmupFraction: number;
  decay: Decay;
  minLr: number;
  weightDecay: number;
  /** Clip the global gradient norm to this; 0 turns clipping off. */
  maxGradNorm: number;
  /** Train with the model's dropout (as Hugging Face fine-tuning does). */
  dropout: boolean;
  /** Seed of dropout masks and LoRA initialisation (the data order uses the dataset's seed). */
  seed: number;
  /** Validate every this many steps; 0 = at the end of each epoch. Always before the first and after the last step. */
  evalEvery: number;
  /** Blocks per validation forward pass; 0 = microBatchSize. */
  evalBatchSize: number;
  lora: { rank: number; alpha: number; targets: LoRATarget[] };
  /** A time budget in working milliseconds (0 = the recipe's epochs): the run plans its steps to end with it. */
  budgetMs: number;
  /** Stop when the validation loss has not improved for this many validations (0 = never). */
  patience: number;
}

/**
 * Defaults nobody should need to touch. 4 epochs as huggingtweets trained; 8 blocks of up to 128
 * tokens per step (~1k tokens); peak learning rate 1e-4 for full fine-tuning (between Hugging Face's
 * 5e-5 default and the rates small-corpus GPT-2 fine-tunes use, since a few hundred steps is all a
 * tweet archive gives) and 5e-4 for LoRA (adapters start at zero and need larger steps; PEFT's
 * GPT-2-sized examples use 3e-4 – 1e-3); 5% linear warm-up then linear decay to 0 (transformers'
 * default schedule); AdamW weight decay 0.01; clipping at 1.0; dropout on.
 */
export function defaultTrainSettings(mode: TrainMode = 'full'): TrainSettings {
  return {
    mode,
    epochs: 4,
    batchSize: 8,
    microBatchSize: 1,
    learningRate: mode === 'lora' ? 5e-4 : 1e-4,
    warmupFraction: 0.05,
    decay: 'linear',
    minLr: 0,
    weightDecay: 0.01,
    maxGradNorm: 1,
    dropout: true,
    seed: 0,
    evalEvery: 0,
    evalBatchSize: 0,
    lora: { rank: DEFAULT_LORA.rank, alpha: DEFAULT_LORA.alpha, targets: [...ALL_LORA_TARGETS] },
    budgetMs: 0,
    patience: 2,
  };
}

/** Fill in defaults (per mode) and check the numbers. */
export function resolveSettings(partial: Partial<TrainSettings> = {}): TrainSettings {
  const base = defaultTrainSettings(partial.mode ?? 'full');
  const s: TrainSettings = { ...base, ...partial, lora: { ...base.lora, ...partial.lora } };
  const positiveInt = (k: 'epochs' | 'batchSize' | 'microBatchSize') => {
    if (!Number.isInteger(s[k]) || s[k] < 1) throw new Error(`${k} must be a positive integer, got ${s[k]}`);
  };
  positiveInt('epochs');
  positiveInt('batchSize');
  positiveInt('microBatchSize');
  if (!(s.learningRate > 0)) throw new Error(`learningRate must be positive, got ${s.learningRate}`);
  if (!(s.budgetMs >= 0)) throw new Error(`budgetMs must be 0 or positive, got ${s.budgetMs}`);
  if (!Number.isInteger(s.patience) || s.patience < 0) throw new Error(`patience must be 0 or a positive integer, got ${s.patience}`);
  if (s.microBatchSize > s.batchSize) s.microBatchSize = s.batchSize;
  return s;
}

export interface TrainProgress {
  /** Optimizer steps completed. */
  step: number;
  totalSteps: number;
  /** 1-based epoch the step belongs to. */
  epoch: number;
  epochs: number;
  /** Mean training loss of this step's batch (absent on the evaluation before training). */
  trainLoss?: number;
  /** Validation loss and perplexity, when this step was followed by a validation. */
  valLoss?: number;
  valPerplexity?: number;
  /** Learning rate this step used (next step's rate before training). */
  lr: number;
  /** Global gradient norm before clipping. */
  gradNorm?: number;
  /** Training throughput of this session, in predicted tokens per second. */
  tokensPerSec: number;
  /** Training time so far (all sessions, pauses excluded). */
  elapsedMs: number;
  /** Estimated time to the last step at this session's pace. */
  etaMs: number;
}

export interface TrainResult {
  /** 'done' after the last step, 'stopped' at stopAtStep, 'early-stopped' by early stopping, 'cancelled' after cancel(). */
  status: 'done' | 'stopped' | 'early-stopped' | 'cancelled';
  step: number;
  totalSteps: number;
  /** Validation loss before training and the latest one (null without validation data). */
  initialValLoss: number | null;
  finalValLoss: number | null;
  history: StepRecord[];
  valHistory: EvalRecord[];
  /** The lowest validation loss and its step (the weights keepBest() puts back). */
  best: BestRecord | null;
  /** Why the run stopped early, or null. */
  stopReason: string | null;
  /** A budgeted run's plan. */
  plan: BudgetPlan | null;
}

export interface TrainerCallbacks {
  onProgress?: (p: TrainProgress) => void;
  /** A budgeted run made or changed its plan. */
  onPlan?: (plan: BudgetPlan) => void;
  /** Awaited after each validation inside run() (live samples); its time counts as the validation's, so a budget plans for it. */
  afterValidation?: (step: number) => Promise<void>;
}
