/**
 * Whatever is dropped, readArchive ends in a ParsedArchive or an ArchiveError: never another
 * exception type, never a hang. Fixed seeds, bounded runs.
 */
import { fuzzParams } from '../../helpers/fuzz';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArchiveError, readArchive, type ParsedArchive } from '../../../src/archive/index';
import { buildArchive, tweetEntry, ytdFile, type SyntheticTweet } from '../../helpers/archives';

const SEED = 20221116;
const PER_INPUT_MS = 5000;

type Outcome = { ok: ParsedArchive } | { error: ArchiveError };

async function outcome(input: Uint8Array, asBlob: boolean): Promise<Outcome> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`readArchive hung on ${input.length} bytes`)), PER_INPUT_MS);
  });
  try {
    const ok = await Promise.race([readArchive(asBlob ? new Blob([input as Uint8Array<ArrayBuffer>]) : input), hang]);
    return { ok };
  } catch (error) {
    if (error instanceof ArchiveError) return { error };
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

function expectConsistent(result: Outcome): void {
  if ('error' in result) {
    expect(result.error.message.length).toBeGreaterThan(10);
    return;
  }
  const { stats, tweets } = result.ok;
  expect(stats.downloaded).toBe(stats.retweets + stats.short + stats.kept);
  expect(tweets).toHaveLength(stats.kept);
  expect(stats.downloaded).toBeGreaterThan(0);
}

const tweets: SyntheticTweet[] = Array.from({ length: 12 }, (_, i) => ({
  id: String(1590000000000000000n + BigInt(i)),
  createdAt: new Date(Date.UTC(2022, 0, 1 + i)),
  text: i % 4 === 0 ? `RT @pal: retweet ${i}` : i % 5 === 0 ? `@pal ok ${i}` : `tweet number ${i} has words & <stuff> https://t.co/${i}`,
  long: i === 7,
}));

let bases: Uint8Array[] = [];
beforeAll(async () => {
  bases = [
    await buildArchive({ tweets }),
    await buildArchive({ tweets, level: 0, parts: 2 }),
    await buildArchive({ tweets, zip64: true, useManifest: true }),
    await buildArchive({ tweets, noAccount: true, extraEntries: { 'data/tweets_media/1.jpg': new Uint8Array(300).fill(9) } }),
  ];
});

describe('fuzz: readArchive never throws anything but ArchiveError', () => {
  it('random bytes, with and without a zip signature', async () => {
    const bytes = fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 3000 })).map(([zip, body]) => {
      if (!zip) return body;
      const out = new Uint8Array(body.length + 4);
      out.set([0x50, 0x4b, 0x03, 0x04]);
      out.set(body, 4);
      return out;
    });
    await fc.assert(
      fc.asyncProperty(bytes, fc.boolean(), async (input, asBlob) => expectConsistent(await outcome(input, asBlob))),
      fuzzParams(300, SEED),
    );
  });

  it('valid archives with flipped bytes, truncations and insertions', async () => {
    const mutation = fc.record({
      base: fc.nat({ max: 3 }),
      flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 8 }),
      truncate: fc.option(fc.nat(), { nil: undefined }),
      insert: fc.option(fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 40 })), { nil: undefined }),
      asBlob: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(mutation, async ({ base, flips, truncate, insert, asBlob }) => {
        let bytes = bases[base].slice();
        for (const [at, xor] of flips) bytes[at % bytes.length] ^= xor;
        if (insert) {
          const at = insert[0] % bytes.length;
          bytes = Uint8Array.from([...bytes.subarray(0, at), ...insert[1], ...bytes.subarray(at)]);
        }
        if (truncate !== undefined) bytes = bytes.subarray(0, truncate % (bytes.length + 1));
        expectConsistent(await outcome(bytes, asBlob));
      }),
      fuzzParams(400, SEED),
    );
  });

  it('random tweets.js text', async () => {
    const anyValue = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.boolean(), fc.array(fc.string(), { maxLength: 3 }));
    const tweetLike = fc.record(
      {
        id_str: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n }).map(String), anyValue),
        full_text: fc.oneof(fc.string(), fc.constantFrom('RT @x: a b c', '@a b', 'a &amp;lt; b c d… https://t.co/x'), anyValue),
        created_at: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()), fc.constant('Wed Nov 16 22:22:28 +0000 2022'), anyValue),
      },
      { requiredKeys: [] },
    );
    const entry = fc.oneof(tweetLike.map((tweet) => ({ tweet })), tweetLike, anyValue);
    const text = fc.oneof(
      fc.array(entry, { maxLength: 20 }).map((entries) => ytdFile('tweets', entries)),
      fc.json().map((json) => `window.YTD.tweets.part0 = ${json}`),
      fc.string().map((s) => `window.YTD.tweets.part0 = [${s}`),
      fc.string().map((s) => `window.YTD.${s}`),
      fc.string({ unit: 'binary' }),
    );
    await fc.assert(
      fc.asyncProperty(text, fc.boolean(), async (source, asBlob) => {
        expectConsistent(await outcome(new TextEncoder().encode(source), asBlob));
      }),
      fuzzParams(400, SEED),
    );
  });

  it('valid archives whose tweets.js holds random entries', async () => {
    const texts = fc.array(fc.oneof(fc.string(), fc.constantFrom('RT @a: b c d', '&amp;amp; a b c', 'a\u2026 https://t.co/z')), { minLength: 1, maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(texts, async (list) => {
        const custom = list.map((text, i) => ({ id: String(100 + i), createdAt: new Date(Date.UTC(2020, 0, 1, 0, 0, i % 3)), text, raw: true }));
        const zip = await buildArchive({ tweets: custom, notes: [{ text: list[0], createdAt: new Date(Date.UTC(2020, 0, 1)) }] });
        const result = await outcome(zip, false);
        expectConsistent(result);
        if ('ok' in result) expect(result.ok.stats.downloaded).toBe(list.length);
      }),
      fuzzParams(60, SEED),
    );
  });
});

/** Offset of the central directory header of `name`. */
function centralHeader(zip: Uint8Array, name: string): number {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const encoded = new TextEncoder().encode(name);
  for (let i = 0; i + 46 < zip.length; i++) {
    if (view.getUint32(i, true) !== 0x02014b50) continue;
    const nameLength = view.getUint16(i + 28, true);
    if (nameLength === encoded.length && encoded.every((b, j) => zip[i + 46 + j] === b)) return i;
  }
  throw new Error(`no central header for ${name}`);
}

describe('regressions found by fuzzing', () => {
  it('a size flipped in the central directory is damage, not a "too large" file', async () => {
    const zip = await buildArchive({ tweets });
    const header = centralHeader(zip, 'data/tweets.js');
    new DataView(zip.buffer).setUint32(header + 24, 0x7fff0000, true); // uncompressed size
    const result = await outcome(zip, true);
    expect('error' in result && result.error.code).toBe('corrupt');
    expect('error' in result && result.error.message).toBe(
      'data/tweets.js inside the zip is damaged: the size its header records is impossible. Download the archive again.',
    );
  });

  it('a stored entry whose two sizes disagree is damage', async () => {
    const zip = await buildArchive({ tweets, level: 0 });
    const header = centralHeader(zip, 'data/tweets.js');
    const view = new DataView(zip.buffer);
    view.setUint32(header + 24, view.getUint32(header + 24, true) + 1, true);
    const result = await outcome(zip, false);
    expect('error' in result && result.error.message).toMatch(/^data\/tweets\.js inside the zip is damaged: the sizes its header records disagree\./);
  });

  it('zlib and zip.js wording stays out of the message (kept in `cause`)', async () => {
    const zip = await buildArchive({ tweets, extraEntries: {} });
    const header = centralHeader(zip, 'data/tweets.js');
    const localOffset = new DataView(zip.buffer).getUint32(header + 42, true);
    for (let i = localOffset + 60; i < localOffset + 90; i++) zip[i] ^= 0x5a;
    const result = await outcome(zip, false);
    if (!('error' in result)) throw new Error('a damaged deflate stream was read');
    expect(result.error.code).toBe('corrupt');
    expect(result.error.message).toMatch(/^data\/tweets\.js inside the zip is damaged: (its compressed data cannot be decompressed|its checksum does not match its contents|its size does not match the size the zip records)\. Download the archive again\.$/);
    expect(result.error.cause).toBeInstanceOf(Error);
  });

  it('an entry count past the central directory (a RangeError in zip.js) reads as an unreadable table of contents', async () => {
    const zip = await buildArchive({ tweets });
    const view = new DataView(zip.buffer);
    const eocd = zip.length - 22;
    expect(view.getUint32(eocd, true)).toBe(0x06054b50);
    const entries = view.getUint16(eocd + 10, true);
    view.setUint16(eocd + 8, entries + 5, true);
    view.setUint16(eocd + 10, entries + 5, true);
    const result = await outcome(zip, true);
    expect('error' in result && result.error.code).toBe('corrupt');
    expect('error' in result && result.error.message).toMatch(/^This zip file is incomplete or damaged: its table of contents/);
  });
});
