/** What the ONNX export tests (onnxruntime-node, transformers.js) compare against: the model's own logits. */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import type { GPT2 } from '../../../src/model/index';

/** The model's logits for one sequence, [1, T, vocab] flattened. */
export async function modelLogits(model: GPT2, tokens: number[]): Promise<Float32Array> {
  const t = tf.tidy(() => model.logits(tf.tensor2d([tokens], [1, tokens.length], 'int32')));
  const data = (await t.data()) as Float32Array;
  t.dispose();
  return data;
}

/** The largest |a[i] - b[i]|; the arrays must be the same length. */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
