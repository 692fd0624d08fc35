import { describe, expect, it } from 'vitest';
import { gpt2TensorShapes, toGPT2Weights, type CheckpointTensor, type GPT2WeightShapes, type RawTensor } from '../../../src/model/weights';

const cfg: GPT2WeightShapes = { nLayer: 2, nEmbd: 4, vocabSize: 10, nPositions: 6, nInner: null };

/** A complete small GPT-2 checkpoint with distinct values per tensor. */
function complete(config: GPT2WeightShapes = cfg, prefix = ''): Record<string, CheckpointTensor> {
  const out: Record<string, CheckpointTensor> = {};
  let k = 0;
  for (const [name, shape] of gpt2TensorShapes(config)) {
    const n = shape.reduce((a, b) => a * b, 1);
    out[prefix + name] = { shape, data: Float32Array.from({ length: n }, (_, i) => k + i / 1000) };
    k++;
  }
  return out;
}

describe('gpt2TensorShapes', () => {
  it('lists the 2 + 12 per layer + 2 canonical tensors with Conv1D [in, out] shapes', () => {
    const shapes = gpt2TensorShapes({ nLayer: 3, nEmbd: 8, vocabSize: 50, nPositions: 16 });
    expect(shapes.size).toBe(2 + 3 * 12 + 2);
    expect(shapes.get('wte.weight')).toEqual([50, 8]);
    expect(shapes.get('wpe.weight')).toEqual([16, 8]);
    expect(shapes.get('h.2.attn.c_attn.weight')).toEqual([8, 24]);
    expect(shapes.get('h.2.attn.c_attn.bias')).toEqual([24]);
    expect(shapes.get('h.0.mlp.c_fc.weight')).toEqual([8, 32]);
    expect(shapes.get('h.0.mlp.c_proj.weight')).toEqual([32, 8]);
    expect(shapes.get('ln_f.bias')).toEqual([8]);
    expect(gpt2TensorShapes({ nLayer: 1, nEmbd: 8, vocabSize: 50, nPositions: 16, nInner: 20 }).get('h.0.mlp.c_fc.bias')).toEqual([20]);
    expect(() => gpt2TensorShapes({ nLayer: 0, nEmbd: 8, vocabSize: 50, nPositions: 16 })).toThrow(/nLayer must be a positive integer, got 0/);
  });
});

describe('toGPT2Weights', () => {
  it('passes a canonical checkpoint through, sharing the data', () => {
    const raw = complete();
    const out = toGPT2Weights(raw, cfg);
    expect(Object.keys(out)).toEqual([...gpt2TensorShapes(cfg).keys()]);
    expect(out['h.1.mlp.c_fc.weight'].data).toBe((raw['h.1.mlp.c_fc.weight'] as RawTensor).data);
  });

  it('strips transformer., drops mask buffers and a tied lm_head', () => {
    const raw = complete(cfg, 'transformer.');
    const wte = raw['transformer.wte.weight'] as RawTensor;
    raw['lm_head.weight'] = { shape: [10, 4], data: wte.data.slice() }; // equal values, separate array
    raw['transformer.h.0.attn.bias'] = { dtype: 'U8', shape: [1, 1, 6, 6], bytes: new Uint8Array(36) };
    raw['transformer.h.1.attn.masked_bias'] = { shape: [], data: new Float32Array([-1e4]) };
    const out = toGPT2Weights(raw, cfg);
    expect(Object.keys(out).sort()).toEqual([...gpt2TensorShapes(cfg).keys()].sort());
    expect(out['wte.weight'].data).toBe(wte.data);
  });

  it('lists every missing, extra and wrongly shaped tensor in one error', () => {
    const raw = complete();
    delete raw['h.1.ln_2.bias'];
    delete raw['ln_f.weight'];
    raw['h.0.attn.c_attn.weight'] = { shape: [4, 8], data: new Float32Array(32) };
    raw['h.2.ln_1.weight'] = { shape: [4], data: new Float32Array(4) };
    raw['h.2.attn.bias'] = { dtype: 'U8', shape: [1], bytes: new Uint8Array(1) };
    raw['score.weight'] = { shape: [2, 4], data: new Float32Array(8) };
    raw['wpe.weight'] = { dtype: 'I64', shape: [6, 4], bytes: new Uint8Array(192) };
    let message = '';
    try {
      toGPT2Weights(raw, cfg);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe(
      [
        'Checkpoint does not match GPT-2 (n_layer 2, n_embd 4, vocab_size 10, n_positions 6, n_inner 16): 7 problems:',
        "  tensor 'wpe.weight' is I64 [6, 4], expected a float tensor",
        "  tensor 'h.0.attn.c_attn.weight' has shape [4, 8], expected [4, 12]",
        "  missing tensor 'h.1.ln_2.bias' [4]",
        "  missing tensor 'ln_f.weight' [4]",
        "  unexpected tensor 'h.2.ln_1.weight' float [4]",
        "  unexpected tensor 'h.2.attn.bias' U8 [1]",
        "  unexpected tensor 'score.weight' float [2, 4]",
      ].join('\n'),
    );
  });

  it('refuses an untied lm_head', () => {
    const raw = complete();
    raw['lm_head.weight'] = { shape: [10, 4], data: new Float32Array(40).fill(0.5) };
    expect(() => toGPT2Weights(raw, cfg)).toThrow(/1 problem:\n {2}untied lm_head not supported: 'lm_head.weight' differs from 'wte.weight'/);
    raw['lm_head.weight'] = { shape: [4, 10], data: new Float32Array(40) };
    expect(() => toGPT2Weights(raw, cfg)).toThrow(/'lm_head.weight' is float \[4, 10\], expected float \[10, 4\] tied to wte.weight/);
  });

  it('reports a name present with and without the prefix, and nothing at all', () => {
    const raw = complete();
    raw['transformer.ln_f.bias'] = raw['ln_f.bias'];
    expect(() => toGPT2Weights(raw, cfg)).toThrow(/tensor 'ln_f.bias' appears both with and without the 'transformer.' prefix/);
    expect(() => toGPT2Weights({}, cfg)).toThrow(/28 problems:\n {2}missing tensor 'wte.weight' \[10, 4\][\s\S]*missing tensor 'ln_f.bias' \[4\]$/);
  });

  it('caps the list of problems', () => {
    expect(() => toGPT2Weights({}, { ...cfg, nLayer: 12 })).toThrow(/148 problems:[\s\S]*\n {2}\.\.\. and 108 more$/);
  });
});
