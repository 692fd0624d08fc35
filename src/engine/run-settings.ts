/**
 * What a training run is told and what it says: the page's settings as the trainer's (the time
 * budget, "until it stops improving", early stopping), the plan as the page shows it, and the
 * sentence saying why training stopped and which weights were kept.
 */
import { defaultTrainSettings as trainerDefaults, type Trainer, type TrainSettings as TrainerSettings } from '../train/trainer';
import { planRemainingMs } from '../train/budget';
import type { TrainPlan, TrainSettings } from './api';

/** "Until it stops improving": the schedule spans this many epochs at most; early stopping ends it sooner. */
export const UNTIL_IMPROVING_EPOCHS = 20;

export function trainerSettings(s: TrainSettings, mode: 'full' | 'lora'): Partial<TrainerSettings> {
  const budget = Number.isFinite(s.budgetMinutes) ? s.budgetMinutes : 0;
  const patience = Math.max(0, Math.round(s.patience ?? trainerDefaults('full').patience));
  if (budget === -1 && patience === 0) throw new Error('“Until it stops improving” needs early stopping: set the patience to 1 or more.');
  if (budget < 0 && budget !== -1) throw new Error(`The time budget must be a number of minutes (or −1 for “until it stops improving”), not ${budget}.`);
  const lr = mode === 'lora' && s.mode === 'auto' && s.learningRate === trainerDefaults('full').learningRate ? trainerDefaults('lora').learningRate : s.learningRate;
  return {
    mode,
    epochs: budget === -1 ? Math.max(UNTIL_IMPROVING_EPOCHS, Math.round(s.epochs)) : Math.max(1, Math.round(s.epochs)),
    budgetMs: budget > 0 ? budget * 60_000 : 0,
    patience,
    batchSize: Math.max(1, Math.round(s.batchSize)),
    microBatchSize: Math.max(1, Math.min(Math.round(s.microBatch), Math.round(s.batchSize))),
    learningRate: lr,
    warmupFraction: s.warmupFraction,
    weightDecay: s.weightDecay,
    maxGradNorm: s.clipNorm,
    seed: s.seed,
    lora: { ...trainerDefaults('lora').lora, rank: Math.max(1, Math.round(s.loraRank)), alpha: s.loraAlpha },
  };
}

/** The plan as the page shows it. */
export function planInfo(t: Trainer): TrainPlan | null {
  const plan = t.plan;
  if (!plan || !t.planner) return null;
  return {
    totalSteps: plan.totalSteps,
    epochs: plan.totalSteps / t.stepsPerEpoch,
    remainingMs: planRemainingMs(plan, t.step, t.evalEvery),
    msPerStep: plan.msPerStep,
    budgetMs: t.planner.budgetMs,
    reason: plan.reason,
    replans: plan.replans,
  };
}

/** Why training stopped and which weights the bot keeps, as the page and the model card say it. */
export function stopSentence(status: string, t: Trainer, s: TrainSettings, kept: { step: number; loss: number } | null): string {
  const why =
    status === 'early-stopped'
      ? `Stopped early at step ${t.step}: ${t.stopReason ?? 'the validation loss stopped improving'}`
      : status === 'stopped'
      ? `Stopped at step ${t.step} (“stop after ${s.maxSteps} steps”)`
      : t.plan
      ? `Ended at step ${t.step}, the end of the plan for the ${formatMinutes(s.budgetMinutes)} time budget`
      : `Ended at step ${t.step}, after the recipe's ${t.epochs} epoch${t.epochs === 1 ? '' : 's'}`;
  const which = kept ? `the kept weights are from step ${kept.step}, the lowest validation loss (${kept.loss.toFixed(4)})` : 'no validation loss was measured: the last weights are kept';
  return `${why}; ${which}.`;
}

function formatMinutes(m: number): string {
  return m >= 60 && m % 60 === 0 ? `${m / 60}-hour` : `${m}-minute`;
}
