/**
 * An archive with gigabytes of media must load by reading only the central directory and the
 * tweet entries. The zips here are SyntheticZipBlobs: their bytes are made on demand (the media
 * are zeros that never exist in memory) and every range read is recorded.
 */
import { BlobReader, ZipReader } from '@zip.js/zip.js';
import { crc32 as nodeCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readArchive } from '../../../src/archive/index';
import { accountFile, crc32OfZeros, SyntheticZipBlob, tweetEntry, ytdFile, type VirtualEntry } from '../../helpers/archives';

const GiB = 1024 ** 3;
const tweets = [
  { id: '1590000000000000001', createdAt: '2022-11-16T10:00:00Z', text: 'first tweet with enough words' },
  { id: '1590000000000000002', createdAt: '2022-11-16T11:00:00Z', text: 'RT @bob: a retweet of something' },
  { id: '1590000000000000003', createdAt: '2022-11-16T12:00:00Z', text: 'third tweet with enough words' },
];
const tweetsJs = ytdFile('tweets', tweets.slice().reverse().map(tweetEntry));
const account = accountFile({ username: 'bigmedia', displayName: 'Big Media', accountId: '31337' });

function media(count: number, size: number): VirtualEntry[] {
  return Array.from({ length: count }, (_, i) => ({ name: `data/tweets_media/15900000000000000${i}-clip.mp4`, zeros: size }));
}

function expectOnlyTweetEntriesRead(blob: SyntheticZipBlob, mediaNames: string[]): void {
  for (const name of mediaNames) {
    const [start, end] = blob.dataRanges.get(name)!;
    expect(blob.touched(start, end), `${name} data was read`).toBe(false);
  }
  // The end of central directory, the central directory, two local headers and two small entries.
  expect(blob.bytesRead).toBeLessThan(64 * 1024);
}

describe('archives with gigabytes of media', () => {
  it('the synthetic zip is a valid zip: zip.js lists it and checks its CRCs', async () => {
    expect(crc32OfZeros(100_000)).toBe(nodeCrc32(new Uint8Array(100_000)));
    const small = new SyntheticZipBlob([...media(2, 5000), { name: 'data/tweets.js', data: tweetsJs }]);
    const entries = await new ZipReader(new BlobReader(small), { useWebWorkers: false }).getEntries();
    expect(entries.map((e) => [e.filename, e.uncompressedSize])).toEqual([
      ['data/tweets_media/159000000000000000-clip.mp4', 5000],
      ['data/tweets_media/159000000000000001-clip.mp4', 5000],
      ['data/tweets.js', new TextEncoder().encode(tweetsJs).length],
    ]);
    for (const entry of entries) {
      if (entry.directory) continue;
      const data = new Uint8Array(await entry.arrayBuffer({ checkSignature: true, useWebWorkers: false }));
      if (entry.filename.endsWith('.mp4')) expect(data.every((b) => b === 0)).toBe(true);
    }
  });

  it('reads a 1.5 GB archive touching only its tweet entries', async () => {
    const videos = media(3, 512 * 1024 * 1024);
    const blob = new SyntheticZipBlob([
      { name: 'data/account.js', data: account },
      ...videos.slice(0, 2),
      { name: 'data/tweets.js', data: tweetsJs },
      videos[2],
      { name: 'data/direct-messages.js', data: 'window.YTD.direct_messages.part0 = []' },
    ]);
    expect(blob.size).toBeGreaterThan(1.5 * GiB);
    const archive = await readArchive(blob);
    expect(archive.stats).toEqual({ downloaded: 3, retweets: 1, short: 0, kept: 2, direct: 0 });
    expect(archive.username).toBe('bigmedia');
    expect(archive.filesRead).toEqual(['data/tweets.js', 'data/account.js']);
    expectOnlyTweetEntriesRead(blob, videos.map((v) => v.name));
    const [dmStart, dmEnd] = blob.dataRanges.get('data/direct-messages.js')!;
    expect(blob.touched(dmStart, dmEnd)).toBe(false);
  });

  it('reads a 5 GB Zip64 archive whose tweets.js lies past 4 GB', async () => {
    const videos = media(5, GiB);
    const blob = new SyntheticZipBlob([...videos, { name: 'data/account.js', data: account }, { name: 'data/tweets.js', data: tweetsJs }]);
    expect(blob.size).toBeGreaterThan(5 * GiB);
    expect(blob.dataRanges.get('data/tweets.js')![0]).toBeGreaterThan(2 ** 32);
    const archive = await readArchive(blob);
    expect(archive.stats).toEqual({ downloaded: 3, retweets: 1, short: 0, kept: 2, direct: 0 });
    expect(archive.tweets).toEqual(['first tweet with enough words', 'third tweet with enough words']);
    expect(archive.filesRead).toEqual(['data/tweets.js', 'data/account.js']);
    expectOnlyTweetEntriesRead(blob, videos.map((v) => v.name));
  });

  it('reads Zip64 records even when nothing needs them', async () => {
    const blob = new SyntheticZipBlob([...media(1, 1000), { name: 'data/tweets.js', data: tweetsJs }], { zip64: true });
    expect((await readArchive(blob)).stats.kept).toBe(2);
  });
});
