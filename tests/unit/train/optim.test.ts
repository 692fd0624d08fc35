import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW } from '../../../src/train/adamw';
import { clipByGlobalNorm, globalNorm } from '../../../src/train/clip';
import { activationBytes, chooseMicroBatch, chooseMode } from '../../../src/train/memory';
import { lrAt } from '../../../src/train/schedule';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const values = (t: tf.Tensor) => Array.from(t.dataSync());
/** A variable made from a temporary tensor without leaking that tensor. */
const variable = (make: () => tf.Tensor) => tf.tidy(() => tf.variable(make()));

describe('AdamW', () => {
  it('matches a hand-computed two-step update; biases and LayerNorm gains are not decayed', () => {
    const vars = {
      'h.0.mlp.c_fc.weight': variable(() => tf.tensor2d([[1, -2]])),
      'h.0.mlp.c_fc.bias': variable(() => tf.tensor1d([0.5])),
      'h.0.ln_1.weight': variable(() => tf.tensor1d([0.5])),
    };
    const opt = new AdamW(vars, { weightDecay: 0.1 });
    expect(opt.decayedNames).toEqual(['h.0.mlp.c_fc.weight']);
    const steps: [number[], number, number][] = [
      [[0.5, -1], 2, 0.1],
      [[-0.25, 3], 1, 0.05],
    ];
    for (const [gw, gb, lr] of steps) {
      const grads = { 'h.0.mlp.c_fc.weight': tf.tensor2d([gw]), 'h.0.mlp.c_fc.bias': tf.tensor1d([gb]), 'h.0.ln_1.weight': tf.tensor1d([gb]) };
      opt.step(grads, lr);
      tf.dispose(grads);
    }
    // float64 reference: w ← w − lr·wd·w; m, v; w ← w − lr·m̂/(√v̂ + ε).
    const expectedW = [0.8722331503439232, -1.895309492549372];
    const expectedB = 0.3533910188542552;
    values(vars['h.0.mlp.c_fc.weight']).forEach((x, i) => expect(x).toBeCloseTo(expectedW[i], 6));
    expect(values(vars['h.0.mlp.c_fc.bias'])[0]).toBeCloseTo(expectedB, 6);
    expect(values(vars['h.0.ln_1.weight'])[0]).toBeCloseTo(expectedB, 6);
    expect(opt.stepCount).toBe(2);
    opt.dispose();
    tf.dispose(Object.values(vars));
  });

  it('exports and imports its state exactly, and leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    const w = { w: variable(() => tf.tensor2d([[0.3, -0.7], [1.5, 2]])) };
    const opt = new AdamW(w);
    const g = { w: tf.tensor2d([[0.1, 0.2], [-0.3, 0.4]]) };
    const afterSetup = tf.memory().numTensors;
    opt.step(g, 0.01);
    opt.step(g, 0.01);
    expect(tf.memory().numTensors).toBe(afterSetup);
    const state = await opt.exportState();
    expect(state.step).toBe(2);
    expect(state.m.w).toBeInstanceOf(Float32Array);
    expect(structuredClone(state).v.w).toEqual(state.v.w);

    const w2 = { w: variable(() => tf.tensor(values(w.w), [2, 2])) };
    const opt2 = new AdamW(w2);
    opt2.importState(structuredClone(state));
    opt.step(g, 0.01);
    opt2.step(g, 0.01);
    expect(values(w2.w)).toEqual(values(w.w));
    expect(() => opt2.importState({ step: 1, m: { w: new Float32Array(3) }, v: { w: new Float32Array(3) } })).toThrow(/does not match/);
    opt.dispose();
    opt2.dispose();
    tf.dispose([w.w, w2.w, g.w]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('lrAt', () => {
  const opts = { peakLr: 1, warmupSteps: 4 };
  it('warms up linearly from the first step', () => {
    expect([0, 1, 2, 3].map((s) => lrAt(s, 14, opts))).toEqual([0.25, 0.5, 0.75, 1]);
  });
  it('decays linearly or by cosine to minLr at the end', () => {
    [1, 0.5, 0.1, 0].forEach((x, i) => expect(lrAt([4, 9, 13, 14][i], 14, opts)).toBeCloseTo(x, 12));
    const cos = { ...opts, decay: 'cosine' as const, minLr: 0.1 };
    expect(lrAt(4, 14, cos)).toBeCloseTo(1, 12);
    expect(lrAt(9, 14, cos)).toBeCloseTo(0.55, 12);
    expect(lrAt(14, 14, cos)).toBeCloseTo(0.1, 12);
    expect(lrAt(7, 14, { ...opts, decay: 'constant' })).toBe(1);
  });
  it('defaults warm-up to 10% of the steps', () => {
    expect(lrAt(0, 100, { peakLr: 1 })).toBeCloseTo(0.1, 12);
    expect(lrAt(10, 100, { peakLr: 1 })).toBe(1);
    expect(lrAt(0, 1, { peakLr: 2 })).toBe(2);
  });
});

describe('clipByGlobalNorm', () => {
  it('scales all gradients together when the global norm is too large, and returns the norm', () => {
    const grads = { a: tf.tensor1d([3, 0]), b: tf.tensor2d([[0, 4]]) }; // global norm 5
    const before = tf.memory().numTensors;
    const { grads: clipped, norm } = clipByGlobalNorm(grads, 1);
    expect(values(norm)[0]).toBeCloseTo(5, 6);
    expect(values(clipped.a)[0]).toBeCloseTo(0.6, 6);
    expect(values(clipped.b)[1]).toBeCloseTo(0.8, 6);
    expect(tf.memory().numTensors).toBe(before + 3);
    const n = globalNorm(clipped);
    expect(values(n)[0]).toBeCloseTo(1, 5);
    const { grads: untouched, norm: n2 } = clipByGlobalNorm(grads, 10);
    expect(values(untouched.a)).toEqual([3, 0]);
    tf.dispose([grads, clipped, norm, n, untouched, n2]);
  });
});

describe('chooseMode', () => {
  const MB = 1024 * 1024;
  it('trains fully when weights, gradients and AdamW state fit, LoRA otherwise, and says why', () => {
    const small = chooseMode(1_000_000, 1024 * MB); // 16 MB
    expect(small.mode).toBe('full');
    expect(small.fullBytes).toBe(16_000_000);
    const gpt2 = chooseMode(124_439_808, 1024 * MB);
    expect(gpt2.mode).toBe('lora');
    expect(gpt2.reason).toBe('full fine-tuning needs ~1899 MB for weights + gradients + AdamW state; this device reports 1024 MB, 645 MB of it usable: using LoRA');
    expect(chooseMode(124_439_808, 8192 * MB).mode).toBe('full');
    expect(chooseMode(124_439_808, null).mode).toBe('lora');
    expect(chooseMode(1_000_000, null).reason).toMatch(/does not report its memory/);
    // Activations count too.
    expect(chooseMode(1_000_000, 100 * MB, 80 * MB).mode).toBe('lora');
  });
  it('picks the largest power-of-two micro-batch that fits', () => {
    const cfg = { nLayer: 12, nEmbd: 768, nHead: 12, vocabSize: 50257 };
    const one = activationBytes(cfg, 1, 128);
    expect(activationBytes(cfg, 4, 128)).toBe(4 * one);
    expect(chooseMicroBatch(cfg, 128, 8, 0, (3.5 * one) / 0.7)).toBe(2);
    expect(chooseMicroBatch(cfg, 128, 8, 0, (100 * one) / 0.7)).toBe(8);
    expect(chooseMicroBatch(cfg, 128, 8, 0, null)).toBe(1);
  });
});
