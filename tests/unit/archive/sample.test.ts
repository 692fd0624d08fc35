import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BlobReader, ZipReader } from '@zip.js/zip.js';
import { describe, expect, it } from 'vitest';
import { makeSampleArchive } from '../../../scripts/make-sample';
import { checkTrainingText, readArchive } from '../../../src/archive/index';
import { repoRoot } from '../../helpers/fixtures';

const committed = new Uint8Array(readFileSync(join(repoRoot, 'public', 'sample', 'sample-archive.zip')));

async function entryContents(zip: Uint8Array<ArrayBuffer>): Promise<Array<[string, string]>> {
  const entries = await new ZipReader(new BlobReader(new Blob([zip])), { useWebWorkers: false }).getEntries();
  const out: Array<[string, string]> = [];
  for (const entry of entries) {
    if (entry.directory) continue;
    const bytes = new Uint8Array(await entry.arrayBuffer({ useWebWorkers: false }));
    out.push([entry.filename, Buffer.from(bytes).toString('base64')]);
  }
  return out;
}

describe('public/sample/sample-archive.zip', () => {
  it('is small and reads as the fictional @tinkerbot_sample with enough text to train without a warning', async () => {
    expect(committed.length).toBeLessThan(200 * 1024);
    const archive = await readArchive(new Blob([committed]));
    expect(archive.username).toBe('tinkerbot_sample');
    expect(archive.displayName).toBe('Tinker (sample persona)');
    expect(archive.stats).toEqual({ downloaded: 400, retweets: 26, short: 27, kept: 347, direct: 0 });
    expect(archive.filesRead).toEqual(['data/tweets.js', 'data/note-tweet.js', 'data/account.js']);
    expect(archive.tweets.filter((t) => t.includes('Happy birthday, Bubbles. The loaf tonight is for you.'))).toHaveLength(1);
    expect(archive.tweets.some((t) => /https?:|RT @/.test(t))).toBe(false);
    const check = checkTrainingText(archive.tweets);
    expect(check.level).toBe('ok');
    expect(check.chars).toBe(44_664);
  });

  it('holds exactly what scripts/make-sample.ts writes', async () => {
    expect(await entryContents(await makeSampleArchive())).toEqual(await entryContents(committed));
  });
});
