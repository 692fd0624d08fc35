/**
 * The copy check's speed (src/generate/copies.ts): build the index of 100,000 synthetic kept
 * tweets, then check generated-like texts against it. No tfjs: it runs in the bench worker on the
 * page's own JavaScript engine (Intl.Segmenter included).
 *
 * The corpus: words drawn from a Zipf-like vocabulary of 30,000 made-up words (so common words
 * and common 4-grams recur as in real tweets), 4 to 45 words a tweet, punctuation, typographic
 * apostrophes, and a share of tweets with accents (the Latin-text shortcut) or emoji, Japanese or
 * a colon (the Intl.Segmenter path). The texts checked: verbatim kept tweets, kept tweets with
 * their end rewritten, splices of two kept tweets, and fresh word salad from the same vocabulary.
 */
import { buildCopyIndex, findCopy, latinWords } from '../src/generate/copies';
import { mulberry32 } from '../src/random';

export interface CopyFigures {
  tweets: number;
  words: number;
  /** Share of kept tweets that take the Intl.Segmenter path (not the Latin-text shortcut). */
  segmenterShare: number;
  buildMs: number[];
  checks: number;
  /** Per-check times, ms: median, 99th percentile and worst. */
  checkMedianMs: number;
  checkP99Ms: number;
  checkMaxMs: number;
  copiesFound: number;
  verbatimFlagged: number;
  verbatimChecked: number;
  /** Texts the Latin-text shortcut split, compared with this engine's own Intl.Segmenter, and how many differ. */
  shortcutCompared: number;
  shortcutMismatches: string[];
}

/** The shortcut against the page's own Intl.Segmenter (the property test checks Node's; browsers carry their own ICU). */
function compareShortcut(texts: string[]): { compared: number; mismatches: string[] } {
  const segmenter = new Intl.Segmenter(undefined, { granularity: 'word' });
  let compared = 0;
  const mismatches: string[] = [];
  for (const t of texts) {
    const lower = t.toLowerCase();
    const fast = latinWords(lower);
    if (fast === null) continue;
    compared++;
    const reference = Array.from(segmenter.segment(lower), (s) => (s.isWordLike ? s.segment : null)).filter((w): w is string => w !== null);
    if (fast.join('\u0000') !== reference.join('\u0000') && mismatches.length < 5) mismatches.push(t);
  }
  return { compared, mismatches };
}

/** Short random strings over the characters the shortcut handles (letters, digits, joiners, emoji, marks). */
function oddTexts(n: number, seed: number): string[] {
  const random = mulberry32(seed);
  const alphabet = [...'ab1 2.\',;:-!?\n#@éßñ_C', '\u2018', '\u2019', '\u2014', '\u201c', '\u2026', '\u00a0', '🎉', '❤', '🏻', '\ufe0f', '\u200d', '\u20e3'];
  return Array.from({ length: n }, () => Array.from({ length: 1 + Math.floor(random() * 24) }, () => alphabet[Math.floor(random() * alphabet.length)]).join(''));
}

export function syntheticTweets(n: number, seed: number): string[] {
  const random = mulberry32(seed);
  const syllables = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'to', 'vi', 'be', 'do', 'fu', 'ga', 'hi', 'jo', 'pe', 'ze'];
  const vocab: string[] = [];
  for (let i = 0; i < 30_000; i++) {
    let w = '';
    for (let s = 1 + (i % 3) + Math.floor(random() * 2); s > 0; s--) w += syllables[Math.floor(random() * syllables.length)];
    vocab.push(i % 11 === 0 ? `${w}’s` : w);
  }
  // Zipf-like: index ~ vocab.length ^ u, so low indices (common words) dominate.
  const word = () => vocab[Math.min(vocab.length - 1, Math.floor(Math.pow(vocab.length, random())) - 1)];
  const extras = ['café', '🎉', '日本語のテキスト', 'naïve', 'note:', '10:30'];
  const tweets: string[] = [];
  for (let t = 0; t < n; t++) {
    const len = 4 + Math.floor(random() * random() * 42);
    const parts: string[] = [];
    for (let i = 0; i < len; i++) {
      let w = word();
      if (i === 0 || random() < 0.03) w = w[0].toUpperCase() + w.slice(1);
      parts.push(w + (random() < 0.08 ? ',' : random() < 0.04 ? '.' : ''));
    }
    if (random() < 0.2) parts.splice(Math.floor(random() * parts.length), 0, extras[Math.floor(random() * extras.length)]);
    tweets.push(parts.join(' ') + (random() < 0.3 ? '!' : ''));
  }
  return tweets;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

export function measureCopies(opts: { tweets: number; checks: number; builds: number; log: (line: string) => void }): CopyFigures {
  const kept = syntheticTweets(opts.tweets, 12);
  const words = kept.reduce((s, t) => s + t.split(' ').length, 0);
  const segmenterShare = kept.filter((t) => latinWords(t.toLowerCase()) === null).length / kept.length;
  const buildMs: number[] = [];
  let index = buildCopyIndex(kept.slice(0, 1000)); // warm the JIT on a small corpus
  for (let b = 0; b < opts.builds; b++) {
    const t0 = performance.now();
    index = buildCopyIndex(kept);
    buildMs.push(performance.now() - t0);
    opts.log(`copies: built the index of ${kept.length.toLocaleString('en-US')} tweets in ${buildMs[b].toFixed(0)} ms`);
  }
  const random = mulberry32(34);
  const fresh = syntheticTweets(opts.checks, 56);
  const pick = () => kept[Math.floor(random() * kept.length)];
  const texts: Array<{ text: string; verbatim: boolean }> = [];
  for (let i = 0; i < opts.checks; i++) {
    const kind = i % 4;
    if (kind === 0) texts.push({ text: pick(), verbatim: true });
    else if (kind === 1) {
      const w = pick().split(' ');
      texts.push({ text: [...w.slice(0, Math.ceil(w.length / 2)), ...fresh[i].split(' ')].join(' '), verbatim: false });
    } else if (kind === 2) {
      const a = pick().split(' ');
      const b = pick().split(' ');
      texts.push({ text: [...a.slice(Math.floor(a.length / 2)), ...b.slice(0, Math.ceil(b.length / 2))].join(' '), verbatim: false });
    } else texts.push({ text: fresh[i], verbatim: false });
  }
  for (const t of texts.slice(0, 200)) findCopy(index, t.text); // warm-up
  const times: number[] = [];
  let copiesFound = 0;
  let verbatimFlagged = 0;
  let verbatimChecked = 0;
  for (const t of texts) {
    const t0 = performance.now();
    const found = findCopy(index, t.text);
    times.push(performance.now() - t0);
    if (found) copiesFound++;
    if (t.verbatim && t.text.split(' ').length >= 4) {
      verbatimChecked++;
      if (found) verbatimFlagged++;
    }
  }
  times.sort((a, b) => a - b);
  const shortcut = compareShortcut([...kept.slice(0, 20_000), ...oddTexts(20_000, 78)]);
  return {
    tweets: kept.length,
    words,
    segmenterShare,
    buildMs,
    checks: texts.length,
    checkMedianMs: percentile(times, 0.5),
    checkP99Ms: percentile(times, 0.99),
    checkMaxMs: times[times.length - 1],
    copiesFound,
    verbatimFlagged,
    verbatimChecked,
    shortcutCompared: shortcut.compared,
    shortcutMismatches: shortcut.mismatches,
  };
}
