/**
 * Long tweets ("note tweets"): tweets.js keeps only a copy cut with `…` (usually followed by a
 * t.co link); the full text lives in note-tweet.js:
 *   {"noteTweet": {"noteTweetId", "createdAt": "2023-01-05T12:34:56.000Z", "core": {"text", …}}}
 * Nothing links the two but the time and the text, so a note belongs to the tweet created in the
 * same second whose text before the `…` begins the note. Several tweets can share a second; the
 * prefix decides, the longest matching prefix first.
 */
import { isRetweet, unescapeHtml } from './clean';
import { parseTwitterDate, type RawTweet } from './tweets';

export interface Note {
  /** createdAt in ms since the epoch (NaN when unknown: such a note matches nothing). */
  time: number;
  text: string;
}

const ELLIPSIS = '…';

export function notesFromEntries(entries: unknown[]): Note[] {
  const notes: Note[] = [];
  for (const entry of entries) {
    if (typeof entry !== 'object' || entry === null) continue;
    const outer = entry as Record<string, unknown>;
    const note = (typeof outer.noteTweet === 'object' && outer.noteTweet !== null ? outer.noteTweet : outer) as Record<string, unknown>;
    const core = note.core as Record<string, unknown> | null | undefined;
    const text = typeof core === 'object' && core !== null ? core.text : undefined;
    if (typeof text !== 'string') continue;
    const time = typeof note.createdAt === 'string' ? parseTwitterDate(note.createdAt) : NaN;
    notes.push({ time, text });
  }
  return notes;
}

// Whitespace is compared collapsed: the cut copy and the note need not break lines alike.
function normalize(text: string): string {
  return text.replace(/\s+/g, ' ');
}

/** The unescaped text before the last `…`, or null when the tweet was not cut. */
function cutPrefix(fullText: string): string | null {
  const at = fullText.lastIndexOf(ELLIPSIS);
  return at < 0 ? null : normalize(unescapeHtml(fullText.slice(0, at))).trimEnd();
}

/** Which tweet each note completes: tweet → the note's full text. Notes with no tweet are dropped. */
export function matchNotes(tweets: RawTweet[], notes: Note[]): Map<RawTweet, string> {
  const bySecond = new Map<number, Array<{ tweet: RawTweet; prefix: string }>>();
  for (const tweet of tweets) {
    if (Number.isNaN(tweet.time) || isRetweet(tweet.fullText)) continue;
    const prefix = cutPrefix(tweet.fullText);
    if (prefix === null) continue;
    const second = Math.floor(tweet.time / 1000);
    let group = bySecond.get(second);
    if (group === undefined) bySecond.set(second, (group = []));
    group.push({ tweet, prefix });
  }

  const matched = new Map<RawTweet, string>();
  for (const note of notes) {
    if (Number.isNaN(note.time)) continue;
    const group = bySecond.get(Math.floor(note.time / 1000));
    if (group === undefined) continue;
    // The note text may itself be escaped or not; accept the prefix against either form.
    const forms = [normalize(note.text), normalize(unescapeHtml(note.text))];
    let best: { tweet: RawTweet; prefix: string } | null = null;
    for (const candidate of group) {
      if (matched.has(candidate.tweet)) continue;
      if (!forms.some((form) => form.startsWith(candidate.prefix))) continue;
      if (best === null || candidate.prefix.length > best.prefix.length) best = candidate;
    }
    if (best !== null) matched.set(best.tweet, note.text);
  }
  return matched;
}
