import { describe, expect, it } from 'vitest';
import { ArchiveError, readArchive, readArchiveFolder, type ParsedArchive } from '../../../src/archive/index';
import {
  buildArchive,
  buildArchiveFolder,
  buildZip,
  cutLongText,
  tweetEntry,
  ytdFile,
  type ArchiveOptions,
  type SyntheticTweet,
} from '../../helpers/archives';
import { archiveFailure } from '../../helpers/archive-failure';

/** Eight tweets: 1 retweet, 2 short, 5 kept (texts below, oldest first). */
const TWEETS: SyntheticTweet[] = [
  { id: '1590000000000000010', createdAt: '2022-11-16T10:00:00Z', text: 'Baking bread today, the kitchen smells amazing' },
  { id: '1590000000000000011', createdAt: '2022-11-16T11:00:00Z', text: 'RT @bob: my sourdough starter is alive' },
  { id: '1590000000000000012', createdAt: '2022-11-16T12:00:00Z', text: 'yes!', reply: 'pal' },
  { id: '1590000000000000013', createdAt: '2022-11-16T13:00:00Z', text: 'nice:https://t.co/x one two' },
  { id: '1590000000000000014', createdAt: '2022-11-16T14:00:00Z', text: 'I typed &lt; on purpose & laughed' },
  { id: '1590000000000000015', createdAt: '2022-11-16T15:00:00Z', text: 'Check this https://example.com/a' },
  { id: '1590000000000000016', createdAt: '2022-11-16T16:00:00Z', text: 'that cake looks wonderful, recipe please?', reply: 'carol' },
  { id: '1590000000000000017', createdAt: '2022-11-16T17:00:00Z', text: 'line one\n\nline   two here' },
];
const KEPT = [
  'Baking bread today, the kitchen smells amazing',
  'nice: one two',
  'I typed &lt; on purpose & laughed',
  '@carol that cake looks wonderful, recipe please?',
  'line one line two here',
];
const STATS = { downloaded: 8, retweets: 1, short: 2, kept: 5, direct: 0 };
const MEDIA = {
  'data/tweets_media/1590000000000000010-abc.jpg': new Uint8Array(2048).fill(7),
  'data/direct-messages.js': 'window.YTD.direct_messages.part0 = [ {"secret": true} ]',
  'data/like.js': 'window.YTD.like.part0 = []',
};
const ALICE: ArchiveOptions = { username: 'alice', displayName: 'Alice A.', accountId: '4242', tweets: TWEETS, extraEntries: MEDIA };

const failure = archiveFailure;

const fromZip = async (options: ArchiveOptions) => readArchive(new Blob([await buildArchive(options)]));

describe('readArchive: a zip', () => {
  it('counts and cleans per the rules, oldest first, reading only the needed entries', async () => {
    const archive = await fromZip(ALICE);
    expect(archive.stats).toEqual(STATS);
    expect(archive.tweets).toEqual(KEPT);
    expect(archive.username).toBe('alice');
    expect(archive.displayName).toBe('Alice A.');
    expect(archive.accountId).toBe('4242');
    expect(archive.identity).toBe('account:4242');
    expect(archive.firstDate).toBe('2022-11-16T10:00:00.000Z');
    expect(archive.lastDate).toBe('2022-11-16T17:00:00.000Z');
    expect(archive.samples).toEqual(KEPT);
    // account.js gave every name, so manifest.js was not even opened; media, DMs, likes never.
    expect(archive.filesRead).toEqual(['data/tweets.js', 'data/account.js']);
    expect(archive.tweetDates).toEqual(['2022-11-16T10:00:00.000Z', '2022-11-16T13:00:00.000Z', '2022-11-16T14:00:00.000Z', '2022-11-16T16:00:00.000Z', '2022-11-16T17:00:00.000Z']);
    expect(archive.avatar).toBeNull();
  });

  it('reads the profile picture from data/profile_media/ (that one file of the media), from a zip and a folder', async () => {
    const picture = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) % 256);
    const options = { ...ALICE, extraEntries: { ...MEDIA, 'data/profile_media/4242-me.jpg': picture } };
    for (const archive of [await fromZip(options), await readArchiveFolder(buildArchiveFolder(options))]) {
      expect(archive.avatar?.fileName).toBe('4242-me.jpg');
      expect(archive.avatar?.mimeType).toBe('image/jpeg');
      expect(Array.from(archive.avatar?.bytes ?? [])).toEqual(Array.from(picture));
      expect(archive.filesRead.filter((f) => !/(tweets|account)\.js$/.test(f))).toEqual([expect.stringMatching(/data\/profile_media\/4242-me\.jpg$/)]);
    }
  });

  it('reads a Uint8Array like a Blob', async () => {
    const archive = await readArchive(await buildArchive(ALICE));
    expect(archive.stats).toEqual(STATS);
  });

  it('ignores a BOM, CRLF line ends and a trailing ";" in tweets.js', async () => {
    const archive = await fromZip({ ...ALICE, format: { bom: true, crlf: true, semicolon: true } });
    expect(archive.stats).toEqual(STATS);
    expect(archive.tweets).toEqual(KEPT);
  });

  it('reads tweets-partN files and counts a tweet present in two parts once', async () => {
    const extra = { id: '1590000000000000018', createdAt: '2022-11-16T18:00:00Z', text: 'one more proper tweet here' };
    const part2 = ytdFile('tweets', [tweetEntry(TWEETS[0]), tweetEntry(extra), tweetEntry(TWEETS[7])], { part: 2 });
    const archive = await fromZip({ ...ALICE, parts: 2, extraEntries: { ...MEDIA, 'data/tweets-part2.js': part2 } });
    expect(archive.stats).toEqual({ downloaded: 9, retweets: 1, short: 2, kept: 6, direct: 0 });
    expect(archive.tweets).toEqual([...KEPT, 'one more proper tweet here']);
    expect(archive.filesRead).toEqual(['data/tweets.js', 'data/tweets-part1.js', 'data/tweets-part2.js', 'data/account.js']);
  });

  it('reads the older data/tweet.js', async () => {
    const archive = await fromZip({ ...ALICE, oldName: true });
    expect(archive.stats).toEqual(STATS);
    expect(archive.filesRead[0]).toBe('data/tweet.js');
  });

  it('finds data/ under a top folder', async () => {
    const archive = await fromZip({ ...ALICE, root: 'twitter-2022-11-16-abc' });
    expect(archive.stats).toEqual(STATS);
    expect(archive.filesRead).toEqual(['twitter-2022-11-16-abc/data/tweets.js', 'twitter-2022-11-16-abc/data/account.js']);
  });

  it('orders by created_at, then by id as a number within a second', async () => {
    const same = '2021-05-05T05:05:05Z';
    const archive = await fromZip({
      tweets: [
        { id: '100', createdAt: same, text: 'third: id one hundred here' },
        { id: '99', createdAt: same, text: 'second: id ninety nine here' },
        { id: '5', createdAt: '2021-05-05T05:05:06Z', text: 'fourth: smallest id, latest second' },
        { id: '7000', createdAt: '2020-01-01T00:00:00Z', text: 'first: oldest of them all' },
      ],
    });
    expect(archive.tweets.map((t) => t.split(':')[0])).toEqual(['first', 'second', 'third', 'fourth']);
  });

  it('replaces a cut long tweet by its note, matching two tweets of the same second by prefix', async () => {
    const second = '2023-02-02T20:20:20Z';
    const apples = 'Apples are the best fruit for baking, and here is why: '.repeat(8) + 'the end of apples.';
    const bread = 'Bread is the best thing to bake at home, and here is why: '.repeat(8) + 'the end of bread.';
    const archive = await fromZip({
      ...ALICE,
      tweets: [
        { id: '1621000000000000001', createdAt: second, text: apples, long: true },
        { id: '1621000000000000002', createdAt: second, text: bread, long: true },
        { id: '1621000000000000003', createdAt: '2023-02-02T20:20:21Z', text: 'a normal tweet after them' },
      ],
      notes: [{ text: 'An orphan note with no tweet of its own, ignored entirely.', createdAt: second }],
    });
    expect(archive.stats).toEqual({ downloaded: 3, retweets: 0, short: 0, kept: 3, direct: 0 });
    expect(archive.tweets).toEqual([apples.trim(), bread.trim(), 'a normal tweet after them']);
    expect(archive.filesRead).toEqual(['data/tweets.js', 'data/note-tweet.js', 'data/account.js']);
  });

  it('keeps the cut copy, link removed, when note-tweet.js is absent', async () => {
    const cut = cutLongText('Word '.repeat(80) + 'end', '1');
    expect(cut).toMatch(/^(Word ){53}Word… https:\/\/t\.co\/\w{10}$/);
    const archive = await fromZip({ tweets: [{ id: '1', createdAt: '2023-01-01T00:00:00Z', text: cut }], noAccount: true });
    expect(archive.tweets).toEqual([`${'Word '.repeat(53)}Word…`]);
    expect(archive.filesRead).toEqual(['data/tweets.js']);
  });

  it('takes the names from manifest.js when there is no account.js', async () => {
    const archive = await fromZip({ ...ALICE, useManifest: true, manifestUser: { userName: 'alice_m', displayName: 'Alice M', accountId: '77' } });
    expect([archive.username, archive.displayName, archive.accountId]).toEqual(['alice_m', 'Alice M', '77']);
    expect(archive.filesRead).toEqual(['data/tweets.js', 'data/manifest.js']);
  });

  it('lets account.js win over manifest.js', async () => {
    const archive = await fromZip({ ...ALICE, manifestUser: { userName: 'not_alice', displayName: 'Not Alice', accountId: '1' } });
    expect([archive.username, archive.displayName, archive.accountId]).toEqual(['alice', 'Alice A.', '4242']);
  });

  it('fills a field account.js lacks from manifest.js', async () => {
    const archive = await fromZip({ ...ALICE, displayName: '', manifestUser: { userName: 'x', displayName: 'From Manifest', accountId: '1' } });
    expect([archive.username, archive.displayName, archive.accountId]).toEqual(['alice', 'From Manifest', '4242']);
    expect(archive.filesRead).toEqual(['data/tweets.js', 'data/account.js', 'data/manifest.js']);
  });

  it('has empty names and a tweet-id identity without account.js or manifest.js', async () => {
    const archive = await fromZip({ ...ALICE, noAccount: true });
    expect([archive.username, archive.displayName, archive.accountId]).toEqual(['', '', '']);
    expect(archive.identity).toMatch(/^tweets:[0-9a-f]{14}$/);
    expect((await fromZip({ ...ALICE, noAccount: true, extraEntries: {} })).identity).toBe(archive.identity);
    expect((await fromZip({ ...ALICE, noAccount: true, tweets: TWEETS.slice(1) })).identity).not.toBe(archive.identity);
  });

  it('reads a Zip64 zip', async () => {
    const archive = await fromZip({ ...ALICE, zip64: true });
    expect(archive.stats).toEqual(STATS);
  });

  it('reads an archive of only retweets with kept 0, without throwing', async () => {
    const archive = await fromZip({
      tweets: [
        { id: '1', createdAt: '2022-01-01T00:00:00Z', text: 'RT @a: one two three four' },
        { id: '2', createdAt: '2022-01-02T00:00:00Z', text: 'RT @b: five six seven eight' },
        { id: '3', createdAt: '2022-01-03T00:00:00Z', text: 'RT @c: nine ten eleven twelve' },
      ],
    });
    expect(archive.stats).toEqual({ downloaded: 3, retweets: 3, short: 0, kept: 0, direct: 0 });
    expect(archive.tweets).toEqual([]);
    expect(archive.samples).toEqual([]);
    expect(archive.firstDate).toBeNull();
    expect(archive.lastDate).toBeNull();
  });

  it('spreads samples over time', async () => {
    const tweets = Array.from({ length: 21 }, (_, i) => ({
      id: String(1000 + i),
      createdAt: new Date(Date.UTC(2020, 0, 1 + i)),
      text: `tweet number ${i} of the day`,
    }));
    const archive = await fromZip({ tweets });
    expect(archive.samples).toEqual([0, 5, 10, 15, 20].map((i) => `tweet number ${i} of the day`));
  });
});

describe('readArchive: a loose tweets.js', () => {
  const text = ytdFile('tweets', TWEETS.map(tweetEntry), { bom: true, crlf: true, semicolon: true });

  it('reads it with empty names', async () => {
    const archive = await readArchive(new TextEncoder().encode(text));
    expect(archive.stats).toEqual(STATS);
    expect(archive.tweets).toEqual(KEPT);
    expect([archive.username, archive.displayName, archive.accountId]).toEqual(['', '', '']);
    expect(archive.filesRead).toEqual(['tweets.js']);
    expect(archive.identity).toMatch(/^tweets:/);
  });

  it('names a dropped File by its name, and names it in a JSON error', async () => {
    const archive = await readArchive(new File([text], 'tweets-part3.js'));
    expect(archive.filesRead).toEqual(['tweets-part3.js']);
    const error = await failure(readArchive(new File(['window.YTD.tweets.part0 = [ {"tweet": {'], 'my-tweets.js')));
    expect(error.code).toBe('bad-json');
    expect(error.message).toMatch(/^my-tweets\.js is damaged/);
  });

  it('refuses another archive file dropped alone', async () => {
    const error = await failure(readArchive(new TextEncoder().encode('window.YTD.like.part0 = []')));
    expect(error.code).toBe('no-tweets-file');
    expect(error.message).toMatch(/like data/);
  });

  it('gives the same identity to the same file dropped twice', async () => {
    const a = await readArchive(new TextEncoder().encode(text));
    const b = await readArchive(new Blob([text]));
    expect(b.identity).toBe(a.identity);
  });
});

describe('readArchiveFolder', () => {
  it('reads a dropped extracted folder, finding data/ under its top folder', async () => {
    const archive = await readArchiveFolder(buildArchiveFolder(ALICE));
    expect(archive.stats).toEqual(STATS);
    expect(archive.tweets).toEqual(KEPT);
    expect(archive.username).toBe('alice');
    expect(archive.filesRead).toEqual(['twitter-2022-11-16-abc123/data/tweets.js', 'twitter-2022-11-16-abc123/data/account.js']);
  });

  it('refuses a folder without tweets, and an empty one', async () => {
    const folder = buildArchiveFolder(ALICE).filter((f) => !f.path.endsWith('/tweets.js'));
    const error = await failure(readArchiveFolder(folder));
    expect(error.code).toBe('no-tweets-file');
    expect(error.message).toMatch(/archive folder has no tweets file/);
    expect((await failure(readArchiveFolder([]))).code).toBe('not-archive');
  });
});

describe('readArchive: bad input', () => {
  it('refuses an empty file, text and an image as not an archive', async () => {
    expect((await failure(readArchive(new Uint8Array(0)))).code).toBe('not-archive');
    expect((await failure(readArchive(new TextEncoder().encode('hello, this is a note to self')))).code).toBe('not-archive');
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    const error = await failure(readArchive(new Blob([png])));
    expect(error.code).toBe('not-archive');
    expect(error.message).toMatch(/neither a Twitter\/X archive/);
  });

  it('refuses a zip with no tweets file, saying whether it looks like an archive at all', async () => {
    const photos = await failure(readArchive(await buildZip({ 'holiday/photo.jpg': new Uint8Array(64) })));
    expect(photos.code).toBe('no-tweets-file');
    expect(photos.message).toMatch(/is not a Twitter\/X archive/);
    const withoutTweets = await buildZip({ 'data/manifest.js': 'window.__THAR_CONFIG = {}', 'data/like.js': 'window.YTD.like.part0 = []' });
    const archive = await failure(readArchive(withoutTweets));
    expect(archive.code).toBe('no-tweets-file');
    expect(archive.message).toMatch(/archive zip has no tweets file/);
    expect((await failure(readArchive(await buildZip({})))).code).toBe('no-tweets-file');
  });

  it('refuses a truncated zip as corrupt', async () => {
    const zip = await buildArchive(ALICE);
    for (const length of [Math.floor(zip.length / 2), zip.length - 10, 30]) {
      const error = await failure(readArchive(zip.slice(0, length)));
      expect(error.code).toBe('corrupt');
      expect(error.message).toMatch(/incomplete or damaged/);
    }
  });

  it('refuses a damaged tweets.js entry (checksum) as corrupt, naming the entry', async () => {
    const zip = await buildArchive({ ...ALICE, level: 0 });
    const at = findBytes(zip, new TextEncoder().encode('Baking bread'));
    expect(at).toBeGreaterThan(0);
    const damaged = zip.slice();
    damaged[at] ^= 0x20; // 'B' -> 'b': still valid JSON, only the CRC can tell
    const error = await failure(readArchive(damaged));
    expect(error.code).toBe('corrupt');
    expect(error.message).toMatch(/^data\/tweets\.js inside the zip is damaged/);
  });

  it('refuses a damaged deflate stream as corrupt', async () => {
    const zip = await buildArchive({ ...ALICE, extraEntries: {} });
    const header = findBytes(zip, new TextEncoder().encode('data/tweets.js'));
    const damaged = zip.slice();
    for (let i = header + 40; i < header + 80; i++) damaged[i] ^= 0xff;
    const error = await failure(readArchive(damaged));
    expect(['corrupt', 'bad-json']).toContain(error.code);
  });

  it('names the file whose JSON does not parse', async () => {
    const broken = 'window.YTD.tweets.part1 = [ {"tweet": {"id_str": "1", ';
    const error = await failure(fromZip({ ...ALICE, parts: 1, extraEntries: { 'data/tweets-part1.js': broken } }));
    expect(error.code).toBe('bad-json');
    expect(error.message).toMatch(/^data\/tweets-part1\.js is damaged: its contents are not valid JSON/);
    const notes = await failure(fromZip({ ...ALICE, extraEntries: { 'data/note-tweet.js': 'window.YTD.note_tweet.part0 = [{' } }));
    expect(notes.code).toBe('bad-json');
    expect(notes.message).toMatch(/^data\/note-tweet\.js/);
  });

  it('refuses an archive with no tweets at all', async () => {
    const error = await failure(fromZip({ ...ALICE, tweets: [] }));
    expect(error.code).toBe('no-tweets');
    expect(error.message).toMatch(/no tweets at all/);
    // Entries with no text are not tweets either.
    const junk = ytdFile('tweets', [{ tweet: { id_str: '1' } }, 42, null]);
    expect((await failure(readArchive(new TextEncoder().encode(junk)))).code).toBe('no-tweets');
  });

  it('refuses a password-protected zip (AES and ZipCrypto)', async () => {
    for (const zipCrypto of [false, true]) {
      const error = await failure(fromZip({ ...ALICE, password: 'hunter2', zipCrypto }));
      expect(error.code).toBe('encrypted');
      expect(error.message).toMatch(/protected by a password/);
    }
  });

  it('keeps ArchiveError an Error with a code', async () => {
    const error = await failure(readArchive(new Uint8Array(0)));
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ArchiveError');
  });
});

function findBytes(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

export type { ParsedArchive };
