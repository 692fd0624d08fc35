/**
 * The archive reader: from what a person drops to cleaned training texts and counts. Reads a
 * Twitter/X archive (the .zip, its extracted folder, or a loose tweets.js), a Bluesky repository
 * export (.car) and a Mastodon archive (.zip, .tar.gz, or its extracted folder), recognised from
 * the bytes, never the file name. Runs in a Web Worker and in Node.
 */
import { assembleArchive, readArchiveSource, type ArchiveSource } from './assemble';
import { looksLikeCar, readBlueskyCar } from './bluesky';
import { ArchiveError } from './errors';
import { findArchiveFiles } from './layout';
import { findMastodonFiles, looksLikeMastodonArchive, NO_OUTBOX_MESSAGE, readMastodonSource, readMastodonTarGz, type MastodonSource } from './mastodon';
import { isGzip } from './tar';
import { collectTweets, type RawTweet } from './tweets';
import type { ParsedArchive } from './types';
import { looksLikeYtdText, parseAssignedJson, ytdType } from './ytd';
import { MAX_TEXT_BYTES, openZip } from './zip';

export { ArchiveError, isArchiveError, type ArchiveErrorCode } from './errors';
export type { ArchiveAvatar, ArchiveStats, Network, ParsedArchive } from './types';
export {
  mergeArchives,
  checkTrainingText,
  charCount,
  END_OF_TEXT,
  REFUSE_BELOW_CHARS,
  WARN_BELOW_CHARS,
  type MergedTrainingSet,
  type TrainingTextCheck,
} from './merge';
export { cleanText, isRetweet, isShort, countFreeWords, unescapeHtml, tidyText } from './clean';

// Only the 4-byte signature is read before knowing it is a zip: the bytes after it may be the
// first entry's data (media), which must stay unread.
const SIGNATURE_BYTES = 4;
const TEXT_SNIFF_BYTES = 256;
const CAR_SNIFF_BYTES = 128;
const ZIP_SIGNATURES = [
  [0x50, 0x4b, 0x03, 0x04], // local file header: an ordinary zip
  [0x50, 0x4b, 0x05, 0x06], // end of central directory: an empty zip
  [0x50, 0x4b, 0x07, 0x08], // spanned-archive marker
];

function byteSize(input: Blob | Uint8Array): number {
  return input instanceof Uint8Array ? input.length : input.size;
}

async function bytesOf(input: Blob | Uint8Array, end: number): Promise<Uint8Array> {
  if (input instanceof Uint8Array) return input.subarray(0, end);
  return new Uint8Array(await input.slice(0, end).arrayBuffer());
}

function isZip(head: Uint8Array): boolean {
  return ZIP_SIGNATURES.some((signature) => signature.every((byte, i) => head[i] === byte));
}

function decodeUtf8(bytes: Uint8Array): string {
  return new TextDecoder('utf-8').decode(bytes);
}

function nameOf(input: Blob | Uint8Array, fallback: string): string {
  return typeof File !== 'undefined' && input instanceof File && input.name ? input.name : fallback;
}

function tooLarge(name: string): ArchiveError {
  return new ArchiveError('too-large', `${name} is larger than ${MAX_TEXT_BYTES / 1024 / 1024} MB, more than a browser can hold as text.`);
}

/** A tweets.js dropped on its own: no account.js, so the names stay empty. */
async function readLooseTweetsFile(input: Blob | Uint8Array): Promise<ParsedArchive> {
  const name = nameOf(input, 'tweets.js');
  if (byteSize(input) > MAX_TEXT_BYTES) throw tooLarge(name);
  const text = decodeUtf8(await bytesOf(input, byteSize(input)));
  const { target, value } = parseAssignedJson(text, name);
  const type = ytdType(target);
  if (type !== null && type !== 'tweets' && type !== 'tweet') {
    throw new ArchiveError(
      'no-tweets-file',
      `${name} holds ${type.replace(/_/g, ' ')} data (window.YTD.${type}), not tweets. Drop data/tweets.js, or the whole archive .zip.`,
    );
  }
  if (!Array.isArray(value)) {
    throw new ArchiveError('bad-json', `${name} is damaged: it should hold a list of tweets, but it does not.`);
  }
  const tweets: RawTweet[] = [];
  collectTweets(value, tweets, new Set());
  return assembleArchive(tweets, [], { username: '', displayName: '', accountId: '' }, [name]);
}

/** A Bluesky export is read whole: a CAR has no index, and records point at blocks anywhere in it. */
async function readCarFile(input: Blob | Uint8Array): Promise<ParsedArchive> {
  const name = nameOf(input, 'This .car file');
  if (byteSize(input) > MAX_TEXT_BYTES) {
    throw new ArchiveError('too-large', `${name} is larger than ${MAX_TEXT_BYTES / 1024 / 1024} MB, more than the page can read at once.`);
  }
  let bytes: Uint8Array;
  try {
    bytes = await bytesOf(input, byteSize(input));
  } catch (error) {
    throw new ArchiveError('not-archive', 'This file could not be read.', { cause: error });
  }
  return readBlueskyCar(bytes);
}

/** An X archive when the files hold tweets; else a Mastodon archive when they hold outbox.json. */
async function readFiles(source: ArchiveSource & Omit<MastodonSource, 'paths' | 'readText'>): Promise<ParsedArchive> {
  if (findArchiveFiles(source.paths) === null) {
    if (findMastodonFiles(source.paths) !== null) return readMastodonSource(source);
    if (looksLikeMastodonArchive(source.paths)) throw new ArchiveError('no-tweets-file', NO_OUTBOX_MESSAGE);
  }
  return readArchiveSource(source);
}

/**
 * Reads one export: a `.zip` (an X or a Mastodon archive; Zip64 too) by random access, never
 * whole; a Mastodon `.tar.gz`, streamed; a Bluesky `.car`; or a loose tweets.js. Throws an
 * ArchiveError with a readable message for anything that is not a usable archive; an archive of
 * only retweets reads fine with `kept: 0`.
 */
export async function readArchive(input: Blob | Uint8Array): Promise<ParsedArchive> {
  if (byteSize(input) === 0) throw new ArchiveError('not-archive', 'This file is empty.');
  const sniff = async (length: number) => {
    try {
      return await bytesOf(input, Math.min(length, byteSize(input)));
    } catch (error) {
      throw new ArchiveError('not-archive', 'This file could not be read.', { cause: error });
    }
  };
  const signature = await sniff(SIGNATURE_BYTES);
  if (isZip(signature)) {
    const zip = await openZip(input);
    return readFiles({ kind: 'zip', paths: zip.paths, readText: (path) => zip.readText(path), readBytes: (path, max) => zip.readBytes(path, max) });
  }
  if (isGzip(signature)) return readMastodonTarGz(input);
  if (looksLikeCar(await sniff(CAR_SNIFF_BYTES))) return readCarFile(input);
  if (looksLikeYtdText(decodeUtf8(await sniff(TEXT_SNIFF_BYTES)))) return readLooseTweetsFile(input);
  throw new ArchiveError(
    'not-archive',
    'This file is neither a Twitter/X archive (.zip) nor a tweets.js file, a Bluesky export (.car) or a Mastodon archive (.zip or .tar.gz). ' +
      'Drop the .zip from "Download an archive of your data" (X), the .car from "Export my data" (Bluesky), or the archive from "Request your archive" (Mastodon).',
  );
}

/**
 * Reads an extracted archive dropped as a folder. `path` is relative to the drop
 * (`twitter-2022-11-16-abc/data/tweets.js`); `data/` is found at any depth. An extracted Mastodon
 * archive (outbox.json, actor.json) is read the same way.
 */
export async function readArchiveFolder(files: Array<{ path: string; file: Blob }>): Promise<ParsedArchive> {
  if (files.length === 0) throw new ArchiveError('not-archive', 'The dropped folder holds no files.');
  const byPath = new Map<string, Blob>();
  for (const { path, file } of files) if (!byPath.has(path)) byPath.set(path, file);
  const readWhole = async (path: string): Promise<Uint8Array> => {
    const file = byPath.get(path) as Blob;
    if (file.size > MAX_TEXT_BYTES) throw tooLarge(path);
    try {
      return new Uint8Array(await file.arrayBuffer());
    } catch (error) {
      throw new ArchiveError('corrupt', `${path} could not be read from the dropped folder.`, { cause: error });
    }
  };
  return readFiles({
    kind: 'folder',
    paths: [...byPath.keys()],
    readText: async (path) => decodeUtf8(await readWhole(path)),
    async readBytes(path, maxBytes) {
      const file = byPath.get(path) as Blob;
      return file.size > maxBytes ? null : new Uint8Array(await file.arrayBuffer());
    },
  });
}
