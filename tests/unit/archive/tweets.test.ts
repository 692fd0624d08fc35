import { describe, expect, it } from 'vitest';
import { collectTweets, compareTweets, parseTwitterDate, rawTweetFromEntry, type RawTweet } from '../../../src/archive/tweets';

describe('parseTwitterDate', () => {
  it('parses the archive format, with its UTC offset', () => {
    expect(parseTwitterDate('Wed Nov 16 22:22:28 +0000 2022')).toBe(Date.UTC(2022, 10, 16, 22, 22, 28));
    expect(parseTwitterDate('Wed Nov 16 22:22:28 +0130 2022')).toBe(Date.UTC(2022, 10, 16, 20, 52, 28));
    expect(parseTwitterDate('Thu Jan 01 00:00:00 -0500 2015')).toBe(Date.UTC(2015, 0, 1, 5, 0, 0));
  });
  it('parses ISO (note-tweet.js) and rejects anything else', () => {
    expect(parseTwitterDate('2023-01-05T12:34:56.789Z')).toBe(Date.UTC(2023, 0, 5, 12, 34, 56, 789));
    expect(parseTwitterDate('Wed Foo 16 22:22:28 +0000 2022')).toBeNaN();
    expect(parseTwitterDate('yesterday')).toBeNaN();
  });
});

describe('rawTweetFromEntry', () => {
  it('reads id_str, full_text and created_at from {"tweet": {…}}', () => {
    const t = rawTweetFromEntry({ tweet: { id_str: '1593000000000000001', full_text: 'hi &amp; bye', created_at: 'Wed Nov 16 22:22:28 +0000 2022', favorite_count: '0' } });
    expect(t).toEqual({ id: '1593000000000000001', idNum: 1593000000000000001n, time: Date.UTC(2022, 10, 16, 22, 22, 28), fullText: 'hi &amp; bye' });
  });
  it('accepts a bare tweet object and falls back to the snowflake time without created_at', () => {
    const t = rawTweetFromEntry({ id_str: '1593000000000000001', full_text: 'x' });
    expect(t?.time).toBe(Number((1593000000000000001n >> 22n) + 1288834974657n));
  });
  it('skips entries with no text', () => {
    expect(rawTweetFromEntry({ tweet: { id_str: '1' } })).toBeNull();
    expect(rawTweetFromEntry(null)).toBeNull();
    expect(rawTweetFromEntry([1, 2])).toBeNull();
    expect(rawTweetFromEntry({ tweet: { id_str: '1', full_text: 5 } })).toBeNull();
  });
});

describe('collectTweets', () => {
  it('counts the same id_str once across files', () => {
    const all: RawTweet[] = [];
    const seen = new Set<string>();
    collectTweets([{ tweet: { id_str: '1', full_text: 'a' } }, { tweet: { id_str: '2', full_text: 'b' } }], all, seen);
    collectTweets([{ tweet: { id_str: '2', full_text: 'b again' } }, { tweet: { id_str: '3', full_text: 'c' } }], all, seen);
    expect(all.map((t) => t.fullText)).toEqual(['a', 'b', 'c']);
  });
});

describe('compareTweets', () => {
  it('orders by time, then by id as a number (not as a string)', () => {
    const t = (id: string, time: number): RawTweet => ({ id, idNum: BigInt(id), time, fullText: id });
    // 99 < 100 numerically, though "99" > "100" as strings; ids past 2^53 keep their order.
    const tweets = [t('100', 1000), t('99', 1000), t('9007199254740993', 500), t('9007199254740992', 500), t('1', 2000)];
    expect(tweets.sort(compareTweets).map((x) => x.id)).toEqual(['9007199254740992', '9007199254740993', '99', '100', '1']);
  });
});
