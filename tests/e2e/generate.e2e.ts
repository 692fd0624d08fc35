/**
 * After a short fine-tune: streamed tweet cards, seeded repeatability, stop; export to a Hugging
 * Face zip that the project's own loader reads back to the same model; import it again; delete;
 * and the whole page working offline once visited.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { appSession, archiveZip, dropArchives, generateTweets, loadModel, person, setTrainSettings, waitTrainingMessage } from './flow';
import { readExportZip } from '../../src/export/exportZip';
import { loadGPT2, loadTokenizer } from '../../src/model/index';
import { generate } from '../../src/generate/generate';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

const app = appSession({ acceptDialogs: true });
let zipPath = '';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

it('fine-tunes the fixture model a few steps', async () => {
  await dropArchives(app.page, [{ name: 'erin.zip', buffer: await archiveZip(person('erin_writes', 'Erin', 200, { retweets: 4, short: 3 })) }], 1);
  expect(await loadModel(app.page)).toMatch(/is ready/);
  await setTrainSettings(app.page, { maxSteps: 4, batchSize: 2, blockSize: 32, epochs: 1, modelName: 'erin-bot' });
  await app.page.click('#train-button');
  await waitTrainingMessage(app.page, /^Done/);
});

describe('generation', () => {
  it('streams tokens into tweet cards, and the same seed gives the same tweets', async () => {
    // Record every text the first card shows while it streams.
    await app.page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { __seen: string[] }).__seen = seen;
      new MutationObserver(() => {
        const t = document.querySelector('.tweet[data-index="0"] .text');
        if (t && seen[seen.length - 1] !== t.textContent) seen.push(t.textContent ?? '');
      }).observe(document.querySelector('#tweets')!, { subtree: true, childList: true, characterData: true });
    });
    const first = await generateTweets(app.page, { prompt: 'I really think', count: 3, max: 16, seed: 7 });
    const seen = await app.page.evaluate(() => (window as unknown as { __seen: string[] }).__seen);
    expect(seen.length).toBeGreaterThan(3); // it grew piece by piece, not all at once
    expect(seen.every((s, i) => i === 0 || s.startsWith(seen[i - 1]))).toBe(true);
    expect(first).toHaveLength(3);
    for (const t of first) expect(t.startsWith('I really think')).toBe(true);
    expect(new Set(first).size).toBe(3);
    const heads = await app.page.locator('.tweet .who').allTextContents();
    expect(heads[0]).toContain('Erin');
    expect(await app.page.locator('.tweet .handle').first().textContent()).toBe('@erin_writes');
    const again = await generateTweets(app.page, { prompt: 'I really think', count: 3, max: 16, seed: 7 });
    expect(again).toEqual(first);
    const other = await generateTweets(app.page, { prompt: 'I really think', count: 3, max: 16, seed: 8 });
    expect(other).not.toEqual(first);
  });

  it('stops mid-stream', async () => {
    await app.page.fill('#gen-count', '6');
    await app.page.fill('#gen-max', '400');
    await app.page.fill('#prompt', '');
    await app.page.click('#generate-button');
    await expect.poll(() => app.page.locator('.tweet').count(), { timeout: 60_000, interval: 50 }).toBeGreaterThanOrEqual(1);
    await app.page.click('#stop-button');
    await expect.poll(() => app.page.locator('#generate-button').isDisabled(), { timeout: 60_000 }).toBe(false);
    expect(await app.page.locator('.tweet').count()).toBeLessThan(6);
    expect(await app.page.locator('.tweet .text.streaming').count()).toBe(0);
  });
});

describe('export and import', () => {
  it('exports a Hugging Face zip that the project loader reads back to the same model, with a true card', async () => {
    const greedy = await generateTweets(app.page, { prompt: 'I really think', count: 1, max: 12, seed: 1, temperature: 0 });
    const entry = app.page.locator('#library-list li[data-kind="finetuned"]').first();
    const [download] = await Promise.all([app.page.waitForEvent('download'), entry.locator('button', { hasText: 'Export' }).click()]);
    expect(download.suggestedFilename()).toBe('erin-bot.zip');
    zipPath = (await download.path())!;
    const { files, card } = await readExportZip(new Uint8Array(readFileSync(zipPath)));
    for (const f of ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json']) expect(files[f], f).toBeDefined();
    // The card's data table carries the real numbers of this run.
    expect(card).toMatch(/\| Tweets downloaded \| 207 \|/);
    expect(card).toMatch(/\| Retweets \| 4 \|/);
    expect(card).toMatch(/\| Short tweets \| 3 \|/);
    expect(card).toMatch(/\| Tweets kept \| 200 \|/);
    expect(card).toMatch(/pipeline\('text-generation'/);
    // The exported weights, read by our own loader in Node, continue the prompt exactly as the page did.
    const model = await loadGPT2(files);
    const tok = loadTokenizer(files);
    const ids: number[] = [];
    for await (const id of generate(model, tok.encode('I really think'), { maxNewTokens: 12, temperature: 0, seed: 1, eosId: tok.eosId })) ids.push(id);
    expect('I really think' + tok.decode(ids)).toBe(greedy[0]);
    model.dispose();
  });

  it('imports the zip back into the library, then deleting it frees its space, also after a reload', async () => {
    const before = await app.page.locator('#library-list li[data-model]').count();
    await app.page.setInputFiles('#import-input', zipPath);
    await expect.poll(() => app.page.locator('#library-message').textContent(), { timeout: 60_000 }).toMatch(/Imported erin-bot/);
    expect(await app.page.locator('#library-list li[data-model]').count()).toBe(before + 1);
    const imported = app.page.locator('#library-list li[data-model^="imported/"]');
    const usage = () => app.page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
    const used = await usage();
    await imported.locator('button', { hasText: 'Delete' }).click();
    await expect.poll(() => imported.count()).toBe(0);
    await expect.poll(usage, { timeout: 30_000 }).toBeLessThan(used);
    await app.page.reload();
    await expect.poll(() => app.page.locator('#library-list li[data-model]').count(), { timeout: 60_000 }).toBe(before);
    expect(await app.page.locator('#library-list li[data-model^="imported/"]').count()).toBe(0);
  });
});

describe('offline', () => {
  it('once visited, opens with no network, loads the stored model and writes a tweet', async () => {
    await app.page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    await app.page.reload(); // now controlled by the service worker
    await app.page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    await app.browser.context.setOffline(true);
    try {
      await app.page.reload();
      await app.page.waitForFunction(() => (document.querySelector('#engine-status') as HTMLElement)?.dataset.state === 'ready', null, { timeout: 120_000 });
      const entry = app.page.locator('#library-list li[data-kind="finetuned"]').first();
      await expect.poll(() => entry.count(), { timeout: 30_000 }).toBe(1);
      await entry.locator('button', { hasText: 'Load' }).click();
      await expect.poll(() => app.page.locator('#model-message').textContent(), { timeout: 60_000 }).toMatch(/erin-bot is ready/);
      const tweets = await generateTweets(app.page, { prompt: 'Offline and', count: 1, max: 8 });
      expect(tweets[0].startsWith('Offline and')).toBe(true);
      expect(tweets[0].length).toBeGreaterThan('Offline and'.length);
    } finally {
      await app.browser.context.setOffline(false);
    }
    expect(app.log.filter((l) => l.includes('pageerror'))).toEqual([]);
  });
});
