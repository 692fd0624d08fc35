/**
 * Tweet cleaning as huggingtweets did it, adapted to archives (which have no `retweeted_status`).
 * The order matters: unescape, then strip URLs, then collapse whitespace; "short" is judged on
 * the result.
 */

const HTML_ENTITY = /&(amp|lt|gt);/g;
const ENTITY_TEXT: Record<string, string> = { amp: '&', lt: '<', gt: '>' };
const URL = /https?:\/\/\S+/g;
const WHITESPACE = /\s+/g;
// A word containing any of these carries no voice of its own (a link, a mention, a hashtag).
const NOT_FREE = /http|@|#/i;

/** Archives have no retweet flag: a retweet is a tweet whose text starts with `RT @`. */
export function isRetweet(fullText: string): boolean {
  return fullText.startsWith('RT @');
}

/**
 * Twitter escapes `&`, `<`, `>` in `full_text`. One pass, so a person's literal `&lt;`
 * (stored as `&amp;lt;`) comes back as `&lt;`, not `<`.
 */
export function unescapeHtml(text: string): string {
  return text.replace(HTML_ENTITY, (_, name: string) => ENTITY_TEXT[name]);
}

/** Unescape, drop every http(s) URL, collapse all whitespace (newlines too) to one space, trim. */
export function cleanText(text: string): string {
  return unescapeHtml(text).replace(URL, '').replace(WHITESPACE, ' ').trim();
}

/** Words (split on whitespace) free of `http`, `@` and `#`, case-insensitive. */
export function countFreeWords(cleaned: string): number {
  let free = 0;
  for (const word of cleaned.split(WHITESPACE)) {
    if (word !== '' && !NOT_FREE.test(word)) free++;
  }
  return free;
}

/** A cleaned tweet with fewer than 3 free words is too short to teach a voice. */
export function isShort(cleaned: string): boolean {
  return countFreeWords(cleaned) < 3;
}
