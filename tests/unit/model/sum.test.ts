/** sumTensors: the tree of small AddN kernels gives tf.addN's sum for any count. */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { sumTensors } from '../../../src/model/sum';
import { useCpu } from './helpers';

describe('sumTensors', () => {
  beforeAll(useCpu);

  for (const n of [1, 2, 4, 5, 16, 17, 28]) {
    test(`${n} tensors: the sum of all, and nothing left behind`, async () => {
      const before = tf.memory().numTensors;
      const total = tf.tidy(() => sumTensors(Array.from({ length: n }, (_, i) => tf.tensor1d([i + 1, 2 * (i + 1)]))));
      expect(Array.from(await total.data())).toEqual([(n * (n + 1)) / 2, n * (n + 1)]);
      total.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  test('no tensors is an error, not a silent zero', () => {
    expect(() => sumTensors([])).toThrow(/nothing to add/);
  });
});
