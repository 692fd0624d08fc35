/**
 * Learning-rate schedule: linear warm-up to the peak, then linear or cosine decay toward `minLr`.
 * Warm-up keeps AdamW's first, poorly-estimated steps small; decay lets the last steps settle.
 */

export type Decay = 'linear' | 'cosine' | 'constant';

export interface ScheduleOptions {
  /** Peak learning rate, reached at the end of warm-up. */
  peakLr: number;
  /** Warm-up length in steps; overrides warmupFraction. */
  warmupSteps?: number;
  /** Warm-up as a share of all steps. Default 0.1 when warmupSteps is not given. */
  warmupFraction?: number;
  decay?: Decay;
  /** Where decay ends (at step == total). Default 0. */
  minLr?: number;
}

export function warmupLength(total: number, opts: ScheduleOptions): number {
  const steps = opts.warmupSteps ?? Math.round(total * (opts.warmupFraction ?? 0.1));
  return Math.max(0, Math.min(steps, total));
}

/**
 * Learning rate for the update with 0-based index `step` out of `total`. Warm-up counts from
 * (step+1)/warmup, so the first update is not wasted at lr 0; decay runs from the peak at the end
 * of warm-up to minLr at `total` (the last update stays just above minLr).
 */
export function lrAt(step: number, total: number, opts: ScheduleOptions): number {
  const peak = opts.peakLr;
  const min = opts.minLr ?? 0;
  const warmup = warmupLength(total, opts);
  if (step < warmup) return (peak * (step + 1)) / warmup;
  const decaySteps = total - warmup;
  if (decaySteps <= 0 || opts.decay === 'constant') return peak;
  const progress = Math.min(1, Math.max(0, (step - warmup) / decaySteps));
  const factor = opts.decay === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * progress)) : 1 - progress;
  return min + (peak - min) * factor;
}
