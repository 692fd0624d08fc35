/**
 * Σ of several same-shape tensors as a tree of small AddN kernels.
 *
 * tfjs-backend-webgpu 4.22 binds every input of an AddN in one shader; past the device's
 * storage-buffer limit (8 per shader stage unless raised) the sum comes out silently wrong:
 * clipping's global norm over the tiny GPT-2's 28 gradients read 1.17 instead of 12.06 on
 * SwiftShader (tests/e2e/parity.e2e.ts now checks it on every backend).
 */
import * as tf from '@tensorflow/tfjs-core';

/** At most this many inputs per AddN (plus the output: within WebGPU's default 8 bindings). */
const MOST_INPUTS = 4;

export function sumTensors<T extends tf.Tensor>(tensors: T[]): T {
  if (tensors.length === 0) throw new Error('sumTensors: nothing to add');
  let level: tf.Tensor[] = tensors;
  while (level.length > 1) {
    const next: tf.Tensor[] = [];
    for (let i = 0; i < level.length; i += MOST_INPUTS) {
      const group = level.slice(i, i + MOST_INPUTS);
      next.push(group.length === 1 ? group[0] : tf.addN(group));
    }
    level = next;
  }
  return level[0] as T;
}
