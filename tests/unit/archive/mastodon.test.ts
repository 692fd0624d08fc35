/** Mastodon archives (.zip, .tar.gz, folder): what counts, direct messages, HTML, duplicate keys, bad files. */
import { describe, expect, it } from 'vitest';
import { ArchiveError, readArchive, readArchiveFolder, type ParsedArchive } from '../../../src/archive/index';
import { htmlToText } from '../../../src/archive/html';
import { buildZip } from '../../helpers/archives';
import {
  ACTOR_ID,
  TINY_PNG,
  buildMastodonTarGz,
  buildMastodonZip,
  gzip,
  mastodonActor,
  mastodonBoost,
  mastodonFiles,
  mastodonNote,
  mastodonPoll,
  type MastodonArchiveOptions,
} from '../../helpers/social';
import { archiveFailure } from '../../helpers/archive-failure';

const failure = archiveFailure;

/** Everything in the result as text, avatar bytes left out. */
function everything(archive: ParsedArchive): string {
  return JSON.stringify(archive, (_key, value: unknown) => (value instanceof Uint8Array ? `[${value.length} bytes]` : value));
}

const SECRET_A = 'SECRET-DM-ALPHA meet me at the usual place at nine';
const SECRET_B = 'SECRET-DM-BRAVO here is my phone number 555 0100';
const SECRET_C = 'SECRET-DM-CHARLIE a direct poll nobody else sees';

/** 4 public/unlisted/followers notes kept, 1 short, 2 boosts, 1 poll, 3 direct items. */
const ITEMS = [
  mastodonNote({ content: '<p>Good morning, the bread is rising nicely</p>', published: '2023-05-02T08:00:00Z' }),
  mastodonNote({ content: '<p>Unlisted: a quiet thought about the garden</p>', published: '2023-05-01T08:00:00Z', audience: 'unlisted' }),
  mastodonNote({ content: '<p>Only for my followers: the cat knocked over a plant</p>', published: '2023-05-03T08:00:00Z', audience: 'followers' }),
  mastodonNote({ content: '<p>Addressed with as:Public, still public words</p>', published: '2023-05-04T08:00:00Z', audience: 'as:Public' }),
  mastodonNote({ content: '<p>yes!</p>', published: '2023-05-05T08:00:00Z', audience: 'Public' }),
  mastodonNote({ content: `<p>${SECRET_A}</p>`, published: '2023-05-06T08:00:00Z', audience: 'direct' }),
  mastodonNote({ content: `<p>${SECRET_B}</p>`, published: '2023-05-07T08:00:00Z', audience: 'direct-empty' }),
  mastodonPoll({ content: `<p>${SECRET_C}</p>`, published: '2023-05-07T09:00:00Z', audience: 'direct' }),
  mastodonPoll({ content: '<p>Which bread should I bake this weekend?</p>', published: '2023-05-08T08:00:00Z' }),
  mastodonBoost({ published: '2023-05-09T08:00:00Z' }),
  mastodonBoost({ published: '2023-05-10T08:00:00Z', audience: 'unlisted' }),
];
const KEPT = [
  'Unlisted: a quiet thought about the garden',
  'Good morning, the bread is rising nicely',
  'Only for my followers: the cat knocked over a plant',
  'Addressed with as:Public, still public words',
];
const STATS = { downloaded: 7, retweets: 2, short: 1, kept: 4, direct: 3 };
const ARCHIVE: MastodonArchiveOptions = { items: ITEMS, duplicateKey: true, extra: { 'media_attachments/files/000/000/001/original/cat.jpg': new Uint8Array(4096).fill(9) } };

function expectTheArchive(archive: ParsedArchive): void {
  expect(archive.network).toBe('mastodon');
  expect(archive.username).toBe('tester');
  expect(archive.displayName).toBe('Test Er');
  expect(archive.accountId).toBe(ACTOR_ID);
  expect(archive.identity).toBe(`account:${ACTOR_ID}`);
  expect(archive.stats).toEqual(STATS);
  expect(archive.tweets).toEqual(KEPT);
  expect(archive.firstDate).toBe('2023-05-01T08:00:00.000Z');
  expect(archive.lastDate).toBe('2023-05-04T08:00:00.000Z');
  expect(archive.avatar).toEqual({ fileName: 'avatar.png', mimeType: 'image/png', bytes: TINY_PNG });
  const text = everything(archive);
  for (const secret of [SECRET_A, SECRET_B, SECRET_C, 'SECRET-DM']) expect(text).not.toContain(secret);
  expect(text).not.toContain('bread should I bake'); // a poll is not a post
}

describe('readArchive: a Mastodon archive', () => {
  it('reads the .zip: notes + boosts, direct messages (both shapes, a poll too) counted and skipped, the last orderedItems', async () => {
    const archive = await readArchive(new Blob([await buildMastodonZip(ARCHIVE)]));
    expectTheArchive(archive);
    expect(archive.filesRead).toEqual(['outbox.json', 'actor.json', 'avatar.png']);
  });

  it('reads the .tar.gz the same way, streamed', async () => {
    const archive = await readArchive(new Blob([await buildMastodonTarGz(ARCHIVE)]));
    expectTheArchive(archive);
    expect(archive.filesRead).toEqual(['outbox.json', 'actor.json', 'avatar.png']);
  });

  it('reads the extracted folder dropped on the page', async () => {
    const files = mastodonFiles(ARCHIVE).map(([path, data]) => ({ path: `archive-20231114-abc/${path}`, file: new Blob([data as BlobPart]) }));
    const archive = await readArchiveFolder(files);
    expectTheArchive(archive);
    expect(archive.filesRead).toEqual(['archive-20231114-abc/outbox.json', 'archive-20231114-abc/actor.json', 'archive-20231114-abc/avatar.png']);
  });

  it('keeps the last of two orderedItems keys (as JSON.parse does), whichever is empty', async () => {
    const once = await readArchive(await buildMastodonZip({ items: ITEMS }));
    expect(once.stats).toEqual(STATS);
    const twice = await readArchive(await buildMastodonZip({ items: ITEMS, duplicateKey: true }));
    expect(twice.tweets).toEqual(once.tweets);
  });

  it('counts the same Note listed twice once', async () => {
    const note = mastodonNote({ content: '<p>said once but listed twice here</p>', published: '2023-01-01T00:00:00Z' });
    const archive = await readArchive(await buildMastodonZip({ items: [note, note] }));
    expect(archive.stats).toEqual({ downloaded: 1, retweets: 0, short: 0, kept: 1, direct: 0 });
  });

  it('orders by the Note\'s published, then by its id', async () => {
    const at = '2023-01-01T00:00:00Z';
    const items = [
      mastodonNote({ content: '<p>the b note at the same second</p>', published: at, id: `${ACTOR_ID}/statuses/200` }),
      mastodonNote({ content: '<p>the a note at the same second</p>', published: at, id: `${ACTOR_ID}/statuses/100` }),
      mastodonNote({ content: '<p>an earlier note than the others</p>', published: '2022-12-31T23:59:59Z' }),
    ];
    expect((await readArchive(await buildMastodonZip({ items }))).tweets).toEqual([
      'an earlier note than the others',
      'the a note at the same second',
      'the b note at the same second',
    ]);
  });

  it('uses <actor id>/followers when actor.json names no followers collection', async () => {
    const items = [mastodonNote({ content: '<p>for followers only, no field in actor</p>', published: '2023-01-01T00:00:00Z', audience: 'followers' })];
    const archive = await readArchive(await buildMastodonZip({ items, actor: mastodonActor({ followers: null }) }));
    expect(archive.stats).toEqual({ downloaded: 1, retweets: 0, short: 0, kept: 1, direct: 0 });
  });

  it('treats a followers-only post as direct when the followers collection is someone else\'s', async () => {
    const items = [mastodonNote({ content: '<p>addressed to a followers list that is not mine</p>', published: '2023-01-01T00:00:00Z', audience: 'followers' })];
    const archive = await readArchive(await buildMastodonZip({ items: [...items, ...ITEMS], actor: mastodonActor({ followers: 'https://example.social/users/other/followers' }) }));
    expect(archive.stats.direct).toBe(5); // the 3 direct items, this one, and the followers-only note of ITEMS
  });

  it('works without actor.json: no names, the actor from the outbox', async () => {
    const archive = await readArchive(await buildMastodonZip({ items: ITEMS, actor: null }));
    expect(archive.username).toBe('');
    expect(archive.accountId).toBe(ACTOR_ID);
    expect(archive.stats).toEqual(STATS);
  });

  it('says when every post is a direct message', async () => {
    const items = [mastodonNote({ content: `<p>${SECRET_A}</p>`, published: '2023-01-01T00:00:00Z', audience: 'direct' })];
    const e = await failure(readArchive(await buildMastodonZip({ items })));
    expect(e.code).toBe('no-tweets');
    expect(e.message).toMatch(/only 1 direct message, which are never used/);
    expect(e.message).not.toContain('SECRET');
  });
});

describe('Mastodon HTML to text', () => {
  it('turns <br> in any form into a line break and </p> into two, drops other tags without a space, decodes entities once', () => {
    expect(htmlToText('<p>one<br>two<br/>three<BR />four</p><p>five</p>')).toBe('one\ntwo\nthree\nfour\n\nfive\n\n');
    expect(htmlToText('<a href="https://x.y/abc"><span class="invisible">https://</span><span class="">x.y/abc</span></a>')).toBe('https://x.y/abc');
    expect(htmlToText('&amp;lt; &lt;b&gt; &quot;q&quot; &#39;s &#x1F600; &nbsp;&hellip; &unknown;')).toBe('&lt; <b> "q" \'s 😀 \u00a0… &unknown;');
  });

  it('keeps the content, not the content warning, and cleans as for X', async () => {
    const items = [
      mastodonNote({ content: '<p>I baked <a href="https://bread.example/x"><span class="invisible">https://</span><span>bread.example/x</span></a> today &amp; it&#39;s great<br>really</p><p>#bread @<span>pal</span></p>', summary: 'food CW words here', published: '2023-01-01T00:00:00Z' }),
    ];
    const archive = await readArchive(await buildMastodonZip({ items }));
    expect(archive.tweets).toEqual(["I baked today & it's great really #bread @pal"]);
    expect(everything(archive)).not.toContain('CW words');
  });
});

describe('bad Mastodon archives', () => {
  it('a zip without outbox.json', async () => {
    const files = Object.fromEntries(mastodonFiles({ items: ITEMS, noOutbox: true }));
    const e = await failure(readArchive(await buildZip(files)));
    expect(e.message).toMatch(/Mastodon archive has no outbox\.json/);
  });

  it('a .tar.gz without outbox.json', async () => {
    const e = await failure(readArchive(await buildMastodonTarGz({ items: ITEMS, noOutbox: true })));
    expect(e.message).toMatch(/Mastodon archive has no outbox\.json/);
  });

  it('a folder without outbox.json', async () => {
    const files = mastodonFiles({ items: ITEMS, noOutbox: true }).map(([path, data]) => ({ path: `a/${path}`, file: new Blob([data as BlobPart]) }));
    const e = await failure(readArchiveFolder(files));
    expect(e.message).toMatch(/Mastodon archive has no outbox\.json/);
  });

  it('an outbox that does not parse', async () => {
    const zip = await buildZip({ 'outbox.json': '{"orderedItems":[{"type":"Create",', 'actor.json': mastodonActor() });
    const e = await failure(readArchive(zip));
    expect(e.code).toBe('bad-json');
    expect(e.message).toMatch(/outbox\.json in this Mastodon archive is damaged: it does not parse/);
    const notList = await failure(readArchive(await buildZip({ 'outbox.json': '{"orderedItems":{}}' })));
    expect(notList.message).toMatch(/holds no list of posts/);
  });

  it('a damaged gzip', async () => {
    const good = await buildMastodonTarGz({ items: ITEMS });
    const bad = good.slice();
    for (let i = 20; i < 60; i++) bad[i] ^= 0x5a;
    const e = await failure(readArchive(bad));
    expect(e.code).toBe('corrupt');
    expect(e.message).toMatch(/\.tar\.gz file cannot be read/);
  });

  it('a truncated .tar.gz', async () => {
    const good = await buildMastodonTarGz({ items: ITEMS });
    const e = await failure(readArchive(good.subarray(0, Math.floor(good.length / 2))));
    expect(e.code).toBe('corrupt');
  });

  it('a damaged tar inside a good gzip', async () => {
    const e = await failure(readArchive(await gzip(new TextEncoder().encode('this is not a tar file at all'.repeat(40)))));
    expect(e.code).toBe('corrupt');
    expect(e.message).toMatch(/tar/);
  });

  it('a gzip of something else entirely', async () => {
    const e = await failure(readArchive(await gzip(new Uint8Array(2048))));
    expect(e.message).toMatch(/not a Mastodon archive|cannot be read/);
  });
});
