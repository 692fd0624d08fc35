import { describe, expect, it } from 'vitest';
import type { BudgetFigures, SessionFigures } from '../../../bench/budget';
import { syntheticTweets } from '../../../bench/budget';
import { corpusPlan, projectEarlyStop } from '../../../bench/projection';
import { budgetRows, stepTimes, type Row } from '../../../bench/report';

describe('projectEarlyStop', () => {
  const plan = corpusPlan(3000, 25, 128); // 69 steps an epoch, 61 validation blocks
  const times = { msPerStep: 30_000, evalMsPerBlock: 1000 };

  it('stops `patience` epochs after the assumed best, validating before training and after each epoch', () => {
    const p = projectEarlyStop(plan, times, { bestEpoch: 2, patience: 2, maxEpochs: 20 });
    expect(p.epochs).toBe(4);
    expect(p.steps).toBe(276);
    expect(p.validations).toBe(5);
    expect(p.trainSeconds).toBe(276 * 30);
    expect(p.evalSeconds).toBe(5 * 61);
    expect(p.seconds).toBe(276 * 30 + 5 * 61);
  });

  it('is capped by the schedule, and a run never better than before training stops after `patience` epochs', () => {
    expect(projectEarlyStop(plan, times, { bestEpoch: 19, patience: 2, maxEpochs: 20 }).epochs).toBe(20);
    expect(projectEarlyStop(plan, times, { bestEpoch: 0, patience: 2, maxEpochs: 20 }).epochs).toBe(2);
  });
});

function session(over: Partial<SessionFigures>): SessionFigures {
  return {
    status: '',
    steps: 8,
    stepsPerEpoch: 69,
    trainBlocks: 549,
    valBlocks: 61,
    tokensPerTweet: 26,
    workingMs: 330_000,
    wallMs: 340_000,
    // validation 60 s, steps of 30 s (the first two slower), the last with a 60 s validation after it
    elapsedAtStep: [60_000, 100_000, 135_000, 165_000, 195_000, 225_000, 255_000, 285_000, 375_000],
    firstValidationMs: 60_000,
    validationSteps: [0, 8],
    samples: [],
    stopReason: null,
    ...over,
  };
}

/** The gpt2 shape's budgeted run as the phase reports it, without its session figures. */
const gpt2Budget = { shape: 'gpt2', backend: 'wasm', mode: 'lora', modeReason: '', params: 124e6, batchSize: 8, blockSize: 128, budgetMs: 300_000, tweets: 3000 } as const;

function rowsOf(figures: BudgetFigures): Row[] {
  const rows: Row[] = [];
  budgetRows('gpt2', figures, rows, () => {
    throw new Error('no error expected');
  });
  return rows;
}

describe('budgetRows', () => {
  it('steps past the warm-up, without those a validation followed', () => {
    expect(stepTimes(session({}))).toEqual([30_000, 30_000, 30_000, 30_000, 30_000]);
  });

  it('says how far the end is from the budget, the projection with early stopping and the live samples’ cost', () => {
    const figures: BudgetFigures = {
      ...gpt2Budget,
      budgeted: { ...session({ workingMs: 375_000 }), plans: [{ atStep: 5, totalSteps: 8, msPerStep: 32_000, reason: 'planned from the measured step time (32000 ms a step)', replans: 0 }] },
      live: {
        tweets: 80,
        epochs: 2,
        runs: [
          { samples: false, figures: session({ steps: 4, stepsPerEpoch: 2, wallMs: 99_000 }) },
          { samples: true, figures: session({ steps: 4, stepsPerEpoch: 2, wallMs: 103_000, samples: [{ step: 2, ms: 1500, texts: [] }, { step: 4, ms: 1500, texts: [] }] }) },
          { samples: true, figures: session({ steps: 4, stepsPerEpoch: 2, wallMs: 103_000, samples: [{ step: 2, ms: 1500, texts: [] }] }) },
          { samples: false, figures: session({ steps: 4, stepsPerEpoch: 2, wallMs: 101_000 }) },
        ],
      },
    };
    const rows = rowsOf(figures);
    expect(rows.map((r) => r.value)).toEqual(['+75.0 s (+25.0%)', expect.stringMatching(/h$/), '+3.0%']);
    expect(rows[0].detail).toContain('planned 8 steps after step 5');
    expect(rows[0].detail).toContain('no re-plan');
    expect(rows[1].detail).toContain('ASSUMED');
    expect(rows[1].detail).toContain('stops after epoch 4 (276 steps, 5 validations)');
    expect(rows[2].detail).toContain('written 3 time(s)');
    expect(rows[2].detail).toContain('in the order without, with, with, without');
  });
});

describe('budgetRows, a plan that ends soon after it is made', () => {
  it('takes the step time from the planner when every step past the warm-up had a validation after it', () => {
    const figures: BudgetFigures = {
      ...gpt2Budget,
      budgeted: {
        ...session({ steps: 3, workingMs: 283_000, elapsedAtStep: [98_000, 130_000, 160_000, 283_000], validationSteps: [0, 3] }),
        plans: [{ atStep: 3, totalSteps: 3, msPerStep: 28_000, reason: 'planned from the measured step time (28000 ms a step, 98 s a validation)', replans: 0 }],
      },
    };
    const rows = rowsOf(figures);
    expect(rows[0].value).toBe('−17.0 s (−5.7%)');
    expect(rows[0].detail).toContain('step 28.0 s as the planner measured it');
    expect(rows[1].detail).toContain('28.0 s a step of 8 blocks');
  });
});

describe('syntheticTweets', () => {
  it('is deterministic, 13–32 words (about 25 GPT-2 tokens)', () => {
    const a = syntheticTweets(50);
    expect(a).toEqual(syntheticTweets(50));
    for (const t of a) expect(t.split(' ').length).toBeLessThanOrEqual(33);
  });
});
