/**
 * Every real export in ../shared/real, read as the page reads it. The figures are what this
 * reader's rules give (computed once, printed in the test names); the direct messages of the
 * Mastodon copies (their text replaced by a marker) must leave no trace in the result.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readArchive, type ParsedArchive } from '../../../src/archive/index';
import { REMOVED_DM_TEXT, realDir, realFile } from '../../helpers/real';

interface Expected {
  network: ParsedArchive['network'];
  username: string;
  displayName: string;
  accountId: string;
  stats: ParsedArchive['stats'];
  firstDate: string;
  lastDate: string;
  filesRead: string[];
  avatar: { fileName: string; mimeType: string; size: number } | null;
}

const DEALINGWITH: Omit<Expected, 'filesRead'> = {
  network: 'mastodon',
  username: 'dealingwith',
  displayName: 'dealingwith',
  accountId: 'https://indieweb.social/users/dealingwith',
  stats: { downloaded: 1551, retweets: 326, short: 91, kept: 1134, direct: 35 },
  firstDate: '2022-11-08T03:07:14.000Z',
  lastDate: '2024-07-23T18:39:06.000Z',
  avatar: { fileName: 'avatar.jpg', mimeType: 'image/jpeg', size: 50317 },
};
const PURPLERAIN: Omit<Expected, 'filesRead'> = {
  network: 'mastodon',
  username: 'purplerain',
  displayName: '希望我的烦恼可以如此实际就好了',
  accountId: 'https://o3o.ca/users/purplerain',
  stats: { downloaded: 1464, retweets: 51, short: 47, kept: 1366, direct: 9 },
  firstDate: '2021-03-28T02:57:55.000Z',
  lastDate: '2022-06-10T05:17:48.000Z',
  avatar: { fileName: 'avatar.jpeg', mimeType: 'image/jpeg', size: 75486 },
};

const EXPECTED: Record<string, Expected> = {
  'bsky-bsky.app.car': {
    network: 'bluesky',
    username: '',
    displayName: 'Bluesky',
    accountId: 'did:plc:z72i7hdynmk6r22z27h6tvur',
    stats: { downloaded: 519, retweets: 25, short: 9, kept: 485, direct: 0 },
    firstDate: '2023-04-12T17:36:42.427Z',
    lastDate: '2025-01-27T17:05:29.989Z',
    filesRead: ['app.bsky.actor.profile/self', 'app.bsky.feed.post/*'],
    avatar: null,
  },
  'bsky-wish.freakybob.site.car': {
    network: 'bluesky',
    username: '',
    displayName: 'Wish',
    accountId: 'did:plc:foxemuxgrwgjfj4v75tjeynd',
    stats: { downloaded: 197, retweets: 54, short: 46, kept: 97, direct: 0 },
    firstDate: '2024-05-12T00:58:56.564Z',
    lastDate: '2025-11-26T16:14:59.219Z',
    filesRead: ['app.bsky.actor.profile/self', 'app.bsky.feed.post/*'],
    avatar: null,
  },
  'mastodon-dealingwith.zip': { ...DEALINGWITH, filesRead: ['outbox.json', 'actor.json', 'avatar.jpg'] },
  'mastodon-dealingwith.tar.gz': { ...DEALINGWITH, filesRead: ['outbox.json', 'actor.json', 'avatar.jpg'] },
  'mastodon-purplerain.zip': { ...PURPLERAIN, filesRead: ['outbox.json', 'actor.json', 'avatar.jpeg'] },
  'mastodon-purplerain.tar.gz': { ...PURPLERAIN, filesRead: ['outbox.json', 'actor.json', 'avatar.jpeg'] },
  'x-milahu104.zip': {
    network: 'x',
    username: 'milahu104',
    displayName: 'Milan Hauth',
    accountId: '1964312974236991488',
    stats: { downloaded: 2045, retweets: 239, short: 135, kept: 1671, direct: 0 },
    firstDate: '2025-09-06T13:13:48.000Z',
    lastDate: '2026-03-06T12:56:28.000Z',
    filesRead: ['data/tweets.js', 'data/note-tweet.js', 'data/account.js'],
    avatar: null,
  },
};

/** Everything in the result as text (avatar bytes summarised). */
function everything(archive: ParsedArchive): string {
  return JSON.stringify(archive, (_key, value: unknown) => (value instanceof Uint8Array ? `[${value.length} bytes]` : value));
}

function title(name: string, e: Expected): string {
  const s = e.stats;
  const shared = e.network === 'x' ? 'retweets' : e.network === 'bluesky' ? 'reposts' : 'boosts';
  return `${name}: ${s.downloaded} downloaded, ${s.retweets} ${shared}, ${s.short} short, ${s.kept} kept, ${s.direct} direct messages skipped`;
}

describe('the real exports in ../shared/real', () => {
  it('are all covered here (a new file there needs its figures here)', () => {
    const files = readdirSync(realDir).filter((f) => f !== 'README.md').sort();
    expect(files).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(title(name, expected), async () => {
      const bytes = realFile(name);
      const started = performance.now();
      const archive = await readArchive(new Blob([bytes]));
      const ms = performance.now() - started;
      console.log(`${name} (${(bytes.length / 1e6).toFixed(2)} MB): read in ${ms.toFixed(0)} ms`);

      expect(archive.network).toBe(expected.network);
      expect(archive.username).toBe(expected.username);
      expect(archive.displayName).toBe(expected.displayName);
      expect(archive.accountId).toBe(expected.accountId);
      expect(archive.identity).toBe(`account:${expected.accountId}`);
      expect(archive.stats).toEqual(expected.stats);
      expect(archive.stats.kept).toBe(archive.stats.downloaded - archive.stats.retweets - archive.stats.short);
      expect(archive.tweets).toHaveLength(expected.stats.kept);
      expect(archive.firstDate).toBe(expected.firstDate);
      expect(archive.lastDate).toBe(expected.lastDate);
      expect(archive.filesRead).toEqual(expected.filesRead);
      expect(archive.avatar && { fileName: archive.avatar.fileName, mimeType: archive.avatar.mimeType, size: archive.avatar.bytes.length }).toEqual(expected.avatar);
      expect(archive.samples.length).toBe(5);

      // Cleaned as the rules say: no URL, no run of whitespace, no HTML left.
      for (const text of archive.tweets) {
        expect(text).not.toMatch(/https?:\/\/\S/); // (a post may spell out "https:// bsky . app": that stays)
        expect(text).not.toMatch(/\s{2,}|^\s|\s$|\u00a0/);
      }
      if (expected.network === 'mastodon') for (const text of archive.tweets) expect(text).not.toMatch(/<\/?(p|br|span|a)\b/);
      // No direct message's text anywhere in the result.
      expect(everything(archive)).not.toContain(REMOVED_DM_TEXT);
      expect(everything(archive)).not.toContain('direct message removed');
    });
  }

  it('the same Mastodon archive as .zip and as .tar.gz gives the same texts', async () => {
    for (const person of ['dealingwith', 'purplerain']) {
      const zip = await readArchive(realFile(`mastodon-${person}.zip`));
      const tar = await readArchive(realFile(`mastodon-${person}.tar.gz`));
      expect(tar.tweets).toEqual(zip.tweets);
      expect(tar.avatar?.bytes).toEqual(zip.avatar?.bytes);
    }
  });

  it('the mostly-Chinese archive keeps most posts with the spaceless-script word count (129 of 1,413 by whitespace words)', async () => {
    const archive = await readArchive(realFile('mastodon-purplerain.zip'));
    const posts = archive.stats.downloaded - archive.stats.retweets;
    expect(posts).toBe(1413);
    const byWhitespace = archive.tweets.filter((t) => t.split(/\s+/).filter((w) => w && !/http|@|#/i.test(w)).length >= 3).length;
    expect(byWhitespace).toBe(129);
    expect(archive.stats.kept).toBe(1366);
  });

  it('Bluesky: only app.bsky.feed.post records are posts, links in facets are gone', async () => {
    const archive = await readArchive(realFile('bsky-wish.freakybob.site.car'));
    // Shortened links ("github.com/wish13yt/…") are covered by link facets and removed.
    expect(archive.tweets.some((t) => t.includes('github.com/wish13yt'))).toBe(false);
    expect(archive.tweets.some((t) => t.startsWith('made a creative message encryption program'))).toBe(true);
  });
});
