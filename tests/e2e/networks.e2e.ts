/**
 * One person on three networks: an X archive, a Bluesky export and a Mastodon archive dropped
 * together give a three-column table in each network's words, the page asks for the Bluesky
 * handle, and the merged bot trains a few steps on the fixture model and writes.
 */
import { expect, it } from 'vitest';
import { appSession, archiveTable, archiveZip, generateTweets, loadModel, person, setTrainSettings, stat, waitTrainingMessage } from './flow';
import { buildBlueskyCar, buildMastodonTarGz, linkFacet, mastodonActor, mastodonBoost, mastodonNote } from '../helpers/social';

const app = appSession();

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

it('reads X, Bluesky and Mastodon exports into one table, asks for the handle, trains and writes', async () => {
  await app.page.setInputFiles('#archive-input', [
    { name: 'twitter-xena.zip', mimeType: 'application/zip', buffer: await archiveZip(person('xena_x', 'Xena X', 60, { retweets: 3, short: 2 })) },
    { name: 'repo.car', mimeType: 'application/vnd.ipld.car', buffer: await blueskyExport() },
    { name: 'archive-20240101-abc.tar.gz', mimeType: 'application/gzip', buffer: await mastodonArchive() },
  ]);
  await expect.poll(() => app.page.locator('#archive-table thead th').count(), { timeout: 60_000 }).toBe(4);
  await app.page.waitForSelector('#archive-busy', { state: 'hidden' });

  const heads = await app.page.locator('#archive-table thead th').allTextContents();
  expect(heads[1]).toContain('@xena_x');
  expect(heads[1]).toContain('X');
  expect(heads[2]).toContain('Xena on Bluesky');
  expect(heads[2]).toContain('Bluesky');
  expect(heads[3]).toContain('@xena_m');
  expect(heads[3]).toContain('Mastodon');
  const table = await archiveTable(app.page);
  expect(table['Tweets / Posts downloaded']).toEqual(['65', '64', '51']);
  expect(table['Retweets / Reposts / Boosts']).toEqual(['3', '4', '1']);
  expect(table['Short tweets / posts']).toEqual(['2', '0', '0']);
  expect(table['Tweets / Posts kept']).toEqual(['60', '60', '50']);
  expect(table['Direct messages skipped']).toEqual(['0', '0', '2']);
  expect(await app.page.locator('body').textContent()).not.toContain('PRIVATE-DM-TEXT');
  // Until the handle is typed, the Bluesky column is named by its display name.
  expect(await app.page.locator('#bot-name').textContent()).toBe('Bot: Xena on Bluesky-xena_m-xena_x');

  // Trained before the handle is typed: the after-training figures are real, and the quality table
  // names the Bluesky person without an empty handle.
  expect(await loadModel(app.page)).toMatch(/is ready/);
  await setTrainSettings(app.page, { maxSteps: 3, batchSize: 2, blockSize: 32, epochs: 1, modelName: 'xena-everywhere' });
  await app.page.click('#train-button');
  await waitTrainingMessage(app.page, /^Done/);
  expect(await stat(app.page, 'Train loss')).toMatch(/^\d+\.\d+$/);
  expect(Number(await stat(app.page, 'Tokens/s'))).toBeGreaterThan(0);
  expect(await stat(app.page, 'Step')).toBe('3 / 3');
  const names = await app.page.locator('#quality-people tbody td:first-child').allTextContents();
  expect(names).toEqual(['Xena X (@xena_x)', 'Xena on Bluesky (no handle given)', 'Xena M (@xena_m)']);
  expect(await app.page.locator('#quality').textContent()).not.toContain('(@)');

  // The handle is not in the export: the page asks for it.
  const asked = new Promise<string>((resolve) => {
    app.page.once('dialog', (dialog) => {
      resolve(dialog.message());
      void dialog.accept('@xena.bsky.social');
    });
  });
  await app.page.click('#archive-table thead button:has-text("type the handle")');
  expect(await asked).toMatch(/Bluesky handle/);
  await expect.poll(() => app.page.locator('#archive-table thead th').nth(2).textContent()).toContain('@xena.bsky.social');
  expect(await app.page.locator('#bot-name').textContent()).toBe('Bot: xena.bsky.social-xena_m-xena_x');
  expect(await app.page.locator('#archive-table thead th').nth(2).textContent()).toContain('Xena on Bluesky');

  const written = await generateTweets(app.page, { prompt: 'Today I', count: 2, max: 8, seed: 3 });
  expect(written).toHaveLength(2);
  for (const text of written) expect(text.startsWith('Today I')).toBe(true);
  expect(app.log.filter((l) => l.includes('pageerror'))).toEqual([]);
});

it('says what is wrong with a CAR that is not a Bluesky export and a damaged .tar.gz, keeping the table', async () => {
  const notBluesky = Buffer.from(await buildBlueskyCar({ posts: [{ text: 'x', createdAt: '2024-01-01T00:00:00Z' }], fakeCommit: { name: 'an IPFS folder' } }));
  const damaged = await mastodonArchive();
  for (let i = 30; i < 80; i++) damaged[i] ^= 0x5a;
  await app.page.setInputFiles('#archive-input', [
    { name: 'photos.car', mimeType: 'application/vnd.ipld.car', buffer: notBluesky },
    { name: 'archive-broken.tar.gz', mimeType: 'application/gzip', buffer: damaged },
  ]);
  await expect.poll(() => app.page.locator('#archive-message').textContent()).toMatch(/not a Bluesky repository export[\s\S]*\.tar\.gz file cannot be read/);
  expect(await app.page.locator('#archive-message').getAttribute('class')).toContain('error');
  expect(await app.page.locator('#archive-table thead th').count()).toBe(4);
});
