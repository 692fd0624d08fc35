import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runBudget } from '../../../bench/budget';
import { tinyDir, tinyJson } from '../../helpers/fixtures';

// About a minute on the cpu backend, so not in the unit suite: BENCH_SMOKE=1 npx vitest run tests/unit/bench/budget-run.test.ts
describe.runIf(process.env.BENCH_SMOKE)('the budget phase (tiny model, cpu)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    vi.stubGlobal('fetch', async (url: string) => new Response(new Uint8Array(readFileSync(join(tinyDir, url)))));
  });
  afterAll(() => vi.unstubAllGlobals());

  it('runs a budgeted session to its plan, then the live-sample runs (off, on, on, off)', async () => {
    const f = await runBudget(
      { backend: 'cpu', shape: 'gpt2', budgetMinutes: 0.05, tweets: 60, liveTweets: 4, liveEpochs: 1, tokenizerUrl: 'tokenizer.json', tokenizerConfigUrl: 'tokenizer_config.json', config: tinyJson('config.json'), settings: { batchSize: 2, microBatch: 1, blockSize: 16 } },
      () => {},
    );
    expect(f.budgeted.plans.length).toBeGreaterThan(0);
    expect(f.budgeted.steps).toBe(f.budgeted.plans[f.budgeted.plans.length - 1].totalSteps);
    expect(f.budgeted.validationSteps[0]).toBe(0);
    expect(f.budgeted.elapsedAtStep.slice(1).every((ms) => Number.isFinite(ms))).toBe(true);
    expect(f.live?.runs.map((r) => r.samples)).toEqual([false, true, true, false]);
    for (const r of f.live!.runs) expect(r.figures.samples.length).toBe(r.samples ? 1 : 0);
  }, 120_000);
});
