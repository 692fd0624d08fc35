/**
 * saveOnnx run by onnxruntime-node: a LoRA bot's fp32 logits equal the model's, with and without
 * past_key_values; the q8 file is ≤ 30% of fp32's size and its logits stay within cosine 0.99
 * per position; every weight matrix is int8 with one scale per output channel.
 */
import { describe, expect, test, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { loadGPT2, type GPT2 } from '../../../src/model/index';
import { addLoRA } from '../../../src/train/lora';
import { saveOnnx, quantizePerChannel } from '../../../src/export/onnx';
import { decodeModel, DataType } from '../../../src/export/onnx-proto';
import { reference, tinyFiles, useCpu } from '../model/helpers';
import { maxAbsDiff, modelLogits } from './onnx-helpers';

let model: GPT2;
const bytes: Record<'fp32' | 'q8', Uint8Array> = { fp32: new Uint8Array(), q8: new Uint8Array() };
const sessions: Partial<Record<'fp32' | 'q8', ort.InferenceSession>> = {};
const ids = reference.cases[2].ids; // 17 tokens
const V = 50257;
const L = 2;
const H = 2;
const D = 16;

beforeAll(async () => {
  await useCpu();
  model = await loadGPT2(tinyFiles('model.safetensors'));
  addLoRA(model, { rank: 4, alpha: 8, seed: 7 });
  let k = 0;
  for (const a of model.adapters.values()) a.B.assign(tf.tidy(() => tf.randomNormal(a.B.shape, 0, 0.05, 'float32', ++k)));
  for (const dtype of ['fp32', 'q8'] as const) {
    bytes[dtype] = await saveOnnx(model, { dtype });
    sessions[dtype] = await ort.InferenceSession.create(bytes[dtype]);
  }
});
afterAll(() => model.dispose());

function int64(values: number[]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), [1, values.length]);
}

/** One call: `tokens` after `past` (null: empty past); logits [T, V] and the presents. */
async function run(session: ort.InferenceSession, tokens: number[], pastLength: number, past: Record<string, ort.Tensor> | null) {
  const feeds: Record<string, ort.Tensor> = {
    input_ids: int64(tokens),
    attention_mask: int64(new Array(pastLength + tokens.length).fill(1)),
    position_ids: int64(tokens.map((_, j) => pastLength + j)),
  };
  for (let i = 0; i < L; i++) {
    for (const kind of ['key', 'value']) {
      feeds[`past_key_values.${i}.${kind}`] = past?.[`present.${i}.${kind}`] ?? new ort.Tensor('float32', new Float32Array(0), [1, H, 0, D]);
    }
  }
  const out = await session.run(feeds);
  return { logits: out.logits.data as Float32Array, presents: out };
}

describe('saveOnnx in onnxruntime-node', () => {
  test('the fp32 file declares the transformers.js GPT-2 inputs and outputs', () => {
    const m = decodeModel(bytes.fp32);
    const inputs = m.graph!.input!.map((i) => i.name);
    expect(inputs).toEqual(['input_ids', 'attention_mask', 'position_ids', 'past_key_values.0.key', 'past_key_values.0.value', 'past_key_values.1.key', 'past_key_values.1.value']);
    expect(m.graph!.output!.map((o) => o.name)).toEqual(['logits', 'present.0.key', 'present.0.value', 'present.1.key', 'present.1.value']);
    expect(sessions.fp32!.inputNames).toEqual(inputs);
  });

  test('fp32 logits equal the model\'s (LoRA merged), with an empty past', async () => {
    const { logits, presents } = await run(sessions.fp32!, ids, 0, null);
    const ours = await modelLogits(model, ids);
    expect(maxAbsDiff(logits, ours)).toBeLessThan(1e-4);
    expect(presents['present.1.key'].dims).toEqual([1, H, ids.length, D]);
  });

  test('fp32 logits equal the model\'s with past_key_values (prefix, then 1 and 3 tokens)', async () => {
    const full = await modelLogits(model, ids);
    const split = ids.length - 4;
    const first = await run(sessions.fp32!, ids.slice(0, split), 0, null);
    const one = await run(sessions.fp32!, ids.slice(split, split + 1), split, first.presents);
    expect(maxAbsDiff(one.logits, full.slice(split * V, (split + 1) * V))).toBeLessThan(1e-4);
    const three = await run(sessions.fp32!, ids.slice(split + 1), split + 1, one.presents);
    expect(maxAbsDiff(three.logits, full.slice((split + 1) * V))).toBeLessThan(1e-4);
    expect(three.presents['present.0.value'].dims).toEqual([1, H, ids.length, D]);
  });

  test('q8: ≤ 30% of the fp32 file, every weight matrix int8 with per-channel scales, logits cosine ≥ 0.99 per position', async () => {
    expect(bytes.q8.length / bytes.fp32.length).toBeLessThanOrEqual(0.3);
    const inits = decodeModel(bytes.q8).graph!.initializer!;
    const int8 = inits.filter((t) => t.dataType === DataType.INT8).map((t) => t.name);
    expect(int8).toContain('wte.weight.int8');
    expect(int8).toContain('wpe.weight.int8');
    expect(int8.length).toBe(2 + 4 * L);
    expect(inits.find((t) => t.name === 'wte.weight.scale')!.dims!.map(Number)).toEqual([V, 1]);
    expect(inits.find((t) => t.name === 'h.0.mlp.c_fc.weight.scale')!.dims!.map(Number)).toEqual([128]);
    expect(inits.filter((t) => t.dataType === DataType.FLOAT && (t.dims?.length ?? 0) === 2)).toHaveLength(2); // only the scales of wte, wpe

    const a = (await run(sessions.fp32!, ids, 0, null)).logits;
    const b = (await run(sessions.q8!, ids, 0, null)).logits;
    let worst = 1;
    for (let t = 0; t < ids.length; t++) {
      let dot = 0, na = 0, nb = 0;
      for (let v = t * V; v < (t + 1) * V; v++) {
        dot += a[v] * b[v];
        na += a[v] * a[v];
        nb += b[v] * b[v];
      }
      worst = Math.min(worst, dot / Math.sqrt(na * nb));
    }
    expect(worst).toBeGreaterThanOrEqual(0.99);
    expect(worst).toBeLessThan(1); // it really is quantized
  });

  test('per-channel quantization: each row or column gets its own scale', () => {
    const w = new Float32Array([1, -100, 0.5, 50]); // [[1, -100], [0.5, 50]]
    const byRow = quantizePerChannel(w, 2, 2, 0);
    expect(Array.from(byRow.scales)).toEqual([100 / 127, 50 / 127].map(Math.fround));
    expect(Array.from(byRow.q)).toEqual([1, -127, 1, 127]);
    const byCol = quantizePerChannel(w, 2, 2, 1);
    expect(Array.from(byCol.q)).toEqual([127, -127, 64, 64]);
    expect(Array.from(quantizePerChannel(new Float32Array(2), 1, 2, 0).scales)).toEqual([1]);
  });
});

describe('the export zip', () => {
  test('holds onnx/model.onnx and onnx/model_quantized.onnx, the same files saveOnnx writes of the stored weights', async () => {
    const { exportModelZip } = await import('../../../src/engine/library');
    const { BlobReader, Uint8ArrayWriter, ZipReader } = await import('@zip.js/zip.js');
    const { tinyFile } = await import('../../helpers/fixtures');
    const files = { 'config.json': tinyFile('config.json'), 'model.safetensors': tinyFile('model.safetensors'), 'tokenizer.json': tinyFile('tokenizer.json'), 'tokenizer_config.json': tinyFile('tokenizer_config.json') };
    const record = { id: 'local/x', name: 'x-bot', kind: 'finetuned', baseRepo: 'test/tiny-gpt2', revision: 'main', fileRepo: 'local/x', files: Object.keys(files), sizeBytes: 0, createdAt: 0, complete: true } as const;
    const { blob } = await exportModelZip(record, files);
    const reader = new ZipReader(new BlobReader(blob), { useWebWorkers: false });
    const entries = await reader.getEntries();
    const read = async (name: string): Promise<Uint8Array> => {
      const e = entries.find((x) => x.filename === name);
      if (!e || e.directory) throw new Error(`${name} missing`);
      return e.getData(new Uint8ArrayWriter(), { useWebWorkers: false });
    };
    const plain = await loadGPT2(files);
    try {
      for (const [dtype, name] of [['fp32', 'onnx/model.onnx'], ['q8', 'onnx/model_quantized.onnx']] as const) {
        expect(Buffer.from(await read(name)).equals(Buffer.from(await saveOnnx(plain, { dtype })))).toBe(true);
      }
    } finally {
      plain.dispose();
      await reader.close();
    }
    expect(new TextDecoder().decode(await read('README.md'))).toContain("pipeline('text-generation', 'x-bot', { model_file_name: 'model' })");
  });
});
