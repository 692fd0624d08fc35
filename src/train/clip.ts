/**
 * Gradient clipping by global norm (torch.nn.utils.clip_grad_norm_): if the L2 norm over all
 * gradients together exceeds maxNorm, scale every gradient by maxNorm / (norm + 1e-6). Done on the
 * device without reading the norm back, so clipping never forces a GPU sync.
 *
 * The trainer does not make clipped copies: it hands `clipCoefficient` to AdamW, which scales each
 * gradient as it reads it (a copy of every gradient is as large as the model).
 */
import * as tf from '@tensorflow/tfjs-core';
import { sumTensors } from '../model/sum';
import { onWebGL, runWebGL, type WebGLProgram } from '../model/webgl';

/** √(Σ over all tensors of Σ g²). */
export function globalNorm(grads: Record<string, tf.Tensor>): tf.Scalar {
  return tf.tidy(() => {
    const squares = Object.values(grads).map((g) => (g.rank === 2 && onWebGL() ? tf.sum(runWebGL(rowPairSquares(g.shape as [number, number]), [g])) : tf.sum(tf.square(g))));
    return tf.sqrt(squares.length === 0 ? tf.scalar(0) : sumTensors(squares)) as tf.Scalar;
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

/**
 * Σ g² of each pair of rows of a packed [R, C] tensor: [⌈R/2⌉], one pass that reads the 2×2
 * texels tfjs's products leave gradients in (tf.sum(tf.square(g)) on WebGL squares, unpacks and
 * reduces in several passes: 65 ms for the pair shape's gradients on SwiftShader, this 20 ms).
 * Padding texels of an odd R or C are masked out.
 */
function rowPairSquares([R, C]: [number, number]): WebGLProgram {
  return {
    variableNames: ['G'],
    outputShape: [Math.ceil(R / 2)],
    packedInputs: true,
    userCode: `
      void main() {
        int r = getOutputCoords() * 2;
        float s = 0.0;
        for (int c = 0; c < ${C}; c += 2) {
          vec4 v = getG(r, c);
          ${C % 2 === 1 ? `if (c + 1 >= ${C}) { v.y = 0.0; v.w = 0.0; }` : ''}
          ${R % 2 === 1 ? `if (r + 1 >= ${R}) { v.z = 0.0; v.w = 0.0; }` : ''}
          s += dot(v, v);
        }
        setOutput(s);
      }
    `,
  };
}
