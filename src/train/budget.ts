/**
 * Training on the person's time: a plan of how many steps fit a time budget, made from the real
 * step time once the warm-up steps are measured, and re-made when the step time drifts (a
 * throttled tab, a busy machine, a resume on another device), with the learning-rate schedule
 * that ends with the plan.
 *
 * Time here is the trainer's working time (`elapsedMs`: steps and validations, pauses and
 * reloads excluded), so a plan survives a reload. Nothing reads a clock: the trainer feeds the
 * times in, and tests feed a fake clock.
 */
import type { Decay } from './schedule';

export interface BudgetPlan {
  /** Steps the run ends after. */
  totalSteps: number;
  /** Warm-up length (fixed by the first plan). */
  warmupSteps: number;
  /** Measured cost of one step (validations excluded) the plan was made from. */
  msPerStep: number;
  /**
   * Measured cost of one validation (0 without validation data). The plan counts the validations
   * it will run: every `evalEvery` steps and one after its last step. Absent in older plans.
   */
  msPerValidation?: number;
  /** The step and working time when the plan was made. */
  madeAtStep: number;
  madeAtMs: number;
  /** The working time spent on steps alone (validations excluded) when the plan was made. */
  madeAtStepMs?: number;
  /** After a re-plan past the warm-up: the decay restarts from this step's rate toward the new end. */
  from: { step: number; lr: number } | null;
  /** Why the plan is what it is (the page shows it). */
  reason: string;
  /** How many times it was re-made. */
  replans: number;
}

export interface BudgetOptions {
  /** The person's time, in working milliseconds. */
  budgetMs: number;
  /** Steps whose time is not representative (kernel compilation, first allocations). Default 2. */
  warmupMeasureSteps?: number;
  /** Steps measured after those before the first plan. Default 3 … */
  measureSteps?: number;
  /** … or fewer (at least one) once they took this long: slow steps are measured well by one. Default 10 000. */
  measureMs?: number;
  /** Share of the plan that warms up. */
  warmupFraction: number;
  /** Re-plan when the projected end misses the budget by more than this share of it (default 0.05) … */
  tolerance?: number;
  /** … and by more than this many ms (default 5000). */
  minSlackMs?: number;
  /** Steps measured since the last plan before a re-plan is considered. Default 5. */
  window?: number;
  /** Validation every this many steps (0: only the one after the last step). Default 0. */
  evalEvery?: number;
}

/** What the trainer's validations have cost so far, as observe() reads it. */
export interface ValidationTime {
  /** Working time spent validating so far (the part of `elapsedMs` that was not steps). */
  spentMs: number;
  /** The latest validation's duration (0 when none was measured in this session). */
  lastMs: number;
}

const noValidation: ValidationTime = { spentMs: 0, lastMs: 0 };

/**
 * Working time of `n` more steps after `step`: the steps, the validations at each multiple of
 * `evalEvery` strictly inside them, and the one after the last step.
 */
export function costOfSteps(step: number, n: number, msPerStep: number, msPerValidation: number, evalEvery: number): number {
  if (n <= 0) return 0;
  const inside = evalEvery > 0 ? Math.floor((step + n - 1) / evalEvery) - Math.floor(step / evalEvery) : 0;
  return n * msPerStep + (inside + 1) * msPerValidation;
}

/** The most steps after `step` whose cost fits `leftMs` (0 when not even one does: the run ends now). */
function stepsThatFit(step: number, leftMs: number, msPerStep: number, msPerValidation: number, evalEvery: number): number {
  const fits = (n: number) => costOfSteps(step, n, msPerStep, msPerValidation, evalEvery) <= leftMs;
  if (!fits(1)) return 0;
  // costOfSteps grows with n: binary search between 1 and the bound from the step time alone.
  let lo = 1;
  let hi = Math.max(1, Math.floor(leftMs / Math.max(msPerStep, 1e-9)));
  if (fits(hi)) return hi;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Working time from `step` to the plan's end, its validations included. */
export function planRemainingMs(plan: BudgetPlan, step: number, evalEvery: number): number {
  return costOfSteps(step, plan.totalSteps - step, plan.msPerStep, plan.msPerValidation ?? 0, evalEvery);
}

/** The step time over the measured steps: `elapsedMs` after `step` steps vs at `fromStep`. */
function rate(step: number, elapsedMs: number, fromStep: number, fromMs: number): number {
  return (elapsedMs - fromMs) / Math.max(1, step - fromStep);
}

export class BudgetPlanner {
  plan: BudgetPlan | null;
  private readonly opts: Required<BudgetOptions>;
  /** Working time on steps alone when the measured steps began (after warmupMeasureSteps). */
  private measureFrom: { step: number; ms: number } | null = null;

  constructor(options: BudgetOptions, plan: BudgetPlan | null = null) {
    this.opts = { warmupMeasureSteps: 2, measureSteps: 3, tolerance: 0.05, minSlackMs: 5000, window: 5, evalEvery: 0, measureMs: 10_000, ...options };
    if (!(this.opts.budgetMs > 0)) throw new Error(`the time budget must be positive, got ${this.opts.budgetMs} ms`);
    this.plan = plan;
  }

  get budgetMs(): number {
    return this.opts.budgetMs;
  }

  /**
   * Called after every completed step with the working time so far (validations included) and
   * what the validations cost of it. Returns the new plan when it was made or changed, else null.
   * A resumed run (a plan and no measurement yet in this session) re-measures after its own
   * warm-up steps.
   */
  observe(
    step: number,
    elapsedMs: number,
    lrAtStep: (step: number) => number,
    sessionStep: number,
    validation: ValidationTime = noValidation,
  ): BudgetPlan | null {
    const o = this.opts;
    const stepMs = elapsedMs - validation.spentMs;
    if (this.measureFrom === null) {
      if (sessionStep >= o.warmupMeasureSteps) this.measureFrom = { step, ms: stepMs };
      return null;
    }
    const p = this.plan;
    // A step at a validation point is observed before its validation runs.
    const pending = (val: number) => (o.evalEvery > 0 && step % o.evalEvery === 0 ? val : 0);
    /** The plan's end: the most steps whose time, with their validations, fits what is left. */
    const endAt = (ms: number, val: number) => step + stepsThatFit(step, o.budgetMs - elapsedMs - pending(val), ms, val, o.evalEvery);
    if (p === null) {
      const measured = step - this.measureFrom.step;
      if (measured < 1 || (measured < o.measureSteps && stepMs - this.measureFrom.ms < o.measureMs)) return null;
      const ms = rate(step, stepMs, this.measureFrom.step, this.measureFrom.ms);
      const val = validation.lastMs;
      const total = endAt(ms, val);
      this.plan = {
        totalSteps: total,
        warmupSteps: Math.max(step + 1, Math.round(total * o.warmupFraction)),
        msPerStep: ms,
        msPerValidation: val,
        madeAtStep: step,
        madeAtMs: elapsedMs,
        madeAtStepMs: stepMs,
        from: null,
        reason: `planned from the measured step time (${Math.round(ms)} ms a step${val > 0 ? `, ${seconds(val)} a validation` : ''})`,
        replans: 0,
      };
      return this.plan;
    }
    if (step >= p.totalSteps) return null;
    // Measure from the later of the plan and this session's measurement start.
    const from = this.measureFrom.step > p.madeAtStep ? this.measureFrom : { step: p.madeAtStep, ms: p.madeAtStepMs ?? p.madeAtMs };
    if (step - from.step < o.window) return null;
    const ms = rate(step, stepMs, from.step, from.ms);
    const val = validation.lastMs > 0 ? validation.lastMs : p.msPerValidation ?? 0;
    const projectedEnd = elapsedMs + pending(val) + costOfSteps(step, p.totalSteps - step, ms, val, o.evalEvery);
    if (Math.abs(projectedEnd - o.budgetMs) <= Math.max(o.tolerance * o.budgetMs, o.minSlackMs)) return null;
    const total = endAt(ms, val);
    if (total === p.totalSteps) return null;
    const why = projectedEnd > o.budgetMs ? 'steps got slower' : 'steps got faster';
    this.plan = {
      ...p,
      totalSteps: total,
      msPerStep: ms,
      msPerValidation: val,
      madeAtStep: step,
      madeAtMs: elapsedMs,
      madeAtStepMs: stepMs,
      // In the warm-up the ramp goes on unchanged; past it the decay restarts from today's rate.
      from: step >= p.warmupSteps ? { step, lr: lrAtStep(step) } : p.from,
      reason: `re-planned at step ${step}: ${why} (${Math.round(p.msPerStep)} → ${Math.round(ms)} ms a step)`,
      replans: p.replans + 1,
    };
    return this.plan;
  }
}

function seconds(ms: number): string {
  return ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * The learning rate of update `step` in a budgeted run: before a plan exists, the warm-up ramp
 * over `provisionalWarmup` steps; then warm-up to the peak and decay to `minLr` at the plan's
 * end (from the re-plan's rate when the plan was re-made past the warm-up).
 */
export function budgetLr(
  step: number,
  plan: BudgetPlan | null,
  opts: { peakLr: number; minLr: number; decay: Decay; provisionalWarmup: number },
): number {
  const { peakLr: peak, minLr: min } = opts;
  const warmup = plan ? plan.warmupSteps : Math.max(1, opts.provisionalWarmup);
  if (step < warmup) return (peak * (step + 1)) / warmup;
  if (!plan || opts.decay === 'constant') return peak;
  const start = plan.from && step >= plan.from.step ? plan.from : { step: warmup, lr: peak };
  const span = plan.totalSteps - start.step;
  if (span <= 0) return min;
  const progress = Math.min(1, Math.max(0, (step - start.step) / span));
  const factor = opts.decay === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * progress)) : 1 - progress;
  return min + (start.lr - min) * factor;
}
