/**
 * A Mastodon Note's HTML `content` to plain text, as the rule says: `<br>` in any form
 * becomes a line break, `</p>` two, every other tag goes without leaving anything in its place
 * (Mastodon splits links across `<span>`s: a space there would cut words), then HTML entities
 * are decoded once (a literal `&amp;lt;` stays `&lt;`). Runs in a worker: no DOMParser there.
 */

const BREAK = /<br\b[^>]*>/gi;
const PARAGRAPH_END = /<\/p\s*>/gi;
const TAG = /<[^>]*>/g;
const ENTITY = /&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([A-Za-z][A-Za-z0-9]{1,31}));/g;

// The named entities Mastodon (Ruby's HTML escaping and sanitising) and the usual editors write;
// an unknown name stays as written.
const NAMED: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0',
  hellip: '…', mdash: '—', ndash: '–', lsquo: '‘', rsquo: '’', sbquo: '‚', ldquo: '“', rdquo: '”', bdquo: '„',
  laquo: '«', raquo: '»', lsaquo: '‹', rsaquo: '›', middot: '·', bull: '•', deg: '°', times: '×', divide: '÷',
  copy: '©', reg: '®', trade: '™', euro: '€', pound: '£', yen: '¥', cent: '¢', sect: '§', para: '¶',
  iexcl: '¡', iquest: '¿', shy: '\u00ad', zwj: '\u200d', zwnj: '\u200c', ensp: '\u2002', emsp: '\u2003', thinsp: '\u2009',
  larr: '←', rarr: '→', uarr: '↑', darr: '↓', harr: '↔', hearts: '♥', plusmn: '±', frac12: '½', frac14: '¼', frac34: '¾',
};

function codePoint(n: number, raw: string): string {
  if (n === 0 || n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff)) return raw;
  return String.fromCodePoint(n);
}

/** Decodes numeric and common named character references, in one pass. */
export function decodeEntities(text: string): string {
  return text.replace(ENTITY, (raw, dec: string | undefined, hex: string | undefined, name: string | undefined) => {
    if (dec !== undefined) return codePoint(Number(dec), raw);
    if (hex !== undefined) return codePoint(parseInt(hex, 16), raw);
    return NAMED[name as string] ?? raw;
  });
}

/** `<br>` → line break, `</p>` → two, other tags dropped, entities decoded once. */
export function htmlToText(html: string): string {
  return decodeEntities(html.replace(BREAK, '\n').replace(PARAGRAPH_END, '\n\n').replace(TAG, ''));
}
