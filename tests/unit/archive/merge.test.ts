import { describe, expect, it } from 'vitest';
import { charCount, checkTrainingText, mergeArchives } from '../../../src/archive/index';

const person = (username: string, tweets: string[], displayName = username.toUpperCase()) => ({ username, displayName, tweets });
const count = (texts: string[]) => texts.reduce<Record<string, number>>((m, t) => ((m[t] = (m[t] ?? 0) + 1), m), {});

describe('mergeArchives', () => {
  const a = person('zed', ['A123456789', 'B123456789', 'C123456789']); // 30 characters: the most
  const b = person('alice', ['seven77']); // 7: repeated 5 times (35 >= 30)
  const c = person('mike', ['x444', 'y66666']); // 10 a round: 3 rounds, exactly 30

  it('repeats each person until their characters reach the largest person’s, as huggingtweets did', () => {
    const merged = mergeArchives([a, b, c]);
    expect(count(merged.texts)).toEqual({ A123456789: 1, B123456789: 1, C123456789: 1, seven77: 5, x444: 3, y66666: 3 });
    expect(merged.texts).toHaveLength(14);
  });

  it('never leaves a person more than one tweet past the largest total', () => {
    const big = person('big', Array.from({ length: 40 }, (_, i) => `tweet ${i} `.repeat(1 + (i % 7))));
    const small = person('small', ['one short tweet', 'another, a little longer tweet', 'x'.repeat(90)]);
    const merged = mergeArchives([big, small]);
    const bigChars = big.tweets.reduce((s, t) => s + t.length, 0);
    const smallChars = merged.texts.filter((t) => small.tweets.includes(t)).reduce((s, t) => s + t.length, 0);
    expect(smallChars).toBeGreaterThanOrEqual(bigChars);
    expect(smallChars).toBeLessThan(bigChars + 90);
    expect(merged.texts.filter((t) => big.tweets.includes(t))).toHaveLength(40);
  });

  it('is deterministic, and its seed only changes the order', () => {
    const first = mergeArchives([a, b, c]);
    expect(mergeArchives([a, b, c]).texts).toEqual(first.texts);
    const reseeded = mergeArchives([a, b, c], { seed: 12345 });
    expect(reseeded.texts).not.toEqual(first.texts);
    expect(count(reseeded.texts)).toEqual(count(first.texts));
  });

  it('names the bot by the sorted usernames joined with "-"', () => {
    const merged = mergeArchives([a, b, c]);
    expect(merged.botName).toBe('alice-mike-zed');
    expect(merged.usernames).toEqual(['zed', 'alice', 'mike']);
    expect(merged.displayNames).toEqual(['ZED', 'ALICE', 'MIKE']);
    expect(mergeArchives([a, a]).botName).toBe('zed');
    expect(mergeArchives([person('', ['some words here']), b]).botName).toBe('alice');
    expect(mergeArchives([person('', ['some words here'], 'Nameless')]).botName).toBe('bot');
  });

  it('gives one person their own tweets, shuffled, and skips a person with none', () => {
    const merged = mergeArchives([a, person('empty', [])]);
    expect([...merged.texts].sort()).toEqual([...a.tweets].sort());
    expect(mergeArchives([]).texts).toEqual([]);
  });

  it('counts characters as code points', () => {
    expect(charCount('😀a')).toBe(2);
    expect(charCount('\ud83d')).toBe(1);
    const emoji = person('emoji', ['😀😀😀😀']); // 4 code points, 8 UTF-16 units
    const plain = person('plain', ['abcdefgh']); // 8
    expect(count(mergeArchives([emoji, plain]).texts)).toEqual({ '😀😀😀😀': 2, abcdefgh: 1 });
  });
});

describe('checkTrainingText', () => {
  // Joined with <|endoftext|> (13 characters) between texts.
  it('refuses under 6,000 characters', () => {
    expect(checkTrainingText([])).toMatchObject({ chars: 0, level: 'refuse' });
    const r = checkTrainingText(['a'.repeat(2993), 'b'.repeat(2993)]);
    expect(r).toMatchObject({ chars: 5999, level: 'refuse' });
    expect(r.message).toBe('Only 5,999 characters of tweets remain after cleaning; training needs at least 6,000. Add a bigger archive or more people.');
  });
  it('warns from 6,000 to under 40,000', () => {
    expect(checkTrainingText(['a'.repeat(2993), 'b'.repeat(2994)])).toMatchObject({ chars: 6000, level: 'warn' });
    const w = checkTrainingText(['x'.repeat(39_999)]);
    expect(w).toMatchObject({ chars: 39_999, level: 'warn' });
    expect(w.message).toMatch(/^39,999 characters .* under 40,000/);
  });
  it('is ok from 40,000', () => {
    expect(checkTrainingText(['x'.repeat(20_000), 'y'.repeat(19_987)])).toMatchObject({ chars: 40_000, level: 'ok' });
  });
  it('counts code points', () => {
    expect(checkTrainingText(['😀'.repeat(6000)])).toMatchObject({ chars: 6000, level: 'warn' });
  });
});
