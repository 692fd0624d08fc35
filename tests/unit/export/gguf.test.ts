/**
 * saveGguf, read back by @huggingface/gguf: the metadata llama.cpp's converter writes for a
 * GPT-2, every tensor's name, dims (innermost first), type and values, for a LoRA bot; f32
 * exact, Q8_0 within half a quantization step plus the f16 scale's rounding.
 */
import { describe, expect, test, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadGPT2, saveSafetensors, type GPT2 } from '../../../src/model/index';
import { parseSafetensors } from '../../../src/model/weights/index';
import type { RawTensor } from '../../../src/model/weights/types';
import { addLoRA } from '../../../src/train/lora';
import { ggufFromRepoFiles, saveGguf } from '../../../src/export/gguf';
import { quantizeQ8_0, toHalf } from '../../../src/export/gguf-format';
import { TokenizerError } from '../../../src/model/tokenizer';
import { tinyFiles, tokenizerFiles, useCpu } from '../model/helpers';
import { tinyJson } from '../../helpers/fixtures';
import { f32Values, GGUFValueType, halfToNumber, q8Blocks, readGguf, type ReadGguf } from '../../helpers/gguf';

let model: GPT2;
/** The bot's weights as model.safetensors holds them (LoRA merged by saveSafetensors). */
let merged: Record<string, Float32Array>;
const files: Partial<Record<'f32' | 'q8_0', ReadGguf>> = {};
let sizes: Record<string, number> = {};

beforeAll(async () => {
  await useCpu();
  model = await loadGPT2(tinyFiles('model.safetensors'));
  addLoRA(model, { rank: 4, alpha: 8, seed: 7 });
  // B starts at zero: give it values so the merge shows in every adapted weight.
  let k = 0;
  for (const a of model.adapters.values()) a.B.assign(tf.tidy(() => tf.randomNormal(a.B.shape, 0, 0.05, 'float32', ++k)));
  const st = parseSafetensors(await saveSafetensors(model));
  merged = Object.fromEntries(Object.entries(st.tensors).map(([n, t]) => [n, (t as RawTensor).data]));
  for (const dtype of ['f32', 'q8_0'] as const) {
    const bytes = await saveGguf(model, tokenizerFiles(), { dtype, name: 'Test Bot' });
    sizes[dtype] = bytes.length;
    files[dtype] = await readGguf(bytes);
  }
});
afterAll(() => model.dispose());

/** [in, out] → [out, in]. */
function transpose(values: Float32Array, nIn: number, nOut: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < nIn; i++) for (let o = 0; o < nOut; o++) out[o * nIn + i] = values[i * nOut + o];
  return out;
}

const C = 32;
const I = 128;
const V = 50257;
const P = 128;

/** Name in the file → [source tensor, ne, transposed?, a weight matrix?]. */
function expectedTensors(): Array<[string, string, number[], boolean, boolean]> {
  const out: Array<[string, string, number[], boolean, boolean]> = [
    ['token_embd.weight', 'wte.weight', [C, V], false, true],
    ['position_embd.weight', 'wpe.weight', [C, P], false, false],
  ];
  for (let i = 0; i < 2; i++) {
    out.push(
      [`blk.${i}.attn_norm.weight`, `h.${i}.ln_1.weight`, [C], false, false],
      [`blk.${i}.attn_norm.bias`, `h.${i}.ln_1.bias`, [C], false, false],
      [`blk.${i}.attn_qkv.weight`, `h.${i}.attn.c_attn.weight`, [C, 3 * C], true, true],
      [`blk.${i}.attn_qkv.bias`, `h.${i}.attn.c_attn.bias`, [3 * C], false, false],
      [`blk.${i}.attn_output.weight`, `h.${i}.attn.c_proj.weight`, [C, C], true, true],
      [`blk.${i}.attn_output.bias`, `h.${i}.attn.c_proj.bias`, [C], false, false],
      [`blk.${i}.ffn_norm.weight`, `h.${i}.ln_2.weight`, [C], false, false],
      [`blk.${i}.ffn_norm.bias`, `h.${i}.ln_2.bias`, [C], false, false],
      [`blk.${i}.ffn_up.weight`, `h.${i}.mlp.c_fc.weight`, [C, I], true, true],
      [`blk.${i}.ffn_up.bias`, `h.${i}.mlp.c_fc.bias`, [I], false, false],
      [`blk.${i}.ffn_down.weight`, `h.${i}.mlp.c_proj.weight`, [I, C], true, true],
      [`blk.${i}.ffn_down.bias`, `h.${i}.mlp.c_proj.bias`, [C], false, false],
    );
  }
  out.push(['output_norm.weight', 'ln_f.weight', [C], false, false], ['output_norm.bias', 'ln_f.bias', [C], false, false]);
  return out;
}

describe('saveGguf (read back with @huggingface/gguf)', () => {
  test.each(['f32', 'q8_0'] as const)('%s: GGUF v3 with the GPT-2 metadata llama.cpp expects', (dtype) => {
    const f = files[dtype]!;
    const m = f.metadata;
    const t = f.types;
    expect(f.version).toBe(3);
    expect(m['general.architecture']).toBe('gpt2');
    expect(m['general.name']).toBe('Test Bot');
    expect(m['general.alignment']).toBe(32);
    expect(f.tensorDataOffset % 32).toBe(0);
    expect(m['gpt2.context_length']).toBe(128);
    expect(m['gpt2.embedding_length']).toBe(32);
    expect(m['gpt2.feed_forward_length']).toBe(128);
    expect(m['gpt2.block_count']).toBe(2);
    expect(m['gpt2.attention.head_count']).toBe(2);
    expect(m['gpt2.attention.layer_norm_epsilon']).toBeCloseTo(1e-5, 10);
    expect(m['general.file_type']).toBe(dtype === 'f32' ? 0 : 7);
    for (const k of ['gpt2.context_length', 'gpt2.embedding_length', 'gpt2.feed_forward_length', 'gpt2.block_count', 'gpt2.attention.head_count', 'general.file_type', 'tokenizer.ggml.bos_token_id', 'tokenizer.ggml.eos_token_id']) {
      expect(t[k]?.type, k).toBe(GGUFValueType.UINT32);
    }
    expect(t['gpt2.attention.layer_norm_epsilon'].type).toBe(GGUFValueType.FLOAT32);
    expect(m['tokenizer.ggml.model']).toBe('gpt2');
    expect(m['tokenizer.ggml.pre']).toBe('gpt-2');
    const bpe = tinyJson<{ model: { vocab: Record<string, number>; merges: Array<string | string[]> } }>('tokenizer.json').model;
    const tokens = m['tokenizer.ggml.tokens'] as string[];
    expect(t['tokenizer.ggml.tokens']).toEqual({ type: GGUFValueType.ARRAY, subType: GGUFValueType.STRING });
    expect(tokens).toHaveLength(V);
    for (const [tok, id] of Object.entries(bpe.vocab)) if (tokens[id] !== tok) throw new Error(`token ${id}: ${tokens[id]} != ${tok}`);
    const types = m['tokenizer.ggml.token_type'] as number[];
    expect(t['tokenizer.ggml.token_type']).toEqual({ type: GGUFValueType.ARRAY, subType: GGUFValueType.INT32 });
    expect(types[50256]).toBe(3); // <|endoftext|>: CONTROL
    expect(types.slice(0, 50256).every((x) => x === 1)).toBe(true); // NORMAL
    const merges = m['tokenizer.ggml.merges'] as string[];
    expect(merges).toEqual(bpe.merges.map((x) => (typeof x === 'string' ? x : x.join(' '))));
    expect(merges[0]).toBe('Ġ t');
    expect(m['tokenizer.ggml.bos_token_id']).toBe(50256);
    expect(m['tokenizer.ggml.eos_token_id']).toBe(50256);
  });

  test('f32: every tensor named, shaped (innermost first) and valued as the merged LoRA bot, Conv1D weights transposed', () => {
    const f = files.f32!;
    const expected = expectedTensors();
    expect(f.names).toEqual(expected.map((e) => e[0]));
    expect(f.names).not.toContain('output.weight'); // the LM head is tied to token_embd
    for (const [name, source, ne, transposed] of expected) {
      const t = f.tensors.get(name)!;
      expect(t.shape, name).toEqual(ne);
      expect(t.dtype, name).toBe(0);
      const want = transposed ? transpose(merged[source], ne[0], ne[1]) : merged[source];
      const got = f32Values(t);
      expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer, want.byteOffset, want.byteLength)), `${name} bit-identical`).toBe(true);
    }
    // The adapters really changed the weights that went in.
    const base = parseSafetensors(tinyFiles('model.safetensors')['model.safetensors']).tensors['h.0.attn.c_attn.weight'] as RawTensor;
    expect(merged['h.0.attn.c_attn.weight']).not.toEqual(base.data);
  });

  test('q8_0: weight matrices in Q8_0 within half a step (+ the f16 scale rounding), the rest f32 exact; about a quarter of f32 at gpt2 scale', () => {
    const f = files.q8_0!;
    const expected = expectedTensors();
    expect(f.names).toEqual(expected.map((e) => e[0]));
    for (const [name, source, ne, transposed, matrix] of expected) {
      const t = f.tensors.get(name)!;
      expect(t.shape, name).toEqual(ne);
      const want = transposed ? transpose(merged[source], ne[0], ne[1]) : merged[source];
      if (!matrix) {
        expect(t.dtype, name).toBe(0);
        expect(Array.from(f32Values(t)), name).toEqual(Array.from(want));
        continue;
      }
      expect(t.dtype, name).toBe(8);
      expect(t.bytes.length, name).toBeGreaterThanOrEqual((want.length / 32) * 34);
      const { scales, q } = q8Blocks(t);
      for (let b = 0; b < scales.length; b++) {
        let amax = 0;
        for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(want[b * 32 + j]));
        const d = amax / 127;
        expect(Math.abs(scales[b] - d), `${name} block ${b} scale`).toBeLessThanOrEqual(d * 2 ** -11 + 2 ** -25);
        const tol = d / 2 + 127 * Math.abs(scales[b] - d) + 1e-12;
        for (let j = 0; j < 32; j++) {
          const err = Math.abs(q[b * 32 + j] * scales[b] - want[b * 32 + j]);
          if (!(err <= tol)) throw new Error(`${name}[${b * 32 + j}]: ${q[b * 32 + j]} * ${scales[b]} vs ${want[b * 32 + j]} (error ${err} > ${tol})`);
        }
      }
    }
    // Here wte (50257 x 32) dominates both files: Q8_0 is 34/128 of it.
    expect(sizes.q8_0 / sizes.f32).toBeLessThan(0.45);
  });

  test('Q8_0 blocks and f16 scales as ggml computes them', () => {
    const x = new Float32Array(64);
    for (let i = 0; i < 32; i++) x[i] = (i - 16) / 16; // amax 1: d = 1/127
    x[32 + 5] = -3; // one value sets the scale, the rest of the block is 0
    const out = quantizeQ8_0(x);
    expect(out.length).toBe(68);
    const view = new DataView(out.buffer);
    expect(view.getUint16(0, true)).toBe(toHalf(1 / 127));
    expect(halfToNumber(view.getUint16(0, true))).toBeCloseTo(1 / 127, 5);
    const q = new Int8Array(out.buffer);
    expect(q[2 + 0]).toBe(-127); // -1
    expect(q[2 + 24]).toBe(64); // 0.5 * 127 = 63.5 rounds away from zero
    expect(q[2 + 8]).toBe(-64); // -63.5 too
    expect(q[34 + 2 + 5]).toBe(-127);
    expect(Array.from(q.slice(34 + 2, 34 + 2 + 5))).toEqual([0, 0, 0, 0, 0]);
    // An all-zero block: scale 0, values 0.
    const zero = quantizeQ8_0(new Float32Array(32));
    expect(Array.from(zero)).toEqual(new Array(34).fill(0));
    expect(() => quantizeQ8_0(new Float32Array(33))).toThrow(/blocks of 32/);
  });

  test('float32 → f16 rounds to nearest even, with subnormals and overflow', () => {
    expect(toHalf(1)).toBe(0x3c00);
    expect(toHalf(-2)).toBe(0xc000);
    expect(toHalf(0.1)).toBe(0x2e66);
    expect(toHalf(65504)).toBe(0x7bff);
    expect(toHalf(65520)).toBe(0x7c00); // rounds up to infinity
    expect(toHalf(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(toHalf(2 ** -26)).toBe(0); // below half of it
    expect(toHalf(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(toHalf(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(toHalf(Number.NaN) & 0x7c00).toBe(0x7c00);
  });

  test('a 2021 repo (vocab.json + merges.txt) gives the same tokenizer metadata as tokenizer.json', async () => {
    const before = tf.memory().numTensors;
    const bytes = await saveGguf(model, tokenizerFiles(['vocab.json', 'merges.txt', 'tokenizer_config.json', 'special_tokens_map.json']), { dtype: 'f32', name: 'Test Bot' });
    expect(tf.memory().numTensors).toBe(before);
    const old = await readGguf(bytes);
    for (const key of ['tokenizer.ggml.tokens', 'tokenizer.ggml.token_type', 'tokenizer.ggml.merges', 'tokenizer.ggml.bos_token_id', 'tokenizer.ggml.eos_token_id']) {
      expect(old.metadata[key], key).toEqual(files.f32!.metadata[key]);
    }
  });

  test('the page\'s route (stored repo files, tensors streamed into a Blob) writes the same bytes as saveGguf', async () => {
    const plain = await loadGPT2(tinyFiles('model.safetensors'));
    try {
      for (const dtype of ['f32', 'q8_0'] as const) {
        const repo = { ...tinyFiles('model.safetensors'), ...tokenizerFiles() };
        const blob = await ggufFromRepoFiles(repo, { dtype, name: 'Same' });
        const direct = await saveGguf(plain, tokenizerFiles(), { dtype, name: 'Same' });
        expect(blob.size).toBe(direct.length);
        expect(Buffer.from(await blob.arrayBuffer()).equals(Buffer.from(direct)), dtype).toBe(true);
      }
      await expect(ggufFromRepoFiles({ 'model.safetensors': tinyFiles('model.safetensors')['model.safetensors'] }, { dtype: 'f32' })).rejects.toThrow(/config\.json is missing/);
    } finally {
      plain.dispose();
    }
  });

  test('bad input: a clear message, nothing written', async () => {
    await expect(saveGguf(model, {}, { dtype: 'f32' })).rejects.toThrow(TokenizerError);
    await expect(saveGguf(model, {}, { dtype: 'f32' })).rejects.toThrow(/tokenizer\.json is missing/);
    await expect(saveGguf(model, tokenizerFiles(), { dtype: 'f16' as 'f32' })).rejects.toThrow(/unknown dtype "f16"/);
    const shortVocab = new TextEncoder().encode(JSON.stringify({ ...tinyJson<object>('tokenizer.json'), added_tokens: [{ id: 60000, content: '<x>', special: true }] }));
    await expect(saveGguf(model, { 'tokenizer.json': shortVocab }, { dtype: 'f32' })).rejects.toThrow(/id 60000, but the model has only 50257/);
  });
});
