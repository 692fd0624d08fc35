import { describe, expect, it } from 'vitest';
import { BudgetPlanner, budgetLr, type BudgetPlan } from '../../../src/train/budget';

/** A fake clock: each step takes `msAt(step)` working milliseconds. Returns the plans made. */
function drive(planner: BudgetPlanner, msAt: (step: number) => number, lr: (step: number) => number, from = { step: 0, ms: 0 }) {
  const plans: BudgetPlan[] = [];
  let ms = from.ms;
  let step = from.step;
  let session = 0;
  while (step < (planner.plan?.totalSteps ?? Infinity) && step < 100_000) {
    ms += msAt(step);
    step += 1;
    session += 1;
    const p = planner.observe(step, ms, lr, session);
    if (p) plans.push(p);
  }
  return { plans, step, ms };
}

const opts = { peakLr: 1e-3, minLr: 0, decay: 'linear' as const, provisionalWarmup: 5 };

describe('the time budget', () => {
  it('plans the steps that fit the budget from the step time measured after the warm-up steps', () => {
    const planner = new BudgetPlanner({ budgetMs: 60_000, warmupFraction: 0.05 });
    // The first two steps are slow (compilation), then 100 ms a step.
    const { plans, step, ms } = drive(planner, (s) => (s < 2 ? 2000 : 100), (s) => budgetLr(s, planner.plan, opts));
    expect(plans).toHaveLength(1);
    const p = plans[0];
    expect(p.msPerStep).toBeCloseTo(100, 6);
    // 4 s in the first two steps + 3 measured: the rest of the 60 s at 100 ms a step.
    expect(p.totalSteps).toBe(5 + Math.floor((60_000 - 4300) / 100));
    expect(p.warmupSteps).toBe(Math.round(p.totalSteps * 0.05));
    expect(step).toBe(p.totalSteps);
    expect(Math.abs(ms - 60_000)).toBeLessThan(100);
  });

  it('re-plans when the step time drifts: a slower step shortens the plan, the schedule still ends at its end', () => {
    const planner = new BudgetPlanner({ budgetMs: 120_000, warmupFraction: 0.05 });
    const lr = (s: number) => budgetLr(s, planner.plan, opts);
    // 100 ms a step until step 300, then the tab is throttled: 250 ms a step.
    const { plans, step, ms } = drive(planner, (s) => (s < 300 ? 100 : 250), lr);
    expect(plans.length).toBeGreaterThanOrEqual(2);
    const first = plans[0];
    const last = plans[plans.length - 1];
    expect(last.totalSteps).toBeLessThan(first.totalSteps);
    expect(last.reason).toMatch(/slower/);
    expect(last.from).not.toBeNull();
    // Ends close to the budget (within the planner's slack: 5%, at least 5 s).
    expect(Math.abs(ms - 120_000)).toBeLessThanOrEqual(6000);
    expect(step).toBe(last.totalSteps);
    // The decay reaches minLr at the plan's end, continuously from the re-plan's rate.
    const at = last.from!.step;
    expect(budgetLr(at, planner.plan, opts)).toBeCloseTo(last.from!.lr, 12);
    expect(budgetLr(last.totalSteps, planner.plan, opts)).toBe(0);
    expect(budgetLr(last.totalSteps - 1, planner.plan, opts)).toBeGreaterThan(0);
    for (let s = at; s < last.totalSteps; s++) expect(budgetLr(s + 1, planner.plan, opts)).toBeLessThan(budgetLr(s, planner.plan, opts));
  });

  it('a faster step lengthens the plan; a steady one never re-plans', () => {
    const faster = new BudgetPlanner({ budgetMs: 120_000, warmupFraction: 0.05 });
    const f = drive(faster, (s) => (s < 200 ? 200 : 100), (s) => budgetLr(s, faster.plan, opts));
    expect(f.plans[f.plans.length - 1].totalSteps).toBeGreaterThan(f.plans[0].totalSteps);
    expect(f.plans[f.plans.length - 1].reason).toMatch(/faster/);
    const steady = new BudgetPlanner({ budgetMs: 120_000, warmupFraction: 0.05 });
    expect(drive(steady, () => 100, (s) => budgetLr(s, steady.plan, opts)).plans).toHaveLength(1);
  });

  it('a run resumed with its plan keeps it on the same machine and re-measures after its own warm-up', () => {
    const a = new BudgetPlanner({ budgetMs: 60_000, warmupFraction: 0.05 });
    const lr = (s: number) => budgetLr(s, a.plan, opts);
    // Run to step 200 and "reload".
    let ms = 0;
    for (let step = 1; step <= 200; step++) {
      ms += 100;
      a.observe(step, ms, lr, step);
    }
    const saved = structuredClone(a.plan!);
    const b = new BudgetPlanner({ budgetMs: 60_000, warmupFraction: 0.05 }, structuredClone(saved));
    // The new page's first steps are slow again; the plan must not change for them.
    const r = drive(b, (s) => (s < 202 ? 1500 : 100), (s) => budgetLr(s, b.plan, opts), { step: 200, ms });
    expect(r.plans).toHaveLength(0);
    expect(b.plan).toEqual(saved);
    expect(r.step).toBe(saved.totalSteps);
  });

  it('before the plan, the first steps ramp up over the provisional warm-up', () => {
    expect(budgetLr(0, null, opts)).toBeCloseTo(2e-4, 12);
    expect(budgetLr(10, null, opts)).toBe(1e-3);
    expect(() => new BudgetPlanner({ budgetMs: 0, warmupFraction: 0.05 })).toThrow(/positive/);
  });
});
