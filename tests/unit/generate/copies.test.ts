import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { latinWords, buildCopyIndex, copyThreshold, findCopy, textWords } from '../../../src/generate/copies';
import { fuzzParams } from '../../helpers/fuzz';

const segmenter = new Intl.Segmenter(undefined, { granularity: 'word' });
/** The rule's words, straight from the Segmenter (the reference the fast path must match). */
function referenceWords(text: string): string[] {
  return [...segmenter.segment(text.toLowerCase())].filter((s) => s.isWordLike).map((s) => s.segment);
}

function longestRun(a: string[], b: string[]): number {
  let best = 0;
  for (let i = 0; i < a.length; i++)
    for (let j = 0; j < b.length; j++) {
      let k = 0;
      while (i + k < a.length && j + k < b.length && a[i + k] === b[j + k]) k++;
      best = Math.max(best, k);
    }
  return best;
}

/** The rule, by brute force over every kept tweet. */
function referenceCopy(kept: string[], text: string): { tweet: number; run: number } | null {
  const w = referenceWords(text);
  let best = { tweet: -1, run: 0 };
  kept.forEach((k, i) => {
    const run = longestRun(w, referenceWords(k));
    if (run > best.run) best = { tweet: i, run };
  });
  const copies = best.run >= 8 || (w.length >= 4 && best.run * 5 >= w.length * 4);
  return copies && best.run > 0 ? best : null;
}

const words = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `w${from + i}`).join(' ');

describe('the copy rule at its boundaries', () => {
  const kept = [words(20), 'Completely different words here, nothing shared at all today', 'the cat sat on the mat'];
  const index = buildCopyIndex(kept);

  test('7 shared words in a long text is not a copy, 8 is', () => {
    expect(findCopy(index, `${words(7)} zz yy xx vv uu tt`)).toBeNull();
    expect(findCopy(index, `${words(8)} zz yy xx vv uu tt`)).toEqual({ tweet: 0, run: 8 });
  });

  test('79% of the text is not a copy, 80% is', () => {
    // 4 of 5 words = 80%; 7 of 9 words ≈ 77.8%; 3 of 4 = 75%; 8 of 10 = 80% (and 8 words)
    expect(findCopy(index, `${words(4)} zz`)).toEqual({ tweet: 0, run: 4 });
    expect(findCopy(index, `${words(7)} zz yy`)).toBeNull();
    expect(findCopy(index, `${words(3)} zz`)).toBeNull();
    expect(findCopy(index, words(4))).toEqual({ tweet: 0, run: 4 });
    expect(copyThreshold(4)).toBe(4);
    expect(copyThreshold(5)).toBe(4);
    expect(copyThreshold(6)).toBe(5);
    expect(copyThreshold(7)).toBe(6);
    expect(copyThreshold(9)).toBe(8);
    expect(copyThreshold(3)).toBe(Infinity);
    // 6 words with a run of 4 (66%) is not, 6 words with a run of 5 (83%) is
    expect(findCopy(index, `${words(4)} zz yy`)).toBeNull();
    expect(findCopy(index, `${words(5)} zz`)).toEqual({ tweet: 0, run: 5 });
  });

  test('fewer than 4 words is never a copy, even verbatim', () => {
    const short = buildCopyIndex(['hello there you']);
    expect(findCopy(short, 'hello there you')).toBeNull();
  });

  test('punctuation and case do not count', () => {
    expect(findCopy(index, 'THE CAT... sat, on -- the "mat"!!')).toEqual({ tweet: 2, run: 6 });
    expect(findCopy(index, 'completely DIFFERENT words here nothing shared at all')).toEqual({ tweet: 1, run: 8 });
  });

  test('a run never spans the end of one kept tweet into the next', () => {
    const two = buildCopyIndex(['alpha beta gamma delta epsilon zeta', 'eta theta iota kappa lambda mu']);
    // the last 5 words of one and the first 5 of the next: runs of 5 in 10 words
    expect(findCopy(two, 'beta gamma delta epsilon zeta eta theta iota kappa lambda')).toBeNull();
    expect(referenceCopy(['alpha beta gamma delta epsilon zeta', 'eta theta iota kappa lambda mu'], 'beta gamma delta epsilon zeta eta theta iota kappa lambda')).toBeNull();
  });

  test('a run that reaches a kept tweet’s last word (or starts at its first) counts in full', () => {
    const k = buildCopyIndex(['zero one two three four five six seven', 'unrelated words here and there again ok']);
    // the text starts mid-tweet and runs to the kept tweet's end, then goes on
    expect(findCopy(k, 'so zero one two three four five six seven and then more words')).toEqual({ tweet: 0, run: 8 });
    expect(findCopy(k, 'so one two three four five six seven and then more words after')).toBeNull();
    expect(findCopy(k, 'two three four five six seven')).toEqual({ tweet: 0, run: 6 });
  });

  test('the longest run wins, ties go to the lowest index', () => {
    const k = ['a b c d e f g h i j', 'x a b c d e f g h i j k', 'a b c d e f g h i j'];
    expect(findCopy(buildCopyIndex(k), 'a b c d e f g h i j k')).toEqual({ tweet: 1, run: 11 });
    expect(findCopy(buildCopyIndex(k), 'a b c d e f g h i j')).toEqual({ tweet: 0, run: 10 });
  });

  test('Chinese and Japanese split into words', () => {
    const text = '今日はとても良い天気ですね。明日も晴れるといいな';
    const w = textWords(text);
    expect(w.length).toBeGreaterThan(4);
    expect(findCopy(buildCopyIndex(['something else', text]), text)).toEqual({ tweet: 1, run: w.length });
  });

  test('an empty index and empty text', () => {
    expect(findCopy(buildCopyIndex([]), 'one two three four five')).toBeNull();
    expect(findCopy(index, '')).toBeNull();
  });
});

describe('the Latin-text shortcut splits exactly as Intl.Segmenter', () => {
  test('hand-picked cases', () => {
    for (const t of ["don't stop", 'don’t ‘quote’ it’s 1’2', 'a.b 1.2 a.1 1,2 a,b 1;2 3.14.15 a..b', "'quoted' x-y 1-2 #tag @who $5 50%", 'a\r\nb\tc', '']) {
      expect(latinWords(t)).toEqual(referenceWords(t));
    }
    for (const t of ['a:b', '10:30', 'note: this', 'ok 🎉 fine', 'love ❤️ it', 'thumbs 👍🏻 up', 'a👍🏻b', 'x\uFE0Fy', 'family 👨‍👩‍👧 time']) {
      const fast = latinWords(t);
      if (fast !== null) expect(fast, t).toEqual(referenceWords(t));
    }
    expect(latinWords('ok 🎉 fine')).toEqual(['ok', 'fine']);
    expect(latinWords('a_b')).toBeNull();
    expect(latinWords('café naïve straße – “quoted”… ’tis')).toEqual(referenceWords('café naïve straße – “quoted”… ’tis'));
    expect(latinWords('日本')).toBeNull();
  });

  test('property: any text it accepts (lower-case Latin, emoji, punctuation)', () => {
    const alphabet = fc.constantFrom(...[...'ab1 2.\',;-!?\n\t#@$%&()"/*+<=>[]{}|~`^éßñÿąſ', '\u2018', '\u2019', '\u2013', '\u2014', '\u201c', '\u201d', '\u2026', '\u00a0', ':', '🎉', '😂', '❤', '✨', '🏻', '\uFE0F', '\u200D', '\u20E3', '🇫', '🇷', '_', 'C']);
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 30 }).map((cs) => cs.join('')), (t) => {
        const fast = latinWords(t);
        if (fast !== null) expect(fast).toEqual(referenceWords(t));
      }),
      fuzzParams(6000, 12),
    );
    // …and it takes most such texts (the test above is not vacuous)
    const sample = Array.from({ length: 200 }, (_, i) => `word${i % 7} 🎉 o’clock, “yes” — naïve: fine… ${i}.5`);
    expect(sample.filter((t) => latinWords(t) !== null).length).toBe(200);
  });
});

describe('findCopy properties', () => {
  const vocab = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'Ü', '猫'];
  const sep = fc.constantFrom(' ', ', ', '. ', '! ', ' — ', '\n');
  const tweet = fc.array(fc.tuple(fc.constantFrom(...vocab), sep), { minLength: 0, maxLength: 14 }).map((ps) => ps.map(([w, s]) => w + s).join('').trim());

  test('agrees with the brute-force rule', () => {
    fc.assert(
      fc.property(fc.array(tweet, { minLength: 1, maxLength: 6 }), tweet, (kept, text) => {
        expect(findCopy(buildCopyIndex(kept), text)).toEqual(referenceCopy(kept, text));
      }),
      fuzzParams(1500, 21),
    );
  });

  test('any kept tweet of 4 or more words, generated verbatim, is flagged', () => {
    fc.assert(
      fc.property(fc.array(tweet, { minLength: 1, maxLength: 8 }), fc.nat(), (kept, pick) => {
        const i = pick % kept.length;
        fc.pre(textWords(kept[i]).length >= 4);
        const found = findCopy(buildCopyIndex(kept), kept[i]);
        expect(found).not.toBeNull();
        expect(found!.run).toBe(textWords(kept[i]).length);
        // the flagged tweet holds the whole text (the lowest such index)
        expect(textWords(kept[found!.tweet]).join(' ')).toContain(textWords(kept[i]).join(' '));
      }),
      fuzzParams(1000, 22),
    );
  });

  test('a text sharing no 4-word run with any kept tweet is never flagged', () => {
    fc.assert(
      fc.property(fc.array(tweet, { minLength: 1, maxLength: 6 }), tweet, (kept, text) => {
        const w = referenceWords(text);
        fc.pre(kept.every((k) => longestRun(w, referenceWords(k)) < 4));
        expect(findCopy(buildCopyIndex(kept), text)).toBeNull();
      }),
      fuzzParams(1000, 23),
    );
  });
});
