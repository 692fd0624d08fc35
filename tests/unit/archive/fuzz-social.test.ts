/**
 * Bluesky and Mastodon exports, damaged at random or holding random records: readArchive ends
 * in a ParsedArchive or an ArchiveError, never another exception, never a hang, and never lets a
 * direct message's text into the result. Fixed seeds, bounded runs.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArchiveError, readArchive, type ParsedArchive } from '../../../src/archive/index';
import { fuzzParams } from '../../helpers/fuzz';
import { buildBlueskyCar, buildMastodonTarGz, buildMastodonZip, linkFacet, mastodonBoost, mastodonNote, mastodonPoll, type Audience } from '../../helpers/social';

const SEED = 20240101;
const PER_INPUT_MS = 5000;
const SECRET = 'FUZZ-SECRET-DIRECT';

async function outcome(input: Uint8Array, asBlob: boolean): Promise<{ ok: ParsedArchive } | { error: ArchiveError }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`readArchive hung on ${input.length} bytes`)), PER_INPUT_MS);
  });
  try {
    return { ok: await Promise.race([readArchive(asBlob ? new Blob([input as Uint8Array<ArrayBuffer>]) : input), hang]) };
  } catch (error) {
    if (error instanceof ArchiveError) return { error };
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

function expectConsistent(result: { ok: ParsedArchive } | { error: ArchiveError }): void {
  if ('error' in result) {
    expect(result.error.message).toMatch(/\.$/);
    return;
  }
  const { stats, tweets } = result.ok;
  expect(stats.downloaded).toBe(stats.retweets + stats.short + stats.kept);
  expect(tweets).toHaveLength(stats.kept);
  expect(JSON.stringify(tweets) + JSON.stringify(result.ok.samples)).not.toContain(SECRET);
}

const audiences: Audience[] = ['public', 'unlisted', 'followers', 'direct', 'direct-empty', 'as:Public', 'Public'];
const ITEMS = Array.from({ length: 14 }, (_, i) => {
  const audience = audiences[i % audiences.length];
  const secret = audience.startsWith('direct') ? ` ${SECRET}` : '';
  if (i % 5 === 4) return mastodonBoost({ published: `2023-01-${10 + i}T00:00:00Z`, audience });
  if (i % 6 === 5) return mastodonPoll({ content: `<p>poll ${i}${secret}</p>`, published: `2023-01-${10 + i}T00:00:00Z`, audience });
  return mastodonNote({ content: `<p>note number ${i} has some words &amp; more<br>here${secret}</p>`, published: `2023-01-${10 + i}T00:00:00Z`, audience });
});

let bases: Uint8Array[] = [];
beforeAll(async () => {
  const text = 'a post with a link example.org/x… and ünïcödé 😀 words';
  bases = [
    await buildBlueskyCar({ posts: Array.from({ length: 10 }, (_, i) => ({ text: `${text} ${i}`, createdAt: `2024-02-0${i % 9 + 1}T00:00:00Z`, facets: [linkFacet(text, 'example.org/x…', 'https://example.org/x')] })), reposts: 3 }),
    await buildBlueskyCar({ posts: [{ text: 'one two three four', createdAt: '2024-01-01T00:00:00Z' }], commitLast: true }),
    await buildMastodonTarGz({ items: ITEMS, duplicateKey: true }),
    await buildMastodonZip({ items: ITEMS }),
  ];
});

describe('fuzz: Bluesky and Mastodon exports', () => {
  it('with flipped bytes and truncations', async () => {
    const mutation = fc.record({
      base: fc.nat({ max: 3 }),
      flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 6 }),
      truncate: fc.option(fc.nat(), { nil: undefined }),
      asBlob: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(mutation, async ({ base, flips, truncate, asBlob }) => {
        let bytes = bases[base].slice();
        // Keep the 4-byte signature: what follows it is what each reader must survive.
        for (const [at, xor] of flips) bytes[4 + (at % (bytes.length - 4))] ^= xor;
        if (truncate !== undefined) bytes = bytes.subarray(0, 4 + (truncate % (bytes.length - 3)));
        expectConsistent(await outcome(bytes, asBlob));
      }),
      fuzzParams(300, SEED),
    );
  });

  it('outboxes of random JSON items', async () => {
    const anyValue = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.boolean(), fc.array(fc.string(), { maxLength: 3 }));
    const address = fc.oneof(fc.constantFrom('https://www.w3.org/ns/activitystreams#Public', 'as:Public', 'https://example.social/users/tester/followers'), fc.string(), anyValue);
    const object = fc.record(
      { id: fc.oneof(fc.string(), anyValue), type: fc.constantFrom('Note', 'Question', 'Article'), content: fc.oneof(fc.string(), anyValue), published: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), anyValue), to: fc.array(address, { maxLength: 2 }), cc: address },
      { requiredKeys: [] },
    );
    const item = fc.oneof(
      fc.record({ id: fc.string(), type: fc.constantFrom('Create', 'Announce', 'Delete'), to: fc.array(address, { maxLength: 2 }), cc: address, object: fc.oneof(object, fc.string()) }, { requiredKeys: [] }),
      anyValue,
    );
    await fc.assert(
      fc.asyncProperty(fc.array(item, { maxLength: 12 }), async (items) => {
        expectConsistent(await outcome(await buildMastodonZip({ items }), false));
      }),
      fuzzParams(100, SEED),
    );
  });
});
