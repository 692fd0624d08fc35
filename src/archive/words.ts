/**
 * The word count of the "short" rule. A word is a whitespace token free of links, mentions and
 * hashtags (no `http`, `@` or `#`). Chinese, Japanese and Thai are written without spaces, so a
 * whole post is often one whitespace token: a token holding a character of those scripts counts
 * as its number of word-like segments (Intl.Segmenter, word granularity) instead of 1. Texts
 * without those characters count exactly as before.
 */

const WHITESPACE = /\s+/;
// A word containing any of these carries no voice of its own (a link, a mention, a hashtag).
const NOT_FREE = /http|@|#/i;
/** Thai, kana (with the half-width forms) and CJK ideographs (extension A, unified, compatibility). */
const SPACELESS_SCRIPT = /[\u0E00-\u0E7F\u3040-\u30FF\u31F0-\u31FF\uFF66-\uFF9F\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF]/;

let wordSegmenter: Intl.Segmenter | null = null;

/** Word-like segments of a token of a spaceless script ("今日は雨です" → 今日 / は / 雨 / です). */
export function segmentWords(token: string): number {
  wordSegmenter ??= new Intl.Segmenter(undefined, { granularity: 'word' });
  let words = 0;
  for (const segment of wordSegmenter.segment(token)) if (segment.isWordLike) words++;
  return words;
}

/** Words free of `http`, `@` and `#` (case-insensitive); spaceless-script tokens count their words. */
export function countFreeWords(cleaned: string): number {
  let free = 0;
  for (const token of cleaned.split(WHITESPACE)) {
    if (token === '' || NOT_FREE.test(token)) continue;
    free += SPACELESS_SCRIPT.test(token) ? segmentWords(token) : 1;
  }
  return free;
}

/** A cleaned post with fewer than 3 free words is too short to teach a voice. */
export function isShort(cleaned: string): boolean {
  return countFreeWords(cleaned) < 3;
}
