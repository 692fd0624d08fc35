/**
 * The first five minutes (issue 11): input given before the engine is ready is kept and read, the
 * sample persona leaves when a real archive arrives, errors stay one per line, the training panel
 * tells the truth through pauses and checkpoints, the card states what ran, and offline says so.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineReady } from './browser';
import { appSession, archiveTable, archiveZip, currentStep, generateTweets, person, setTrainSettings, stat, waitTrainingMessage } from './flow';
import { tinyDir } from '../helpers/fixtures';
import { buildExportZip, readExportZip } from '../../src/export/exportZip';

const MODEL_FILES = ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'vocab.json', 'merges.txt', 'special_tokens_map.json'];

const app = appSession({ acceptDialogs: true, open: false });

/** A model zip as the page exports it, made here from the fixture. */
async function exportedZip(): Promise<Buffer> {
  const read = (f: string) => new Uint8Array(readFileSync(join(tinyDir, f)));
  const tokenizerFiles = Object.fromEntries(['tokenizer.json', 'tokenizer_config.json', 'vocab.json', 'merges.txt', 'special_tokens_map.json'].map((f) => [f, read(f)]));
  const bytes = await buildExportZip({
    safetensors: read('model.safetensors'),
    config: JSON.parse(readFileSync(join(tinyDir, 'config.json'), 'utf8')) as object,
    generationConfig: {},
    tokenizerFiles,
    card: '---\nlanguage: en\n---\n',
    meta: { tweetgpt: 1, name: 'early-import', kind: 'finetuned', baseRepo: 'test/tiny-gpt2' },
  });
  return Buffer.from(bytes);
}

describe('input before the engine is ready', () => {
  it('keeps an archive, dropped model files and an imported zip chosen at once, says they wait, then reads them', async () => {
    // Hold the engine worker's script back, so the engine is surely still starting.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    await app.page.route(/engine\.worker[^/]*\.js$/, async (route) => {
      await gate;
      await route.continue();
    });
    await app.page.goto(`${app.site.url}?host=/hf&backend=wasm`, { waitUntil: 'domcontentloaded' });
    expect(await app.page.locator('#engine-status').getAttribute('data-state')).toBe('starting');
    const zip = await archiveZip(person('early_bird', 'Early', 150));
    await app.page.setInputFiles('#archive-input', { name: 'early.zip', mimeType: 'application/zip', buffer: zip });
    await app.page.setInputFiles('#model-files', MODEL_FILES.map((f) => join(tinyDir, f)));
    await app.page.setInputFiles('#import-input', { name: 'early-import.zip', mimeType: 'application/zip', buffer: await exportedZip() });
    await expect.poll(() => app.page.locator('#archive-busy').textContent()).toMatch(/early\.zip: it will be read as soon as the engine has started/);
    expect(await app.page.locator('#archive-busy').isVisible()).toBe(true);
    await expect.poll(() => app.page.locator('#model-message').textContent()).toMatch(/will be read as soon as the engine has started/);
    await expect.poll(() => app.page.locator('#library-message').textContent()).toMatch(/early-import\.zip: it will be imported as soon as the engine has started/);
    expect(await app.page.locator('#engine-status').getAttribute('data-state')).toBe('starting');
    release();
    await engineReady(app.page);
    await expect.poll(() => app.page.locator('#archive-table thead th').count(), { timeout: 60_000 }).toBe(2);
    expect((await archiveTable(app.page))['Tweets kept']).toEqual(['150']);
    await expect.poll(() => app.page.locator('#model-message').textContent(), { timeout: 60_000 }).toMatch(/is ready/);
    await expect.poll(() => app.page.locator('#library-message').textContent(), { timeout: 60_000 }).toMatch(/Imported early-import/);
    await app.page.unroute(/engine\.worker[^/]*\.js$/);
  });
});

describe('archives', () => {
  it('shows each person’s own characters', async () => {
    const table = await archiveTable(app.page);
    expect(Number(table['Characters kept'][0].replace(/,/g, ''))).toBeGreaterThan(150 * 60);
  });

  it('takes the sample persona out when a real archive arrives, and says so', async () => {
    await app.page.click('#forget-archives');
    await app.page.click('#sample-button');
    await expect.poll(() => app.page.locator('#archive-table thead th').count(), { timeout: 60_000 }).toBe(2);
    await app.page.setInputFiles('#archive-input', { name: 'mine.zip', mimeType: 'application/zip', buffer: await archiveZip(person('real_person', 'Real', 150)) });
    await expect.poll(() => app.page.locator('#archive-message').textContent(), { timeout: 60_000 }).toMatch(/Took the sample persona \(@\w+\) out/);
    const heads = await app.page.locator('#archive-table thead th').allTextContents();
    expect(heads).toHaveLength(2);
    expect(heads[1]).toContain('@real_person');
    expect(await app.page.locator('#bot-name').textContent()).toBe('Bot: real_person');
  });

  it('puts each failed file on its own line', async () => {
    await app.page.setInputFiles('#archive-input', [
      { name: 'photo.zip', mimeType: 'application/zip', buffer: Buffer.from('GIF89a not really a zip at all') },
      { name: 'empty.zip', mimeType: 'application/zip', buffer: Buffer.alloc(0) },
    ]);
    await expect.poll(() => app.page.locator('#archive-message').textContent(), { timeout: 60_000 }).toMatch(/empty\.zip/);
    const lines = await app.page.locator('#archive-message').evaluate((e) => (e as HTMLElement).innerText.split('\n').filter((l) => l.trim() !== ''));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^photo\.zip: /);
    expect(lines[1]).toMatch(/^empty\.zip: /);
  });
});

describe('training tells the truth', () => {
  it('while running: no stale note, validation shown, Load and Generate disabled with the reason; paused: figures kept, generation allowed', async () => {
    // More positions asked than the model has (128): the run uses 128, and the card must say so.
    await setTrainSettings(app.page, { maxSteps: 400, batchSize: 2, blockSize: 200, epochs: 1, modelName: 'truth-bot' });
    await app.page.click('#train-button');
    await expect.poll(() => currentStep(app.page), { timeout: 120_000, interval: 200 }).toBeGreaterThanOrEqual(2);
    expect(await app.page.locator('#train-message').textContent()).not.toMatch(/Measuring the validation loss before/);
    expect(await stat(app.page, 'Validation loss')).not.toBe('—');
    expect(await app.page.locator('#generate-button').isDisabled()).toBe(true);
    expect(await app.page.locator('#generate-reason').textContent()).toMatch(/pause it/);
    expect(await app.page.locator('#generate-reason').isVisible()).toBe(true);
    expect(await app.page.locator('#load-model').isDisabled()).toBe(true);
    expect(await app.page.locator('#load-reason').isVisible()).toBe(true);

    await app.page.click('#pause-button');
    await waitTrainingMessage(app.page, /Checkpoint saved/);
    for (const [name, zero] of [['Epoch', '0'], ['Elapsed', '0s'], ['Tokens/s', '0']] as const) expect(await stat(app.page, name), name).not.toBe(zero);
    expect(await stat(app.page, 'Validation loss')).not.toBe('—');
    // Paused: the current weights write tweets.
    expect(await app.page.locator('#generate-button').isDisabled()).toBe(false);
    const tweets = await generateTweets(app.page, { count: 1, max: 4 });
    expect(tweets).toHaveLength(1);
    await app.page.waitForTimeout(1500); // paused time is not training time
    await app.page.click('#pause-button'); // resume
    await app.page.click('#cancel-button').catch(() => {}); // keep the suite short: cancel, then a short run
    await waitTrainingMessage(app.page, /Cancelled|Done/);
  });

  it('a finished run: the model line follows, the time is one figure, a second run gets its own name, the card states what ran', async () => {
    await setTrainSettings(app.page, { maxSteps: 12, modelName: 'truth-bot' });
    // Pause clicked the moment training starts (before the worker has begun the run): the run
    // starts paused. Paused time is no training time, on the page and on the card alike.
    await app.page.evaluate(() => {
      document.querySelector<HTMLButtonElement>('#train-button')!.click();
      document.querySelector<HTMLButtonElement>('#pause-button')!.click();
    });
    expect(await app.page.locator('#pause-button').textContent()).toBe('Resume');
    await waitTrainingMessage(app.page, /Checkpoint saved at step 0\. Paused/);
    expect(await currentStep(app.page)).toBe(0);
    const secondsAtPause = Number((await stat(app.page, 'Elapsed')).replace(/s$/, ''));
    await app.page.waitForTimeout(3000);
    const resumedAt = Date.now();
    await app.page.click('#pause-button');
    const done = await waitTrainingMessage(app.page, /^Done/);
    const sinceResume = (Date.now() - resumedAt) / 1000;
    const elapsedShown = await stat(app.page, 'Elapsed');
    // The 3 s paused are not in it: at most the time before the pause plus the time since resuming.
    expect(Number(elapsedShown.replace(/s$/, ''))).toBeLessThanOrEqual(secondsAtPause + sinceResume + 1);
    expect(done).toContain(`, in ${elapsedShown} of training.`);
    expect(await app.page.locator('#model-info').textContent()).toMatch(/truth-bot \(fine-tuned from/);
    expect(await app.page.locator('#load-model').isDisabled()).toBe(false);

    const entry = app.page.locator('#library-list li[data-kind="finetuned"]', { hasText: 'truth-bot' });
    await expect.poll(() => entry.count()).toBe(1);
    const [download] = await Promise.all([app.page.waitForEvent('download'), entry.locator('button', { hasText: 'Export' }).click()]);
    const { card } = await readExportZip(new Uint8Array(readFileSync((await download.path())!)));
    expect(card).toMatch(/^---\nlanguage: en\n/);
    expect(card).toContain('| Block size | 128 tokens |'); // 200 asked, 128 positions in the model
    const seconds = Number(/\((\d+) s\) on the/.exec(card!)?.[1]);
    expect(`${seconds}s`).toBe(elapsedShown);
    expect(card!.match(/@real_person/g)?.length ?? 0).toBeGreaterThan(0);

    await setTrainSettings(app.page, { maxSteps: 2, modelName: 'truth-bot' });
    await app.page.click('#train-button');
    await waitTrainingMessage(app.page, /^Done.*truth-bot \(2\)/);
    const names = await app.page.locator('#library-list li[data-kind="finetuned"] .meta strong').allTextContents();
    expect(names.filter((n) => n.startsWith('truth-bot')).sort()).toEqual(['truth-bot', 'truth-bot (2)']);
  });
});

describe('offline', () => {
  it('a repository not in this browser: says the page is offline and that stored models still work', async () => {
    await app.browser.context.setOffline(true);
    try {
      await app.page.selectOption('#model-select', 'custom');
      await app.page.fill('#model-repo', 'test/not-stored-here');
      await app.page.click('#load-model');
      await expect.poll(() => app.page.locator('#model-message').textContent(), { timeout: 60_000 }).toMatch(/Could not load/);
      const text = (await app.page.locator('#model-message').textContent()) ?? '';
      expect(text).toMatch(/offline|cannot be reached/);
      expect(text).toMatch(/Models stored in this browser still work/);
      expect(text).not.toMatch(/Failed to fetch/);
    } finally {
      await app.browser.context.setOffline(false);
    }
    expect(app.log.filter((l) => l.includes('pageerror'))).toEqual([]);
  });
});
