/**
 * Checks of the backend-specific paths (wasm's in-place updates, WebGL's programs) against
 * references computed here in float64, run on whatever backend is active: by the parity page
 * (tests/e2e/parity.e2e.ts, on every backend it covers) and by `npm run bench` (its "ok" lines).
 * Each returns the largest absolute difference it saw.
 */
import * as tf from '@tensorflow/tfjs-core';
import { addRowGradients, lookupRows, rowGradients } from '../../src/model/embedding';
import { mulberry32 } from '../../src/random';
import { AdamW } from '../../src/train/adamw';
import { globalNorm } from '../../src/train/clip';

/** max |a - b| over equal-length arrays; Infinity when a NaN appears. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return Number.isNaN(m) ? Infinity : m;
}

/**
 * AdamW against a float64 reference of its formula: 3 steps with weight decay and a gradient
 * scale, on weights of odd shapes (a [37, 29] matrix, a [5] vector, a [1, 9] row), so a packed
 * program's padding texels would show.
 */
export async function checkOptimizer(): Promise<number> {
  const rand = mulberry32(42);
  const shapes: Record<string, number[]> = { w: [37, 29], b: [5], r: [1, 9] };
  const vars: Record<string, tf.Variable> = {};
  const ref: Record<string, { w: Float64Array; m: Float64Array; v: Float64Array }> = {};
  for (const [name, shape] of Object.entries(shapes)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const w0 = Float32Array.from({ length: size }, () => rand() * 2 - 1);
    vars[name] = tf.tidy(() => tf.variable(tf.tensor(w0, shape)));
    ref[name] = { w: Float64Array.from(w0), m: new Float64Array(size), v: new Float64Array(size) };
  }
  const opt = new AdamW(vars, { weightDecay: 0.1 });
  const lr = 0.01;
  const scale = 0.5;
  for (let t = 1; t <= 3; t++) {
    const grads: Record<string, tf.Tensor> = {};
    for (const [name, shape] of Object.entries(shapes)) {
      const r = ref[name];
      const g = Float32Array.from({ length: r.w.length }, () => rand() * 2 - 1);
      grads[name] = tf.tensor(g, shape);
      const decay = opt.decayedNames.includes(name) ? 1 - lr * 0.1 : 1;
      for (let i = 0; i < g.length; i++) {
        const gi = g[i] * scale;
        r.m[i] = 0.9 * r.m[i] + 0.1 * gi;
        r.v[i] = 0.999 * r.v[i] + 0.001 * gi * gi;
        r.w[i] = r.w[i] * decay - (lr * (r.m[i] / (1 - 0.9 ** t))) / (Math.sqrt(r.v[i] / (1 - 0.999 ** t)) + 1e-8);
      }
    }
    const st = tf.scalar(scale);
    opt.step(grads, lr, st);
    tf.dispose([st, ...Object.values(grads)]);
  }
  let maxDiff = 0;
  for (const name of Object.keys(shapes)) maxDiff = Math.max(maxDiff, maxAbsDiff(await vars[name].data(), ref[name].w));
  opt.dispose();
  tf.dispose(Object.values(vars));
  return maxDiff;
}

/**
 * The embedding gradient's path on this backend (rowGradients 'auto': slots on WebGL, ScatterNd
 * elsewhere) against the one-hot product, on a table in 3 chunks with repeated ids.
 */
export async function checkRowGradient(): Promise<number> {
  const rand = mulberry32(7);
  const sizes = [40, 40, 37];
  const starts = [0, 40, 80];
  const shapes = sizes.map((r) => ({ shape: [r, 24] }));
  const ids = tf.tensor1d([0, 5, 5, 39, 40, 116, 80, 5, 79, 116, 3, 41], 'int32');
  const dy = tf.tensor2d(Float32Array.from({ length: 12 * 24 }, () => rand() * 2 - 1), [12, 24]);
  const [got, want] = tf.tidy(() => [rowGradients(shapes, starts, ids, dy, 'auto'), rowGradients(shapes, starts, ids, dy, 'onehot')]);
  let maxDiff = 0;
  for (let k = 0; k < sizes.length; k++) maxDiff = Math.max(maxDiff, maxAbsDiff(await got[k].data(), await want[k].data()));
  tf.dispose([ids, dy, ...got, ...want]);
  return maxDiff;
}

/**
 * One (unchunked) table of odd shape [37, 7], as the trainer uses it: its rows looked up
 * (lookupRows) and the rows' gradient added into an existing gradient (addRowGradients: in place
 * on wasm, one packed program on WebGL), against the same in float64; ids repeat and touch both
 * ends. Also the global norm clipping takes of these gradients.
 */
export async function checkEmbeddingRows(): Promise<number> {
  const rand = mulberry32(11);
  const [V, C] = [37, 7];
  const idList = [0, 36, 5, 5, 17, 36, 5, 2, 9];
  const n = idList.length;
  const table = Float32Array.from({ length: V * C }, () => rand() * 2 - 1);
  const base = Float32Array.from({ length: V * C }, () => rand() * 2 - 1);
  const dyValues = Float32Array.from({ length: n * C }, () => rand() * 2 - 1);
  const wantRows = new Float64Array(n * C);
  const wantGrad = Float64Array.from(base);
  idList.forEach((id, i) => {
    for (let c = 0; c < C; c++) {
      wantRows[i * C + c] = table[id * C + c];
      wantGrad[id * C + c] += dyValues[i * C + c];
    }
  });
  // A product's output, as the LM head's gradient is (packed on WebGL): base · I.
  const [rows, sums, norm] = tf.tidy(() => {
    const w = tf.tensor2d(table, [V, C]);
    const ids = tf.tensor1d(idList, 'int32');
    const g = tf.matMul(tf.tensor2d(base, [V, C]), tf.eye(C));
    const [summed] = addRowGradients([g as tf.Tensor2D], [0], ids, tf.tensor2d(dyValues, [n, C]));
    return [lookupRows([w], [0], ids), summed, globalNorm({ a: summed, b: tf.tensor1d([3, 4]) })];
  });
  const wantNorm = Math.sqrt(wantGrad.reduce((a, x) => a + x * x, 0) + 25);
  const diff = Math.max(maxAbsDiff(await rows.data(), wantRows), maxAbsDiff(await sums.data(), wantGrad), Math.abs((await norm.data())[0] - wantNorm) / wantNorm);
  tf.dispose([rows, sums, norm]);
  return diff;
}
