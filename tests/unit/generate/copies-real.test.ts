/** The copy check on a real X archive (../shared/real, read at test time, never copied here). */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readArchive } from '../../../src/archive/index';
import { buildCopyIndex, findCopy, textWords } from '../../../src/generate/copies';
import { repoRoot } from '../../helpers/fixtures';

const file = resolve(repoRoot, '..', 'shared', 'real', 'x-milahu104.zip');

describe('a real X archive', () => {
  it('has a date for every kept tweet, and every kept tweet of 4+ words checked verbatim is flagged as itself or an earlier twin', async () => {
    const archive = await readArchive(new Uint8Array(readFileSync(file)));
    expect(archive.tweetDates).toHaveLength(archive.tweets.length);
    expect(archive.tweetDates!.every((d) => d !== null && !Number.isNaN(Date.parse(d)))).toBe(true);
    expect(archive.tweetDates!.slice().sort()).toEqual(archive.tweetDates); // oldest first, as the tweets
    expect(archive.avatar).toBeNull(); // this export has no data/profile_media/
    const index = buildCopyIndex(archive.tweets);
    let checked = 0;
    archive.tweets.forEach((t, i) => {
      const n = textWords(t).length;
      if (n < 4) return expect(findCopy(index, t)).toBeNull();
      const found = findCopy(index, t);
      expect(found, t).not.toBeNull();
      expect(found!.run).toBe(n);
      expect(found!.tweet).toBeLessThanOrEqual(i);
      checked++;
    });
    expect(checked).toBeGreaterThan(100);
  });
});
