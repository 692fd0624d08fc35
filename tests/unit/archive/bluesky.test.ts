/** Bluesky repository exports (.car): which records count, link facets by UTF-8 byte range, names, bad files. */
import { describe, expect, it } from 'vitest';
import { ArchiveError, readArchive } from '../../../src/archive/index';
import { blueskyPostText, removeLinkFacets } from '../../../src/archive/bluesky';
import { buildBlueskyCar, linkFacet, mentionFacet, tidLike } from '../../helpers/social';
import { archiveFailure } from '../../helpers/archive-failure';

const failure = archiveFailure;

describe('link facets (UTF-8 byte ranges)', () => {
  it('removes the shortened link a facet covers, after multi-byte characters', () => {
    const text = 'café ☕ 😀 read github.com/wish13yt/eas... now';
    const facets = [linkFacet(text, 'github.com/wish13yt/eas...', 'https://github.com/wish13yt/easter')];
    expect(removeLinkFacets(text, facets)).toBe('café ☕ 😀 read  now');
    expect(blueskyPostText({ text, facets })).toBe('café ☕ 😀 read now');
  });

  it('removes several links, in any order, and keeps mentions', () => {
    const text = '日本語 mas.to/@wishiscool と example.org/x… @alice.bsky.social 見て';
    const facets = [
      linkFacet(text, 'example.org/x…', 'https://example.org/x/long'),
      mentionFacet(text, '@alice.bsky.social', 'did:plc:alice'),
      linkFacet(text, 'mas.to/@wishiscool', 'https://mas.to/@wishiscool'),
    ];
    expect(blueskyPostText({ text, facets })).toBe('日本語 と @alice.bsky.social 見て');
  });

  it('ignores facets out of range or not on a character boundary without breaking characters', () => {
    const text = 'ab😀cd';
    expect(removeLinkFacets(text, [{ index: { byteStart: 3, byteEnd: 6 }, features: [{ $type: 'app.bsky.richtext.facet#link' }] }])).toBe('abcd');
    expect(removeLinkFacets(text, [{ index: { byteStart: 40, byteEnd: 90 }, features: [{ $type: 'app.bsky.richtext.facet#link' }] }])).toBe(text);
    expect(removeLinkFacets(text, [{ index: { byteStart: 'x', byteEnd: 2 }, features: [{ $type: 'app.bsky.richtext.facet#link' }] }])).toBe(text);
    expect(removeLinkFacets(text, 'not a list')).toBe(text);
  });

  it('then applies the shared rules: full URLs out, Unicode whitespace (U+00A0 too) collapsed; no HTML decoding', () => {
    expect(blueskyPostText({ text: 'a\u00a0b\n\nc https://x.y/z &amp; d' })).toBe('a b c &amp; d');
    expect(blueskyPostText({})).toBe('');
  });
});

describe('readArchive: a Bluesky export', () => {
  const did = 'did:plc:abcdefghijklmnopqrstuvwx';
  const posts = [
    { text: 'the second post, with three words at least', createdAt: '2024-03-02T10:00:00.000Z' },
    { text: 'short one', createdAt: '2024-03-01T10:00:00.000Z' },
    { text: 'first of a tie, later rkey but same time', createdAt: '2024-03-01T12:00:00.000Z', rkey: tidLike(900) },
    { text: 'second of a tie, earlier rkey same time', createdAt: '2024-03-01T12:00:00.000Z', rkey: tidLike(800) },
    { text: 'see github.com/x/y...', createdAt: '2024-03-03T10:00:00.000Z', facets: [linkFacet('see github.com/x/y...', 'github.com/x/y...', 'https://github.com/x/y')] },
  ];
  const others = [
    { collection: 'social.psky.feed.post', rkey: tidLike(1), record: { $type: 'social.psky.feed.post', text: 'another app post, never mine here', createdAt: '2024-01-01T00:00:00Z' } },
    { collection: 'net.anisota.feed.post', rkey: tidLike(2), record: { $type: 'net.anisota.feed.post', text: 'yet another app post type', createdAt: '2024-01-01T00:00:00Z' } },
    { collection: 'app.bsky.feed.like', rkey: tidLike(3), record: { $type: 'app.bsky.feed.like', createdAt: '2024-01-01T00:00:00Z' } },
  ];

  it('counts app.bsky.feed.post and reposts only, orders by createdAt then rkey, names from the profile and the DID', async () => {
    const car = await buildBlueskyCar({ did, displayName: 'Bee Sky', posts, reposts: 3, others });
    const archive = await readArchive(new Blob([car]));
    expect(archive.network).toBe('bluesky');
    expect(archive.username).toBe('');
    expect(archive.displayName).toBe('Bee Sky');
    expect(archive.accountId).toBe(did);
    expect(archive.identity).toBe(`account:${did}`);
    expect(archive.stats).toEqual({ downloaded: 8, retweets: 3, short: 2, kept: 3, direct: 0 });
    expect(archive.tweets).toEqual([
      'second of a tie, earlier rkey same time',
      'first of a tie, later rkey but same time',
      'the second post, with three words at least',
    ]);
    expect(archive.firstDate).toBe('2024-03-01T12:00:00.000Z');
    expect(archive.lastDate).toBe('2024-03-02T10:00:00.000Z');
    expect(archive.avatar).toBeNull();
    expect(JSON.stringify(archive)).not.toMatch(/another app post/);
  });

  it('finds the commit the header names when it is not the first block, and reads a Uint8Array too', async () => {
    const car = await buildBlueskyCar({ did, posts, commitLast: true });
    const archive = await readArchive(car);
    expect(archive.accountId).toBe(did);
    expect(archive.stats.downloaded).toBe(5);
  });

  it('leaves the display name empty without a profile record', async () => {
    const archive = await readArchive(await buildBlueskyCar({ did, displayName: null, posts }));
    expect(archive.displayName).toBe('');
    expect(archive.username).toBe('');
  });

  it('says a repository with no posts has nothing to learn from', async () => {
    const e = await failure(readArchive(await buildBlueskyCar({ did, posts: [], others })));
    expect(e.code).toBe('no-tweets');
    expect(e.message).toMatch(/Bluesky repository holds no posts/);
  });

  it('says a CAR whose root is not a repository commit is not a Bluesky export', async () => {
    const car = await buildBlueskyCar({ did, posts, fakeCommit: { name: 'some IPFS directory', links: [] } });
    const e = await failure(readArchive(car));
    expect(e.code).toBe('not-archive');
    expect(e.message).toMatch(/not a Bluesky repository export/);
  });

  it('says a truncated export is incomplete', async () => {
    const car = await buildBlueskyCar({ did, posts, reposts: 2 });
    const e = await failure(readArchive(car.subarray(0, Math.floor(car.length * 0.6))));
    expect(e.code).toBe('corrupt');
    expect(e.message).toMatch(/incomplete or damaged/);
  });
});
