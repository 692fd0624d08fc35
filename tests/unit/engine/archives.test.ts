/** The archive set's figures: each person's real characters, and balancing reported apart (issue 11, point 4). */
import { describe, expect, it } from 'vitest';
import { ArchiveSet } from '../../../src/engine/archives';
import type { ArchiveSummary } from '../../../src/engine/api';

function stored(username: string, tweets: string[]): { summary: ArchiveSummary; tweets: string[] } {
  return {
    summary: { id: username, fileName: `${username}.zip`, username, displayName: username, network: 'x', accountId: '', stats: { downloaded: tweets.length, retweets: 0, short: 0, kept: tweets.length, direct: 0 }, firstDate: null, lastDate: null, samples: [], filesRead: [] },
    tweets,
  };
}

const SEP = '<|endoftext|>'.length;

describe('ArchiveSet figures', () => {
  // big: 400 tweets of 100 characters; small: 50 tweets of 40 characters (balancing repeats it ~20x).
  const big = Array.from({ length: 400 }, (_, i) => `${'b'.repeat(96)}${String(i).padStart(4, '0')}`);
  const small = Array.from({ length: 50 }, (_, i) => `${'s'.repeat(36)}${String(i).padStart(4, '0')}`);
  const set = new ArchiveSet();
  set.restore([stored('big', big), stored('small', small)]);

  it('gives each person the characters of their own kept tweets', () => {
    const [b, s] = set.summaries();
    expect(b.chars).toBe(400 * 100 + 399 * SEP);
    expect(s.chars).toBe(50 * 40 + 49 * SEP);
  });

  it('reports the tweets as written, not the balanced total, and says how balancing weighs them', () => {
    const info = set.info()!;
    const real = 400 * 100 + 50 * 40 + 449 * SEP; // one separator between any two tweets
    expect(info.chars).toBe(real);
    expect(info.message).toContain(real.toLocaleString('en-US'));
    expect(info.balancedChars).toBeGreaterThan(real); // the small archive repeated
    expect(info.message).not.toContain(info.balancedChars!.toLocaleString('en-US'));
    expect(info.balance).toMatch(/@big once/);
    expect(info.balance).toMatch(/@small about \d+(\.\d)?×/);
  });

  it('says nothing about balancing for one person', () => {
    const one = new ArchiveSet();
    one.restore([stored('big', big)]);
    expect(one.info()!.balance).toBe('');
    expect(one.info()!.chars).toBe(400 * 100 + 399 * SEP);
  });
});
