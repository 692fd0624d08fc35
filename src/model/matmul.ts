/**
 * Matrix products that stay on each backend's fast path, forward and backward.
 *
 * tfjs-backend-wasm runs a product with a transposed operand ~10x slower than a plain one
 * (measured on [128, 768] x [768, 50257]: 2.8 vs 24 GFLOP/s; transposeA: 1.3 GFLOP/s), and the
 * gradient of every product uses exactly those forms (dA = dC @ B^T, dB = A^T @ dC). On wasm this
 * module only ever runs plain products: it transposes operands explicitly, choosing whichever of
 * the two equivalent forms copies fewer elements, op(A) @ op(B) or (op(B)^T @ op(A)^T)^T, and
 * registers a BatchMatMul gradient built the same way.
 *
 * tfjs-backend-webgl has the opposite weak spot: a plain right operand with a long inner
 * dimension, read down its texture's columns (on SwiftShader, the LM head's input gradient
 * dlogits · wte, [64×8192]·[8192×256]: 95 ms; transposing wte (11 ms) and multiplying by the
 * transposed operand (58 ms): 69 ms). There such a B is transposed first; shorter inner dimensions
 * measured the same either way. Other backends get tf.matMul / tf.fused.matMul unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's gradients first: the BatchMatMul gradient registered below must replace its own, not be replaced.
import '@tensorflow/tfjs-core/dist/register_all_gradients';

/** Whether the active backend needs explicit transposes (read at call time: the backend can change). */
export function explicitTransposes(): boolean {
  return tf.getBackend() === 'wasm';
}

/** Swaps the last two axes. */
function t(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  const n = perm.length;
  [perm[n - 2], perm[n - 1]] = [perm[n - 1], perm[n - 2]];
  return tf.transpose(x, perm);
}

/** Elements of op(x) @ op(y)'s result. */
function productSize(x: tf.Tensor, y: tf.Tensor, tx: boolean, ty: boolean): number {
  const r = x.rank;
  const rows = tx ? x.shape[r - 1] : x.shape[r - 2];
  const cols = ty ? y.shape[r - 2] : y.shape[r - 1];
  return (x.size / (x.shape[r - 1] * x.shape[r - 2])) * rows * cols;
}

/** op(x) @ op(y) with plain products only, copying as few elements as it can. */
function plainProduct(x: tf.Tensor, y: tf.Tensor, tx: boolean, ty: boolean): tf.Tensor {
  // Direct: transpose the operands that need it. Swapped: (op(y)^T @ op(x)^T)^T, which transposes
  // the operands that do NOT need it, and the result.
  const direct = (tx ? x.size : 0) + (ty ? y.size : 0);
  const swapped = (tx ? 0 : x.size) + (ty ? 0 : y.size) + productSize(x, y, tx, ty);
  if (direct <= swapped) return tf.matMul(tx ? t(x) : x, ty ? t(y) : y);
  return t(tf.matMul(ty ? y : t(y), tx ? x : t(x)));
}

/** From this inner dimension on, WebGL gets a plain right operand transposed first (see the top). */
const WEBGL_LONG_INNER = 2048;

/** The product the active backend runs fastest: plain products only on wasm, tf.matMul elsewhere. */
function product(x: tf.Tensor, y: tf.Tensor, tx: boolean, ty: boolean): tf.Tensor {
  if (explicitTransposes()) return plainProduct(x, y, tx, ty);
  if (!ty && y.shape[y.rank - 2] >= WEBGL_LONG_INNER && tf.getBackend() === 'webgl') return tf.matMul(x, t(y), tx, true);
  return tf.matMul(x, y, tx, ty);
}

/**
 * tfjs's gradient of BatchMatMul (the same four cases, each operand's gradient computed only when
 * asked for, so frozen weights cost nothing), with its products taken through `product`: on wasm
 * a plain product never becomes a transposed one in the backward pass. Replaces tfjs-core's
 * registration for every backend; elsewhere it computes exactly what tfjs's own does.
 */
tf.registerGradient({
  kernelName: 'BatchMatMul',
  inputsToSave: ['a', 'b'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: unknown) => {
    const dC = dy as tf.Tensor;
    const [A, B] = saved;
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return { a: () => product(dC, B, false, true), b: () => product(A, dC, true, false) };
    if (!transposeA && transposeB) return { a: () => product(dC, B, false, false), b: () => product(dC, A, true, false) };
    if (transposeA && !transposeB) return { a: () => product(B, dC, false, true), b: () => product(A, dC, false, false) };
    return { a: () => product(B, dC, true, true), b: () => product(dC, A, true, true) };
  },
});

/** matMul(a, b, transposeA, transposeB) on the fast path of the active backend. */
export function matMul<T extends tf.Tensor>(a: T, b: tf.Tensor, transposeA = false, transposeB = false): T {
  return product(a, b, transposeA, transposeB) as T;
}

/** x @ W + bias for x [n, in], W [in, out] (a Hugging Face Conv1D), on the fast path. */
export function linear(x: tf.Tensor2D, W: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  if (!explicitTransposes()) return tf.fused.matMul({ a: x, b: W, bias }) as tf.Tensor2D;
  return tf.add(tf.matMul(x, W), bias) as tf.Tensor2D;
}
