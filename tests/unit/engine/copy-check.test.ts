import { describe, expect, it } from 'vitest';
import type { ArchiveSummary } from '../../../src/engine/api';
import type { StoredArchive } from '../../../src/engine/archives';
import { CopyChecker } from '../../../src/engine/copy-check';

function archive(username: string, tweets: string[], dates?: Array<string | null>): StoredArchive {
  const summary = { id: username, fileName: `${username}.zip`, username, displayName: username, network: 'x', accountId: '', stats: { downloaded: 0, retweets: 0, short: 0, kept: tweets.length, direct: 0 }, firstDate: null, lastDate: null, samples: [], filesRead: [] } satisfies ArchiveSummary;
  return { summary, tweets, tweetDates: dates };
}

describe('CopyChecker', () => {
  it('names the original, its date and whose it is, across archives', () => {
    const items = [
      archive('alice', ['one two three four five six seven eight nine', 'alpha beta gamma delta epsilon'], ['2020-01-01T00:00:00.000Z', '2020-02-02T00:00:00.000Z']),
      archive('bob', ['the soup tastes better on the second day'], undefined),
    ];
    const checker = new CopyChecker(() => items);
    expect(checker.check('Alpha, beta gamma delta epsilon!')).toEqual({ original: 'alpha beta gamma delta epsilon', date: '2020-02-02T00:00:00.000Z', username: 'alice', run: 5, words: 5 });
    expect(checker.check('the soup tastes better on the second day')).toEqual({ original: 'the soup tastes better on the second day', date: null, username: 'bob', run: 8, words: 8 });
    expect(checker.check('nothing like any of them at all')).toBeNull();
  });

  it('rebuilds its index when the archives change, and only then', () => {
    const items = [archive('alice', ['alpha beta gamma delta epsilon'])];
    const checker = new CopyChecker(() => items);
    expect(checker.check('the soup tastes better on the second day')).toBeNull();
    items.push(archive('bob', ['the soup tastes better on the second day']));
    expect(checker.check('the soup tastes better on the second day')?.username).toBe('bob');
    items.shift();
    expect(checker.check('alpha beta gamma delta epsilon')).toBeNull();
  });
});
