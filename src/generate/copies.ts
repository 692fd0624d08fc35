/**
 * Does a generated tweet copy one of the person's own (kept, training) tweets?
 *
 * Words: the word-like segments of `Intl.Segmenter(undefined, { granularity: 'word' })` over the
 * lower-cased text, so punctuation never counts and Chinese or Japanese splits into words.
 * A text of `w` words copies a kept tweet when their longest run of consecutive equal words is at
 * least 8 words long, or when w ≥ 4 and that run covers at least 80% of the text's words.
 *
 * Speed: the index hashes every word 4-gram of every kept tweet into a chained hash table (typed
 * arrays, no per-gram objects). Any qualifying run has at least min(8, ⌈0.8·w⌉) ≥ 4 words, so the
 * tweet with the longest run always shares a 4-gram with the text: the 4-grams find every
 * candidate. For each candidate, the number of the text's 4-gram positions found in it bounds its
 * longest run from above (a run of L words gives L − 3 positions), so candidates are checked
 * exactly (longest common run, O(w·len)) from the best bound down, and the rest are skipped once
 * their bound cannot beat the best run found.
 *
 * Intl.Segmenter costs about 1.5 µs per segment in V8, too slow to index 100,000 tweets in under
 * 2 s, so texts in ASCII and common Latin letters, with emoji (most tweets) are split by `latinWords`, which follows
 * the same UAX #29 rules for those characters (a property test checks it against the Segmenter);
 * everything else (emoji, CJK, …) goes to the Segmenter.
 */

export interface CopyMatch {
  /** Index in `kept` of the tweet sharing the longest run (ties: the lowest index). */
  tweet: number;
  /** That run's length in words. */
  run: number;
}

export interface CopyIndex {
  /** Number of kept tweets indexed. */
  readonly size: number;
  /** Word id of every distinct word of the kept tweets. */
  readonly vocab: Map<string, number>;
  /** All kept tweets' word ids, back to back; tweet t is words[offsets[t] .. offsets[t + 1]). */
  readonly words: Int32Array;
  readonly offsets: Int32Array;
  /** Chained hash table of 4-grams: head[hash & mask] → entry → next entry … (-1 ends a chain). */
  readonly head: Int32Array;
  readonly next: Int32Array;
  readonly entryHash: Uint32Array;
  readonly entryTweet: Int32Array;
  /** Scratch for findCopy (one check at a time: the worker is single-threaded). */
  readonly hits: Int32Array;
  readonly lastPosition: Int32Array;
  /** Two rows of the longest-common-run table, as long as the longest kept tweet + 1 (no garbage per check). */
  readonly rows: [Int32Array, Int32Array];
}

/** The n-gram length indexed; any qualifying run is at least this long (see the file comment). */
export const GRAM = 4;
/** A run of this many words is a copy whatever the text's length. */
export const LONG_RUN = 8;

let segmenter: Intl.Segmenter | null = null;

/** The text's words: word-like segments of the lower-cased text. */
export function textWords(text: string): string[] {
  const lower = text.toLowerCase();
  const fast = latinWords(lower);
  if (fast !== null) return fast;
  return segmenterWords(lower);
}

function segmenterWords(text: string): string[] {
  segmenter ??= new Intl.Segmenter(undefined, { granularity: 'word' });
  const out: string[] = [];
  for (const s of segmenter.segment(text)) if (s.isWordLike) out.push(s.segment);
  return out;
}

const enum Kind {
  Other = 0,
  Letter = 1,
  Digit = 2,
  /**
   * `.` `'` ‘ ’ `,` `;` `:`: may join two letters or two digits into one word (UAX #29 WB6/7,
   * WB11/12). Which join what differs between browsers (Chromium's rules do not join letters with
   * `.` or `:`, Node's ICU does), so it is asked of this engine's Segmenter once (`joins`).
   */
  Joiner = 3,
}

const JOINERS = ['.', "'", '\u2018', '\u2019', ',', ';', ':'];
/** For each joiner: does it join letter·letter, digit·digit, in this engine's Segmenter? */
let joinTable: Map<number, { letters: boolean; digits: boolean }> | null = null;

function joins(): Map<number, { letters: boolean; digits: boolean }> {
  joinTable ??= new Map(JOINERS.map((j) => [j.charCodeAt(0), { letters: segmenterWords(`a${j}b`).length === 1, digits: segmenterWords(`1${j}2`).length === 1 }]));
  return joinTable;
}

function kindOf(c: number): Kind {
  if (c >= 97 && c <= 122) return Kind.Letter;
  if (isLatinLetter(c)) return Kind.Letter;
  if (c >= 48 && c <= 57) return Kind.Digit;
  if (c === 46 || c === 39 || c === 0x2018 || c === 0x2019 || c === 44 || c === 59 || c === 58) return Kind.Joiner;
  return Kind.Other;
}

/**
 * Emoji and symbols that are plain breaks between words (Extended_Pictographic, word-break Other):
 * U+1F300–1FAFF (pictographs, emoticons, transport, supplemental) and U+2600–27BF (symbols,
 * dingbats). Flags, enclosed letters and the like are left to the Segmenter.
 */
function isPictograph(cp: number): boolean {
  return (cp >= 0x1f300 && cp <= 0x1faff && !isEmojiModifier(cp)) || (cp >= 0x2600 && cp <= 0x27bf);
}

function isEmojiModifier(cp: number): boolean {
  return cp >= 0x1f3fb && cp <= 0x1f3ff;
}

/** Extend, ZWJ and variation selectors: they attach to the character before them (WB4). */
function attaches(cp: number): boolean {
  return cp === 0xfe0f || cp === 0xfe0e || cp === 0x200d || cp === 0x20e3 || isEmojiModifier(cp);
}

/** Lower-case letters of Latin-1 and Latin Extended-A (ß à … ÿ, ā … ſ; not ÷): ALetter in UAX #29. */
function isLatinLetter(c: number): boolean {
  return (c >= 0xdf && c <= 0xff && c !== 0xf7) || (c >= 0x100 && c <= 0x17f);
}

/** Typographic punctuation tweets are full of that never joins words: – — “ ” … and the no-break space. */
function isPlainPunctuation(c: number): boolean {
  return c === 0x2013 || c === 0x2014 || c === 0x201c || c === 0x201d || c === 0x2026 || c === 0xa0;
}

/**
 * Word-like segments of a lower-case text in ASCII and common Latin letters (plus the typographic
 * apostrophes ‘ ’, dashes, quotes and ellipsis phones type), exactly as the Segmenter gives them;
 * null when the text has a character this shortcut does not handle (other non-ASCII such as CJK,
 * flags or an emoji modifier after a letter; upper case; `_`, whose lone segments are not
 * word-like). Emoji and symbols are breaks; the joiners join what this engine's Segmenter joins.
 */
export function latinWords(text: string): string[] | null {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c > 127) {
      if (c === 0x2018 || c === 0x2019 || isLatinLetter(c) || isPlainPunctuation(c)) continue;
      const cp = text.codePointAt(i) as number;
      if (cp > 0xffff) i++;
      // An attaching mark after a word character or a joiner would change the words (WB4): ask the Segmenter.
      if (attaches(cp) && i > 0 && kindOf(text.charCodeAt(i - (cp > 0xffff ? 2 : 1))) !== Kind.Other) return null;
      if (isPictograph(cp) || attaches(cp)) continue;
      return null;
    }
    if (c === 95 || (c >= 65 && c <= 90)) return null;
  }
  const table = joins();
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i < n; i++) {
    const k = kindOf(text.charCodeAt(i));
    if (k === Kind.Letter || k === Kind.Digit) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0 && k === Kind.Joiner && i + 1 < n) {
      const before = kindOf(text.charCodeAt(i - 1));
      const after = kindOf(text.charCodeAt(i + 1));
      const joiner = table.get(text.charCodeAt(i));
      if (joiner && before === after && (before === Kind.Digit ? joiner.digits : before === Kind.Letter && joiner.letters)) continue;
    }
    if (start >= 0) out.push(text.slice(start, i));
    start = -1;
  }
  if (start >= 0) out.push(text.slice(start));
  return out;
}

/** The shortest run that makes a text of `w` words a copy (Infinity below 4 words). */
export function copyThreshold(w: number): number {
  if (w < GRAM) return Infinity;
  // run ≥ 0.8·w ⇔ 5·run ≥ 4·w, in integers.
  return Math.min(LONG_RUN, Math.ceil((4 * w) / 5));
}

function gramHash(words: Int32Array | number[], at: number): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < GRAM; k++) h = Math.imul(h ^ words[at + k], 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Builds the index of the kept (training) tweets; build once per change of the training data. */
export function buildCopyIndex(kept: string[]): CopyIndex {
  const vocab = new Map<string, number>();
  const offsets = new Int32Array(kept.length + 1);
  let words = new Int32Array(Math.max(16, kept.length * 16));
  let used = 0;
  let grams = 0;
  for (let t = 0; t < kept.length; t++) {
    const ws = textWords(kept[t]);
    if (used + ws.length > words.length) {
      const grown = new Int32Array(Math.max(words.length * 2, used + ws.length));
      grown.set(words);
      words = grown;
    }
    for (const w of ws) {
      let id = vocab.get(w);
      if (id === undefined) {
        id = vocab.size;
        vocab.set(w, id);
      }
      words[used++] = id;
    }
    offsets[t + 1] = used;
    if (ws.length >= GRAM) grams += ws.length - GRAM + 1;
  }
  words = words.slice(0, used);

  let tableSize = 16;
  while (tableSize < grams) tableSize *= 2;
  const head = new Int32Array(tableSize).fill(-1);
  const next = new Int32Array(grams);
  const entryHash = new Uint32Array(grams);
  const entryTweet = new Int32Array(grams);
  const mask = tableSize - 1;
  let e = 0;
  for (let t = 0; t < kept.length; t++) {
    for (let at = offsets[t]; at + GRAM <= offsets[t + 1]; at++) {
      const h = gramHash(words, at);
      const bucket = h & mask;
      entryHash[e] = h;
      entryTweet[e] = t;
      next[e] = head[bucket];
      head[bucket] = e;
      e++;
    }
  }
  let longest = 0;
  for (let t = 0; t < kept.length; t++) longest = Math.max(longest, offsets[t + 1] - offsets[t]);
  const rows: [Int32Array, Int32Array] = [new Int32Array(longest + 1), new Int32Array(longest + 1)];
  return { size: kept.length, vocab, words, offsets, head, next, entryHash, entryTweet, hits: new Int32Array(kept.length), lastPosition: new Int32Array(kept.length).fill(-1), rows };
}

/** Longest run of consecutive equal ids shared by `a` and b[from, to). */
function longestCommonRun(a: Int32Array, b: Int32Array, from: number, to: number, rows: [Int32Array, Int32Array]): number {
  const m = to - from;
  let prev = rows[0];
  let row = rows[1];
  prev.fill(0, 0, m + 1);
  let best = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    for (let j = 1; j <= m; j++) {
      const v = x >= 0 && b[from + j - 1] === x ? prev[j - 1] + 1 : 0;
      row[j] = v;
      if (v > best) best = v;
    }
    const done = prev;
    prev = row;
    row = done;
  }
  return best;
}

/**
 * The kept tweet the text copies, or null. `tweet` is the one sharing the longest run of
 * consecutive words (ties: the lowest index), `run` that run's length in words.
 */
export function findCopy(index: CopyIndex, text: string): CopyMatch | null {
  const ws = textWords(text);
  const threshold = copyThreshold(ws.length);
  if (!Number.isFinite(threshold) || index.size === 0) return null;
  // Words no kept tweet has get -1: they can never be part of a shared run.
  const q = Int32Array.from(ws, (w) => index.vocab.get(w) ?? -1);
  const { head, next, entryHash, entryTweet, hits, lastPosition } = index;
  const mask = head.length - 1;
  const touched: number[] = [];
  for (let p = 0; p + GRAM <= q.length; p++) {
    if (q[p] < 0 || q[p + 1] < 0 || q[p + 2] < 0 || q[p + 3] < 0) continue;
    const h = gramHash(q, p);
    for (let e = head[h & mask]; e >= 0; e = next[e]) {
      if (entryHash[e] !== h) continue;
      const t = entryTweet[e];
      if (lastPosition[t] === p) continue; // count each text position once per tweet
      if (lastPosition[t] < 0) touched.push(t);
      lastPosition[t] = p;
      hits[t]++;
    }
  }
  // A candidate's longest run is at most hits + 3 (a run of L words covers L − 3 positions).
  const candidates = touched.filter((t) => hits[t] + GRAM - 1 >= threshold).map((t) => ({ t, bound: hits[t] + GRAM - 1 }));
  for (const t of touched) {
    hits[t] = 0;
    lastPosition[t] = -1;
  }
  candidates.sort((a, b) => b.bound - a.bound || a.t - b.t);
  let bestRun = 0;
  let bestTweet = -1;
  for (const { t, bound } of candidates) {
    if (bound < Math.max(threshold, bestRun)) break;
    if (bound === bestRun && t > bestTweet) continue;
    const run = longestCommonRun(q, index.words, index.offsets[t], index.offsets[t + 1], index.rows);
    if (run > bestRun || (run === bestRun && t < bestTweet)) {
      bestRun = run;
      bestTweet = t;
    }
  }
  return bestRun >= threshold ? { tweet: bestTweet, run: bestRun } : null;
}
