/**
 * Tweet records as stored in tweets.js: `{"tweet": {"id_str", "full_text", "created_at", …}}`,
 * every number a string. This module extracts the three fields the reader needs, orders them,
 * and removes the duplicates that appear when an account's tweets span several part files.
 */

export interface RawTweet {
  /** `id_str` as written ('' when the entry has none: such tweets are never de-duplicated). */
  id: string;
  /** `id_str` as a number, for ordering (ids exceed 2^53); null when it is not a decimal. */
  idNum: bigint | null;
  /** `created_at` in ms since the epoch; NaN when unknown. */
  time: number;
  /** `full_text`, still HTML-escaped as the archive stores it. */
  fullText: string;
}

const MONTHS: Record<string, number> = {
  Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11,
};
// `Wed Nov 16 22:22:28 +0000 2022`, the only format archives use.
const TWITTER_DATE = /^[A-Za-z]{3} ([A-Za-z]{3}) (\d{1,2}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2}) (\d{4})$/;
// Snowflake ids (since late 2010) carry their creation time: ms since this epoch, shifted by 22 bits.
const SNOWFLAKE_EPOCH = 1288834974657n;
const FIRST_SNOWFLAKE = 1n << 40n;

/** Parses `Wed Nov 16 22:22:28 +0000 2022` without relying on the engine's lenient Date.parse. */
export function parseTwitterDate(text: string): number {
  const m = TWITTER_DATE.exec(text.trim());
  if (m) {
    const month = MONTHS[m[1]];
    if (month === undefined) return NaN;
    const utc = Date.UTC(Number(m[9]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
    const offsetMinutes = (Number(m[7]) * 60 + Number(m[8])) * (m[6] === '-' ? -1 : 1);
    return utc - offsetMinutes * 60_000;
  }
  // ISO strings (note-tweet.js `createdAt`, hand-made files).
  return /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
}

export function parseTweetId(id: string): bigint | null {
  return /^\d{1,40}$/.test(id) ? BigInt(id) : null;
}

function snowflakeTime(idNum: bigint | null): number {
  return idNum !== null && idNum >= FIRST_SNOWFLAKE ? Number((idNum >> 22n) + SNOWFLAKE_EPOCH) : NaN;
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

function asIdString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  return '';
}

/**
 * One tweets.js entry to a RawTweet, or null when it holds no tweet text. Entries are
 * `{"tweet": {…}}`; the earliest archives stored the tweet object bare, which is accepted too.
 */
export function rawTweetFromEntry(entry: unknown): RawTweet | null {
  const outer = asRecord(entry);
  if (outer === null) return null;
  const tweet = asRecord(outer.tweet) ?? outer;
  const fullText = typeof tweet.full_text === 'string' ? tweet.full_text : typeof tweet.text === 'string' ? tweet.text : null;
  if (fullText === null) return null;
  const id = asIdString(tweet.id_str) || asIdString(tweet.id);
  const idNum = parseTweetId(id);
  let time = typeof tweet.created_at === 'string' ? parseTwitterDate(tweet.created_at) : NaN;
  if (Number.isNaN(time)) time = snowflakeTime(idNum);
  return { id, idNum, time, fullText };
}

/** Appends the tweets of `entries` whose id was not seen yet (the same tweet in two parts counts once). */
export function collectTweets(entries: unknown[], into: RawTweet[], seenIds: Set<string>): void {
  for (const entry of entries) {
    const tweet = rawTweetFromEntry(entry);
    if (tweet === null) continue;
    if (tweet.id !== '') {
      if (seenIds.has(tweet.id)) continue;
      seenIds.add(tweet.id);
    }
    into.push(tweet);
  }
}

/** Oldest first by `created_at`, then by id as a number within the same second. */
export function compareTweets(a: RawTweet, b: RawTweet): number {
  const ta = Number.isNaN(a.time) ? -Infinity : a.time;
  const tb = Number.isNaN(b.time) ? -Infinity : b.time;
  if (ta !== tb) return ta < tb ? -1 : 1;
  if (a.idNum !== null && b.idNum !== null) return a.idNum < b.idNum ? -1 : a.idNum > b.idNum ? 1 : 0;
  if (a.idNum !== null) return 1;
  if (b.idNum !== null) return -1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
