/**
 * Random access into a zip held in a Blob (a dropped File) or in memory. zip.js reads the end of
 * central directory and the central directory (a few MB even for an archive with gigabytes of
 * media), and later only the bytes of the entries asked for: nothing else is read, let alone
 * decompressed. Every failure comes out as an ArchiveError.
 */
import {
  BlobReader,
  ERR_ENCRYPTED,
  ERR_INVALID_PASSWORD,
  ERR_INVALID_SIGNATURE,
  ERR_INVALID_UNCOMPRESSED_SIZE,
  ERR_LOCAL_FILE_HEADER_NOT_FOUND,
  ERR_SPLIT_ZIP_FILE,
  ERR_UNSUPPORTED_COMPRESSION,
  ERR_UNSUPPORTED_ENCRYPTION,
  Uint8ArrayReader,
  Uint8ArrayWriter,
  ZipReader,
  type Entry,
  type FileEntry,
} from '@zip.js/zip.js';
import { ArchiveError } from './errors';

/**
 * V8 strings stop at 2^29 - 24 UTF-16 units; a tweets file past this many bytes could not be
 * decoded into one string anyway. Real archives split tweets into parts far below it.
 */
export const MAX_TEXT_BYTES = 400 * 1024 * 1024;

export interface ZipArchive {
  /** Names of the file entries (directories left out). */
  paths: string[];
  /** Decompresses one entry (checking its CRC) and decodes it as UTF-8. */
  readText(path: string): Promise<string>;
  /** Decompresses one small entry as bytes; null when it is larger than `maxBytes` (left unread). */
  readBytes(path: string, maxBytes: number): Promise<Uint8Array | null>;
}

const ENCRYPTED_MESSAGE =
  'This zip is protected by a password, and the page cannot open encrypted zips. ' +
  'Use the archive exactly as Twitter/X sent it, or zip the folder again without a password.';

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function openError(error: unknown): ArchiveError {
  if (messageOf(error) === ERR_SPLIT_ZIP_FILE) {
    return new ArchiveError(
      'unsupported',
      'This is one piece of a split zip. Join the pieces into a single .zip first, then drop that.',
      { cause: error },
    );
  }
  // Whatever zip.js tripped on (no end record, a bad Zip64 locator, an offset out of bounds), for
  // a person it is one thing: the zip's table of contents is unreadable. The detail stays in `cause`.
  return new ArchiveError(
    'corrupt',
    'This zip file is incomplete or damaged: its table of contents (at the end of the file) cannot be read, as happens when a download is cut short. Download the archive again.',
    { cause: error },
  );
}

/** What went wrong inside an entry, in words; zlib's and zip.js's own messages stay in `cause`. */
function describeDamage(message: string): string {
  if (message === ERR_INVALID_SIGNATURE) return 'its checksum does not match its contents';
  if (message === ERR_INVALID_UNCOMPRESSED_SIZE) return 'its size does not match the size the zip records';
  if (message === ERR_LOCAL_FILE_HEADER_NOT_FOUND) return 'its header is missing';
  if (/invalid|unexpected end|incorrect|too far/i.test(message)) return 'its compressed data cannot be decompressed';
  return 'it cannot be read';
}

function entryError(path: string, error: unknown): ArchiveError {
  if (error instanceof ArchiveError) return error;
  const message = messageOf(error);
  if (message === ERR_ENCRYPTED || message === ERR_INVALID_PASSWORD || message === ERR_UNSUPPORTED_ENCRYPTION) {
    return new ArchiveError('encrypted', ENCRYPTED_MESSAGE, { cause: error });
  }
  if (message === ERR_UNSUPPORTED_COMPRESSION) {
    return new ArchiveError(
      'unsupported',
      `${path} inside the zip is compressed with a method the page cannot read. Zip the folder again with ordinary (deflate) compression.`,
      { cause: error },
    );
  }
  return damaged(path, describeDamage(message), error);
}

function damaged(path: string, why: string, cause?: unknown): ArchiveError {
  return new ArchiveError('corrupt', `${path} inside the zip is damaged: ${why}. Download the archive again.`, { cause });
}

// Deflate cannot expand data more than about 1032 times; a header claiming more is damaged.
const MAX_DEFLATE_RATIO = 1100;

function tooLarge(path: string): ArchiveError {
  return new ArchiveError(
    'too-large',
    `${path} is larger than ${MAX_TEXT_BYTES / 1024 / 1024} MB, more than a browser can hold as text.`,
  );
}

async function readEntryText(entry: FileEntry): Promise<string> {
  // Decode while decompressing, so the bytes and the text never both sit in memory whole; count
  // the bytes ourselves, since a damaged header's sizes cannot be trusted to bound the output.
  const decoder = new TextDecoder('utf-8');
  const parts: string[] = [];
  let bytes = 0;
  const sink = new WritableStream<Uint8Array>({
    write(chunk) {
      bytes += chunk.length;
      if (bytes > MAX_TEXT_BYTES) throw tooLarge(entry.filename);
      parts.push(decoder.decode(chunk, { stream: true }));
    },
  });
  await entry.getData(sink, { checkSignature: true, useWebWorkers: false });
  parts.push(decoder.decode());
  return parts.join('');
}

export async function openZip(input: Blob | Uint8Array): Promise<ZipArchive> {
  const source = input instanceof Uint8Array ? new Uint8ArrayReader(input) : new BlobReader(input);
  let entries: Entry[];
  try {
    // No web workers: this already runs in one, and Node has none.
    const reader = new ZipReader(source, { useWebWorkers: false, checkSignature: true });
    entries = await reader.getEntries();
  } catch (error) {
    throw openError(error);
  }
  const files = new Map<string, FileEntry>();
  for (const entry of entries) {
    if (!entry.directory && !files.has(entry.filename)) files.set(entry.filename, entry);
  }
  const checkedEntry = (path: string): FileEntry => {
    const entry = files.get(path);
    if (entry === undefined) throw new ArchiveError('corrupt', `${path} is missing from the zip.`);
    if (entry.encrypted) throw new ArchiveError('encrypted', ENCRYPTED_MESSAGE);
    const { compressedSize, uncompressedSize, compressionMethod } = entry;
    if (compressionMethod === 0 && compressedSize !== uncompressedSize) {
      throw damaged(path, 'the sizes its header records disagree');
    }
    if (uncompressedSize > compressedSize * MAX_DEFLATE_RATIO + 1024) throw damaged(path, 'the size its header records is impossible');
    if (uncompressedSize > MAX_TEXT_BYTES) throw tooLarge(path);
    return entry;
  };
  return {
    paths: [...files.keys()],
    async readText(path: string): Promise<string> {
      const entry = checkedEntry(path);
      try {
        return await readEntryText(entry);
      } catch (error) {
        throw entryError(path, error);
      }
    },
    async readBytes(path: string, maxBytes: number): Promise<Uint8Array | null> {
      const entry = files.get(path);
      if (entry === undefined) throw new ArchiveError('corrupt', `${path} is missing from the zip.`);
      if (entry.encrypted) throw new ArchiveError('encrypted', ENCRYPTED_MESSAGE);
      if (entry.uncompressedSize > maxBytes || entry.compressedSize > maxBytes) return null;
      try {
        const bytes = await entry.getData(new Uint8ArrayWriter(), { checkSignature: true, useWebWorkers: false });
        return bytes.length > maxBytes ? null : bytes;
      } catch (error) {
        throw entryError(path, error);
      }
    },
  };
}
