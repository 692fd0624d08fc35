/**
 * The exported ONNX files in transformers.js 2.17.2 (Node, onnxruntime-node), read from a local
 * folder laid out as the export zip is (env.allowRemoteModels = false): fp32 logits equal the
 * model's with and without past_key_values, `pipeline('text-generation', …)` with greedy decoding
 * writes the page's greedy tokens, and the q8 file (transformers.js's default `quantized: true`)
 * stays within cosine 0.99 of fp32 per position.
 */
import { describe, expect, test, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AutoModelForCausalLM, env, pipeline, Tensor, type PreTrainedModel } from '@xenova/transformers';
import { loadGPT2, loadTokenizer, type GPT2, type Tokenizer } from '../../../src/model/index';
import { addLoRA } from '../../../src/train/lora';
import { ONNX_FILES, saveOnnx } from '../../../src/export/onnx';
import { generate } from '../../../src/generate/generate';
import { tinyFiles, tokenizerFiles, useCpu } from '../model/helpers';
import { tinyFile } from '../../helpers/fixtures';
import { maxAbsDiff, modelLogits } from './onnx-helpers';

let model: GPT2;
let tokenizer: Tokenizer;
let dir: string;
const V = 50257;
const PROMPT = 'My favourite thing about Mondays is';

beforeAll(async () => {
  await useCpu();
  model = await loadGPT2(tinyFiles('model.safetensors'));
  addLoRA(model, { rank: 4, alpha: 8, seed: 3 });
  let k = 0;
  for (const a of model.adapters.values()) a.B.assign(tf.tidy(() => tf.randomNormal(a.B.shape, 0, 0.05, 'float32', ++k)));
  tokenizer = loadTokenizer(tokenizerFiles());
  dir = mkdtempSync(join(tmpdir(), 'tweetgpt-onnx-'));
  mkdirSync(join(dir, 'bot', 'onnx'), { recursive: true });
  for (const name of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']) writeFileSync(join(dir, 'bot', name), tinyFile(name));
  for (const dtype of ['fp32', 'q8'] as const) writeFileSync(join(dir, 'bot', ONNX_FILES[dtype]), await saveOnnx(model, { dtype }));
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${dir}/`;
  env.useFSCache = false;
});
afterAll(() => {
  model.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function ids(values: number[]): Tensor {
  return new Tensor('int64', BigInt64Array.from(values.map(BigInt)), [1, values.length]);
}

type Forward = (inputs: Record<string, unknown>) => Promise<{ logits: Tensor; past_key_values: Record<string, Tensor> }>;

describe('the exported ONNX in transformers.js (local folder, no network)', () => {
  test('fp32 (quantized: false, model_file_name: "model"): logits equal the model\'s, with and without past_key_values', async () => {
    const tokens = tokenizer.encode(PROMPT);
    const m = (await AutoModelForCausalLM.from_pretrained('bot', { quantized: false, model_file_name: 'model' })) as PreTrainedModel;
    try {
      const forward = m as unknown as Forward;
      const full = await modelLogits(model, tokens);
      const n = tokens.length;
      const first = await forward({ input_ids: ids(tokens.slice(0, n - 1)), attention_mask: ids(new Array(n - 1).fill(1)) });
      expect(first.logits.dims).toEqual([1, n - 1, V]);
      expect(maxAbsDiff(first.logits.data as Float32Array, full.slice(0, (n - 1) * V))).toBeLessThan(1e-4);
      const next = await forward({ input_ids: ids(tokens.slice(n - 1)), attention_mask: ids(new Array(n).fill(1)), past_key_values: first.past_key_values });
      expect(next.logits.dims).toEqual([1, 1, V]);
      expect(maxAbsDiff(next.logits.data as Float32Array, full.slice((n - 1) * V))).toBeLessThan(1e-4);
    } finally {
      await m.dispose();
    }
  });

  test('pipeline("text-generation") greedy writes the page\'s greedy tokens (fp32), and q8 loads by default', async () => {
    const prompt = tokenizer.encode(PROMPT);
    const ours: number[] = [];
    for await (const t of generate(model, prompt, { temperature: 0, maxNewTokens: 20, seed: 1, eosId: 50256 })) ours.push(t);
    expect(ours.length).toBeGreaterThan(0);

    const generator = await pipeline('text-generation', 'bot', { quantized: false, model_file_name: 'model' });
    try {
      const [out] = (await generator(PROMPT, { max_new_tokens: 20, do_sample: false })) as Array<{ generated_text: string }>;
      expect(out.generated_text).toBe(PROMPT + tokenizer.decode(ours));
    } finally {
      await generator.dispose();
    }

    // The default (quantized: true) loads onnx/model_quantized.onnx: close to fp32 at every position.
    const q8 = (await AutoModelForCausalLM.from_pretrained('bot', { model_file_name: 'model' })) as PreTrainedModel;
    try {
      const a = await modelLogits(model, prompt);
      const b = (await (q8 as unknown as Forward)({ input_ids: ids(prompt), attention_mask: ids(prompt.map(() => 1)) })).logits.data as Float32Array;
      for (let t = 0; t < prompt.length; t++) {
        let dot = 0, na = 0, nb = 0;
        for (let v = t * V; v < (t + 1) * V; v++) {
          dot += a[v] * b[v];
          na += a[v] * a[v];
          nb += b[v] * b[v];
        }
        expect(dot / Math.sqrt(na * nb)).toBeGreaterThanOrEqual(0.99);
      }
      expect(maxAbsDiff(a, b)).toBeGreaterThan(1e-4); // the 8-bit file, not the fp32 one
    } finally {
      await q8.dispose();
    }
  });
});
