/**
 * A Bluesky repository export ("Export my data", `com.atproto.sync.getRepo`): one CAR v1 file.
 * Its header names the root, the signed commit (not always the first block); the commit's `data`
 * is the root of the Merkle Search Tree mapping `collection/rkey` to records. @atcute/car reads
 * the blocks, @atcute/repo walks the tree. Posts are `app.bsky.feed.post` records only (other
 * apps write their own post types into the same repository), reposts `app.bsky.feed.repost`;
 * the display name comes from `app.bsky.actor.profile/self`, the account id is the commit's DID.
 * The handle is not in the export: `username` stays '' and the page asks for it.
 */
import * as CAR from '@atcute/car';
import * as CBOR from '@atcute/cbor';
import * as CID from '@atcute/cid';
import { fromUint8Array as repoEntries, isCommit } from '@atcute/repo';
import { tidyText } from './clean';
import { ArchiveError } from './errors';
import { assemblePosts, parseIsoTime, type CleanedPost } from './posts';
import type { ParsedArchive } from './types';

const POST = 'app.bsky.feed.post';
const REPOST = 'app.bsky.feed.repost';
const PROFILE = 'app.bsky.actor.profile';
const LINK_FEATURE = 'app.bsky.richtext.facet#link';

const NOT_A_REPO =
  'This .car file is not a Bluesky repository export: its root is not a signed repository commit. ' +
  'Export it from Bluesky: Settings → Account → Export my data.';
const DAMAGED =
  'This Bluesky export (.car) is incomplete or damaged, as happens when a download is cut short. Export it again: Settings → Account → Export my data.';

/** The bytes a CAR v1 file starts with: a varint header length, then a DAG-CBOR map naming `roots`. */
export function looksLikeCar(head: Uint8Array): boolean {
  let length = 0;
  let i = 0;
  for (let shift = 0; i < Math.min(head.length, 4); i++, shift += 7) {
    length |= (head[i] & 0x7f) << shift;
    if ((head[i] & 0x80) === 0) break;
  }
  i++;
  if (length < 8 || length > 4096 || i >= head.length) return false;
  if (head[i] !== 0xa1 && head[i] !== 0xa2) return false;
  const header = new TextDecoder('latin1').decode(head.subarray(i, i + Math.min(length, head.length - i)));
  return header.includes('roots');
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** The commit the header names, or an ArchiveError saying why there is none. */
function readCommit(bytes: Uint8Array): { did: string } {
  let car: CAR.SyncCarReader;
  try {
    car = CAR.fromUint8Array(bytes);
  } catch (error) {
    throw new ArchiveError('corrupt', DAMAGED, { cause: error });
  }
  const root = car.roots[0];
  if (root === undefined) throw new ArchiveError('not-archive', NOT_A_REPO);
  let commitBytes: Uint8Array | null = null;
  try {
    for (const entry of car) {
      if (CID.toString(entry.cid) === root.$link) {
        commitBytes = entry.bytes;
        break;
      }
    }
  } catch (error) {
    throw new ArchiveError('corrupt', DAMAGED, { cause: error });
  }
  if (commitBytes === null) throw new ArchiveError('not-archive', NOT_A_REPO);
  let commit: unknown;
  try {
    commit = CBOR.decode(commitBytes);
  } catch (error) {
    throw new ArchiveError('not-archive', NOT_A_REPO, { cause: error });
  }
  if (!isCommit(commit)) throw new ArchiveError('not-archive', NOT_A_REPO);
  return { did: commit.did };
}

/** Snaps a byte offset back to the start of the UTF-8 character it falls in. */
function charStart(bytes: Uint8Array, offset: number): number {
  while (offset > 0 && offset < bytes.length && (bytes[offset] & 0xc0) === 0x80) offset--;
  return offset;
}

/** The byte ranges [start, end) of `text` that link facets cover, sorted, clamped, on character boundaries. */
function linkRanges(facets: unknown, bytes: Uint8Array): Array<[number, number]> {
  if (!Array.isArray(facets)) return [];
  const ranges: Array<[number, number]> = [];
  for (const facet of facets) {
    const f = asRecord(facet);
    const index = asRecord(f?.index);
    const features = Array.isArray(f?.features) ? f.features : [];
    if (!index || !features.some((feature) => asRecord(feature)?.$type === LINK_FEATURE)) continue;
    const { byteStart, byteEnd } = index;
    if (!Number.isInteger(byteStart) || !Number.isInteger(byteEnd)) continue;
    const start = charStart(bytes, Math.max(0, Math.min(bytes.length, byteStart as number)));
    const end = charStart(bytes, Math.max(0, Math.min(bytes.length, byteEnd as number)));
    if (end > start) ranges.push([start, end]);
  }
  return ranges.sort((a, b) => a[0] - b[0]);
}

/**
 * A post's text without what its link facets cover (Bluesky shows links shortened, without
 * `https://`, so the URL rule alone would leave `github.com/…` behind). `index` counts UTF-8
 * bytes, not characters.
 */
export function removeLinkFacets(text: string, facets: unknown): string {
  if (!Array.isArray(facets) || facets.length === 0) return text;
  const bytes = new TextEncoder().encode(text);
  const ranges = linkRanges(facets, bytes);
  if (ranges.length === 0) return text;
  const kept: Uint8Array[] = [];
  let at = 0;
  for (const [start, end] of ranges) {
    if (start > at) kept.push(bytes.subarray(at, start));
    at = Math.max(at, end);
  }
  kept.push(bytes.subarray(at));
  const out = new Uint8Array(kept.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of kept) {
    out.set(part, offset);
    offset += part.length;
  }
  return new TextDecoder('utf-8').decode(out);
}

/** One `app.bsky.feed.post` record to its cleaned text: link facets out, then the shared rules. */
export function blueskyPostText(record: unknown): string {
  const r = asRecord(record);
  const text = typeof r?.text === 'string' ? r.text : '';
  return tidyText(removeLinkFacets(text, r?.facets));
}

/** Reads a whole Bluesky repository export held in memory. */
export function readBlueskyCar(bytes: Uint8Array): ParsedArchive {
  const { did } = readCommit(bytes);
  const posts: CleanedPost[] = [];
  let reposts = 0;
  let displayName = '';
  const filesRead: string[] = [];
  try {
    for (const entry of repoEntries(bytes)) {
      if (entry.collection === POST) {
        const record = asRecord(entry.record);
        posts.push({ text: blueskyPostText(record), time: parseIsoTime(record?.createdAt), tieKey: entry.rkey });
      } else if (entry.collection === REPOST) {
        reposts++;
      } else if (entry.collection === PROFILE && entry.rkey === 'self') {
        const name = asRecord(entry.record)?.displayName;
        displayName = typeof name === 'string' ? name.trim() : '';
        filesRead.push(`${PROFILE}/self`);
      }
    }
  } catch (error) {
    throw new ArchiveError('corrupt', DAMAGED, { cause: error });
  }
  if (posts.length) filesRead.push(`${POST}/*`);
  return assemblePosts({
    network: 'bluesky',
    account: { username: '', displayName, accountId: did },
    posts,
    reposts,
    direct: 0,
    filesRead,
    avatar: null,
  });
}
