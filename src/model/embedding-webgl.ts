/**
 * The token embedding's two row operations as packed WebGL programs (see ./embedding for what
 * they compute and ./webgl for the packed layout: a texel holds rows r, r + 1 of columns c, c + 1).
 *
 * AdamW (src/train/adamw-webgl) leaves wte packed. tf.gather only reads unpacked textures, so each
 * lookup first unpacked all of wte: 30 ms for a [8192, 256] table on SwiftShader, where the
 * packed lookup below takes 5 ms. The gradient side folds the input embedding's rows into the LM
 * head's gradient in the same pass that reads it, instead of a gather and an Add over the table.
 */
import * as tf from '@tensorflow/tfjs-core';
import { onWebGL, runWebGL, type WebGLProgram } from './webgl';

/** Whether these programs can run (WebGL is the active backend). */
export const embeddingOnWebGL = onWebGL;

/** GLSL: the half of texel t that holds logical row `row` (x, y for even rows; z, w for odd). */
const PICK_ROW = `vec2 pickRow(vec4 t, int row) { return row - (row / 2) * 2 == 0 ? t.xy : t.zw; }`;

/** table[ids]: table [V, C], ids [n] (int32) → [n, C]; ids are clamped into the table. */
export function gatherRowsWebGL(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  const [V, C] = table.shape;
  const n = ids.shape[0];
  const program: WebGLProgram = {
    variableNames: ['W', 'I'],
    outputShape: [n, C],
    packedInputs: true,
    packedOutput: true,
    userCode: `
      ${PICK_ROW}
      int rowOf(float id) { return int(clamp(id + 0.5, 0.0, ${V - 1}.0)); }
      void main() {
        ivec2 rc = getOutputCoords();
        vec4 ids = getI(rc.x); // ids[rc.x], ids[rc.x + 1]
        int a = rowOf(ids.x);
        int b = rowOf(ids.y);
        setOutput(vec4(pickRow(getW(a, rc.y), a), pickRow(getW(b, rc.y), b)));
      }
    `,
  };
  return runWebGL(program, [table, ids]) as tf.Tensor2D;
}

/**
 * grad + (row v of `padded` at slot[v]) for every row v: grad [V, C], padded [n + 1, C] (row 0
 * zeros), slot [V] float (0 .. n). See ./embedding's slotSums.
 */
export function addSlotRowsWebGL(grad: tf.Tensor2D, padded: tf.Tensor2D, slot: tf.Tensor1D): tf.Tensor2D {
  const [V, C] = grad.shape;
  const last = padded.shape[0] - 1;
  const program: WebGLProgram = {
    variableNames: ['G', 'S', 'P'],
    outputShape: [V, C],
    packedInputs: true,
    packedOutput: true,
    userCode: `
      ${PICK_ROW}
      int slotOf(float s) { return int(clamp(s + 0.5, 0.0, ${last}.0)); }
      void main() {
        ivec2 rc = getOutputCoords();
        vec4 s = getS(rc.x); // slot[rc.x], slot[rc.x + 1]
        int a = slotOf(s.x);
        int b = slotOf(s.y);
        setOutput(getGAtOutCoords() + vec4(pickRow(getP(a, rc.y), a), pickRow(getP(b, rc.y), b)));
      }
    `,
  };
  return runWebGL(program, [grad, slot, padded]) as tf.Tensor2D;
}
