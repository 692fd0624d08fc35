/**
 * Loss, gradients and plain SGD against reference.json's `training` section, for both weight
 * files and for a model whose token embedding is split into row chunks (maxTensorBytes).
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkpointName, loadGPT2, type GPT2 } from '../../../src/model';
import { expectClose, reference, tinyFiles, useCpu } from './helpers';

const { training } = reference;
/** 50257 x 32 floats is 6.4 MB; 1 MB chunks split wte into 7 pieces. */
const SPLIT_BYTES = 1_000_000;

/** Gradient of the loss for every params key (wte chunks separately). */
function lossGrads(model: GPT2, ids: tf.Tensor2D): { loss: tf.Scalar; grads: Record<string, tf.Tensor> } {
  const vars = Object.values(model.params);
  const { value, grads } = tf.variableGrads(() => model.loss(ids), vars);
  const byKey: Record<string, tf.Tensor> = {};
  for (const [key, v] of Object.entries(model.params)) byKey[key] = grads[v.name];
  return { loss: value, grads: byKey };
}

/** L2 norm per checkpoint tensor: chunks of wte add up to wte's norm. */
async function gradNorms(grads: Record<string, tf.Tensor>): Promise<Record<string, number>> {
  const squares: Record<string, number> = {};
  for (const [key, g] of Object.entries(grads)) {
    const s = tf.tidy(() => tf.sum(tf.square(g)));
    squares[checkpointName(key)] = (squares[checkpointName(key)] ?? 0) + (await s.data())[0];
    s.dispose();
  }
  return Object.fromEntries(Object.entries(squares).map(([k, s]) => [k, Math.sqrt(s)]));
}

// SGD is skipped for the .bin model: its weights are the safetensors' bit for bit (save.test.ts).
const variants = [
  { weights: 'model.safetensors', maxTensorBytes: undefined, sgd: true },
  { weights: 'pytorch_model.bin', maxTensorBytes: undefined, sgd: false },
  { weights: 'model.safetensors', maxTensorBytes: SPLIT_BYTES, sgd: true },
] as const;

for (const { weights, maxTensorBytes, sgd } of variants) {
  describe(`training numbers, ${weights}${maxTensorBytes ? ', wte split' : ''}`, () => {
    let model: GPT2;
    let batch: tf.Tensor2D;
    beforeAll(async () => {
      await useCpu();
      model = await loadGPT2(tinyFiles(weights), { maxTensorBytes });
      batch = tf.tensor2d(training.batch, undefined, 'int32');
    });
    afterAll(() => {
      model.dispose();
      batch.dispose();
    });

    test('the parameters are named as in model.safetensors', () => {
      const names = new Set(Object.keys(model.params).map(checkpointName));
      expect([...names].sort()).toEqual(Object.keys(training.grad_l2).sort());
      if (maxTensorBytes) {
        expect(model.wteParamKeys.length).toBe(7);
        expect(model.params['wte.weight']).toBeUndefined();
        for (const key of model.wteParamKeys) expect(model.params[key].size * 4).toBeLessThanOrEqual(maxTensorBytes);
        expect(model.wteParamKeys.reduce((n, k) => n + model.params[k].shape[0], 0)).toBe(50257);
      } else {
        expect(model.wteParamKeys).toEqual(['wte.weight']);
      }
    });

    test('mean loss and per-tensor gradient norms', async () => {
      const before = tf.memory().numTensors;
      const { loss, grads } = lossGrads(model, batch);
      expectClose(await loss.data(), [training.mean_loss], 1e-3, 'loss');
      const norms = await gradNorms(grads);
      for (const [name, expected] of Object.entries(training.grad_l2)) {
        const rel = Math.abs(norms[name] - expected) / expected;
        expect(rel, `${name}: ${norms[name]} vs ${expected}`).toBeLessThan(1e-3);
      }
      tf.dispose([loss, ...Object.values(grads)]);
      expect(tf.memory().numTensors).toBe(before);
    });

    test.runIf(sgd)('three steps of plain SGD reach the reference loss', async () => {
      const copy = model.clone();
      const { lr, steps, loss_before, loss_after } = training.sgd;
      const losses: number[] = [];
      for (let s = 0; s < steps; s++) {
        const { loss, grads } = lossGrads(copy, batch);
        losses.push((await loss.data())[0]);
        for (const [key, v] of Object.entries(copy.params)) {
          const next = tf.tidy(() => tf.sub(v, tf.mul(grads[key], lr)));
          v.assign(next);
          next.dispose();
        }
        tf.dispose([loss, ...Object.values(grads)]);
      }
      const after = copy.loss(batch);
      expectClose([losses[0]], [loss_before], 1e-3, 'loss before');
      expectClose(await after.data(), [loss_after], 1e-3, 'loss after');
      after.dispose();
      copy.dispose();
      // the original is untouched by the copy's training
      const again = model.loss(batch);
      expectClose(await again.data(), [loss_before], 1e-3, 'original after training the clone');
      again.dispose();
    });
  });
}

describe('wte split into chunks', () => {
  let whole: GPT2;
  let split: GPT2;
  beforeAll(async () => {
    await useCpu();
    whole = await loadGPT2(tinyFiles('model.safetensors'));
    split = await loadGPT2(tinyFiles('model.safetensors'), { maxTensorBytes: SPLIT_BYTES });
  });
  afterAll(() => {
    whole.dispose();
    split.dispose();
  });

  test('gives the same logits', async () => {
    const ids = tf.tensor2d(training.batch, undefined, 'int32');
    const a = whole.logits(ids);
    const b = split.logits(ids);
    expectClose(await b.data(), await a.data(), 1e-5, 'logits');
    tf.dispose([ids, a, b]);
  });

  test('gives the same gradients, chunk by chunk', async () => {
    const ids = tf.tensor2d(training.batch, undefined, 'int32');
    const a = lossGrads(whole, ids);
    const b = lossGrads(split, ids);
    expectClose(await b.loss.data(), await a.loss.data(), 1e-6, 'loss');
    for (const key of Object.keys(whole.params)) {
      if (key === 'wte.weight') continue;
      expectClose(await b.grads[key].data(), await a.grads[key].data(), 1e-5, key);
    }
    const joined = tf.concat(split.wteParamKeys.map((k) => b.grads[k]), 0);
    expect(joined.shape).toEqual([50257, 32]);
    expectClose(await joined.data(), await a.grads['wte.weight'].data(), 1e-5, 'wte');
    tf.dispose([ids, joined, a.loss, b.loss, ...Object.values(a.grads), ...Object.values(b.grads)]);
  });

  test('a limit below one embedding row is refused', async () => {
    await expect(loadGPT2(tinyFiles('model.safetensors'), { maxTensorBytes: 100 })).rejects.toThrow(/embedding row/);
  });
});
