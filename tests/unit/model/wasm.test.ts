/**
 * Training on the wasm backend: tfjs-backend-wasm has no UnsortedSegmentSum, the kernel of
 * tf.gather's gradient, so the model's embedding lookup must bring its own gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkpointName, loadGPT2, type GPT2 } from '../../../src/model';
import { repoRoot } from '../../helpers/fixtures';
import { expectClose, reference, tinyFiles } from './helpers';

const { training } = reference;

describe.each([
  ['one wte tensor', undefined],
  ['wte split into chunks', 1_000_000],
])('wasm backend, %s', (_, maxTensorBytes) => {
  let model: GPT2;
  let batch: tf.Tensor2D;
  beforeAll(async () => {
    setWasmPaths(join(repoRoot, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist') + '/');
    expect(await tf.setBackend('wasm')).toBe(true);
    model = await loadGPT2(tinyFiles('model.safetensors'), { maxTensorBytes });
    batch = tf.tensor2d(training.batch, undefined, 'int32');
  });
  afterAll(() => {
    model?.dispose();
    batch?.dispose();
  });

  test('really lacks UnsortedSegmentSum (why the custom gradient exists)', () => {
    const v = tf.variable(tf.ones([4, 2]));
    const ids = tf.tensor1d([1, 1, 3], 'int32');
    expect(() => tf.variableGrads(() => tf.sum(tf.gather(v, ids)), [v])).toThrow(/UnsortedSegmentSum/);
    tf.dispose([v, ids]);
  });

  test('loss and gradient norms match the reference', async () => {
    expect(tf.getBackend()).toBe('wasm');
    const before = tf.memory().numTensors;
    const vars = Object.values(model.params);
    const { value, grads } = tf.variableGrads(() => model.loss(batch), vars);
    expectClose(await value.data(), [training.mean_loss], 1e-3, 'loss');
    const squares: Record<string, number> = {};
    for (const [key, v] of Object.entries(model.params)) {
      const s = tf.tidy(() => tf.sum(tf.square(grads[v.name])));
      squares[checkpointName(key)] = (squares[checkpointName(key)] ?? 0) + (await s.data())[0];
      s.dispose();
    }
    for (const [name, expected] of Object.entries(training.grad_l2)) {
      expect(Math.abs(Math.sqrt(squares[name]) - expected) / expected, name).toBeLessThan(1e-3);
    }
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('dropout training loss has a gradient too', async () => {
    const { value, grads } = tf.variableGrads(() => model.trainLoss(batch, 7), Object.values(model.params));
    expect(Number.isFinite((await value.data())[0])).toBe(true);
    expect(Object.keys(grads)).toHaveLength(Object.keys(model.params).length);
    tf.dispose([value, ...Object.values(grads)]);
  });
});
