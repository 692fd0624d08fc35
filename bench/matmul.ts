/**
 * The backend's matMul throughput: the page's own backend probe (`measureMatMul`, square) at a
 * bigger size, and the products a GPT-2 training step is made of, whose operands come transposed
 * in the backward pass (a backend may be much slower on those). Apart from measure.ts because
 * src/engine/backend imports the wasm binaries as `?url` assets, which only a bundler resolves.
 */
import * as tf from '@tensorflow/tfjs-core';
import { measureMatMul } from '../src/engine/backend';

export interface MatMulFigures {
  n: number;
  gflops: number;
  /** GFLOP/s of each GPT-2-small training product at 128 tokens (see STEP_PRODUCTS). */
  stepProducts?: Record<string, number>;
}

interface Product {
  a: [number, number];
  b: [number, number];
  transposeA: boolean;
  transposeB: boolean;
}

/** The matrix products of one GPT-2-small block and its LM head, forward and backward, at T = 128. */
export const STEP_PRODUCTS: Record<string, Product> = {
  'forward x·W [128×768]·[768×3072]': { a: [128, 768], b: [768, 3072], transposeA: false, transposeB: false },
  'weight grad xᵀ·dy [768×128]·[128×3072]': { a: [128, 768], b: [128, 3072], transposeA: true, transposeB: false },
  'input grad dy·Wᵀ [128×3072]·[3072×768]': { a: [128, 3072], b: [768, 3072], transposeA: false, transposeB: true },
  'LM head h·wteᵀ [128×768]·[768×50257]': { a: [128, 768], b: [50257, 768], transposeA: false, transposeB: true },
};

export async function measureMatMulAt(n: number, reps = 3, stepProducts = false): Promise<MatMulFigures> {
  const gflops = await measureMatMul(n, reps);
  if (!stepProducts) return { n, gflops };
  const products: Record<string, number> = {};
  for (const [name, p] of Object.entries(STEP_PRODUCTS)) products[name] = await timeProduct(p);
  return { n, gflops, stepProducts: products };
}

async function timeProduct(p: Product, reps = 1): Promise<number> {
  const a = tf.randomNormal(p.a, 0, 1, 'float32', 3);
  const b = tf.randomNormal(p.b, 0, 1, 'float32', 4);
  const [m, k] = p.transposeA ? [p.a[1], p.a[0]] : p.a;
  const n = p.transposeB ? p.b[0] : p.b[1];
  try {
    const run = async () => {
      const c = tf.matMul(a, b, p.transposeA, p.transposeB);
      await c.data();
      c.dispose();
    };
    await run();
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) await run();
    return (2 * m * k * n * reps) / ((performance.now() - t0) / 1000) / 1e9;
  } finally {
    a.dispose();
    b.dispose();
  }
}
