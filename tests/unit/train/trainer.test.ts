import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint, type TrainingCheckpoint } from '../../../src/train/checkpoint';
import { buildDataset, type Dataset } from '../../../src/train/dataset';
import { lrAt } from '../../../src/train/schedule';
import { Trainer, type TrainProgress, type TrainSettings } from '../../../src/train/trainer';
import { charTokenizer, microModel, snapshot, syntheticTweets, useCpu } from './setup';

beforeAll(useCpu);

let dataset: Dataset;
beforeAll(() => {
  dataset = buildDataset(syntheticTweets(80), charTokenizer, { blockSize: 16, nPositions: 32, seed: 5 });
});

const base: Partial<TrainSettings> = {
  epochs: 2,
  batchSize: 2,
  microBatchSize: 1,
  learningRate: 1e-2,
  warmupFraction: 0.2,
  evalEvery: 2,
  evalBatchSize: 8,
  lora: { rank: 2, alpha: 4, targets: ['attn.c_attn', 'mlp.c_proj'] },
};

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

describe('gradient accumulation', () => {
  it('micro-batches sum to the gradient of the whole batch', async () => {
    const model = microModel();
    const grads = async (batchSize: number, microBatchSize: number) => {
      const t = new Trainer(model, dataset, { ...base, dropout: false, batchSize, microBatchSize });
      const g = (await t.gradients(0))!;
      const values = await snapshot(g.grads as Record<string, tf.Variable>);
      const loss = (await g.loss.data())[0];
      tf.dispose([g.grads, g.loss]);
      t.dispose();
      return { values, loss, indices: t.batchIndices(0) };
    };
    const whole = await grads(2, 2);
    const split = await grads(2, 1);
    expect(split.indices).toEqual(whole.indices);
    expect(split.loss).toBeCloseTo(whole.loss, 5);
    for (const name of Object.keys(whole.values)) expect(maxAbsDiff(split.values[name], whole.values[name])).toBeLessThan(1e-5);

    // Independently: the gradient of model.loss on the two blocks as one batch.
    const direct = tf.tidy(() => {
      const length = dataset.blockSize + 1;
      const ids = tf.tensor2d(
        Array.from(whole.indices).flatMap((i) => Array.from(dataset.train[i])),
        [whole.indices.length, length],
        'int32',
      );
      const vars = Object.values(model.params);
      return tf.variableGrads(() => model.loss(ids), vars).grads;
    });
    for (const [name, v] of Object.entries(model.params)) {
      expect(maxAbsDiff((await direct[v.name].data()) as Float32Array, whole.values[name])).toBeLessThan(1e-5);
    }
    tf.dispose(direct);

    // Uneven micro-batches (2 + 1) are weighted by their share of the batch.
    const three = await grads(3, 3);
    const twoPlusOne = await grads(3, 2);
    for (const name of Object.keys(three.values)) expect(maxAbsDiff(twoPlusOne.values[name], three.values[name])).toBeLessThan(1e-5);
    model.dispose();
  });
});

describe('Trainer', () => {
  it('reports progress with the schedule, validation points and timing', async () => {
    const model = microModel();
    const events: TrainProgress[] = [];
    const small = buildDataset(syntheticTweets(24), charTokenizer, { blockSize: 16, seed: 5 });
    const t = new Trainer(model, small, { ...base, epochs: 1, evalEvery: 0 }, { onProgress: (p) => events.push(p) });
    const result = await t.run();
    expect(result.status).toBe('done');
    expect(t.stepsPerEpoch).toBe(Math.ceil(small.train.length / 2));
    expect(t.totalSteps).toBeGreaterThan(4);
    expect(events.map((e) => e.step)).toEqual(Array.from({ length: t.totalSteps + 1 }, (_, i) => i));
    // Validation before the first step and after the last (evalEvery 0 = once per epoch).
    expect(events.filter((e) => e.valLoss !== undefined).map((e) => e.step)).toEqual([0, t.totalSteps]);
    expect(events[0].trainLoss).toBeUndefined();
    expect(result.initialValLoss).toBe(events[0].valLoss);
    expect(result.finalValLoss).toBe(events[events.length - 1].valLoss);
    expect(events[0].valPerplexity).toBeCloseTo(Math.exp(events[0].valLoss!), 6);
    for (const e of events.slice(1)) {
      expect(e.lr).toBe(lrAt(e.step - 1, t.totalSteps, { peakLr: 1e-2, warmupFraction: 0.2 }));
      expect(Number.isFinite(e.trainLoss)).toBe(true);
      expect(e.gradNorm).toBeGreaterThan(0);
      expect(e.tokensPerSec).toBeGreaterThan(0);
      expect(e.etaMs).toBeGreaterThanOrEqual(0);
      expect(e.epoch).toBe(1);
    }
    expect(events[events.length - 1].etaMs).toBe(0);
    expect(result.history.length).toBe(t.totalSteps);
    t.dispose();
    model.dispose();
  });

  it('does not grow the number of tensors over 20 steps (full and LoRA)', async () => {
    for (const mode of ['full', 'lora'] as const) {
      const model = microModel();
      const counts: number[] = [];
      const t = new Trainer(model, dataset, { ...base, mode, epochs: 3, evalEvery: 5 }, { onProgress: (p) => (counts[p.step] = tf.memory().numTensors) });
      expect(t.totalSteps).toBeGreaterThanOrEqual(20);
      await t.run({ stopAtStep: 20 });
      expect(counts[1]).toBeGreaterThan(0);
      expect(counts[20]).toBe(counts[1]);
      const beforeDispose = tf.memory().numTensors;
      t.dispose();
      model.dispose();
      // The optimizer's m and v go with the trainer.
      expect(tf.memory().numTensors).toBeLessThan(beforeDispose);
    }
  });

  it('pauses and resumes between micro-batches', async () => {
    const model = microModel();
    let t!: Trainer;
    let parked!: Promise<void>;
    const reachedStep2 = new Promise<void>((resolve) => {
      t = new Trainer(model, dataset, { ...base, epochs: 1 }, {
        onProgress: (p) => {
          if (p.step === 2) {
            parked = t.pause();
            resolve();
          }
        },
      });
    });
    const running = t.run({ stopAtStep: 4 });
    await reachedStep2;
    await parked;
    expect(t.isPaused).toBe(true);
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 5));
    expect(t.step).toBe(2);
    t.resume();
    const result = await running;
    expect(result.status).toBe('stopped');
    expect(t.step).toBe(4);
    t.dispose();
    model.dispose();
  });

  it('refuses full fine-tuning on a model that has adapters, and a checkpoint from other data', async () => {
    const model = microModel();
    const lora = new Trainer(model, dataset, { ...base, mode: 'lora' });
    expect(() => new Trainer(model, dataset, { ...base, mode: 'full' })).toThrow(/without LoRA adapters/);
    const cp = await lora.checkpoint();
    const other = buildDataset(syntheticTweets(80, 2), charTokenizer, { blockSize: 16, seed: 5 });
    const fresh = microModel();
    expect(() => Trainer.restore(fresh, other, cp)).toThrow(/different training data/);
    lora.dispose();
    model.dispose();
    fresh.dispose();
  });
});

describe('checkpoints', () => {
  const variants: [string, Partial<TrainSettings>, { maxTensorBytes?: number }][] = [
    ['full', { mode: 'full' }, {}],
    ['full, wte in chunks', { mode: 'full' }, { maxTensorBytes: 64 * 16 * 4 }],
    ['LoRA', { mode: 'lora' }, {}],
  ];
  for (const [label, settings, modelOptions] of variants) {
    it(`resuming gives the same losses and weights as not stopping (${label})`, async () => {
      const s = { ...base, ...settings, dropout: true };
      // Straight through 6 steps.
      const straightModel = microModel(modelOptions);
      if (modelOptions.maxTensorBytes) expect(straightModel.wteParamKeys).toEqual(['wte.weight#0', 'wte.weight#1']);
      const straight = new Trainer(straightModel, dataset, s);
      await straight.run({ stopAtStep: 6 });
      const straightWeights = await snapshot(straight.trainable);

      // 3 steps, cancelled from the progress callback, checkpointed, restored into a fresh model.
      const firstModel = microModel(modelOptions);
      let first!: Trainer;
      first = new Trainer(firstModel, dataset, s, { onProgress: (p) => p.step === 3 && first.cancel() });
      const stopped = await first.run();
      expect(stopped.status).toBe('cancelled');
      expect(first.step).toBe(3);
      const cp: TrainingCheckpoint = await first.checkpoint({ tweets: 80, handle: '@someone' });
      first.dispose();
      firstModel.dispose();
      expect(cp.meta.step).toBe(3);
      expect(cp.meta.archiveSummary).toEqual({ tweets: 80, handle: '@someone' });
      const stored = decodeCheckpoint(encodeCheckpoint(structuredClone(cp)));

      const resumedModel = microModel(modelOptions);
      const resumed = Trainer.restore(resumedModel, dataset, stored);
      expect(resumed.step).toBe(3);
      const result = await resumed.run({ stopAtStep: 6 });
      expect(result.history.map((r) => r.trainLoss)).toEqual(straight.history.map((r) => r.trainLoss));
      expect(result.valHistory).toEqual(straight.valHistory);
      const resumedWeights = await snapshot(resumed.trainable);
      expect(Object.keys(resumedWeights).sort()).toEqual(Object.keys(straightWeights).sort());
      for (const name of Object.keys(straightWeights)) expect(maxAbsDiff(resumedWeights[name], straightWeights[name])).toBeLessThan(1e-6);
      if (settings.mode === 'lora') {
        expect(Object.keys(cp.meta.shapes).every((n) => n.includes('.lora_'))).toBe(true);
      }
      for (const t of [straight, resumed]) t.dispose();
      straightModel.dispose();
      resumedModel.dispose();
    });
  }

  it('resumes on a model whose embedding is chunked differently', async () => {
    const s = { ...base, mode: 'full' as const };
    const chunked = microModel({ maxTensorBytes: 64 * 16 * 4 });
    const straight = new Trainer(chunked, dataset, s);
    await straight.run({ stopAtStep: 4 });
    const firstModel = microModel({ maxTensorBytes: 64 * 16 * 4 });
    const first = new Trainer(firstModel, dataset, s);
    await first.run({ stopAtStep: 2 });
    const cp = await first.checkpoint();
    first.dispose();
    firstModel.dispose();
    expect(Object.keys(cp.meta.shapes)).toContain('wte.weight#1');

    const whole = microModel();
    const resumed = Trainer.restore(whole, dataset, cp);
    const wte = (await whole.params['wte.weight'].data()) as Float32Array;
    expect(wte).toEqual(new Float32Array([...cp.tensors['weights/wte.weight#0'], ...cp.tensors['weights/wte.weight#1']]));
    const result = await resumed.run({ stopAtStep: 4 });
    // Chunked and whole logsumexp round differently in the last bits: equal up to float32 noise.
    result.history.forEach((r, i) => expect(r.trainLoss).toBeCloseTo(straight.history[i].trainLoss, 4));
    straight.dispose();
    resumed.dispose();
    chunked.dispose();
    whole.dispose();
  });

  it('can be taken while the loop is running: it waits for a step boundary', async () => {
    const model = microModel();
    let t!: Trainer;
    let pending: Promise<TrainingCheckpoint> | null = null;
    t = new Trainer(model, dataset, { ...base, batchSize: 4, microBatchSize: 1 }, {
      onProgress: (p) => {
        if (p.step === 1) pending = t.checkpoint();
      },
    });
    const result = await t.run({ stopAtStep: 3 });
    expect(result.step).toBe(3);
    const cp = await pending!;
    expect(cp.meta.step).toBe(1);
    expect(cp.meta.history.length).toBe(1);
    expect(cp.meta.adamStep).toBe(1);
    t.dispose();
    model.dispose();
  });
});
