import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { addLoRA, loraParams, loraTargetWeights, mergeLoRA, removeLoRA } from '../../../src/train/lora';
import { changedTensors, microModel, snapshot, useCpu } from './setup';

beforeAll(useCpu);

const ids = () => tf.tensor2d([[1, 5, 9, 14, 2, 7], [3, 3, 8, 60, 1, 0]], [2, 6], 'int32');

async function logitsOf(model: ReturnType<typeof microModel>): Promise<Float32Array> {
  const x = ids();
  const y = model.logits(x);
  const out = (await y.data()) as Float32Array;
  tf.dispose([x, y]);
  return out;
}

describe('LoRA', () => {
  it('adds adapters (A random, B zero) that leave the model unchanged, on the chosen projections', async () => {
    const model = microModel();
    const before = await logitsOf(model);
    const names = addLoRA(model, { rank: 4, alpha: 8, seed: 3 });
    expect(names).toEqual(loraTargetWeights(model, ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj']));
    expect(names).toEqual([
      'h.0.attn.c_attn.weight',
      'h.0.attn.c_proj.weight',
      'h.0.mlp.c_fc.weight',
      'h.0.mlp.c_proj.weight',
      'h.1.attn.c_attn.weight',
      'h.1.attn.c_proj.weight',
      'h.1.mlp.c_fc.weight',
      'h.1.mlp.c_proj.weight',
    ]);
    const fc = model.adapters.get('h.0.mlp.c_fc.weight')!;
    expect(fc.A.shape).toEqual([16, 4]);
    expect(fc.B.shape).toEqual([4, 64]);
    expect(fc.scale).toBe(2);
    const a = (await fc.A.data()) as Float32Array;
    expect(Math.max(...a.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(16));
    expect(new Set(a).size).toBe(a.length);
    expect(Array.from(await fc.B.data()).every((x) => x === 0)).toBe(true);
    expect(await logitsOf(model)).toEqual(before);
    expect(Object.keys(loraParams(model))).toContain('h.1.mlp.c_proj.weight.lora_B');
    expect(Object.keys(loraParams(model)).length).toBe(16);
    expect(() => addLoRA(model)).toThrow(/already has LoRA/);
    removeLoRA(model);

    // The same options give the same adapters; targets select projections.
    addLoRA(model, { rank: 4, alpha: 8, seed: 3 });
    expect(await model.adapters.get('h.0.mlp.c_fc.weight')!.A.data()).toEqual(a);
    removeLoRA(model);
    addLoRA(model, { rank: 4, alpha: 8, seed: 4 });
    expect(await model.adapters.get('h.0.mlp.c_fc.weight')!.A.data()).not.toEqual(a);
    removeLoRA(model);
    expect(addLoRA(model, { targets: ['mlp.c_fc'] })).toEqual(['h.0.mlp.c_fc.weight', 'h.1.mlp.c_fc.weight']);
    model.dispose();
  });

  it('merges W += scale·A·B into the weights, giving the same outputs without adapters', async () => {
    const model = microModel();
    const baseWeights = await snapshot(model.params);
    addLoRA(model, { rank: 2, alpha: 6, seed: 1, targets: ['attn.c_attn', 'mlp.c_proj'] });
    // Give B non-zero values so the adapters matter.
    for (const { B } of model.adapters.values()) tf.tidy(() => B.assign(tf.randomNormal(B.shape, 0, 0.5, 'float32', 7)));
    const adapted = await logitsOf(model);
    const baseLogits = tf.tidy(() => model.logits(ids()));
    const tensorsBefore = tf.memory().numTensors;
    mergeLoRA(model);
    expect(model.adapters.size).toBe(0);
    expect(tf.memory().numTensors).toBe(tensorsBefore - 8); // 4 adapters × (A, B)
    const merged = await logitsOf(model);
    let maxDiff = 0;
    for (let i = 0; i < merged.length; i++) maxDiff = Math.max(maxDiff, Math.abs(merged[i] - adapted[i]));
    expect(maxDiff).toBeLessThan(1e-4);
    // Only the adapted weights changed.
    const after = await snapshot(model.params);
    expect(changedTensors(baseWeights, after).sort()).toEqual([
      'h.0.attn.c_attn.weight',
      'h.0.mlp.c_proj.weight',
      'h.1.attn.c_attn.weight',
      'h.1.mlp.c_proj.weight',
    ]);
    baseLogits.dispose();
    model.dispose();
  });
});
