/**
 * A LoRA bot leaves the page as a PEFT adapter and comes back from it: fine-tune with LoRA, the
 * library keeps the bot as adapter + base, download the adapter, clear the page's data (a fresh
 * browser profile: a friend's browser), drop the adapter: the page names the base it needs and
 * offers its download; once it is there the same seeded tweets come out.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { readAdapterZip } from '../../src/export/adapterZip';
import { launch, watchConsole } from './browser';
import { appSession, archiveZip, dropArchives, generateTweets, loadModel, openApp, person, setTrainSettings, waitTrainingMessage } from './flow';

const app = appSession();
const GENERATE = { prompt: 'I really think', count: 2, max: 12, seed: 7 };

it('fine-tune with LoRA, download the adapter, clear the data, drop the adapter: the same seeded tweets', async () => {
  let page = app.page;
  await dropArchives(page, [{ name: 'lena.zip', buffer: await archiveZip(person('lena_loRA', 'Lena', 100)) }], 1);
  expect(await loadModel(page)).toMatch(/is ready/);
  await page.uncheck('#only-new'); // the same texts with or without the archive's copy check
  const baseTweets = await generateTweets(page, GENERATE);

  await setTrainSettings(page, { mode: 'lora', maxSteps: 6, batchSize: 2, microBatch: 2, blockSize: 32, epochs: 1, learningRate: 0.01, loraRank: 4, loraAlpha: 8, modelName: 'lena-lora' });
  await page.click('#train-button');
  await waitTrainingMessage(page, /^Done: validation loss/, 300_000);
  const botTweets = await generateTweets(page, GENERATE);
  expect(botTweets).toHaveLength(2);
  expect(botTweets).not.toEqual(baseTweets);

  // The library keeps the bot as its adapter beside the base it shares.
  const bot = page.locator('#library-list li[data-kind="finetuned"]');
  await expect.poll(() => bot.count(), { timeout: 30_000 }).toBe(1);
  expect(await bot.locator('[data-role="adapter"]').textContent()).toMatch(/^LoRA adapter \([\d.]+ [kKM]B\) on test\/tiny-gpt2 \([\d.]+ MB, shared, not copied\)\.$/);
  expect(await page.locator('#library-list li[data-kind="base"] [data-role="used-by"]').textContent()).toBe('Base of the LoRA bot lena-lora.');

  const [download] = await Promise.all([page.waitForEvent('download'), bot.locator('button[data-action="export-adapter"]').click()]);
  expect(download.suggestedFilename()).toBe('lena-lora-lora.zip');
  const zipBytes = readFileSync((await download.path())!);
  const zip = await readAdapterZip(new Uint8Array(zipBytes));
  expect(Object.keys(zip!.files).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
  expect(JSON.parse(new TextDecoder().decode(zip!.files['adapter_config.json']))).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 8, base_model_name_or_path: 'test/tiny-gpt2' });

  // Deleting the base asks first, naming the bot; answered no, both stay.
  const question = new Promise<string>((resolve) => page.once('dialog', (d) => void d.dismiss().then(() => resolve(d.message()))));
  await page.locator('#library-list li[data-kind="base"] button', { hasText: 'Delete' }).click();
  expect(await question).toMatch(/is the base of the LoRA bot lena-lora\. Delete it anyway\?/);
  expect(await page.locator('#library-list li').count()).toBe(2);

  // Clear the page's data: a fresh profile, as a friend's browser would be.
  await app.browser.dispose();
  app.browser = await launch({ webgpu: false });
  page = app.page = await app.browser.context.newPage();
  app.log = watchConsole(page);
  await openApp(page, app.site.url);
  expect(await page.locator('#library-list li[data-model]').count()).toBe(0);

  // Drop the adapter's zip: the page names the base it needs and offers to download it.
  await page.setInputFiles('#model-files', { name: 'lena-lora-lora.zip', mimeType: 'application/zip', buffer: zipBytes });
  await expect.poll(() => page.locator('#adapter-offer').isVisible(), { timeout: 60_000 }).toBe(true);
  expect(await page.locator('#adapter-offer-text').textContent()).toContain('It needs its base model test/tiny-gpt2');
  await page.click('#adapter-offer-download');
  await expect.poll(() => page.locator('#model-info').textContent(), { timeout: 120_000 }).toMatch(/^Current model: lena-lora \(fine-tuned from test\/tiny-gpt2\)/);
  expect(await page.locator('#model-message').textContent()).toMatch(/lena-lora is ready/);

  await page.uncheck('#only-new');
  expect(await generateTweets(page, GENERATE)).toEqual(botTweets);
  // And the bot is in this library too, as an adapter on the downloaded base.
  await expect.poll(() => page.locator('#library-list li[data-kind="finetuned"] [data-role="adapter"]').count(), { timeout: 30_000 }).toBe(1);

  // A damaged adapter is refused with the reason; the bot in use and the library stay as they were.
  const weights = zip!.files['adapter_model.safetensors'];
  await page.setInputFiles('#model-files', [
    { name: 'adapter_config.json', mimeType: 'application/json', buffer: Buffer.from(zip!.files['adapter_config.json']) },
    { name: 'adapter_model.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(weights.subarray(0, weights.length - 64)) },
  ]);
  await expect.poll(() => page.locator('#model-message').textContent(), { timeout: 60_000 }).toMatch(/^Could not load the LoRA adapter: adapter_model\.safetensors cannot be read: .*truncated/);
  expect(await page.locator('#model-info').textContent()).toMatch(/^Current model: lena-lora \(fine-tuned from test\/tiny-gpt2\)/);
  expect(await page.locator('#library-list li[data-model]').count()).toBe(2);
  expect(await generateTweets(page, GENERATE)).toEqual(botTweets);
  expect(app.log.filter((l) => l.includes('pageerror'))).toEqual([]);
});
