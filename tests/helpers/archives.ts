/**
 * Synthetic Twitter/X archives for tests (unit and e2e) and for the sample archive.
 *
 * `buildArchive` writes a zip laid out like a real "Download an archive of your data" export:
 * data/manifest.js, data/account.js, data/tweets.js (and -partN), data/note-tweet.js, plus any
 * extra entries (media, DMs…), tweets newest first, every number a string, `full_text`
 * HTML-escaped. `buildArchiveFolder` gives the same files as a dropped folder.
 *
 * `SyntheticZipBlob` is a Blob whose bytes are made on demand: a zip with gigabytes of (zero)
 * media costs no memory, and it records every byte range read from it.
 */
import { Uint8ArrayReader, Uint8ArrayWriter, ZipWriter } from '@zip.js/zip.js';

export interface SyntheticTweet {
  id: string;
  /** The text as the person typed it; written HTML-escaped (`&` `<` `>`) as Twitter does. */
  text: string;
  /** A Date, an ISO string, or Twitter's `Wed Nov 16 22:22:28 +0000 2022`. */
  createdAt: Date | string;
  /** Screen name replied to: sets the in_reply_to_* fields and starts the text with `@name ` if it does not already. */
  reply?: string;
  /** A long tweet: tweets.js gets a copy cut with `…` and a t.co link, note-tweet.js the full text. */
  long?: boolean;
  /** Write `text` into full_text as given, without escaping. */
  raw?: boolean;
}

export interface SyntheticNote {
  text: string;
  createdAt: Date | string;
  id?: string;
}

export interface YtdFormat {
  bom?: boolean;
  crlf?: boolean;
  /** End the file with `;`. */
  semicolon?: boolean;
}

export interface UserInfo {
  userName?: string;
  displayName?: string;
  accountId?: string;
}

export interface ArchiveOptions {
  username?: string;
  displayName?: string;
  accountId?: string;
  tweets: SyntheticTweet[];
  /** Extra notes besides those of `long` tweets (e.g. a note with no tweet). */
  notes?: SyntheticNote[];
  /** Split the tweets over this many files: tweets.js, tweets-part1.js, … (default 1). */
  parts?: number;
  /** Names only in data/manifest.js: no data/account.js. */
  useManifest?: boolean;
  /** Neither account.js nor manifest.js. */
  noAccount?: boolean;
  /** manifest.js's userInfo when it should differ from username/displayName/accountId. */
  manifestUser?: UserInfo;
  /** The pre-2020 name: data/tweet.js with window.YTD.tweet.part0. */
  oldName?: boolean;
  /** More entries (path → content), e.g. media or DMs. Binary ones are stored uncompressed. */
  extraEntries?: Record<string, Uint8Array | string>;
  /** A top folder, as when an extracted archive is zipped again (`twitter-2022-11-16-abc`). */
  root?: string;
  /** Format of the tweet files. */
  format?: YtdFormat;
  /** Encrypt every entry (AES, or ZipCrypto with `zipCrypto`). */
  password?: string;
  zipCrypto?: boolean;
  /** Force Zip64 records. */
  zip64?: boolean;
  /** Deflate level of text entries (0 = stored). Default 6. */
  level?: number;
}

export interface ArchiveFile {
  path: string;
  data: Uint8Array<ArrayBuffer>;
}

const encoder = new TextEncoder();
// Fixed entry dates keep builds byte-identical (the sample zip is committed).
const ENTRY_DATE = new Date(Date.UTC(2022, 10, 16, 22, 22, 28));
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function toDate(value: Date | string): Date {
  if (value instanceof Date) return value;
  const twitter = /^\w{3} (\w{3}) (\d{1,2}) (\d{2}):(\d{2}):(\d{2}) \+0000 (\d{4})$/.exec(value);
  if (twitter) {
    const [, mon, day, h, m, s, year] = twitter;
    return new Date(Date.UTC(Number(year), MONTHS.indexOf(mon), Number(day), Number(h), Number(m), Number(s)));
  }
  return new Date(value);
}

/** `Wed Nov 16 22:22:28 +0000 2022`. */
export function twitterDate(value: Date | string): string {
  const d = toDate(value);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000 ${d.getUTCFullYear()}`;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A window.YTD file: `window.YTD.<type>.part<N> = [ … ]`. */
export function ytdFile(type: string, entries: unknown[], format: YtdFormat & { part?: number } = {}): string {
  let body = `window.YTD.${type}.part${format.part ?? 0} = ${JSON.stringify(entries, null, 2)}`;
  if (format.semicolon) body += ';';
  // JSON.stringify escapes newlines inside strings, so every raw \n is structural.
  if (format.crlf) body = body.replace(/\n/g, '\r\n');
  return (format.bom ? '\uFEFF' : '') + body;
}

function tcoLink(seed: string): string {
  let h = 7;
  for (const c of seed) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return `https://t.co/${h.toString(36).padStart(10, 'x').slice(0, 10)}`;
}

/** Positions in code points, as strings, like the archive's `indices`. */
function entityIndices(text: string, pattern: RegExp): Array<{ match: string; indices: [string, string] }> {
  const found: Array<{ match: string; indices: [string, string] }> = [];
  for (const m of text.matchAll(pattern)) {
    const start = [...text.slice(0, m.index)].length;
    found.push({ match: m[0], indices: [String(start), String(start + [...m[0]].length)] });
  }
  return found;
}

/** The tweets.js copy of a long tweet: cut near 270 characters at a space, then `…` and a link. */
export function cutLongText(text: string, id: string): string {
  const chars = [...text];
  if (chars.length <= 270) return `${text}… ${tcoLink(id)}`;
  let cut = chars.slice(0, 270).join('');
  const space = cut.lastIndexOf(' ');
  if (space > 200) cut = cut.slice(0, space);
  return `${cut.trimEnd()}… ${tcoLink(id)}`;
}

/** One `{"tweet": {…}}` entry shaped like the archive's (string numbers, entities, escaped text). */
export function tweetEntry(tweet: SyntheticTweet): { tweet: Record<string, unknown> } {
  let text = tweet.text;
  if (tweet.reply && !text.startsWith(`@${tweet.reply}`)) text = `@${tweet.reply} ${text}`;
  if (tweet.long) text = cutLongText(text, tweet.id);
  const fullText = tweet.raw ? text : escapeHtml(text);
  const urls = entityIndices(text, /https?:\/\/\S+/g).map(({ match, indices }) => ({
    url: match,
    expanded_url: match.startsWith('https://t.co/') ? `https://twitter.com/i/web/status/${tweet.id}` : match,
    display_url: match.replace(/^https?:\/\//, '').slice(0, 26),
    indices,
  }));
  const mentions = entityIndices(text, /@(\w{1,15})/g).map(({ match, indices }) => ({
    name: match.slice(1),
    screen_name: match.slice(1),
    indices,
    id_str: '0',
    id: '0',
  }));
  const hashtags = entityIndices(text, /#(\w+)/g).map(({ match, indices }) => ({ text: match.slice(1), indices }));
  const record: Record<string, unknown> = {
    edit_info: { initial: { editTweetIds: [tweet.id], editableUntil: '2022-11-16T23:22:28.000Z', editsRemaining: '5', isEditEligible: true } },
    retweeted: false,
    source: '<a href="https://mobile.twitter.com" rel="nofollow">Twitter Web App</a>',
    entities: { hashtags, symbols: [], user_mentions: mentions, urls },
    display_text_range: ['0', String([...fullText].length)],
    favorite_count: '0',
    id_str: tweet.id,
    truncated: false,
    retweet_count: '0',
    id: tweet.id,
    created_at: twitterDate(tweet.createdAt),
    favorited: false,
    full_text: fullText,
    lang: 'en',
  };
  if (tweet.reply) {
    Object.assign(record, {
      in_reply_to_status_id_str: '1',
      in_reply_to_status_id: '1',
      in_reply_to_user_id: '2',
      in_reply_to_user_id_str: '2',
      in_reply_to_screen_name: tweet.reply,
    });
  }
  return { tweet: record };
}

/** One `{"noteTweet": {…}}` entry. */
export function noteEntry(note: SyntheticNote): { noteTweet: Record<string, unknown> } {
  const created = toDate(note.createdAt).toISOString();
  return {
    noteTweet: {
      noteTweetId: note.id ?? '1600000000000000000',
      updatedAt: created,
      lifecycle: { value: '0', name: 'Draft', originalName: 'Draft', annotations: {} },
      createdAt: created,
      core: { styletags: [], urls: [], text: note.text, mentions: [], cashtags: [], hashtags: [] },
    },
  };
}

export function accountFile(info: { username: string; displayName: string; accountId: string }): string {
  return ytdFile('account', [
    {
      account: {
        email: `${info.username || 'someone'}@example.invalid`,
        createdVia: 'web',
        username: info.username,
        accountId: info.accountId,
        createdAt: '2012-03-04T05:06:07.000Z',
        accountDisplayName: info.displayName,
      },
    },
  ]);
}

export function manifestFile(user: UserInfo, tweetFiles: string[]): string {
  const manifest = {
    userInfo: { accountId: user.accountId ?? '', userName: user.userName ?? '', displayName: user.displayName ?? '' },
    archiveInfo: { sizeBytes: '0', generationDate: '2022-11-16T22:22:28.000Z', isPartialArchive: false, maxPartSizeBytes: '53687091200' },
    readmeInfo: { fileName: 'data/README.txt', directory: 'data/', name: 'README.txt' },
    dataTypes: {
      tweets: {
        mediaDirectory: 'data/tweets_media',
        files: tweetFiles.map((fileName, i) => ({ fileName, globalName: `YTD.tweets.part${i}`, count: '0' })),
      },
    },
  };
  return `window.__THAR_CONFIG = ${JSON.stringify(manifest, null, 2)}`;
}

function newestFirst(a: SyntheticTweet, b: SyntheticTweet): number {
  const ta = toDate(a.createdAt).getTime();
  const tb = toDate(b.createdAt).getTime();
  if (ta !== tb) return tb - ta;
  return BigInt(b.id) > BigInt(a.id) ? 1 : BigInt(b.id) < BigInt(a.id) ? -1 : 0;
}

/** The archive's files (paths relative to the archive root), in the order a real export lists them. */
export function archiveFiles(options: ArchiveOptions): ArchiveFile[] {
  const username = options.username ?? 'sample_user';
  const displayName = options.displayName ?? 'Sample User';
  const accountId = options.accountId ?? '1000000001';
  const root = options.root ? `${options.root.replace(/\/$/, '')}/` : '';
  const type = options.oldName ? 'tweet' : 'tweets';
  const parts = Math.max(1, options.parts ?? 1);

  const sorted = options.tweets.slice().sort(newestFirst);
  const perPart = Math.ceil(sorted.length / parts);
  const tweetFiles: Array<{ path: string; text: string }> = [];
  for (let part = 0; part < parts; part++) {
    const chunk = sorted.slice(part * perPart, (part + 1) * perPart).map((t) => tweetEntry(t));
    const path = `data/${type}${part === 0 ? '' : `-part${part}`}.js`;
    tweetFiles.push({ path, text: ytdFile(type, chunk, { ...options.format, part }) });
  }
  const notes = [
    ...options.tweets.filter((t) => t.long).map((t) => ({ text: t.reply && !t.text.startsWith(`@${t.reply}`) ? `@${t.reply} ${t.text}` : t.text, createdAt: t.createdAt, id: t.id })),
    ...(options.notes ?? []),
  ];

  const files: Array<{ path: string; data: string | Uint8Array }> = [];
  if (!options.noAccount) {
    const user = options.manifestUser ?? { userName: username, displayName, accountId };
    files.push({ path: 'data/manifest.js', data: manifestFile(user, tweetFiles.map((f) => f.path)) });
    if (!options.useManifest) files.push({ path: 'data/account.js', data: accountFile({ username, displayName, accountId }) });
  }
  if (notes.length) files.push({ path: 'data/note-tweet.js', data: ytdFile('note_tweet', notes.map(noteEntry)) });
  for (const file of tweetFiles) files.push({ path: file.path, data: file.text });
  for (const [path, data] of Object.entries(options.extraEntries ?? {})) files.push({ path, data });
  return files.map((f) => ({ path: root + f.path, data: typeof f.data === 'string' ? encoder.encode(f.data) : new Uint8Array(f.data) }));
}

/** A zip of the archive, as Uint8Array (write it to disk for e2e tests). */
export async function buildArchive(options: ArchiveOptions): Promise<Uint8Array<ArrayBuffer>> {
  const binary = new Set(Object.entries(options.extraEntries ?? {}).filter(([, d]) => d instanceof Uint8Array).map(([p]) => p));
  const root = options.root ? `${options.root.replace(/\/$/, '')}/` : '';
  const writer = new ZipWriter(new Uint8ArrayWriter(), {
    lastModDate: ENTRY_DATE,
    zip64: options.zip64,
    password: options.password,
    zipCrypto: options.zipCrypto,
  });
  for (const file of archiveFiles(options)) {
    const stored = binary.has(file.path.slice(root.length));
    await writer.add(file.path, new Uint8ArrayReader(file.data), { level: stored ? 0 : options.level ?? 6, useWebWorkers: false });
  }
  return (await writer.close()) as Uint8Array<ArrayBuffer>;
}

/** The archive as an extracted folder dropped on the page. */
export function buildArchiveFolder(options: ArchiveOptions): Array<{ path: string; file: Blob }> {
  return archiveFiles({ root: 'twitter-2022-11-16-abc123', ...options }).map((f) => ({ path: f.path, file: new Blob([f.data]) }));
}

/** A zip of arbitrary entries (no archive layout), for malformed-archive tests. */
export async function buildZip(entries: Record<string, Uint8Array | string>, options: { password?: string; zip64?: boolean; level?: number } = {}): Promise<Uint8Array<ArrayBuffer>> {
  const writer = new ZipWriter(new Uint8ArrayWriter(), { lastModDate: ENTRY_DATE, ...options });
  for (const [path, data] of Object.entries(entries)) {
    await writer.add(path, new Uint8ArrayReader(typeof data === 'string' ? encoder.encode(data) : data), { level: options.level ?? 6, useWebWorkers: false });
  }
  return (await writer.close()) as Uint8Array<ArrayBuffer>;
}

// ---------------------------------------------------------------------------------------------
// A zip whose bytes are synthesised on demand.

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = CRC_TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// The CRC register update for one zero byte is linear over GF(2): a 32x32 matrix (one column per
// bit). Raising it to the n-th power by squaring gives the CRC of n zero bytes in O(log n).
function gf2Times(matrix: Uint32Array, vector: number): number {
  let sum = 0;
  for (let i = 0; vector !== 0; i++, vector >>>= 1) if (vector & 1) sum ^= matrix[i];
  return sum >>> 0;
}

function gf2Square(matrix: Uint32Array): Uint32Array {
  const out = new Uint32Array(32);
  for (let i = 0; i < 32; i++) out[i] = gf2Times(matrix, matrix[i]);
  return out;
}

/** CRC-32 of `length` zero bytes, without making them. */
export function crc32OfZeros(length: number): number {
  let power: Uint32Array = new Uint32Array(32);
  for (let i = 0; i < 32; i++) {
    const c = 1 << i;
    power[i] = (CRC_TABLE[c & 0xff] ^ (c >>> 8)) >>> 0;
  }
  let register = 0xffffffff;
  for (let n = length; n > 0; n = Math.floor(n / 2)) {
    if (n % 2 === 1) register = gf2Times(power, register);
    power = gf2Square(power);
  }
  return (register ^ 0xffffffff) >>> 0;
}

export type VirtualEntry = { name: string; data: Uint8Array | string } | { name: string; zeros: number };

interface Segment {
  start: number;
  end: number;
  /** null: zeros. */
  bytes: Uint8Array | null;
}

const MAX_32 = 0xffffffff;
/** A read larger than this from a SyntheticZipBlob fails the test instead of allocating it. */
export const MAX_SYNTHETIC_READ = 64 * 1024 * 1024;

class ByteWriter {
  private readonly parts: number[] = [];
  u16(v: number) { this.parts.push(v & 0xff, (v >>> 8) & 0xff); return this; }
  u32(v: number) { for (let i = 0; i < 4; i++) this.parts.push(Math.floor(v / 2 ** (8 * i)) & 0xff); return this; }
  u64(v: number) { this.u32(v % 2 ** 32); this.u32(Math.floor(v / 2 ** 32)); return this; }
  bytes(b: Uint8Array) { for (const x of b) this.parts.push(x); return this; }
  done(): Uint8Array { return Uint8Array.from(this.parts); }
}

/**
 * A Blob holding a stored (uncompressed) zip of `entries`, made on demand. Zero-filled entries
 * take no memory whatever their size; Zip64 records are written when an entry or offset needs
 * them (or always, with `zip64`). `reads` records every [start, end) range sliced from it.
 */
export class SyntheticZipBlob extends Blob {
  readonly reads: Array<[number, number]> = [];
  /** Where each entry's data lies: name → [start, end). */
  readonly dataRanges = new Map<string, [number, number]>();
  private readonly segments: Segment[] = [];
  private readonly total: number;

  constructor(entries: VirtualEntry[], options: { zip64?: boolean } = {}) {
    super([]);
    const central: Uint8Array[] = [];
    let offset = 0;
    const push = (bytes: Uint8Array | null, length = bytes ? bytes.length : 0) => {
      this.segments.push({ start: offset, end: offset + length, bytes });
      offset += length;
    };
    for (const entry of entries) {
      const name = encoder.encode(entry.name);
      const data = 'data' in entry ? (typeof entry.data === 'string' ? encoder.encode(entry.data) : entry.data) : null;
      const size = data ? data.length : (entry as { zeros: number }).zeros;
      const crc = data ? crc32(data) : crc32OfZeros(size);
      const localOffset = offset;
      const big = options.zip64 || size >= MAX_32 || localOffset >= MAX_32;
      const local = new ByteWriter()
        .u32(0x04034b50).u16(big ? 45 : 20).u16(0x0800).u16(0).u16(0).u16(0x5570)
        .u32(crc).u32(big ? MAX_32 : size).u32(big ? MAX_32 : size).u16(name.length).u16(big ? 20 : 0)
        .bytes(name);
      if (big) local.u16(0x0001).u16(16).u64(size).u64(size);
      push(local.done());
      this.dataRanges.set(entry.name, [offset, offset + size]);
      push(data, size);
      const cd = new ByteWriter()
        .u32(0x02014b50).u16(0x031e).u16(big ? 45 : 20).u16(0x0800).u16(0).u16(0).u16(0x5570)
        .u32(crc).u32(big ? MAX_32 : size).u32(big ? MAX_32 : size).u16(name.length).u16(big ? 28 : 0)
        .u16(0).u16(0).u16(0).u32(0o100644 * 65536).u32(big ? MAX_32 : localOffset)
        .bytes(name);
      if (big) cd.u16(0x0001).u16(24).u64(size).u64(size).u64(localOffset);
      central.push(cd.done());
    }
    const cdOffset = offset;
    for (const header of central) push(header);
    const cdSize = offset - cdOffset;
    const needs64 = options.zip64 || cdOffset >= MAX_32 || entries.length >= 0xffff;
    if (needs64) {
      const zip64EocdOffset = offset;
      push(new ByteWriter()
        .u32(0x06064b50).u64(44).u16(0x031e).u16(45).u32(0).u32(0)
        .u64(entries.length).u64(entries.length).u64(cdSize).u64(cdOffset).done());
      push(new ByteWriter().u32(0x07064b50).u32(0).u64(zip64EocdOffset).u32(1).done());
    }
    push(new ByteWriter()
      .u32(0x06054b50).u16(0).u16(0)
      .u16(needs64 ? 0xffff : entries.length).u16(needs64 ? 0xffff : entries.length)
      .u32(needs64 ? MAX_32 : cdSize).u32(needs64 ? MAX_32 : cdOffset).u16(0).done());
    this.total = offset;
    Object.defineProperty(this, 'size', { value: offset });
  }

  get bytesRead(): number {
    return this.reads.reduce((sum, [start, end]) => sum + (end - start), 0);
  }

  /** True when some read touched [start, end). */
  touched(start: number, end: number): boolean {
    return this.reads.some(([s, e]) => s < end && e > start);
  }

  private synthesize(start: number, end: number): Uint8Array<ArrayBuffer> {
    if (end - start > MAX_SYNTHETIC_READ) {
      throw new Error(`SyntheticZipBlob: refusing to synthesise ${end - start} bytes at ${start}`);
    }
    this.reads.push([start, end]);
    const out = new Uint8Array(end - start);
    for (const segment of this.segments) {
      if (segment.bytes === null || segment.end <= start || segment.start >= end) continue;
      const from = Math.max(start, segment.start);
      const to = Math.min(end, segment.end);
      out.set(segment.bytes.subarray(from - segment.start, to - segment.start), from - start);
    }
    return out;
  }

  override slice(start = 0, end: number = this.total, contentType?: string): Blob {
    const clamp = (i: number) => Math.min(this.total, Math.max(0, i < 0 ? this.total + i : i));
    const from = clamp(start);
    const to = Math.max(from, clamp(end));
    return new Blob([this.synthesize(from, to)], { type: contentType });
  }

  override async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = this.synthesize(0, this.total);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  override async text(): Promise<string> {
    return new TextDecoder().decode(await this.arrayBuffer());
  }

  override stream(): ReadableStream<Uint8Array<ArrayBuffer>> {
    throw new Error('SyntheticZipBlob: stream() would read everything; use slice()');
  }
}
