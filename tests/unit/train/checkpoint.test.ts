import { describe, expect, it } from 'vitest';
import {
  adamKey,
  alignTensors,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  decodeCheckpoint,
  encodeCheckpoint,
  validateCheckpoint,
  weightKey,
  type TrainingCheckpoint,
} from '../../../src/train/checkpoint';
import { defaultTrainSettings } from '../../../src/train/trainer';

function sample(): TrainingCheckpoint {
  const shapes = { 'ln_f.bias': [3], 'wte.weight': [2, 2] };
  const tensors: Record<string, Float32Array> = {};
  for (const [name, shape] of Object.entries(shapes)) {
    const size = shape.reduce((a, b) => a * b, 1);
    tensors[weightKey(name)] = Float32Array.from({ length: size }, (_, i) => i + 0.5);
    tensors[adamKey('m', name)] = Float32Array.from({ length: size }, (_, i) => -i);
    tensors[adamKey('v', name)] = Float32Array.from({ length: size }, (_, i) => i * 1e-8);
  }
  return {
    meta: {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      savedAt: '2024-01-01T00:00:00.000Z',
      settings: defaultTrainSettings('full'),
      step: 3,
      totalSteps: 10,
      stepsPerEpoch: 5,
      epoch: 0,
      stepInEpoch: 3,
      dataset: { seed: 1, blockSize: 16, fingerprint: 'abcd0123', trainBlocks: 10, valBlocks: 2 },
      model: { nLayer: 2, nHead: 2, nEmbd: 32, nPositions: 128, vocabSize: 50257 },
      shapes,
      adamStep: 3,
      elapsedMs: 1234,
      history: [{ step: 1, trainLoss: 10.5, lr: 1e-4, gradNorm: 2 }],
      valHistory: [{ step: 0, valLoss: 11 }],
      archiveSummary: { tweets: 1200, handle: '@me', emoji: '🐦' },
    },
    tensors,
  };
}

describe('checkpoint encoding', () => {
  it('round-trips through bytes, also from an unaligned offset', () => {
    const cp = sample();
    const bytes = encodeCheckpoint(cp);
    expect(decodeCheckpoint(bytes)).toEqual(cp);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect(decodeCheckpoint(shifted.subarray(3))).toEqual(cp);
    expect(structuredClone(cp)).toEqual(cp);
  });

  it('rejects foreign, truncated or incomplete checkpoints', () => {
    expect(() => decodeCheckpoint(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).toThrow(/not a tweetgpt/);
    const bytes = encodeCheckpoint(sample());
    expect(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 8))).toThrow(/truncated/);
    const cp = sample();
    delete cp.tensors[adamKey('v', 'ln_f.bias')];
    expect(() => validateCheckpoint(cp)).toThrow(/missing tensor adam.v\/ln_f.bias/);
    const wrong = sample();
    wrong.tensors[weightKey('wte.weight')] = new Float32Array(3);
    expect(() => validateCheckpoint(wrong)).toThrow(/has 3 values, expected 4/);
    expect(() => validateCheckpoint({ ...sample(), meta: { ...sample().meta, version: 2 as 1 } })).toThrow(/version 2/);
  });
});

describe('alignTensors', () => {
  const wte = Float32Array.from({ length: 10 }, (_, i) => i); // 5 rows × 2
  it('passes matching tensors through', () => {
    const out = alignTensors({ a: [5, 2] }, () => wte, { a: [5, 2] });
    expect(out.a).toEqual(wte);
    expect(() => alignTensors({ a: [5, 2] }, () => wte, { a: [2, 5] })).toThrow(/is \[5,2\], the model's is \[2,5\]/);
    expect(() => alignTensors({ a: [5, 2] }, () => wte, { b: [5, 2] })).toThrow(/do not match/);
  });
  it('joins and re-splits row chunks', () => {
    const chunks: Record<string, Float32Array> = { 'wte.weight#0': wte.slice(0, 6), 'wte.weight#1': wte.slice(6) };
    const joined = alignTensors({ 'wte.weight#1': [2, 2], 'wte.weight#0': [3, 2] }, (n) => chunks[n], { 'wte.weight': [5, 2] });
    expect(joined['wte.weight']).toEqual(wte);
    const split = alignTensors({ 'wte.weight': [5, 2] }, () => wte, { 'wte.weight#0': [2, 2], 'wte.weight#1': [2, 2], 'wte.weight#2': [1, 2] });
    expect(split).toEqual({ 'wte.weight#0': wte.slice(0, 4), 'wte.weight#1': wte.slice(4, 8), 'wte.weight#2': wte.slice(8) });
    expect(() => alignTensors({ 'wte.weight': [5, 2] }, () => wte, { 'wte.weight#0': [2, 2], 'wte.weight#1': [2, 2] })).toThrow(/does not add up/);
  });
});
