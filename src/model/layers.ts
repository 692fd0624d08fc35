/**
 * GPT-2's elementwise layers as single differentiable ops with their gradients written out.
 *
 * Built from tfjs ops, the tape differentiates them op by op: the tanh-GELU is 8 ops whose
 * backward passes keep ~8 tensors of the MLP's width per token until the backward pass ends and
 * run ~20 more kernels; LayerNorm (moments, centring, rsqrt, gain, bias) is similar at the
 * model's width. Here each keeps what its gradient needs (GELU: its input; LayerNorm: the
 * normalised input and 1/σ) and computes the gradient in a few kernels: less memory held per layer
 * (the activation term of src/train/memory.ts) and fewer kernel launches (what WebGL pays for most).
 *
 * tfjs runs a customGrad's gradFunc outside any scope of its own, so each gradFunc here is a
 * tf.tidy: otherwise its intermediates would live until the whole backward pass ends.
 */
import * as tf from '@tensorflow/tfjs-core';

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

/**
 * gelu(x) = 0.5 x (1 + tanh(u)),  u = c (x + a x³)   (GPT-2's "gelu_new")
 * gelu'(x) = 0.5 (1 + t) + 0.5 x (1 − t²) c (1 + 3 a x²),  t = tanh(u)
 */
export const geluTanh = tf.customGrad((...args: unknown[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  const x2 = tf.square(x);
  const u = tf.mul(x, tf.add(tf.mul(x2, GELU_C * GELU_A), GELU_C));
  const y = tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(u), 1));
  save([x]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor, [xs]: tf.Tensor[]) =>
      tf.tidy(() => {
        const s2 = tf.square(xs);
        const t = tf.tanh(tf.mul(xs, tf.add(tf.mul(s2, GELU_C * GELU_A), GELU_C)));
        // 0.5 (1 + t) + 0.5 x (1 − t²) (c + 3 a c x²)
        const slope = tf.add(
          tf.mul(tf.add(t, 1), 0.5),
          tf.mul(tf.mul(tf.mul(xs, 0.5), tf.sub(1, tf.square(t))), tf.add(tf.mul(s2, 3 * GELU_C * GELU_A), GELU_C)),
        );
        return tf.mul(dy, slope);
      }),
  };
}) as <T extends tf.Tensor>(x: T) => T;

/**
 * ln(x) = x̂ g + b,  x̂ = (x − mean) / σ,  σ = √(var + eps), over the last axis;
 * dx = (dx̂ − mean(dx̂) − x̂ mean(dx̂ x̂)) / σ with dx̂ = dy g;  dg = Σ dy x̂;  db = Σ dy.
 */
export function layerNorm(x: tf.Tensor, gain: tf.Tensor1D, bias: tf.Tensor1D, eps: number): tf.Tensor {
  const op = tf.customGrad((...args: unknown[]) => {
    const [input, g, b, save] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const { mean, variance } = tf.moments(input, -1, true);
    const inv = tf.rsqrt(tf.add(variance, eps));
    const xhat = tf.mul(tf.sub(input, mean), inv);
    save([xhat, inv, g]);
    return {
      value: tf.add(tf.mul(xhat, g), b),
      gradFunc: (dy: tf.Tensor, [xh, invStd, gs]: tf.Tensor[]) =>
        tf.tidy(() => {
          const axes = dy.shape.slice(0, -1).map((_, i) => i);
          const dxhat = tf.mul(dy, gs);
          const dx = tf.mul(tf.sub(tf.sub(dxhat, tf.mean(dxhat, -1, true)), tf.mul(xh, tf.mean(tf.mul(dxhat, xh), -1, true))), invStd);
          return [dx, tf.sum(tf.mul(dy, xh), axes), tf.sum(dy, axes)];
        }),
    };
  });
  return op(x, gain, bias) as tf.Tensor;
}
