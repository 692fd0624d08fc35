/**
 * The wasm fast-path products (src/model/matmul.ts): for every pair of transpose flags, value and
 * gradients equal tfjs's own matMul on the cpu backend, and the backend-agnostic path is untouched.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { explicitTransposes, linear, matMul } from '../../../src/model/matmul';
import { repoRoot } from '../../helpers/fixtures';

async function valueAndGrads(backend: string, a: number[][][], b: number[][][], tA: boolean, tB: boolean, ours: boolean) {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const A = tf.tensor3d(a);
    const B = tf.tensor3d(b);
    const rows = tA ? a[0][0].length : a[0].length;
    const cols = tB ? b[0].length : b[0][0].length;
    // A weighted sum, so every output element gets its own gradient.
    const weights = tf.reshape(tf.range(1, 1 + rows * cols), [rows, cols]);
    const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(ours ? matMul(x, y, tA, tB) : tf.matMul(x, y, tA, tB), weights));
    const { value, grads } = tf.valueAndGrads(f)([A, B]);
    return { value: value.dataSync()[0], dA: Array.from(grads[0].dataSync()), dB: Array.from(grads[1].dataSync()) };
  });
}

const rand = (n: number, m: number, seed: number) => Array.from({ length: 2 }, (_, k) => Array.from({ length: n }, (_, i) => Array.from({ length: m }, (_, j) => Math.sin(seed + 13 * k + 7 * i + 3 * j))));

describe('matMul on wasm', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  test.each([
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ])('transposeA %s, transposeB %s: value and gradients equal tf.matMul', async (tA, tB) => {
    setWasmPaths(join(repoRoot, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist') + '/');
    // a: op(a) is [2, 3, 4]; b: op(b) is [2, 4, 5]
    const a = tA ? rand(4, 3, 1) : rand(3, 4, 1);
    const b = tB ? rand(5, 4, 2) : rand(4, 5, 2);
    const want = await valueAndGrads('cpu', a, b, tA, tB, false);
    const got = await valueAndGrads('wasm', a, b, tA, tB, true);
    expect(explicitTransposes()).toBe(true);
    expect(got.value).toBeCloseTo(want.value, 3);
    got.dA.forEach((v, i) => expect(v).toBeCloseTo(want.dA[i], 4));
    got.dB.forEach((v, i) => expect(v).toBeCloseTo(want.dB[i], 4));
  });

  test('linear = x @ W + b with its gradients, and no tensor left behind', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const x = tf.tensor2d(rand(3, 4, 5)[0]);
    const W = tf.tensor2d(rand(4, 6, 6)[0]);
    const b = tf.tensor1d([1, 2, 3, 4, 5, 6]);
    const ours = tf.grads((p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) => tf.sum(tf.square(linear(p as tf.Tensor2D, q as tf.Tensor2D, r as tf.Tensor1D))))([x, W, b]);
    const ref = tf.grads((p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) => tf.sum(tf.square(tf.add(tf.matMul(p, q), r))))([x, W, b]);
    for (let i = 0; i < 3; i++) Array.from(ours[i].dataSync()).forEach((v, j) => expect(v).toBeCloseTo(ref[i].dataSync()[j], 3));
    tf.dispose([x, W, b, ...ours, ...ref]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

test('other backends use tf.matMul as is', async () => {
  await tf.setBackend('cpu');
  expect(explicitTransposes()).toBe(false);
});
