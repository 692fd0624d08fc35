/**
 * AdamW's update as three fused WebGL programs per variable (new m, new v, new w) instead of
 * ~14 tfjs kernels. On WebGL every kernel is a draw call over the whole tensor, and the profile of
 * a small-model training step (bench, pair row) showed the optimizer's elementwise passes over
 * the token embedding taking more time than the embedding's products. Same formula and order as
 * AdamW.step's tensor path (see ./adamw.ts); the clipping scale is read on the GPU (a scalar
 * input), so nothing is read back.
 *
 * The programs read and write packed textures (four values per texel, the layout tfjs's products
 * leave the gradients and weights in): unpacked, tfjs first converted every packed gradient and
 * weight, and clipping + AdamW for the pair shape took 170 ms a step on SwiftShader; packed, with
 * clip.ts's packed norm, 52 ms.
 */
import * as tf from '@tensorflow/tfjs-core';
import { onWebGL, runWebGL, type WebGLProgram as Program } from '../model/webgl';

/** Whether the fused programs can run (the active backend is WebGL). */
export const fusedWebGLAdamW = onWebGL;

const moment = (shape: number[], squared: boolean): Program => ({
  variableNames: ['X', 'G', 'S'],
  outputShape: shape,
  packedInputs: true,
  packedOutput: true,
  customUniforms: [{ name: 'beta', type: 'float' }],
  userCode: `
    void main() {
      vec4 g = getGAtOutCoords() * getS().x;
      setOutput(beta * getXAtOutCoords() + (1.0 - beta) * ${squared ? 'g * g' : 'g'});
    }
  `,
});

const weight = (shape: number[]): Program => ({
  variableNames: ['W', 'M', 'V'],
  outputShape: shape,
  packedInputs: true,
  packedOutput: true,
  customUniforms: [
    { name: 'decay', type: 'float' },
    { name: 'lr', type: 'float' },
    { name: 'bc1', type: 'float' },
    { name: 'bc2', type: 'float' },
    { name: 'eps', type: 'float' },
  ],
  userCode: `
    void main() {
      vec4 m = getMAtOutCoords();
      vec4 v = getVAtOutCoords();
      setOutput(getWAtOutCoords() * decay - (m / bc1) / (sqrt(v / bc2) + eps) * lr);
    }
  `,
});

export interface FusedStep {
  beta1: number;
  beta2: number;
  epsilon: number;
  lr: number;
  decay: number;
  bc1: number;
  bc2: number;
}

/** One variable's update: assigns the new m, v and w. `scale` multiplies the gradient (clipping). */
export function fusedAdamWStep(w: tf.Variable, m: tf.Variable, v: tf.Variable, g: tf.Tensor, scale: tf.Scalar, p: FusedStep): void {
  const run = (program: Program, inputs: tf.Tensor[], uniforms: number[][]): tf.Tensor => runWebGL(program, inputs, uniforms);
  const nextM = run(moment(w.shape, false), [m, g, scale], [[p.beta1]]);
  const nextV = run(moment(w.shape, true), [v, g, scale], [[p.beta2]]);
  const nextW = run(weight(w.shape), [w, nextM, nextV], [[p.decay], [p.lr], [p.bc1], [p.bc2], [p.epsilon]]);
  m.assign(nextM);
  v.assign(nextV);
  w.assign(nextW);
  tf.dispose([nextM, nextV, nextW]);
}
