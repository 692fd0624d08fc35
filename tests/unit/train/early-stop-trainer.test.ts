import { beforeAll, describe, expect, it } from 'vitest';
import { buildDataset, type Dataset } from '../../../src/train/dataset';
import { bestCheckpoint } from '../../../src/train/early-stop';
import { Trainer, type TrainSettings } from '../../../src/train/trainer';
import { charTokenizer, microModel, snapshot, syntheticTweets, useCpu } from './setup';

beforeAll(useCpu);

let dataset: Dataset;
beforeAll(() => {
  // Few tweets, many epochs, a large rate: the validation loss falls, then rises (overfitting).
  dataset = buildDataset(syntheticTweets(24), charTokenizer, { blockSize: 16, nPositions: 32, seed: 3 });
});

const settings: Partial<TrainSettings> = {
  epochs: 60,
  batchSize: 2,
  microBatchSize: 2,
  learningRate: 3e-2,
  warmupFraction: 0,
  decay: 'constant',
  evalEvery: 3,
  evalBatchSize: 16,
  dropout: false,
  patience: 2,
};

describe('early stopping and the kept checkpoint', () => {
  it('stops when validation stops improving, and keeps the weights of the lowest validation loss', async () => {
    const model = microModel();
    const t = new Trainer(model, dataset, settings);
    const r = await t.run();
    expect(r.status).toBe('early-stopped');
    expect(r.step).toBeLessThan(t.totalSteps);
    expect(r.stopReason).toMatch(/not improved for 2 validations/);
    const vals = t.validations();
    const bestStep = bestCheckpoint(vals)!;
    const lowest = Math.min(...vals.map((v) => v.loss));
    expect(r.best).toEqual({ step: bestStep, loss: lowest });
    // The last two validations did not improve on it: the kept step is not the last.
    expect(bestStep).toBeLessThan(r.step);
    const kept = t.keepBest();
    expect(kept?.step).toBe(bestStep);
    // The model now holds the best weights: its validation loss is the lowest one.
    expect(await t.validationLoss()).toBeCloseTo(lowest, 5);
    t.dispose();
  });

  it('the best weights survive a checkpoint and restore', async () => {
    const model = microModel();
    const t = new Trainer(model, dataset, { ...settings, patience: 0 });
    await t.run({ stopAtStep: 12 });
    const cp = await t.checkpoint();
    expect(cp.meta.best).toEqual(t.best);
    const model2 = microModel();
    const u = Trainer.restore(model2, dataset, cp);
    expect(u.best).toEqual(t.best);
    t.keepBest();
    u.keepBest();
    const a = await snapshot(t.trainable);
    const b = await snapshot(u.trainable);
    for (const name of Object.keys(a)) expect(b[name]).toEqual(a[name]);
    t.dispose();
    u.dispose();
  });
});
