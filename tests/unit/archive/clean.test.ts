import { describe, expect, it } from 'vitest';
import { cleanText, countFreeWords, isRetweet, isShort, unescapeHtml } from '../../../src/archive/clean';

describe('isRetweet', () => {
  it('is true only for text starting with "RT @"', () => {
    expect(isRetweet('RT @pal: nice one')).toBe(true);
    expect(isRetweet('RT@pal nice')).toBe(false);
    expect(isRetweet(' RT @pal nice')).toBe(false);
    expect(isRetweet('rt @pal nice')).toBe(false);
    expect(isRetweet('I said RT @pal')).toBe(false);
  });
});

describe('unescapeHtml', () => {
  it('unescapes &amp; &lt; &gt; in a single pass', () => {
    expect(unescapeHtml('a &amp; b &lt;3 c &gt; d')).toBe('a & b <3 c > d');
    expect(unescapeHtml('&amp;lt;')).toBe('&lt;');
    expect(unescapeHtml('&amp;amp;')).toBe('&amp;');
    expect(unescapeHtml('&quot;&#39;&nbsp;')).toBe('&quot;&#39;&nbsp;');
  });
});

describe('cleanText', () => {
  it('removes every http(s) URL, including ones glued to words', () => {
    expect(cleanText('see https://t.co/abc and http://x.y/z?q=1 now')).toBe('see and now');
    expect(cleanText('nice:https://t.co/x one two')).toBe('nice: one two');
    expect(cleanText('https://t.co/only')).toBe('');
  });
  it('collapses all whitespace, newlines included, and trims', () => {
    expect(cleanText('  one\n\ntwo\tthree\r\n four  ')).toBe('one two three four');
  });
  it('unescapes before removing URLs and keeps mentions and hashtags', () => {
    expect(cleanText('@pal you &amp; me #baking https://t.co/q')).toBe('@pal you & me #baking');
    expect(cleanText('I typed &amp;lt; literally')).toBe('I typed &lt; literally');
  });
});

describe('short tweets (fewer than 3 words free of http, @, #)', () => {
  it('counts free words case-insensitively', () => {
    expect(countFreeWords('@pal yes!')).toBe(1);
    expect(countFreeWords('nice: one two')).toBe(3);
    expect(countFreeWords('HTTPish #tag @x a b')).toBe(2);
    expect(countFreeWords('')).toBe(0);
    expect(countFreeWords('mail@example.com is here')).toBe(2);
  });
  it('applies the brief examples after cleaning', () => {
    expect(isShort(cleanText('@pal yes!'))).toBe(true);
    expect(isShort(cleanText('nice:https://t.co/x one two'))).toBe(false);
    expect(isShort(cleanText('two words https://t.co/x'))).toBe(true);
    expect(isShort(cleanText('#one #two #three four five'))).toBe(true);
    expect(isShort(cleanText('#one three free words'))).toBe(false);
  });
});
