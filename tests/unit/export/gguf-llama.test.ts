/**
 * The exported .gguf run in llama.cpp itself (node-llama-cpp's prebuilt CPU binary): it loads the
 * f32 and Q8_0 files of a LoRA bot, tokenizes prompts to the page tokenizer's ids, and the f32
 * file's greedy continuation is the model's own for 12 tokens.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { getLlama, type Llama } from 'node-llama-cpp';
import { loadGPT2, loadTokenizer, type GPT2 } from '../../../src/model/index';
import { addLoRA } from '../../../src/train/lora';
import { saveGguf } from '../../../src/export/gguf';
import { tinyFiles, tokenizerFiles, useCpu } from '../model/helpers';
import { CLEAR_MARGIN, llamaGreedy, llamaTokenize, modelGreedy } from '../../helpers/llama';
import { tempGguf } from '../../helpers/gguf';

export const PROMPTS = [
  'Hello world, this is a test',
  'I can’t believe it\'s already 2026!!  #tweetgpt @someone https://example.com/x?y=1',
  'Ünïcödé: café, naïve — 日本語のテキスト 🙂🎉',
  ' leading space\tand tab\nnew line',
];

let llama: Llama;
let model: GPT2;
const paths: Record<string, { path: string; remove: () => void }> = {};

beforeAll(async () => {
  await useCpu();
  llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
  model = await loadGPT2(tinyFiles('model.safetensors'));
  addLoRA(model, { rank: 4, alpha: 8, seed: 3 });
  let k = 0;
  for (const a of model.adapters.values()) a.B.assign(tf.tidy(() => tf.randomNormal(a.B.shape, 0, 0.05, 'float32', ++k)));
  for (const dtype of ['f32', 'q8_0'] as const) paths[dtype] = tempGguf(await saveGguf(model, tokenizerFiles(), { dtype, name: 'llama check' }), `bot-${dtype}.gguf`);
});

afterAll(async () => {
  model?.dispose();
  for (const p of Object.values(paths)) p.remove();
  await llama?.dispose();
});


describe('the .gguf in llama.cpp (node-llama-cpp 3.21.1, CPU)', () => {
  test.each(['f32', 'q8_0'] as const)('%s: loads, and tokenizes prompts to the page tokenizer\'s ids', async (dtype) => {
    const tokenizer = loadTokenizer(tokenizerFiles());
    const ids = await llamaTokenize(llama, paths[dtype].path, PROMPTS);
    expect(ids).toEqual(PROMPTS.map((p) => tokenizer.encode(p)));
  });

  test('f32: greedy equals the model\'s greedy for 12 tokens; q8_0 starts the same', async () => {
    const tokenizer = loadTokenizer(tokenizerFiles());
    const before = tf.memory().numTensors;
    const candidates = [...PROMPTS, 'just setting up my twttr', 'The best thing about today was', 'lol'];
    let checked = 0;
    for (const prompt of candidates) {
      const ids = tokenizer.encode(prompt);
      const want = modelGreedy(model, ids, 12);
      if (want.margin < CLEAR_MARGIN) continue;
      checked++;
      expect(await llamaGreedy(llama, paths.f32.path, ids, 12), prompt).toEqual(want.tokens);
      const q8 = await llamaGreedy(llama, paths.q8_0.path, ids, 12);
      expect(q8, prompt).toHaveLength(12);
      expect(q8[0], prompt).toBe(want.tokens[0]);
    }
    expect(checked).toBeGreaterThanOrEqual(2);
    expect(tf.memory().numTensors).toBe(before);
  });
});
