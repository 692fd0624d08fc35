/**
 * The page's export zip holds ONNX files that transformers.js runs in the browser: after a short
 * fine-tune, the zip's onnx/model.onnx and onnx/model_quantized.onnx are served (with its config
 * and tokenizer) from a model host in Hugging Face's layout and loaded by transformers.js 2.17.2
 * in Chromium (wasm, no network): fp32 greedy writes the bot's own greedy tokens (the zip's
 * weights in Node), and q8 (the default) stays within cosine 0.99 of fp32 per position.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Uint8ArrayReader, Uint8ArrayWriter, ZipReader } from '@zip.js/zip.js';
import { appSession, archiveZip, dropArchives, loadModel, person, setTrainSettings, waitTrainingMessage } from './flow';
import { loadGPT2, loadTokenizer } from '../../src/model/index';
import { modelGreedy } from '../helpers/llama';
import { startSite } from '../helpers/site';
import { setupSource, transformersSiteRoot } from '../helpers/transformers-web';

const app = appSession({ acceptDialogs: true });
const PROMPT = 'I really think that';

it('the exported zip\'s onnx/ files run in transformers.js in Chromium', async () => {
  await tf.setBackend('cpu');
  await dropArchives(app.page, [{ name: 'ona.zip', buffer: await archiveZip(person('ona_posts', 'Ona', 120)) }], 1);
  expect(await loadModel(app.page)).toMatch(/is ready/);
  await setTrainSettings(app.page, { maxSteps: 2, batchSize: 2, blockSize: 32, epochs: 1, modelName: 'ona-bot' });
  await app.page.click('#train-button');
  await waitTrainingMessage(app.page, /^Done/);
  const entry = app.page.locator('#library-list li[data-kind="finetuned"]').first();
  const [download] = await Promise.all([app.page.waitForEvent('download'), entry.locator('button', { hasText: 'Export .zip' }).click()]);

  // The zip, unzipped as a user would, becomes repo local/ona-bot of a model host.
  const repo = mkdtempSync(join(tmpdir(), 'tweetgpt-onnx-e2e-'));
  const reader = new ZipReader(new Uint8ArrayReader(new Uint8Array(readFileSync((await download.path())!))), { useWebWorkers: false });
  const files: Record<string, Uint8Array> = {};
  for (const e of await reader.getEntries()) {
    if (e.directory) continue;
    files[e.filename] = await e.getData(new Uint8ArrayWriter(), { useWebWorkers: false });
    mkdirSync(dirname(join(repo, e.filename)), { recursive: true });
    writeFileSync(join(repo, e.filename), files[e.filename]);
  }
  await reader.close();
  expect(Object.keys(files)).toEqual(expect.arrayContaining(['onnx/model.onnx', 'onnx/model_quantized.onnx', 'model.safetensors', 'config.json', 'tokenizer.json']));
  expect(files['onnx/model_quantized.onnx'].length / files['onnx/model.onnx'].length).toBeLessThanOrEqual(0.3);
  expect(new TextDecoder().decode(files['README.md'])).toContain("pipeline('text-generation', 'ona-bot', { model_file_name: 'model' })");

  const model = await loadGPT2(files);
  const tokenizer = loadTokenizer(files);
  const ids = tokenizer.encode(PROMPT);
  const want = modelGreedy(model, ids, 12);
  model.dispose();

  const root = transformersSiteRoot();
  const site = await startSite({ root, repos: { 'local/ona-bot': repo } });
  const page = await app.browser.context.newPage();
  try {
    await page.goto(site.url);
    await page.evaluate(setupSource(1));
    const result = await page.evaluate(async ({ ids }) => {
      type T = { dims: number[]; data: Float32Array | BigInt64Array };
      type M = ((x: Record<string, unknown>) => Promise<{ logits: T }>) & { generate(x: unknown, o: object): Promise<T[] | T> };
      const t = (globalThis as unknown as { transformers: { AutoModelForCausalLM: { from_pretrained(r: string, o: object): Promise<M> }; Tensor: new (type: string, data: BigInt64Array, dims: number[]) => unknown; pipeline(task: string, r: string, o: object): Promise<(text: string, o: object) => Promise<Array<{ generated_text: string }>>> } }).transformers;
      const input = new t.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]);
      const mask = new t.Tensor('int64', BigInt64Array.from(ids.map(() => 1n)), [1, ids.length]);
      const fp32 = await t.AutoModelForCausalLM.from_pretrained('local/ona-bot', { quantized: false, model_file_name: 'model' });
      const q8 = await t.AutoModelForCausalLM.from_pretrained('local/ona-bot', { model_file_name: 'model' });
      const out = await fp32.generate(input, { max_new_tokens: 12, do_sample: false, eos_token_id: -1 });
      const seq = (Array.isArray(out) ? out[0] : out) as unknown as { data?: BigInt64Array } & ArrayLike<bigint | number>;
      const tokens = Array.from((seq.data ?? seq) as ArrayLike<bigint | number>, Number).slice(ids.length);
      const a = (await fp32({ input_ids: input, attention_mask: mask })).logits.data as Float32Array;
      const b = (await q8({ input_ids: input, attention_mask: mask })).logits.data as Float32Array;
      const V = a.length / ids.length;
      const cosines: number[] = [];
      for (let p = 0; p < ids.length; p++) {
        let dot = 0, na = 0, nb = 0;
        for (let v = p * V; v < (p + 1) * V; v++) { dot += a[v] * b[v]; na += a[v] * a[v]; nb += b[v] * b[v]; }
        cosines.push(dot / Math.sqrt(na * nb));
      }
      const generator = await t.pipeline('text-generation', 'local/ona-bot', { model_file_name: 'model' });
      const [text] = await generator('I really think that', { max_new_tokens: 5, do_sample: false });
      return { tokens, cosines, same: a.every((x, i) => x === b[i]), text: text.generated_text };
    }, { ids });
    expect(result.tokens).toEqual(want.tokens);
    expect(Math.min(...result.cosines)).toBeGreaterThanOrEqual(0.99);
    expect(result.same).toBe(false);
    expect(result.text.startsWith(PROMPT)).toBe(true);
    const fetched = site.modelRequests().map((r) => r.path);
    expect(fetched).toContain('/hf/local/ona-bot/resolve/main/onnx/model.onnx');
    expect(fetched).toContain('/hf/local/ona-bot/resolve/main/onnx/model_quantized.onnx');
  } finally {
    await page.close();
    await site.close();
    rmSync(repo, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  }
  expect(app.log.filter((l) => l.includes('pageerror'))).toEqual([]);
});
