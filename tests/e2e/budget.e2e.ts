/**
 * Training on the person's time (issue 20), on the test model: a small archive trained for many
 * epochs at a high rate overfits, early stopping ends the run, and the bot keeps (and its exported
 * card states) the lowest validation loss the page showed, naming the kept step; then a run with a
 * time budget is paused after its plan is made, the tab reloaded, and the resumed run ends with the
 * same plan.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { launch, watchConsole } from './browser';
import { appSession, archiveZip, currentStep, dropArchives, loadModel, openApp, person, setTrainSettings, stat, waitTrainingMessage } from './flow';
import { readExportZip } from '../../src/export/exportZip';

const app = appSession();

/** A plan's steps, epochs and reason (its "ends at" moves with the clock). */
const planOf = (text: string | null) => (text ?? '').replace(/ends at \d\d:\d\d/, '');

const COMMON = { microBatch: 8, blockSize: 32, mode: 'full', checkpointMinutes: 10 };

/** The validation losses the page lists under the plot. */
async function shownValidations(): Promise<Array<{ step: number; loss: number }>> {
  const text = (await app.page.locator('#train-validations').textContent()) ?? '';
  return [...text.matchAll(/step (\d+): (\d+\.\d+)/g)].map((m) => ({ step: Number(m[1]), loss: Number(m[2]) }));
}

it('early stopping ends an overfitting run and the bot keeps the lowest validation loss', async () => {
  const t0 = Date.now();
  await dropArchives(app.page, [{ name: 'olive.zip', buffer: await archiveZip(person('olive_oil', 'Olive', 80)) }], 1);
  expect(await loadModel(app.page)).toMatch(/is ready/);
  await setTrainSettings(app.page, { ...COMMON, epochs: 60, batchSize: 2, learningRate: 0.3, warmupFraction: 0.05, patience: 2, budgetMinutes: 0, modelName: 'olive-early' });
  await app.page.click('#train-button');
  const done = await waitTrainingMessage(app.page, /^Done: validation loss|Training stopped/, 120_000);
  expect(done).toMatch(/^Done: /);
  expect(done).toMatch(/Stopped early at step (\d+): the validation loss has not improved for 2 validations/);
  const stoppedAt = Number(/Stopped early at step (\d+)/.exec(done)![1]);
  // Well before the recipe's 60 epochs.
  expect(stoppedAt).toBe(await currentStep(app.page));
  const vals = await shownValidations();
  expect(vals.length).toBeGreaterThanOrEqual(4);
  const lowest = vals.reduce((a, b) => (b.loss < a.loss ? b : a));
  const kept = Number(/kept weights are from step (\d+)/.exec(done)![1]);
  expect(kept).toBe(lowest.step);
  expect(kept).toBeLessThan(stoppedAt);
  // The two validations after the kept one did not improve on it.
  expect(vals.filter((v) => v.step > kept).length).toBe(2);

  // Live samples under the plot: two short tweets from the fixed prompts, at the last validation.
  const samples = app.page.locator('#live-samples .live-sample .text');
  expect(await samples.count()).toBe(2);
  const [first, second] = await samples.allTextContents();
  expect(first.startsWith('I')).toBe(true);
  expect(second.startsWith('Today')).toBe(true);
  // (Written at a validation after training began, and only while they cost under 5% of the training time.)
  const sampledAt = Number(/after the validation at step (\d+)/.exec((await app.page.locator('#live-samples').textContent()) ?? '')![1]);
  expect(sampledAt).toBeGreaterThan(0);
  expect(sampledAt).toBeLessThanOrEqual(stoppedAt);
  const entry = app.page.locator('#library-list li[data-kind="finetuned"]').first();
  await expect.poll(() => entry.count(), { timeout: 30_000 }).toBe(1);
  const [download] = await Promise.all([app.page.waitForEvent('download'), entry.locator('button', { hasText: 'Export' }).click()]);
  const card = (await readExportZip(new Uint8Array(readFileSync((await download.path())!)))).card ?? '';
  expect(card).toContain(`| Validation loss after | ${lowest.loss.toFixed(4)} (perplexity`);
  expect(card).toContain(`| Kept weights | step ${kept} (the lowest validation loss) |`);
  expect(card).toMatch(/\| Why training stopped \| Stopped early at step \d+: the validation loss has not improved for 2 validations/);
  console.log(`[budget e2e] early stop at step ${stoppedAt}, kept step ${kept} (loss ${lowest.loss}) of ${vals.length} validations, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});

it('a budgeted run paused, reloaded and resumed ends with the same plan', async () => {
  const t0 = Date.now();
  await setTrainSettings(app.page, { ...COMMON, epochs: 2, batchSize: 2, learningRate: 0.001, warmupFraction: 0.1, patience: 0, budgetMinutes: 0.1, modelName: 'olive-budget' });
  expect(await app.page.locator('#set-budget').inputValue()).toBe('0.1');
  await app.page.click('#train-button');
  const plan = app.page.locator('#train-plan');
  await expect.poll(() => plan.textContent(), { timeout: 60_000, interval: 200 }).toMatch(/^Plan: about \d+ steps, [\d.]+ epochs, ends at \d\d:\d\d — planned from the measured step time/);
  await app.page.click('#pause-button');
  await waitTrainingMessage(app.page, /Checkpoint saved at step \d+/, 60_000);
  const planText = (await plan.textContent()) ?? '';
  const planned = Number(/about (\d+) steps/.exec(planText)![1]);
  const pausedAt = await currentStep(app.page);
  expect(pausedAt).toBeLessThan(planned);

  // Reload: close the browser, reopen the same profile.
  const profile = app.browser.profileDir;
  await app.browser.close();
  app.browser = await launch({ webgpu: false, profileDir: profile });
  app.page = await app.browser.context.newPage();
  app.log = watchConsole(app.page);
  await openApp(app.page, app.site.url);
  await expect.poll(() => app.page.locator('#resume-banner').isVisible(), { timeout: 30_000 }).toBe(true);
  expect(await app.page.locator('#resume-text').textContent()).toContain(`stopped at step ${pausedAt} of ${planned}`);
  await app.page.click('#resume-button');
  // The plan came back with the checkpoint: the same steps, from the same measured step time (not re-measured).
  await expect.poll(() => app.page.locator('#train-plan').textContent(), { timeout: 60_000 }).toMatch(/^Plan: /);
  expect(planOf(await app.page.locator('#train-plan').textContent())).toEqual(planOf(planText));
  const done = await waitTrainingMessage(app.page, /^Done: validation loss|Training stopped/, 120_000);
  const endText = (await app.page.locator('#train-plan').textContent()) ?? '';
  const end = Number(/about (\d+) steps/.exec(endText)![1]);
  expect(await currentStep(app.page)).toBe(end);
  expect(done).toMatch(new RegExp(`Ended at step ${end}, the end of the plan for the 0.1-minute time budget`));
  // It ended close to the 6 s budget: within the planner's slack (5 s for so short a budget), plus the last step.
  const elapsed = Number(/^(\d+)s$/.exec(await stat(app.page, 'Elapsed'))![1]);
  expect(elapsed).toBeGreaterThanOrEqual(2);
  expect(elapsed).toBeLessThanOrEqual(12);
  // The same plan, unless the step time drifted past the planner's slack on this shared machine:
  // then the page says when and why it re-planned (never a silent fresh plan).
  if (end !== planned) expect(endText).toMatch(/re-planned at step \d+: steps got (slower|faster) \(\d+ → \d+ ms a step\)/);
  else expect(planOf(endText)).toEqual(planOf(planText));
  expect(app.log.filter((l) => l.includes('pageerror'))).toEqual([]);
  console.log(`[budget e2e] budget plan ${planned} steps, ended with ${end}, paused at ${pausedAt}, resumed to the end: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});
