import { describe, expect, it } from 'vitest';
import { BudgetPlanner, budgetLr, costOfSteps, planRemainingMs, type BudgetPlan } from '../../../src/train/budget';

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

  it('counts the validations it will run, the one after the last step included, so the run ends within the budget', () => {
    // The real shapes on a CPU: 30 s a step, a validation of 80 s (before step 1, every 4 steps
    // and after the last). `told` = false is a planner told nothing of the validations.
    const stepMs = 30_000;
    const valMs = 80_000;
    const run = (budgetMs: number, told: boolean, every = 4) => {
      const planner = new BudgetPlanner({ budgetMs, warmupFraction: 0.05, evalEvery: told ? every : 0 });
      const lr = (s: number) => budgetLr(s, planner.plan, opts);
      let ms = valMs;
      let spent = valMs;
      let step = 0;
      const plans: BudgetPlan[] = [];
      while (step < (planner.plan?.totalSteps ?? Infinity) && step < 1000) {
        ms += stepMs;
        step += 1;
        const p = planner.observe(step, ms, lr, step, told ? { spentMs: spent, lastMs: valMs } : undefined);
        if (p) plans.push(p);
        if (step % every === 0 && step !== planner.plan?.totalSteps) {
          ms += valMs;
          spent += valMs;
        }
      }
      return { endMs: ms + valMs, step, plans, planner };
    };
    const r = run(1_200_000, true);
    expect(r.plans).toHaveLength(1);
    // Steps of 30 s are measured well by one: the plan comes after the two warm-up steps and one more.
    expect(r.plans[0].madeAtStep).toBe(3);
    expect(r.plans[0].msPerStep).toBeCloseTo(stepMs, 6);
    expect(r.plans[0].msPerValidation).toBe(valMs);
    expect(r.plans[0].reason).toMatch(/30000 ms a step, 80 s a validation/);
    // Within the budget, by less than one step and one validation (the granularity a plan has).
    expect(r.endMs).toBeLessThanOrEqual(1_200_000);
    expect(1_200_000 - r.endMs).toBeLessThan(stepMs + valMs);
    expect(planRemainingMs(r.planner.plan!, 5, 4)).toBe(costOfSteps(5, r.planner.plan!.totalSteps - 5, stepMs, valMs, 4));
    // An epoch longer than the run (the bench's 3,000 tweets): validations only before the first
    // and after the last step. Told nothing of them, the run ends a validation late; told, within.
    expect(run(600_000, false, 1000).endMs - 600_000).toBeGreaterThan(valMs / 2);
    const long = run(600_000, true, 1000);
    expect(long.endMs).toBeLessThanOrEqual(600_000);
    expect(600_000 - long.endMs).toBeLessThan(stepMs);
    // A budget nearly spent when the plan is made (80 + 3×30 = 170 s of 4 minutes): one more
    // step and the validation after it do not fit, so the plan ends where it is (at 250 s).
    const spentAlready = run(240_000, true);
    expect(spentAlready.plans[0].totalSteps).toBe(3);
    expect(spentAlready.step).toBe(3);
  });

  it('the cost of steps counts each validation strictly inside them and the one after the last', () => {
    expect(costOfSteps(0, 8, 10, 100, 4)).toBe(80 + 2 * 100); // at 4, and after 8
    expect(costOfSteps(3, 1, 10, 100, 4)).toBe(10 + 100); // step 4 is the last: one validation
    expect(costOfSteps(3, 2, 10, 100, 4)).toBe(20 + 200); // at 4, and after 5
    expect(costOfSteps(0, 8, 10, 100, 0)).toBe(80 + 100);
    expect(costOfSteps(0, 0, 10, 100, 4)).toBe(0);
  });

  it('before the plan, the first steps ramp up over the provisional warm-up', () => {
    expect(budgetLr(0, null, opts)).toBeCloseTo(2e-4, 12);
    expect(budgetLr(10, null, opts)).toBe(1e-3);
    expect(() => new BudgetPlanner({ budgetMs: 0, warmupFraction: 0.05 })).toThrow(/positive/);
  });
});
