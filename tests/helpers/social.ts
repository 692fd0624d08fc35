/**
 * Synthetic Bluesky and Mastodon exports for tests (unit and e2e).
 *
 * `buildBlueskyCar` writes a repository export as Bluesky's "Export my data" does: a CAR v1 whose
 * header names the signed commit, a Merkle Search Tree built by @atcute/mst, DAG-CBOR records.
 * `mastodonNote` / `mastodonBoost` / `mastodonPoll`, `mastodonOutbox` and `mastodonActor` write
 * the JSON of a Mastodon account archive; `buildMastodonZip` / `buildMastodonTarGz` pack it.
 * `LazyTarGzBlob` is a .tar.gz with gigabytes of (zero-filled) media made on demand, which
 * counts the bytes read from it.
 */
import { deflateRawSync, constants as zlibConstants, crc32 as zlibCrc32 } from 'node:zlib';
import * as CAR from '@atcute/car';
import * as CBOR from '@atcute/cbor';
import * as CID from '@atcute/cid';
import { MemoryBlockStore, NodeStore, NodeWrangler } from '@atcute/mst';
import { packTar } from 'modern-tar';
import { buildZip } from './archives';

const encoder = new TextEncoder();

// ---------------------------------------------------------------------------------------------
// Bluesky

export interface SyntheticBlueskyPost {
  text: string;
  createdAt: string;
  /** Default: a sortable TID-like key from the post's index. */
  rkey?: string;
  facets?: unknown[];
  langs?: string[];
}

export interface BlueskyRepoOptions {
  did?: string;
  displayName?: string | null;
  posts: SyntheticBlueskyPost[];
  reposts?: number;
  /** Records of other collections (likes, other apps' post types…). */
  others?: Array<{ collection: string; rkey: string; record: Record<string, unknown> }>;
  /** Write the commit block last instead of first (real exports do not always put it first). */
  commitLast?: boolean;
  /** Replace the commit with this value (a CAR that is not a Bluesky repository). */
  fakeCommit?: Record<string, unknown>;
}

const TID_CHARS = '234567abcdefghijklmnopqrstuvwxyz';

/** A 13-character key that sorts like `n` (the shape of Bluesky's TIDs). */
export function tidLike(n: number, prefix = '3k'): string {
  let out = '';
  for (let i = 0; i < 11; i++, n = Math.floor(n / 32)) out = TID_CHARS[n % 32] + out;
  return prefix + out;
}

/** A link facet over `linkText` (its first occurrence) in `text`, with UTF-8 byte offsets. */
export function linkFacet(text: string, linkText: string, uri: string): unknown {
  const at = text.indexOf(linkText);
  if (at < 0) throw new Error(`"${linkText}" is not in "${text}"`);
  const byteStart = encoder.encode(text.slice(0, at)).length;
  const byteEnd = byteStart + encoder.encode(linkText).length;
  return { $type: 'app.bsky.richtext.facet', index: { byteStart, byteEnd }, features: [{ $type: 'app.bsky.richtext.facet#link', uri }] };
}

/** A mention facet (not a link: its text stays). */
export function mentionFacet(text: string, mention: string, did: string): unknown {
  const at = text.indexOf(mention);
  const byteStart = encoder.encode(text.slice(0, at)).length;
  return { $type: 'app.bsky.richtext.facet', index: { byteStart, byteEnd: byteStart + encoder.encode(mention).length }, features: [{ $type: 'app.bsky.richtext.facet#mention', did }] };
}

async function block(value: unknown): Promise<{ link: CID.CidLink; cid: Uint8Array; data: Uint8Array }> {
  const data = CBOR.encode(value);
  const cid = await CID.create(CID.CODEC_DCBOR, data);
  return { link: CID.toCidLink(cid), cid: cid.bytes, data };
}

export async function buildBlueskyCar(options: BlueskyRepoOptions): Promise<Uint8Array<ArrayBuffer>> {
  const did = options.did ?? 'did:plc:testtesttesttesttesttest';
  const records: Array<{ key: string; value: Record<string, unknown> }> = [];
  if (options.displayName !== null) {
    records.push({ key: 'app.bsky.actor.profile/self', value: { $type: 'app.bsky.actor.profile', displayName: options.displayName ?? 'Test Person', description: 'a test profile' } });
  }
  options.posts.forEach((post, i) => {
    const value: Record<string, unknown> = { $type: 'app.bsky.feed.post', text: post.text, createdAt: post.createdAt };
    if (post.facets) value.facets = post.facets;
    if (post.langs) value.langs = post.langs;
    records.push({ key: `app.bsky.feed.post/${post.rkey ?? tidLike(i + 1)}`, value });
  });
  for (let i = 0; i < (options.reposts ?? 0); i++) {
    records.push({
      key: `app.bsky.feed.repost/${tidLike(i + 1, '3l')}`,
      value: { $type: 'app.bsky.feed.repost', subject: { uri: `at://did:plc:someoneelse/app.bsky.feed.post/${tidLike(i)}`, cid: 'bafyreihypotheticalcid' }, createdAt: '2024-01-01T00:00:00.000Z' },
    });
  }
  for (const other of options.others ?? []) records.push({ key: `${other.collection}/${other.rkey}`, value: other.record });

  const store = new MemoryBlockStore();
  const wrangler = new NodeWrangler(new NodeStore(store));
  const recordBlocks: Array<{ cid: Uint8Array; data: Uint8Array }> = [];
  let root: string | null = null;
  for (const record of records) {
    const b = await block(record.value);
    recordBlocks.push(b);
    root = await wrangler.putRecord(root, record.key, b.link);
  }
  if (root === null) throw new Error('buildBlueskyCar needs at least one record');
  const commitValue = options.fakeCommit ?? { version: 3, did, data: CID.toCidLink(CID.fromString(root)), rev: '3kabcdefghij2', prev: null, sig: CBOR.toBytes(new Uint8Array(64).fill(7)) };
  const commit = await block(commitValue);
  const mstBlocks = [...store.blocks].map(([cid, data]) => ({ cid: CID.fromString(cid).bytes, data }));
  const blocks = [...mstBlocks, ...recordBlocks];
  if (options.commitLast) blocks.push({ cid: commit.cid, data: commit.data });
  else blocks.unshift({ cid: commit.cid, data: commit.data });
  const chunks: Uint8Array[] = [];
  for await (const chunk of CAR.writeCarStream([commit.link], blocks)) chunks.push(chunk);
  return concat(chunks);
}

function concat(chunks: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Mastodon

export const PUBLIC = 'https://www.w3.org/ns/activitystreams#Public';
export const ACTOR_ID = 'https://example.social/users/tester';
const FOLLOWERS = `${ACTOR_ID}/followers`;

/** Who a Mastodon item is addressed to, as Mastodon writes each visibility. */
export type Audience = 'public' | 'unlisted' | 'followers' | 'direct' | 'direct-empty' | 'as:Public' | 'Public';

function addressing(audience: Audience, mention = 'https://other.example/users/friend'): { to: string[]; cc: string[] } {
  switch (audience) {
    case 'public': return { to: [PUBLIC], cc: [FOLLOWERS] };
    case 'as:Public': return { to: ['as:Public'], cc: [] };
    case 'Public': return { to: [], cc: ['Public'] };
    case 'unlisted': return { to: [FOLLOWERS], cc: [PUBLIC] };
    case 'followers': return { to: [FOLLOWERS], cc: [mention] };
    case 'direct': return { to: [mention], cc: [] };
    case 'direct-empty': return { to: [], cc: [] };
  }
}

let itemCounter = 100000;

export function mastodonNote(options: { content: string; published: string; audience?: Audience; id?: string; summary?: string | null; inReplyTo?: string | null }): Record<string, unknown> {
  const id = options.id ?? `${ACTOR_ID}/statuses/${itemCounter++}`;
  const { to, cc } = addressing(options.audience ?? 'public');
  return {
    id: `${id}/activity`, type: 'Create', actor: ACTOR_ID, published: options.published, to, cc,
    object: {
      id, type: 'Note', summary: options.summary ?? null, inReplyTo: options.inReplyTo ?? null, published: options.published,
      url: id.replace('/users/tester/statuses/', '/@tester/'), attributedTo: ACTOR_ID, to, cc, sensitive: false,
      content: options.content, contentMap: { en: options.content }, attachment: [], tag: [],
    },
  };
}

export function mastodonBoost(options: { published: string; audience?: Audience; object?: string }): Record<string, unknown> {
  const { to, cc } = addressing(options.audience ?? 'public');
  return { id: `${ACTOR_ID}/statuses/${itemCounter++}/activity`, type: 'Announce', actor: ACTOR_ID, published: options.published, to, cc, object: options.object ?? 'https://other.example/users/friend/statuses/1' };
}

export function mastodonPoll(options: { content: string; published: string; audience?: Audience }): Record<string, unknown> {
  const note = mastodonNote(options);
  const object = note.object as Record<string, unknown>;
  return { ...note, object: { ...object, type: 'Question', oneOf: [{ type: 'Note', name: 'yes' }, { type: 'Note', name: 'no' }] } };
}

/** outbox.json; `duplicateKey` writes `"orderedItems":[]` before the real list, as real archives can. */
export function mastodonOutbox(items: unknown[], options: { duplicateKey?: boolean } = {}): string {
  const head = `{"@context":"https://www.w3.org/ns/activitystreams","id":"outbox.json","type":"OrderedCollection","totalItems":${items.length + 7},`;
  return `${head}${options.duplicateKey ? '"orderedItems":[],' : ''}"orderedItems":${JSON.stringify(items)}}`;
}

export function mastodonActor(options: { username?: string; name?: string; id?: string; followers?: string | null; avatar?: string } = {}): string {
  const id = options.id ?? ACTOR_ID;
  const actor: Record<string, unknown> = {
    id, type: 'Person', preferredUsername: options.username ?? 'tester', name: options.name ?? 'Test Er',
    following: `${id}/following`, inbox: `${id}/inbox`, outbox: 'outbox.json', url: id.replace('/users/', '/@'),
    icon: { type: 'Image', mediaType: 'image/png', url: options.avatar ?? 'avatar.png' },
  };
  if (options.followers !== null) actor.followers = options.followers ?? `${id}/followers`;
  return JSON.stringify(actor);
}

export const TINY_PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]);

export interface MastodonArchiveOptions {
  items: unknown[];
  actor?: string | null;
  duplicateKey?: boolean;
  /** More files (path → content), e.g. media. */
  extra?: Record<string, Uint8Array | string>;
  noOutbox?: boolean;
}

/** The files of an archive, in the order Mastodon writes them (outbox, media, likes, bookmarks, avatar, actor). */
export function mastodonFiles(options: MastodonArchiveOptions): Array<[string, Uint8Array | string]> {
  const files: Array<[string, Uint8Array | string]> = [];
  if (!options.noOutbox) files.push(['outbox.json', mastodonOutbox(options.items, { duplicateKey: options.duplicateKey })]);
  for (const [path, data] of Object.entries(options.extra ?? {})) files.push([path, data]);
  files.push(['likes.json', '{"type":"OrderedCollection","orderedItems":["https://other.example/statuses/9"]}']);
  files.push(['bookmarks.json', '{"type":"OrderedCollection","orderedItems":[]}']);
  files.push(['avatar.png', TINY_PNG]);
  if (options.actor !== null) files.push(['actor.json', options.actor ?? mastodonActor()]);
  return files;
}

export async function buildMastodonZip(options: MastodonArchiveOptions): Promise<Uint8Array<ArrayBuffer>> {
  return buildZip(Object.fromEntries(mastodonFiles(options)));
}

export async function gzip(bytes: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export async function buildMastodonTarGz(options: MastodonArchiveOptions): Promise<Uint8Array<ArrayBuffer>> {
  const tar = await packTar(mastodonFiles(options).map(([name, data]) => ({ header: { name, size: typeof data === 'string' ? encoder.encode(data).length : data.length, type: 'file' as const, mtime: new Date(0) }, body: data })));
  return gzip(tar);
}

// ---------------------------------------------------------------------------------------------
// A .tar.gz with gigabytes of media, made on demand.

/** A ustar header block for a regular file of `size` bytes. */
export function tarHeader(name: string, size: number): Uint8Array {
  const header = new Uint8Array(512);
  const put = (offset: number, text: string) => header.set(encoder.encode(text), offset);
  const octal = (offset: number, length: number, value: number) => put(offset, value.toString(8).padStart(length - 1, '0'));
  put(0, name);
  octal(100, 8, 0o644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, 0);
  header.fill(0x20, 148, 156);
  put(156, '0');
  put(257, 'ustar\u000000');
  let sum = 0;
  for (const byte of header) sum += byte;
  put(148, `${sum.toString(8).padStart(6, '0')}\u0000 `);
  return header;
}

function padded(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(data.length / 512) * 512);
  out.set(data);
  return out;
}

export type LazyTarEntry = { name: string; data: Uint8Array | string } | { name: string; zeros: number };

const ZERO_CHUNK = 1 << 20;

/**
 * A .tar.gz whose zero-filled entries cost no memory: the deflate stream is spliced from pieces
 * that each end on a byte boundary with no back-reference across them (a full flush), so 1 MiB
 * of zeros is compressed once and repeated. The gzip trailer's CRC runs over every byte.
 * `bytesRead` counts the bytes stream() and slice() delivered.
 */
export class LazyTarGzBlob extends Blob {
  bytesRead = 0;
  private readonly pieces: Array<{ bytes: Uint8Array; repeat: number }> = [];
  private readonly total: number;

  constructor(entries: LazyTarEntry[]) {
    super([]);
    const zeroChunk = new Uint8Array(ZERO_CHUNK);
    const flushed = (data: Uint8Array) => deflateRawSync(data, { level: 6, finishFlush: zlibConstants.Z_FULL_FLUSH });
    const zeroPiece = flushed(zeroChunk);
    let crc = 0;
    let size = 0;
    let pending: Uint8Array[] = [];
    const flushPending = () => {
      if (pending.length === 0) return;
      const data = concat(pending);
      pending = [];
      this.pieces.push({ bytes: flushed(data), repeat: 1 });
      crc = zlibCrc32(data, crc);
      size += data.length;
    };
    const text = (data: Uint8Array | string) => (typeof data === 'string' ? encoder.encode(data) : data);
    for (const entry of entries) {
      if ('data' in entry) {
        const data = text(entry.data);
        pending.push(tarHeader(entry.name, data.length), padded(data));
        continue;
      }
      if (entry.zeros % ZERO_CHUNK !== 0) throw new Error('LazyTarGzBlob: zero-filled entries are whole MiBs');
      pending.push(tarHeader(entry.name, entry.zeros));
      flushPending();
      const repeat = entry.zeros / ZERO_CHUNK;
      this.pieces.push({ bytes: zeroPiece, repeat });
      for (let i = 0; i < repeat; i++) crc = zlibCrc32(zeroChunk, crc);
      size += entry.zeros;
    }
    pending.push(new Uint8Array(1024));
    const data = concat(pending);
    this.pieces.push({ bytes: deflateRawSync(data, { level: 6 }), repeat: 1 });
    crc = zlibCrc32(data, crc);
    size += data.length;
    const header = Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    const trailer = new Uint8Array(8);
    new DataView(trailer.buffer).setUint32(0, crc >>> 0, true);
    new DataView(trailer.buffer).setUint32(4, size % 2 ** 32, true);
    this.pieces.unshift({ bytes: header, repeat: 1 });
    this.pieces.push({ bytes: trailer, repeat: 1 });
    this.total = this.pieces.reduce((n, p) => n + p.bytes.length * p.repeat, 0);
    Object.defineProperty(this, 'size', { value: this.total });
  }

  override stream(): ReadableStream<Uint8Array<ArrayBuffer>> {
    let piece = 0;
    let done = 0;
    return new ReadableStream<Uint8Array<ArrayBuffer>>({
      pull: (controller) => {
        while (piece < this.pieces.length && done >= this.pieces[piece].repeat) {
          piece++;
          done = 0;
        }
        if (piece >= this.pieces.length) {
          controller.close();
          return;
        }
        const bytes = this.pieces[piece].bytes;
        done++;
        this.bytesRead += bytes.length;
        controller.enqueue(new Uint8Array(bytes));
      },
    });
  }

  override slice(start = 0, end = this.total): Blob {
    if (start === 0 && end <= 16) {
      this.bytesRead += end;
      return new Blob([this.pieces[0].bytes.slice(0, end) as Uint8Array<ArrayBuffer>]);
    }
    throw new Error('LazyTarGzBlob: only the first bytes can be sliced; stream() the rest');
  }

  override async arrayBuffer(): Promise<ArrayBuffer> {
    throw new Error('LazyTarGzBlob: arrayBuffer() would read everything; use stream()');
  }
}
