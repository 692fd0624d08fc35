/**
 * Next-token cross-entropy straight from the last hidden states and the tied embedding, as one
 * differentiable op with its gradient written out:
 *
 *   logits_i = h_i · Wᵀ                          (W = wte [V, C], possibly in row chunks)
 *   loss_i   = logsumexp(logits_i) − logits_i[t_i]
 *   dlogits  = (softmax(logits) − onehot(t)) · dy
 *   dh       = dlogits · W,     dW = dlogitsᵀ · h
 *
 * Built from tfjs ops (logSumExp, a gather for the target logits), the tape would give W three
 * gradients of W's full size (the LM-head product, the gather's scatter) and add them up; here
 * each chunk's gradient is one product, so the output side of the tied embedding costs a single
 * [V, C] tensor. The forward pass keeps exp(logits − max) [n, V] (softmax's numerator) for the
 * backward pass instead of the logits, so softmax costs no second exp.
 *
 * With `tablesGetGradient` false, W is a constant of the op (LoRA: wte is frozen) and the dW
 * product (as costly as the LM head itself) is not computed at all.
 */
import * as tf from '@tensorflow/tfjs-core';
import { locateInChunk, lookupRows, oneHotFloat } from './embedding';
import { matMul } from './matmul';
import { sumTensors } from './sum';
import { heapView } from './wasm';

/** Per-row loss [n] of predicting targets [n] (int32) from h [n, C] through W = concat(tables)ᵀ. */
export function tiedCrossEntropy(
  h: tf.Tensor2D,
  tables: tf.Tensor2D[],
  starts: number[],
  targets: tf.Tensor1D,
  tablesGetGradient = true,
): tf.Tensor1D {
  const op = tf.customGrad((...args: unknown[]) => {
    const [x] = args as [tf.Tensor2D];
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const logits = tables.map((W) => matMul(x, W, false, true) as tf.Tensor2D);
    const max =
      logits.length === 1
        ? tf.max(logits[0], -1, true)
        : tf.max(tf.concat(logits.map((l) => tf.max(l, -1, true)), 1), -1, true);
    const exps = logits.map((l) => tf.exp(tf.sub(l, max)) as tf.Tensor2D);
    const sums = exps.map((e) => tf.sum(e, -1, true));
    const sumExp = sums.length === 1 ? sums[0] : sumTensors(sums);
    const lse = tf.add(max, tf.log(sumExp));
    const targetLogit = tf.sum(tf.mul(x, lookupRows(tables, starts, targets)), -1, true);
    save([x, targets, sumExp, ...exps]);
    return {
      value: tf.reshape(tf.sub(lse, targetLogit), [-1]) as tf.Tensor1D,
      // A tidy: tfjs runs gradFunc outside any scope of its own (its [n, V] intermediates would
      // otherwise live until the whole backward pass ends).
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [hs, ts, sumExps, ...expSaved] = saved as [tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, ...tf.Tensor2D[]];
          const dyCol = tf.reshape(dy, [-1, 1]);
          const scale = tf.div(dyCol, sumExps);
          const dLogits = expSaved.map((e, k) => {
            const softmaxDy = tf.mul(e, scale) as tf.Tensor2D;
            if (subtractAtTargets(softmaxDy, ts, dy, starts[k])) return softmaxDy;
            const rows = tables[k].shape[0];
            const { local, inside } = locateInChunk(tables, starts, k, ts);
            let oneHot: tf.Tensor = rows === 1 ? tf.ones([local.shape[0], 1]) : oneHotFloat(local, rows);
            if (inside !== null) oneHot = tf.mul(oneHot, inside);
            return tf.sub(softmaxDy, tf.mul(oneHot, dyCol)) as tf.Tensor2D;
          });
          const parts = dLogits.map((d, k) => matMul(d, tables[k]));
          const dh = parts.length === 1 ? parts[0] : sumTensors(parts);
          if (!tablesGetGradient) return [dh];
          return [dh, ...dLogits.map((d) => matMul(d, hs, true, false))];
        }),
    };
  });
  const inputs = tablesGetGradient ? [h, ...tables] : [h];
  return op(...inputs) as tf.Tensor1D;
}

/**
 * d[i, t_i − start] −= dy[i] in place (the one-hot term of dlogits, for the targets inside this
 * chunk of the vocabulary), on wasm; false elsewhere, where the caller builds the one-hot tensor.
 * Saves two [n, V] tensors (the one-hot and the product) at the backward pass's start.
 */
function subtractAtTargets(d: tf.Tensor2D, targets: tf.Tensor1D, dy: tf.Tensor, start: number): boolean {
  if (heapView(d) === null) return false;
  const t = targets.dataSync();
  const g = dy.dataSync();
  const view = heapView(d) as Float32Array; // after the reads: a view is valid until the next allocation
  const [n, width] = d.shape;
  for (let i = 0; i < n; i++) {
    const col = t[i] - start;
    if (col >= 0 && col < width) view[i * width + col] -= g[i];
  }
  return true;
}
