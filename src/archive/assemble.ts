/**
 * From the text of an archive's files to a ParsedArchive: parse, de-duplicate, complete long
 * tweets with their notes, order oldest first, clean, count. Independent of where the files came
 * from (zip, dropped folder, loose tweets.js).
 */
import { MAX_AVATAR_BYTES, imageMimeType } from './avatar';
import { resolveAccount, accountFromText, manifestFromText, type AccountInfo } from './account';
import { cleanText, isRetweet, isShort } from './clean';
import { ArchiveError } from './errors';
import { findArchiveFiles, looksLikeTwitterArchive } from './layout';
import { matchNotes, notesFromEntries, type Note } from './notes';
import { collectTweets, compareTweets, type RawTweet } from './tweets';
import type { ParsedArchive } from './types';
import { parseYtdList } from './ytd';

/** A set of named files, each readable as text: the entries of a zip, or a dropped folder. */
export interface ArchiveSource {
  /** 'zip' or 'folder', for error messages. */
  kind: 'zip' | 'folder';
  paths: string[];
  readText(path: string): Promise<string>;
  /** A small binary file (the avatar); null when larger than maxBytes. Sources without it give no avatar. */
  readBytes?(path: string, maxBytes: number): Promise<Uint8Array | null>;
}


export const SAMPLE_COUNT = 5;

// cyrb53: a fast 53-bit string hash; collisions only matter between archives of one session.
export function hash53(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, '0');
}

export function isoDate(time: number): string | null {
  return Number.isFinite(time) ? new Date(time).toISOString() : null;
}

export function spread<T>(items: T[], count: number): T[] {
  if (items.length <= count) return items.slice();
  const picked: T[] = [];
  for (let i = 0; i < count; i++) picked.push(items[Math.round((i * (items.length - 1)) / (count - 1))]);
  return picked;
}

/** The counting and cleaning rules, applied to tweets already de-duplicated. */
export function assembleArchive(
  tweets: RawTweet[],
  notes: Note[],
  account: AccountInfo,
  filesRead: string[],
  avatar: ParsedArchive['avatar'] = null,
): ParsedArchive {
  if (tweets.length === 0) {
    throw new ArchiveError('no-tweets', 'This archive holds no tweets at all, so there is nothing to learn from.');
  }
  const noteTexts = matchNotes(tweets, notes);
  const ordered = tweets.slice().sort(compareTweets);
  let retweets = 0;
  let short = 0;
  const kept: Array<{ text: string; time: number }> = [];
  for (const tweet of ordered) {
    if (isRetweet(tweet.fullText)) {
      retweets++;
      continue;
    }
    const text = cleanText(noteTexts.get(tweet) ?? tweet.fullText);
    if (isShort(text)) short++;
    else kept.push({ text, time: tweet.time });
  }
  const identity = account.accountId
    ? `account:${account.accountId}`
    : `tweets:${hash53(tweets.map((t) => t.id || t.fullText).sort().join('\n'))}`;
  const texts = kept.map((k) => k.text);
  return {
    network: 'x',
    username: account.username,
    displayName: account.displayName,
    accountId: account.accountId,
    identity,
    stats: { downloaded: tweets.length, retweets, short, kept: kept.length, direct: 0 },
    tweets: texts,
    firstDate: kept.length ? isoDate(kept[0].time) : null,
    lastDate: kept.length ? isoDate(kept[kept.length - 1].time) : null,
    samples: spread(texts, SAMPLE_COUNT),
    filesRead,
    tweetDates: kept.map((k) => isoDate(k.time)),
    avatar,
  };
}

function noTweetsFileError(source: ArchiveSource): ArchiveError {
  const where = source.kind === 'zip' ? 'zip' : 'folder';
  const message = looksLikeTwitterArchive(source.paths)
    ? `This Twitter/X archive ${where} has no tweets file (data/tweets.js or data/tweet.js), so there is nothing to learn from.`
    : `This ${where} is not a Twitter/X archive: it has no data/tweets.js. Drop the .zip from "Download an archive of your data".`;
  return new ArchiveError('no-tweets-file', message);
}

/** Reads only the files the layout names: tweets, notes, and whichever of account/manifest is needed. */
export async function readArchiveSource(source: ArchiveSource): Promise<ParsedArchive> {
  const layout = findArchiveFiles(source.paths);
  if (layout === null) throw noTweetsFileError(source);
  const filesRead: string[] = [];
  const read = async (path: string): Promise<string> => {
    const text = await source.readText(path);
    filesRead.push(path);
    return text;
  };

  const tweets: RawTweet[] = [];
  const seenIds = new Set<string>();
  for (const path of layout.tweetFiles) collectTweets(parseYtdList(await read(path), path), tweets, seenIds);

  const notes: Note[] = [];
  for (const path of layout.noteFiles) {
    for (const note of notesFromEntries(parseYtdList(await read(path), path))) notes.push(note);
  }

  const account = layout.accountFile ? accountFromText(await read(layout.accountFile), layout.accountFile) : null;
  const complete = account !== null && account.username && account.displayName && account.accountId;
  const manifest = !complete && layout.manifestFile ? manifestFromText(await read(layout.manifestFile), layout.manifestFile) : null;

  const avatar = layout.avatarFile && source.readBytes ? await readAvatar(source, layout.avatarFile, filesRead) : null;
  return assembleArchive(tweets, notes, resolveAccount(account, manifest), filesRead, avatar);
}

/** The profile picture, or null when it is too large or unreadable: it never stops the tweets being read. */
async function readAvatar(source: ArchiveSource, path: string, filesRead: string[]): Promise<ParsedArchive['avatar']> {
  const fileName = path.slice(path.lastIndexOf('/') + 1);
  const mimeType = imageMimeType(fileName);
  if (!mimeType || !source.readBytes) return null;
  try {
    const bytes = await source.readBytes(path, MAX_AVATAR_BYTES);
    if (!bytes) return null;
    filesRead.push(path);
    return { fileName, mimeType, bytes };
  } catch {
    return null;
  }
}
