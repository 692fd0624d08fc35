/**
 * The model side of one micro-batch: what the trainer needs of a model, the blocks as an ids
 * tensor, the weighted gradients of their loss, and their sum over a step's micro-batches.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Dataset } from './dataset';
import type { LoRAHost } from './lora';
import { heapView, readableHeapView } from '../model/wasm';

/** What the trainer needs of a model (src/model's GPT2 provides it). */
export interface TrainableModel extends LoRAHost {
  config: { nLayer: number; nHead: number; nEmbd: number; nPositions: number; vocabSize: number };
  /** Mean next-token cross-entropy predicting ids[:, 1:] from ids[:, :-1], no dropout. */
  loss(ids: tf.Tensor2D): tf.Scalar;
  /** The same with dropout masks drawn from `seed`. */
  trainLoss(ids: tf.Tensor2D, seed: number): tf.Scalar;
  /**
   * Optional: value and gradients of weight × (train)loss for `vars`, in order (GPT2's, which
   * skips the work frozen weights do not need and saves memory; see src/model/gpt2.ts). Without
   * it the trainer uses tf.variableGrads over `loss` / `trainLoss`.
   */
  lossGradients?(
    ids: tf.Tensor2D,
    vars: tf.Variable[],
    opts: { training?: boolean; seed?: number; weight?: number },
  ): { value: tf.Scalar; grads: (tf.Tensor | null)[] };
}

/** The blocks at `indices` as one [n, blockSize + 1] int32 tensor. */
export function blocksTensor(blocks: Int32Array[], indices: ArrayLike<number>, blockSize: number): tf.Tensor2D {
  const length = blockSize + 1;
  const flat = new Int32Array(indices.length * length);
  for (let i = 0; i < indices.length; i++) flat.set(blocks[indices[i]], i * length);
  return tf.tensor2d(flat, [indices.length, length], 'int32');
}

/**
 * Gradients of (weight × mean loss of these training blocks) for every trainable variable, by our
 * names, with that weighted loss. Dropout masks, when on, are drawn from `seed`.
 */
export function microBatchGradients(
  model: TrainableModel,
  trainable: Record<string, tf.Variable>,
  dataset: Dataset,
  indices: Int32Array,
  opts: { dropout: boolean; weight: number; seed: number },
): { value: tf.Scalar; grads: Record<string, tf.Tensor> } {
  const { dropout, weight, seed } = opts;
  const names = Object.keys(trainable);
  const vars = names.map((n) => trainable[n]);
  return tf.tidy(() => {
    const ids = blocksTensor(dataset.train, indices, dataset.blockSize);
    let value: tf.Scalar;
    let list: (tf.Tensor | null | undefined)[];
    if (model.lossGradients) {
      ({ value, grads: list } = model.lossGradients(ids, vars, { training: dropout, seed, weight }));
    } else {
      const r = tf.variableGrads(() => {
        const loss = dropout ? model.trainLoss(ids, seed) : model.loss(ids);
        return tf.mul(loss, weight) as tf.Scalar;
      }, vars);
      value = r.value;
      list = vars.map((v) => r.grads[v.name]);
    }
    const out: Record<string, tf.Tensor> = {};
    names.forEach((name, i) => {
      const g = list[i];
      if (!g) throw new Error(`no gradient reaches ${name}`);
      out[name] = g;
    });
    return { value, grads: out };
  });
}

/**
 * acc + grads, per name, disposing `grads`. On wasm each sum is written into acc's storage (no
 * new tensor of the model's size per micro-batch); elsewhere, or for shared data, acc's tensor is
 * replaced by a new sum.
 */
export function accumulate(acc: Record<string, tf.Tensor>, grads: Record<string, tf.Tensor>): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const name of Object.keys(acc)) {
    const into = heapView(acc[name]);
    const from = readableHeapView(grads[name]);
    if (into && from) {
      for (let i = 0; i < into.length; i++) into[i] += from[i];
      out[name] = acc[name];
    } else {
      out[name] = tf.add(acc[name], grads[name]);
      acc[name].dispose();
    }
    grads[name].dispose();
  }
  return out;
}
