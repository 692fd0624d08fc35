/**
 * One person on three networks: an X archive, a Bluesky export and a Mastodon archive dropped
 * together give a three-column table in each network's words, the page asks for the Bluesky
 * handle, and the merged bot trains a few steps on the fixture model and writes.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launch, watchConsole, type Browser } from './browser';
import { archiveTable, archiveZip, generateTweets, loadModel, openApp, person, setTrainSettings, waitTrainingMessage } from './flow';
import { startSite, type Site } from '../helpers/site';
import { buildBlueskyCar, buildMastodonTarGz, linkFacet, mastodonActor, mastodonBoost, mastodonNote } from '../helpers/social';

let site: Site;
let browser: Browser;
let page: Page;
let log: string[];

const TOPICS = ['tide pools', 'sourdough', 'night trains', 'moss', 'old maps', 'kites'];
const DM_TEXT = 'PRIVATE-DM-TEXT do not ever show this';

async function blueskyExport(): Promise<Buffer> {
  const posts = Array.from({ length: 60 }, (_, i) => {
    const text = `Today I keep thinking about ${TOPICS[i % TOPICS.length]}, thought ${i} of many, see example.org/p${i}...`;
    return { text, createdAt: new Date(Date.UTC(2024, 0, 1, i)).toISOString(), facets: [linkFacet(text, `example.org/p${i}...`, `https://example.org/p${i}`)] };
  });
  return Buffer.from(await buildBlueskyCar({ did: 'did:plc:xenaxenaxenaxenaxenaxena', displayName: 'Xena on Bluesky', posts, reposts: 4 }));
}

async function mastodonArchive(): Promise<Buffer> {
  const items = [
    ...Array.from({ length: 50 }, (_, i) =>
      mastodonNote({ content: `<p>A small note on ${TOPICS[i % TOPICS.length]}<br>and more, number ${i}</p>`, published: new Date(Date.UTC(2023, 5, 1, i)).toISOString() }),
    ),
    mastodonNote({ content: `<p>${DM_TEXT}</p>`, published: '2023-07-01T00:00:00Z', audience: 'direct' }),
    mastodonNote({ content: `<p>${DM_TEXT} again</p>`, published: '2023-07-02T00:00:00Z', audience: 'direct-empty' }),
    mastodonBoost({ published: '2023-07-03T00:00:00Z' }),
  ];
  return Buffer.from(await buildMastodonTarGz({ items, duplicateKey: true, actor: mastodonActor({ username: 'xena_m', name: 'Xena M' }) }));
}

beforeAll(async () => {
  site = await startSite();
  browser = await launch({ webgpu: false });
  page = await browser.context.newPage();
  log = watchConsole(page);
  await openApp(page, site.url);
});
afterAll(async () => {
  await browser?.dispose();
  await site?.close();
});

it('reads X, Bluesky and Mastodon exports into one table, asks for the handle, trains and writes', async () => {
  await page.setInputFiles('#archive-input', [
    { name: 'twitter-xena.zip', mimeType: 'application/zip', buffer: await archiveZip(person('xena_x', 'Xena X', 60, { retweets: 3, short: 2 })) },
    { name: 'repo.car', mimeType: 'application/vnd.ipld.car', buffer: await blueskyExport() },
    { name: 'archive-20240101-abc.tar.gz', mimeType: 'application/gzip', buffer: await mastodonArchive() },
  ]);
  await expect.poll(() => page.locator('#archive-table thead th').count(), { timeout: 60_000 }).toBe(4);
  await page.waitForSelector('#archive-busy', { state: 'hidden' });

  const heads = await page.locator('#archive-table thead th').allTextContents();
  expect(heads[1]).toContain('@xena_x');
  expect(heads[1]).toContain('X');
  expect(heads[2]).toContain('Xena on Bluesky');
  expect(heads[2]).toContain('Bluesky');
  expect(heads[3]).toContain('@xena_m');
  expect(heads[3]).toContain('Mastodon');
  const table = await archiveTable(page);
  expect(table['Tweets / Posts downloaded']).toEqual(['65', '64', '51']);
  expect(table['Retweets / Reposts / Boosts']).toEqual(['3', '4', '1']);
  expect(table['Short tweets / posts']).toEqual(['2', '0', '0']);
  expect(table['Tweets / Posts kept']).toEqual(['60', '60', '50']);
  expect(table['Direct messages skipped']).toEqual(['0', '0', '2']);
  expect(await page.locator('body').textContent()).not.toContain('PRIVATE-DM-TEXT');
  // Until the handle is typed, the Bluesky column is named by its display name.
  expect(await page.locator('#bot-name').textContent()).toBe('Bot: Xena on Bluesky-xena_m-xena_x');

  // The handle is not in the export: the page asks for it.
  const asked = new Promise<string>((resolve) => {
    page.once('dialog', (dialog) => {
      resolve(dialog.message());
      void dialog.accept('@xena.bsky.social');
    });
  });
  await page.click('#archive-table thead button:has-text("type the handle")');
  expect(await asked).toMatch(/Bluesky handle/);
  await expect.poll(() => page.locator('#archive-table thead th').nth(2).textContent()).toContain('@xena.bsky.social');
  expect(await page.locator('#bot-name').textContent()).toBe('Bot: xena.bsky.social-xena_m-xena_x');
  expect(await page.locator('#archive-table thead th').nth(2).textContent()).toContain('Xena on Bluesky');

  expect(await loadModel(page)).toMatch(/is ready/);
  await setTrainSettings(page, { maxSteps: 3, batchSize: 2, blockSize: 32, epochs: 1, modelName: 'xena-everywhere' });
  await page.click('#train-button');
  await waitTrainingMessage(page, /^Done/);
  const written = await generateTweets(page, { prompt: 'Today I', count: 2, max: 8, seed: 3 });
  expect(written).toHaveLength(2);
  for (const text of written) expect(text.startsWith('Today I')).toBe(true);
  expect(log.filter((l) => l.includes('pageerror'))).toEqual([]);
});

it('says what is wrong with a CAR that is not a Bluesky export and a damaged .tar.gz, keeping the table', async () => {
  const notBluesky = Buffer.from(await buildBlueskyCar({ posts: [{ text: 'x', createdAt: '2024-01-01T00:00:00Z' }], fakeCommit: { name: 'an IPFS folder' } }));
  const damaged = await mastodonArchive();
  for (let i = 30; i < 80; i++) damaged[i] ^= 0x5a;
  await page.setInputFiles('#archive-input', [
    { name: 'photos.car', mimeType: 'application/vnd.ipld.car', buffer: notBluesky },
    { name: 'archive-broken.tar.gz', mimeType: 'application/gzip', buffer: damaged },
  ]);
  await expect.poll(() => page.locator('#archive-message').textContent()).toMatch(/not a Bluesky repository export[\s\S]*\.tar\.gz file cannot be read/);
  expect(await page.locator('#archive-message').getAttribute('class')).toContain('error');
  expect(await page.locator('#archive-table thead th').count()).toBe(4);
});
