/**
 * A Mastodon .tar.gz with a gigabyte of media, synthesised on demand (no gigabyte is ever
 * allocated): only outbox.json, actor.json and the avatar are kept; media streams past unread;
 * reading stops as soon as those files are found.
 */
import { describe, expect, it } from 'vitest';
import { readArchive } from '../../../src/archive/index';
import { isMastodonFileName } from '../../../src/archive/mastodon';
import { readTarGz } from '../../../src/archive/tar';
import { LazyTarGzBlob, TINY_PNG, mastodonActor, mastodonNote, mastodonOutbox } from '../../helpers/social';

const GIB = 1024 * 1024 * 1024;
const ITEMS = Array.from({ length: 40 }, (_, i) =>
  mastodonNote({ content: `<p>post number ${i} about the weather and my bicycle</p>`, published: new Date(Date.UTC(2023, 0, 1 + i)).toISOString() }),
);
const OUTBOX = mastodonOutbox(ITEMS);
const ACTOR = mastodonActor();
const KEPT_BYTES = new TextEncoder().encode(OUTBOX).length + new TextEncoder().encode(ACTOR).length + TINY_PNG.length;

describe('a Mastodon .tar.gz with 1 GiB of media', () => {
  it('in Mastodon\'s order (outbox, media, likes, avatar, actor last): keeps only the two JSON files and the avatar', async () => {
    const entries = [
      { name: 'outbox.json', data: OUTBOX },
      { name: 'media_attachments/files/110/000/001/original/holiday.mp4', zeros: GIB },
      { name: 'likes.json', data: '{"orderedItems":[]}' },
      { name: 'bookmarks.json', data: '{"orderedItems":[]}' },
      { name: 'avatar.png', data: TINY_PNG },
      { name: 'header.jpg', data: new Uint8Array(3000).fill(1) },
      { name: 'actor.json', data: ACTOR },
    ];
    // What is buffered: exactly the three files' bytes, none of the gigabyte (the reader's own rule).
    const blob = new LazyTarGzBlob(entries);
    const started = performance.now();
    const tar = await readTarGz(blob, { want: isMastodonFileName });
    const ms = performance.now() - started;
    expect([...tar.bodies.keys()]).toEqual(['outbox.json', 'avatar.png', 'actor.json']);
    expect(tar.bytesKept).toBe(KEPT_BYTES);
    expect(tar.paths).toEqual(entries.map((e) => e.name));
    // actor.json is the last entry: the gzip stream is read to its end.
    expect(blob.bytesRead).toBe(blob.size);
    console.log(`1 GiB-media .tar.gz (${blob.size} bytes compressed): streamed in ${ms.toFixed(0)} ms, ${tar.bytesKept} bytes kept`);

    // The whole reader on the same layout (a quarter of the media, to spare the CI's time).
    const smaller = new LazyTarGzBlob(entries.map((e) => ('zeros' in e ? { ...e, zeros: GIB / 4 } : e)));
    const archive = await readArchive(smaller);
    expect(archive.stats).toEqual({ downloaded: 40, retweets: 0, short: 0, kept: 40, direct: 0 });
    expect(archive.filesRead).toEqual(['outbox.json', 'actor.json', 'avatar.png']);
    expect(archive.avatar).toEqual({ fileName: 'avatar.png', mimeType: 'image/png', bytes: TINY_PNG });
  });

  it('with the JSON files first: stops once outbox, actor and avatar are found', async () => {
    const blob = new LazyTarGzBlob([
      { name: 'outbox.json', data: OUTBOX },
      { name: 'actor.json', data: ACTOR },
      { name: 'avatar.png', data: TINY_PNG },
      { name: 'media_attachments/files/110/000/001/original/holiday.mp4', zeros: GIB },
      { name: 'likes.json', data: '{"orderedItems":[]}' },
    ]);
    const archive = await readArchive(blob);
    expect(archive.stats.kept).toBe(40);
    expect(archive.filesRead).toEqual(['outbox.json', 'actor.json', 'avatar.png']);
    expect(archive.avatar?.bytes).toEqual(TINY_PNG);
    // In Node, DecompressionStream takes its whole input before giving output (no backpressure),
    // so the bytes read are not a measure here; in the browser the read stops with the pipe.
    console.log(`JSON first: ${blob.bytesRead} of ${blob.size} compressed bytes read`);
  });
});
