/**
 * Tweet cleaning as huggingtweets did it, adapted to archives (which have no `retweeted_status`).
 * The order matters: unescape, then strip URLs, then collapse whitespace; "short" is judged on
 * the result.
 */

const HTML_ENTITY = /&(amp|lt|gt);/g;
const ENTITY_TEXT: Record<string, string> = { amp: '&', lt: '<', gt: '>' };
const URL = /https?:\/\/\S+/g;
const WHITESPACE = /\s+/g;

// The short rule's word count (spaceless scripts included) lives with the other networks' rules.
export { countFreeWords, isShort } from './words';

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
  return tidyText(unescapeHtml(text));
}

/**
 * The steps every network shares, after its own (X: unescape; Bluesky: link facets out;
 * Mastodon: HTML to text): drop http(s) URLs, collapse Unicode whitespace (line breaks and
 * U+00A0 included) to one space, trim.
 */
export function tidyText(text: string): string {
  return text.replace(URL, '').replace(WHITESPACE, ' ').trim();
}
