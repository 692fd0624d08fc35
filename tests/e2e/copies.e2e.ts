/**
 * Does the bot copy you, and is it any good? The tiny fixture model trained for many epochs at a
 * high learning rate on two very repetitive archives memorises their tweets: the page flags the
 * copies with the right original and its date, "only new tweets" replaces them, the quality
 * figures show per person, the export's card carries the before/after losses, the copy count and
 * the avatar, and the "Real or bot?" game keeps score. A merged run resumed in a new page still
 * reports each person's loss before training.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { launch } from './browser';
import { appSession, currentStep, dropArchives, generateTweets, loadModel, openApp, setTrainSettings, waitTrainingMessage } from './flow';
import { buildArchive, type SyntheticTweet } from '../helpers/archives';
import { readExportZip } from '../../src/export/exportZip';
import { BlobReader, ZipReader } from '@zip.js/zip.js';

const ALICE = ['my cat sleeps on the warm laptop every single morning', 'rain again so I stayed in and read a good book'];
const BOB = ['the soup tastes better on the second day always', 'coffee first then the emails then maybe the world'];
const START = Date.parse('2021-05-01T08:00:00Z');
/** A 1×1 PNG: the profile picture in alice's data/profile_media/. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

function tweets(texts: string[], n: number, idBase: number): SyntheticTweet[] {
  return Array.from({ length: n }, (_, i) => ({ id: String(idBase + i), text: texts[i % texts.length], createdAt: new Date(START + i * 3_600_000) }));
}
/** The date the page must show for a kept text: its oldest tweet (the lowest index of the oldest-first list). */
const firstDate = (texts: string[], text: string) => new Date(START + texts.indexOf(text) * 3_600_000).toISOString().slice(0, 10);

const app = appSession({ acceptDialogs: true });

it('flags memorised tweets with their original, replaces them on request, and reports quality in the page and the card', async () => {
  const alice = await buildArchive({ username: 'alice_cat', displayName: 'Alice', accountId: '71', tweets: tweets(ALICE, 60, 5000), extraEntries: { 'data/profile_media/71-me.png': new Uint8Array(PNG), 'data/tweets_media/5000-x.jpg': new Uint8Array(64) } });
  const bob = await buildArchive({ username: 'bob_soup', displayName: 'Bob', accountId: '72', tweets: tweets(BOB, 60, 9000) });
  await dropArchives(app.page, [{ name: 'alice.zip', buffer: Buffer.from(alice) }, { name: 'bob.zip', buffer: Buffer.from(bob) }], 2);

  // Alice's avatar shows in the table, from a blob: URL; Bob has none.
  const avatar = app.page.locator('#archive-table thead img.person-avatar');
  expect(await avatar.count()).toBe(1);
  expect(await avatar.getAttribute('src')).toMatch(/^blob:/);
  await expect.poll(() => avatar.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(1);

  expect(await loadModel(app.page)).toMatch(/is ready/);
  await setTrainSettings(app.page, { epochs: 8, learningRate: 0.01, batchSize: 2, microBatch: 2, blockSize: 32, maxSteps: 0, modelName: 'copycat' });
  await app.page.click('#train-button');
  const done = await waitTrainingMessage(app.page, /^Done: validation loss/, 280_000);
  const [before, after] = /validation loss (\d+\.\d+) before → (\d+\.\d+) after/.exec(done)!.slice(1).map(Number);
  expect(after).toBeLessThan(before);

  // Quality under the training panel: per person, and the seeded tweets' copy count.
  await expect.poll(() => app.page.locator('#quality').isVisible(), { timeout: 30_000 }).toBe(true);
  const people = await app.page.locator('#quality-people tbody tr').allTextContents();
  expect(people).toHaveLength(2);
  expect(people[0]).toMatch(/Alice \(@alice_cat\)\d+\d\.\d{3} \(perplexity [\d.]+\)\d\.\d{3} \(perplexity [\d.]+\)/);
  const seededCopies = Number(/^(\d+) of the 20 seeded tweets/.exec((await app.page.locator('#quality-copies').textContent()) ?? '')![1]);
  expect(seededCopies).toBeGreaterThan(0); // it memorised

  // Without "only new tweets": copies are flagged with the original and its date.
  await app.page.locator('#only-new').uncheck();
  const plain = await generateTweets(app.page, { count: 6, max: 24, seed: 42, temperature: 1 });
  const cards = app.page.locator('.tweet');
  const flagged: number[] = [];
  for (let i = 0; i < plain.length; i++) {
    const card = cards.nth(i);
    if ((await card.getAttribute('data-copies')) !== 'yes') continue;
    flagged.push(i);
    expect(await card.locator('.badge.copies').textContent()).toBe('copies');
    const original = ((await card.locator('.original').textContent()) ?? '').trim();
    const owner = ALICE.includes(original) ? ALICE : BOB;
    expect(owner).toContain(original);
    expect(await card.locator('.copy-note time').textContent()).toBe(firstDate(owner, original));
    // The generated words hold a long run of the original's.
    const words = (s: string) => s.toLowerCase().match(/[a-z']+/g) ?? [];
    const run = Number(/ (\d+) of its \d+ words/.exec((await card.locator('.copy-note').textContent()) ?? '')![1]);
    expect(run).toBeGreaterThanOrEqual(Math.min(8, Math.ceil(0.8 * words(plain[i]).length)));
  }
  expect(flagged.length).toBeGreaterThan(0);
  expect(await app.page.locator('#copy-count').textContent()).toContain(`${flagged.length} of the 6 tweets shown`);

  // "Only new tweets" (back on): the same seeds, copies replaced by fresh samples, or it says it gave up.
  await app.page.locator('#only-new').check();
  const fresh = await generateTweets(app.page, { count: 6, max: 24, seed: 42, temperature: 1 });
  let replaced = 0;
  let gaveUp = 0;
  for (let i = 0; i < fresh.length; i++) {
    const card = cards.nth(i);
    const copies = (await card.getAttribute('data-copies')) === 'yes';
    if (copies) expect(await card.locator('.gave-up').count(), `card ${i} copies without saying it gave up`).toBe(1);
    if (copies) gaveUp++;
    if (!flagged.includes(i)) expect(fresh[i]).toBe(plain[i]); // a new tweet stays as it was
    else {
      replaced++;
      if (!copies) expect(await card.locator('.copy-note.replaced').textContent()).toMatch(/replaced/);
    }
  }
  expect(replaced).toBe(flagged.length);
  const countLine = (await app.page.locator('#copy-count').textContent()) ?? '';
  expect(countLine).toMatch(/replaced by new samples/);
  expect(countLine).toMatch(gaveUp === 0 ? /^None of the 6 tweets shown copies/ : new RegExp(`^${gaveUp} of the 6 tweets shown .*gave up on ${gaveUp}`));

  console.log(`[copies e2e] loss ${before} → ${after}; seeded copies ${seededCopies}/20; plain run: ${flagged.length}/6 copies; only new: ${replaced} replaced, ${gaveUp} gave up`);

  // The exported card: before/after losses (per person), the copy count and the avatar beside README.md.
  const entry = app.page.locator('#library-list li[data-kind="finetuned"]').first();
  const [download] = await Promise.all([app.page.waitForEvent('download'), entry.locator('button', { hasText: 'Export' }).click()]);
  const bytes = new Uint8Array(readFileSync((await download.path())!));
  const card = (await readExportZip(bytes)).card ?? "";
  expect(card).toMatch(/\| Validation loss before \| \d+\.\d{4} \(perplexity [\d.]+\) \|/);
  expect(card).toMatch(/\| Validation loss after \| \d+\.\d{4} \(perplexity [\d.]+\) \|/);
  expect(card).toMatch(/\| Alice \(@alice\\_cat\) \| \d+ \| \d+\.\d{4} \(perplexity [\d.]+\) \| \d+\.\d{4} \(perplexity [\d.]+\) \|/);
  expect(card).toMatch(/\| Bob \(@bob\\_soup\) \| \d+ \|/);
  expect(card).toContain(`**Copies: ${seededCopies} of 20** seeded tweets`);
  expect(card.split('\n').filter((l) => l.startsWith('- seed '))).toHaveLength(5);
  expect(card).toContain('<img src="avatar-alice_cat.png" alt="@alice_cat"');
  const names = (await new ZipReader(new BlobReader(new Blob([bytes]))).getEntries()).map((e) => e.filename);
  expect(names).toContain('avatar-alice_cat.png');

  // Real or bot?: two tweets, one held out from training; a guess is scored.
  await app.page.click('#game-play');
  await expect.poll(() => app.page.locator('#game-pair .choice').count(), { timeout: 60_000 }).toBe(2);
  const shown = await app.page.locator('#game-pair .choice').allTextContents();
  expect(shown.some((t) => [...ALICE, ...BOB].includes(t))).toBe(true);
  await app.page.locator('#game-pair .choice').first().click();
  expect(await app.page.locator('#game-score').textContent()).toMatch(/^Score: [01] of 1$/);
  expect(await app.page.locator('#game-pair .choice.real').count()).toBe(1);
  expect(app.log.filter((l) => l.includes('pageerror'))).toEqual([]);
});

it('a merged run resumed after a reload still reports each person’s loss before training', async () => {
  const other = await launch({ webgpu: false });
  try {
    let tab = await other.context.newPage();
    await openApp(tab, app.site.url);
    const alice = await buildArchive({ username: 'alice_cat', displayName: 'Alice', accountId: '71', tweets: tweets(ALICE, 60, 5000) });
    const bob = await buildArchive({ username: 'bob_soup', displayName: 'Bob', accountId: '72', tweets: tweets(BOB, 60, 9000) });
    await dropArchives(tab, [{ name: 'alice.zip', buffer: Buffer.from(alice) }, { name: 'bob.zip', buffer: Buffer.from(bob) }], 2);
    expect(await loadModel(tab)).toMatch(/is ready/);
    await setTrainSettings(tab, { epochs: 2, batchSize: 2, blockSize: 32, maxSteps: 12, modelName: 'resumed-pair' });
    const why = await tab.locator('#train-button').getAttribute('title');
    expect(await tab.locator('#train-button').isEnabled(), `Start training is disabled: ${why} ${await tab.locator('#train-message').textContent()}`).toBe(true);
    await tab.click('#train-button');
    await expect.poll(() => currentStep(tab), { timeout: 120_000, interval: 200 }).toBeGreaterThanOrEqual(1);
    await tab.click('#pause-button');
    await waitTrainingMessage(tab, /Checkpoint saved at step \d+/, 120_000);

    // A new page: the run before it measured the per-person losses; this one only resumes.
    const profile = other.profileDir;
    await other.close();
    const again = await launch({ webgpu: false, profileDir: profile });
    try {
      tab = await again.context.newPage();
      await openApp(tab, app.site.url);
      await expect.poll(() => tab.locator('#resume-banner').isVisible(), { timeout: 30_000 }).toBe(true);
      await tab.click('#resume-button');
      await waitTrainingMessage(tab, /^Done: validation loss/, 280_000);
      await expect.poll(() => tab.locator('#quality').isVisible(), { timeout: 30_000 }).toBe(true);
      const rows = tab.locator('#quality-people tbody tr');
      expect(await rows.count()).toBe(2);
      for (const [i, who] of ['Alice (@alice_cat)', 'Bob (@bob_soup)'].entries()) {
        const [name, valTweets, before, after] = await rows.nth(i).locator('th, td').allTextContents();
        expect(name).toBe(who);
        expect(Number(valTweets)).toBeGreaterThan(0);
        // Measured by the page that started the run, kept with the checkpoint: not "—".
        expect(before).toMatch(/^\d+\.\d{3} \(perplexity [\d.]+\)$/);
        expect(after).toMatch(/^\d+\.\d{3} \(perplexity [\d.]+\)$/);
      }
    } finally {
      await again.dispose();
    }
  } finally {
    await other.dispose();
  }
});
