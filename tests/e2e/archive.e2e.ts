/** Dropping archives: the huggingtweets table for two people, the merged bot, samples, bad files. */
import { describe, expect, it } from 'vitest';
import { appSession, archiveTable, archiveZip, dropArchives, person } from './flow';

const app = appSession();

describe('two archives', () => {
  it('shows one column per person with the exact counts, the merged bot name and samples', async () => {
    const alice = person('alice_bakes', 'Alice', 120, { retweets: 7, short: 5 });
    const bob = person('bob_rides', 'Bob B.', 60, { retweets: 3, short: 2, start: new Date('2022-05-01T00:00:00Z') });
    await dropArchives(app.page, [
      { name: 'twitter-alice.zip', buffer: await archiveZip(alice) },
      { name: 'twitter-bob.zip', buffer: await archiveZip(bob) },
    ], 2);
    const table = await archiveTable(app.page);
    expect(table['Tweets downloaded']).toEqual(['132', '65']);
    expect(table['Retweets']).toEqual(['7', '3']);
    expect(table['Short tweets']).toEqual(['5', '2']);
    expect(table['Tweets kept']).toEqual(['120', '60']);
    expect(table['Dates'][0]).toBe('2021-01-01 → 2021-01-06'); // hourly from Jan 1 09:00: the 120th is Jan 6 08:00
    const heads = await app.page.locator('#archive-table thead th').allTextContents();
    expect(heads[1]).toContain('@alice_bakes');
    expect(heads[2]).toContain('@bob_rides');
    expect(await app.page.locator('#bot-name').textContent()).toBe('Bot: alice_bakes-bob_rides');
    const samples = await app.page.locator('#samples blockquote').allTextContents();
    expect(samples.length).toBeGreaterThan(0);
    expect(samples.some((s) => s.startsWith('@alice_bakes: I really think'))).toBe(true);
    expect(samples.some((s) => s.startsWith('@bob_rides: I really think'))).toBe(true);
    expect(app.log.filter((l) => l.includes('pageerror'))).toEqual([]);
  });

  it('counts the same archive dropped twice once, and says so', async () => {
    const alice = person('alice_bakes', 'Alice', 120, { retweets: 7, short: 5 });
    await dropArchives(app.page, [{ name: 'twitter-alice-again.zip', buffer: await archiveZip(alice) }]);
    await expect.poll(() => app.page.locator('#archive-message').textContent()).toMatch(/already in the table; it counts once/);
    expect(await app.page.locator('#archive-table thead th').count()).toBe(3);
  });
});

describe('bad files', () => {
  it.each([
    ['not a zip', 'photo.zip', Buffer.from('GIF89a not really a zip at all'), /neither a Twitter\/X archive/],
    ['an empty file', 'empty.zip', Buffer.alloc(0), /empty/],
  ])('%s gives a clear message and keeps the table', async (_label, name, buffer, pattern) => {
    await dropArchives(app.page, [{ name, buffer }]);
    await expect.poll(() => app.page.locator('#archive-message').textContent()).toMatch(pattern);
    expect(await app.page.locator('#archive-message').getAttribute('class')).toContain('error');
    expect(await app.page.locator('#archive-table thead th').count()).toBe(3);
  });

  it('a truncated zip says it is damaged', async () => {
    const whole = await archiveZip(person('carol', 'Carol', 50));
    await dropArchives(app.page, [{ name: 'cut.zip', buffer: whole.subarray(0, Math.floor(whole.length / 2)) }]);
    await expect.poll(() => app.page.locator('#archive-message').textContent()).toMatch(/damaged|incomplete|truncated|corrupt/i);
    expect(await app.page.locator('#archive-table thead th').count()).toBe(3);
  });

  it('a zip that holds no tweets file names the problem', async () => {
    const { buildZip } = await import('../helpers/archives');
    const zip = Buffer.from(await buildZip({ 'data/direct-messages.js': 'window.YTD.direct_messages.part0 = []' }));
    await dropArchives(app.page, [{ name: 'dms-only.zip', buffer: zip }]);
    await expect.poll(() => app.page.locator('#archive-message').textContent()).toMatch(/tweet/i);
    expect(await app.page.locator('#archive-message').getAttribute('class')).toContain('error');
  });
});
