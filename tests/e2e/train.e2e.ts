/**
 * Fine-tuning as a person does it, on the backend the page picks here (wasm: no GPU): drop an
 * archive, train, watch the progress and the loss plot move, pause and resume, reload mid-training
 * and resume from the checkpoint (the step counter continues), finish, and find the model in the
 * library after another reload. Training on WebGPU (SwiftShader) — steps, checkpoints written from
 * GPU tensors, a resume, a lost device — is in faults.e2e.ts, its numerics in parity.e2e.ts: this
 * whole flow on SwiftShader took 4–5 minutes of CI's 20 (each step ~10 s, the 20 seeded quality
 * tweets longer still).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launch, watchConsole, type Browser } from './browser';
import { archiveZip, currentStep, dropArchives, loadModel, openApp, person, setTrainSettings, stat, waitTrainingMessage } from './flow';
import { startSite, type Site } from '../helpers/site';

let site: Site;
let browser: Browser;
let log: string[] = [];
// Enough steps that the pauses below land mid-run on wasm, where the tiny model's steps take a fraction of a second.
const SETTINGS = { maxSteps: 120, batchSize: 2, microBatch: 1, blockSize: 32, epochs: 20, checkpointMinutes: 10, modelName: 'my-first-bot' };

beforeAll(async () => {
  site = await startSite();
  browser = await launch({ webgpu: false });
});
afterAll(async () => {
  await browser?.dispose();
  await site?.close();
});

async function open(): Promise<Page> {
  const page = await browser.context.newPage();
  log = watchConsole(page);
  // Not forced: the page times the backends it has and picks one (wasm on this CPU-only machine).
  expect(await openApp(page, site.url, { backend: null })).toBe('wasm');
  return page;
}

it('trains on the backend the page picks, pauses, survives a reload, resumes from the checkpoint and saves the model', async () => {
  let page = await open();
  await dropArchives(page, [{ name: 'dora.zip', buffer: await archiveZip(person('dora_sings', 'Dora', 80)) }], 1);
  expect(await loadModel(page)).toMatch(/is ready/);
  await setTrainSettings(page, SETTINGS);
  // Every message the train panel shows, to find the dataset-building progress among them.
  await page.evaluate(() => {
    const seen: string[] = ((window as unknown as { trainMessages: string[] }).trainMessages = []);
    const el = document.querySelector('#train-message')!;
    new MutationObserver(() => seen.push(el.textContent ?? '')).observe(el, { childList: true, characterData: true, subtree: true });
  });
  await page.click('#train-button');

  // The progress bar and the loss plot move.
  await expect.poll(() => currentStep(page), { timeout: 180_000, interval: 500 }).toBeGreaterThanOrEqual(2);
  expect(await page.locator('#train-progress').evaluate((p) => (p as HTMLProgressElement).value)).toBeGreaterThan(0);
  expect(Number(await page.locator('#loss-plot').getAttribute('data-points'))).toBeGreaterThanOrEqual(2);
  expect(Number(await stat(page, 'Train loss'))).toBeGreaterThan(0);
  expect(await stat(page, 'Validation before')).toMatch(/^\d+\.\d+$/);
  expect(await page.locator('#train-mode').textContent()).toMatch(/Full fine-tuning|LoRA/);
  // Before the first step the page showed how far the tweets were tokenized.
  const messages = await page.evaluate(() => (window as unknown as { trainMessages: string[] }).trainMessages);
  expect(messages.some((m) => /Preparing the tweets: \d+ of \d+ tokenized/.test(m)), messages.join(' | ')).toBe(true);

  // Pause: the counter stops (and a checkpoint is written).
  await page.click('#pause-button');
  await waitTrainingMessage(page, /Checkpoint saved at step \d+/, 120_000);
  const pausedAt = await currentStep(page);
  await page.waitForTimeout(2500);
  expect(await currentStep(page)).toBe(pausedAt);

  // Resume, run a step, pause again so the checkpoint is at a known step.
  await page.click('#pause-button');
  await expect.poll(() => currentStep(page), { timeout: 120_000, interval: 300 }).toBeGreaterThan(pausedAt);
  await page.click('#pause-button');
  await waitTrainingMessage(page, /Checkpoint saved at step \d+/, 120_000);
  const checkpointStep = Number(/step (\d+)/.exec((await page.locator('#train-message').textContent()) ?? '')![1]);
  expect(checkpointStep).toBeGreaterThan(pausedAt);

  // Reload the tab mid-training (close the browser, reopen the same profile).
  const profile = browser.profileDir;
  await browser.close();
  browser = await launch({ webgpu: false, profileDir: profile });
  page = await open();
  await expect.poll(() => page.locator('#resume-banner').isVisible(), { timeout: 30_000 }).toBe(true);
  expect(await page.locator('#resume-text').textContent()).toContain(`stopped at step ${checkpointStep} of ${SETTINGS.maxSteps}`);
  // The archive came back from storage, too.
  expect(await page.locator('#archive-table thead th').count()).toBe(2);
  await page.click('#resume-button');
  // The step counter continues from the checkpoint, not from zero.
  await expect.poll(() => currentStep(page), { timeout: 180_000, interval: 300 }).toBeGreaterThan(checkpointStep);
  // Step 2 names the model the resumed run trains (not "No model loaded yet").
  await expect.poll(() => page.locator('#model-info').textContent(), { timeout: 30_000 }).toMatch(/^Current model: test\/tiny-gpt2/);
  const text = await waitTrainingMessage(page, /^Done: validation loss/, 300_000);
  expect(text).toContain('my-first-bot');
  await expect.poll(() => page.locator('#model-info').textContent()).toMatch(/^Current model: my-first-bot \(fine-tuned from test\/tiny-gpt2\)/);
  expect(await currentStep(page)).toBe(SETTINGS.maxSteps);
  const [before, after] = /validation loss (\d+\.\d+) before → (\d+\.\d+) after/.exec(text)!.slice(1).map(Number);
  expect(after).toBeLessThan(before);

  // Another reload: the fine-tuned model is in the library.
  await browser.close();
  browser = await launch({ webgpu: false, profileDir: profile });
  page = await open();
  const entry = page.locator('#library-list li[data-kind="finetuned"]');
  await expect.poll(() => entry.count(), { timeout: 30_000 }).toBe(1);
  expect(await entry.textContent()).toMatch(/my-first-bot.*fine-tuned from test\/tiny-gpt2/);
  expect(await entry.textContent()).toMatch(/final validation loss \d/);
  expect(await page.locator('#resume-banner').isVisible()).toBe(false);
  expect(log.filter((l) => l.includes('pageerror'))).toEqual([]);
});
