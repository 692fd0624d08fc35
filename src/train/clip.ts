/**
 * Gradient clipping by global norm (torch.nn.utils.clip_grad_norm_): if the L2 norm over all
 * gradients together exceeds maxNorm, scale every gradient by maxNorm / (norm + 1e-6). Done on the
 * device without reading the norm back, so clipping never forces a GPU sync.
 *
 * The trainer does not make clipped copies: it hands `clipCoefficient` to AdamW, which scales each
 * gradient as it reads it (a copy of every gradient is as large as the model).
 */
import * as tf from '@tensorflow/tfjs-core';

/** √(Σ over all tensors of Σ g²). */
export function globalNorm(grads: Record<string, tf.Tensor>): tf.Scalar {
  return tf.tidy(() => {
    const squares = Object.values(grads).map((g) => tf.sum(tf.square(g)));
    return tf.sqrt(squares.length === 0 ? tf.scalar(0) : tf.addN(squares)) as tf.Scalar;
  });
}

/**
 * Returns new, clipped gradients (the inputs are left alone; the caller disposes both) and the
 * norm before clipping.
 */
export function clipByGlobalNorm(
  grads: Record<string, tf.Tensor>,
  maxNorm: number,
): { grads: Record<string, tf.Tensor>; norm: tf.Scalar } {
  return tf.tidy(() => {
    const norm = globalNorm(grads);
    const coef = clipCoefficient(norm, maxNorm);
    const clipped: Record<string, tf.Tensor> = {};
    for (const [name, g] of Object.entries(grads)) clipped[name] = tf.mul(g, coef);
    return { grads: clipped, norm };
  });
}

/** The factor clipping multiplies every gradient by: min(maxNorm / (norm + 1e-6), 1). */
export function clipCoefficient(norm: tf.Scalar, maxNorm: number): tf.Scalar {
  return tf.tidy(() => tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1) as tf.Scalar);
}
