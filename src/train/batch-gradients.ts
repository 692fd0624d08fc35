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

/**
 * The gradient of one step's batch mean loss, summed over its micro-batches (each weighted by its
 * share of the batch), before clipping, keyed like `trainable`, with that loss; null when
 * `between` (awaited before every micro-batch: yields, pause, cancel) says stop. The caller
 * disposes the tensors.
 */
export async function stepGradients(
  model: TrainableModel,
  trainable: Record<string, tf.Variable>,
  dataset: Dataset,
  indices: Int32Array,
  opts: { microBatchSize: number; dropout: boolean; seed(k: number): number; between(): Promise<boolean> },
): Promise<{ grads: Record<string, tf.Tensor>; loss: tf.Scalar } | null> {
  const micro = opts.microBatchSize;
  let acc: Record<string, tf.Tensor> | null = null;
  let lossSum: tf.Scalar | null = null;
  try {
    for (let k = 0; k * micro < indices.length; k++) {
      if (!(await opts.between())) return null;
      const part = indices.subarray(k * micro, (k + 1) * micro);
      const { value, grads } = microBatchGradients(model, trainable, dataset, part, { dropout: opts.dropout, weight: part.length / indices.length, seed: opts.seed(k) });
      if (acc === null || lossSum === null) {
        acc = grads;
        lossSum = value;
        continue;
      }
      acc = accumulate(acc, grads);
      const prevLoss = lossSum;
      lossSum = tf.add(prevLoss, value) as tf.Scalar;
      tf.dispose([prevLoss, value]);
    }
    const result = { grads: acc!, loss: lossSum! };
    acc = null;
    lossSum = null;
    return result;
  } finally {
    if (acc) tf.dispose(acc);
    if (lossSum) lossSum.dispose();
  }
}

/**
 * Mean next-token loss over all validation blocks (deterministic, no dropout) in batches of
 * `size`; undefined without validation data, null when `between` (awaited before each batch)
 * says stop.
 */
export async function meanValidationLoss(model: TrainableModel, dataset: Dataset, size: number, between: (() => Promise<boolean>) | null): Promise<number | null | undefined> {
  const val = dataset.val;
  if (val.length === 0) return undefined;
  let sum = 0;
  for (let start = 0; start < val.length; start += size) {
    if (between && !(await between())) return null;
    const indices = Array.from({ length: Math.min(size, val.length - start) }, (_, i) => start + i);
    // Every block has the same number of targets: weighting each batch mean by its block count gives the per-token mean.
    const loss = tf.tidy(() => tf.mul(model.loss(blocksTensor(val, indices, dataset.blockSize)), indices.length));
    sum += (await loss.data())[0];
    loss.dispose();
  }
  return sum / val.length;
}
