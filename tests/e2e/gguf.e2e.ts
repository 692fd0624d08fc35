/**
 * The library's GGUF buttons after a short fine-tune: the .gguf files the page writes pass the
 * unit tests' check in llama.cpp itself (node-llama-cpp): GPT-2 metadata, the page tokenizer's
 * prompt ids, and f32 greedy equal to the model's (the same bot's Hugging Face zip, in Node).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { getLlama, type Llama } from 'node-llama-cpp';
import { appSession, archiveZip, dropArchives, loadModel, person, setTrainSettings, waitTrainingMessage } from './flow';
import { readExportZip } from '../../src/export/exportZip';
import { loadGPT2, loadTokenizer } from '../../src/model/index';
import { readGguf } from '../helpers/gguf';
import { CLEAR_MARGIN, llamaGreedy, llamaTokenize, modelGreedy } from '../helpers/llama';

const app = appSession({ acceptDialogs: true });
let llama: Llama;

beforeAll(async () => {
  await tf.setBackend('cpu');
  llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
});
afterAll(async () => {
  await llama?.dispose();
});

async function downloadFrom(button: string): Promise<{ name: string; path: string }> {
  const entry = app.page.locator('#library-list li[data-kind="finetuned"]').first();
  const [download] = await Promise.all([app.page.waitForEvent('download'), entry.locator('button', { hasText: button }).click()]);
  return { name: download.suggestedFilename(), path: (await download.path())! };
}

it('writes .gguf files (f32 and Q8_0) that llama.cpp runs as the page\'s bot', async () => {
  await dropArchives(app.page, [{ name: 'gus.zip', buffer: await archiveZip(person('gus_posts', 'Gus', 120)) }], 1);
  expect(await loadModel(app.page)).toMatch(/is ready/);
  await setTrainSettings(app.page, { maxSteps: 2, batchSize: 2, blockSize: 32, epochs: 1, modelName: 'gus-bot' });
  await app.page.click('#train-button');
  await waitTrainingMessage(app.page, /^Done/);

  const zip = await downloadFrom('Export .zip');
  const f32 = await downloadFrom('GGUF f32');
  expect(f32.name).toBe('gus-bot-f32.gguf');
  await expect.poll(() => app.page.locator('#library-message').textContent()).toMatch(/Exported gus-bot-f32\.gguf/);
  const q8 = await downloadFrom('GGUF Q8_0');
  expect(q8.name).toBe('gus-bot-q8_0.gguf');

  const { files, card } = await readExportZip(new Uint8Array(readFileSync(zip.path)));
  expect(card).toContain('llama-cli -m gus-bot-q8_0.gguf');
  expect(card).toContain('FROM ./gus-bot-q8_0.gguf');
  for (const [file, fileType] of [[f32, 0], [q8, 7]] as const) {
    const g = await readGguf(new Uint8Array(readFileSync(file.path)));
    expect(g.metadata['general.architecture']).toBe('gpt2');
    expect(g.metadata['general.name']).toBe('gus-bot');
    expect(g.metadata['general.file_type']).toBe(fileType);
    expect(g.names).toHaveLength(2 + 2 * 12 + 2);
  }

  const model = await loadGPT2(files);
  const tokenizer = loadTokenizer(files);
  try {
    const prompts = ['I really think', 'Hello world, this is a test', 'The best thing about today was', 'just setting up my twttr', 'lol'];
    for (const path of [f32.path, q8.path]) expect(await llamaTokenize(llama, path, prompts)).toEqual(prompts.map((p) => tokenizer.encode(p)));
    let checked = 0;
    for (const prompt of prompts) {
      const ids = tokenizer.encode(prompt);
      const want = modelGreedy(model, ids, 12);
      if (want.margin < CLEAR_MARGIN) continue;
      checked++;
      expect(await llamaGreedy(llama, f32.path, ids, 12), prompt).toEqual(want.tokens);
    }
    expect(checked).toBeGreaterThanOrEqual(1);
  } finally {
    model.dispose();
  }
  expect(app.log.filter((l) => l.includes('pageerror'))).toEqual([]);
});
