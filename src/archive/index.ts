/**
 * The Twitter/X archive reader: from what a person drops (the archive .zip, its extracted folder,
 * or a loose tweets.js) to cleaned training texts and counts. Runs in a Web Worker and in Node.
 */
import { assembleArchive, readArchiveSource } from './assemble';
import { ArchiveError } from './errors';
import { collectTweets, type RawTweet } from './tweets';
import type { ParsedArchive } from './types';
import { looksLikeYtdText, parseAssignedJson, ytdType } from './ytd';
import { MAX_TEXT_BYTES, openZip } from './zip';

export { ArchiveError, isArchiveError, type ArchiveErrorCode } from './errors';
export type { ArchiveAvatar, ArchiveStats, ParsedArchive } from './types';
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
export { cleanText, isRetweet, isShort, countFreeWords, unescapeHtml } from './clean';

// Only the 4-byte signature is read before knowing it is a zip: the bytes after it may be the
// first entry's data (media), which must stay unread.
const SIGNATURE_BYTES = 4;
const TEXT_SNIFF_BYTES = 256;
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

/**
 * Reads one archive: the `.zip` (Zip64 too) by random access, never whole, or a loose
 * tweets.js. Throws an ArchiveError with a readable message for anything that is not a usable
 * archive; an archive of only retweets reads fine with `kept: 0`.
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
  if (isZip(await sniff(SIGNATURE_BYTES))) {
    const zip = await openZip(input);
    return readArchiveSource({ kind: 'zip', paths: zip.paths, readText: (path) => zip.readText(path), readBytes: (path, max) => zip.readBytes(path, max) });
  }
  if (looksLikeYtdText(decodeUtf8(await sniff(TEXT_SNIFF_BYTES)))) return readLooseTweetsFile(input);
  throw new ArchiveError(
    'not-archive',
    'This file is neither a Twitter/X archive (.zip) nor a tweets.js file. Drop the .zip from "Download an archive of your data".',
  );
}

/**
 * Reads an extracted archive dropped as a folder. `path` is relative to the drop
 * (`twitter-2022-11-16-abc/data/tweets.js`); `data/` is found at any depth.
 */
export async function readArchiveFolder(files: Array<{ path: string; file: Blob }>): Promise<ParsedArchive> {
  if (files.length === 0) throw new ArchiveError('not-archive', 'The dropped folder holds no files.');
  const byPath = new Map<string, Blob>();
  for (const { path, file } of files) if (!byPath.has(path)) byPath.set(path, file);
  return readArchiveSource({
    kind: 'folder',
    paths: [...byPath.keys()],
    async readText(path) {
      const file = byPath.get(path) as Blob;
      if (file.size > MAX_TEXT_BYTES) throw tooLarge(path);
      try {
        return decodeUtf8(new Uint8Array(await file.arrayBuffer()));
      } catch (error) {
        throw new ArchiveError('corrupt', `${path} could not be read from the dropped folder.`, { cause: error });
      }
    },
    async readBytes(path, maxBytes) {
      const file = byPath.get(path) as Blob;
      return file.size > maxBytes ? null : new Uint8Array(await file.arrayBuffer());
    },
  });
}
