/**
 * A Mastodon account archive: `outbox.json` (an ActivityPub OrderedCollection of the person's
 * activities) and `actor.json` (who they are), plus `avatar.*`, at the archive's root. Whatever
 * holds them (a .zip, a .tar.gz, an extracted folder), only these files are read; media,
 * likes and bookmarks are never opened.
 *
 * Direct messages are never used: an item whose audience (`to` and `cc` of the activity and of
 * its object) holds neither the public collection nor the actor's followers collection is
 * counted and skipped, its text never kept.
 */
import type { AccountInfo } from './account';
import { tidyText } from './clean';
import { ArchiveError } from './errors';
import { htmlToText } from './html';
import { assemblePosts, parseIsoTime, type CleanedPost } from './posts';
import { readTarGz } from './tar';
import type { ArchiveAvatar, ParsedArchive } from './types';
import { MAX_TEXT_BYTES } from './zip';
import { splitPath, type SplitPath } from './layout';
import { MAX_AVATAR_BYTES, imageMimeType } from './avatar';

const PUBLIC = new Set(['https://www.w3.org/ns/activitystreams#Public', 'as:Public', 'Public']);
const AVATAR_FILE = /^avatar\.[A-Za-z0-9]{1,5}$/;

export const OUTBOX = 'outbox.json';
export const ACTOR = 'actor.json';

// ---- where the files are -----------------------------------------------------------------------

export interface MastodonLayout {
  outbox: string;
  actor: string | null;
  /** `avatar.*` files beside the outbox (normally one). */
  avatars: string[];
}

/** The archive's files among `paths`: the shallowest outbox.json and what lies beside it; null without one. */
export function findMastodonFiles(paths: Iterable<string>): MastodonLayout | null {
  const files: SplitPath[] = [];
  for (const path of paths) {
    const split = splitPath(path);
    if (split) files.push(split);
  }
  const outbox = files.filter((f) => f.base === OUTBOX).sort((a, b) => a.depth - b.depth || (a.dir < b.dir ? -1 : 1))[0];
  if (outbox === undefined) return null;
  const beside = files.filter((f) => f.dir === outbox.dir);
  return {
    outbox: outbox.original,
    actor: beside.find((f) => f.base === ACTOR)?.original ?? null,
    avatars: beside.filter((f) => AVATAR_FILE.test(f.base)).map((f) => f.original),
  };
}

/** True when `paths` look like a Mastodon archive (for a clear message when outbox.json is missing). */
export function looksLikeMastodonArchive(paths: Iterable<string>): boolean {
  for (const path of paths) {
    const base = splitPath(path)?.base;
    if (base === ACTOR || base === 'likes.json' || base === 'bookmarks.json' || base === OUTBOX) return true;
  }
  return false;
}

/** Is this tar entry one the reader needs (read while streaming, before the layout is known)? */
export function isMastodonFileName(path: string): boolean {
  const split = splitPath(path);
  return split !== null && split.depth <= 1 && (split.base === OUTBOX || split.base === ACTOR || AVATAR_FILE.test(split.base));
}

export const NO_OUTBOX_MESSAGE =
  'This Mastodon archive has no outbox.json (the file that holds your posts), so there is nothing to learn from. ' +
  'Drop the archive exactly as Mastodon made it (Preferences → Import and export → Request your archive).';

// ---- what the files say ------------------------------------------------------------------------

function asRecord(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}

/** Collection ids in an audience field: a string, an object with an id, or a list of those. */
function audience(value: unknown, into: string[]): void {
  if (Array.isArray(value)) for (const v of value) audience(v, into);
  else if (typeof value === 'string') into.push(value);
  else if (typeof asRecord(value)?.id === 'string') into.push(asRecord(value)?.id as string);
}

export interface MastodonActor {
  id: string;
  username: string;
  displayName: string;
  followers: string;
  /** actor.json `icon`: which avatar file and its type, when said. */
  icon: { url: string; mediaType: string } | null;
}

/** actor.json, leniently: a damaged one is ignored (the outbox still says whose it is). */
export function parseActor(actorText: string | null): MastodonActor | null {
  if (actorText === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(actorText);
  } catch {
    return null;
  }
  const actor = asRecord(value);
  if (actor === null) return null;
  const id = text(actor.id);
  const icon = asRecord(actor.icon);
  return {
    id,
    username: text(actor.preferredUsername).replace(/^@/, ''),
    displayName: text(actor.name),
    followers: text(actor.followers) || (id ? `${id}/followers` : ''),
    icon: icon && typeof icon.url === 'string' ? { url: icon.url, mediaType: text(icon.mediaType) } : null,
  };
}

function parseOutboxItems(outboxText: string, outboxPath: string): unknown[] {
  let value: unknown;
  try {
    // JSON.parse keeps the last of a repeated key: `"orderedItems":[],"orderedItems":[…]` gives the real list.
    value = JSON.parse(outboxText);
  } catch (error) {
    throw new ArchiveError('bad-json', `${outboxPath} in this Mastodon archive is damaged: it does not parse as JSON (${(error as Error).message}).`, { cause: error });
  }
  const items = asRecord(value)?.orderedItems;
  if (!Array.isArray(items)) {
    throw new ArchiveError('bad-json', `${outboxPath} in this Mastodon archive is damaged: it holds no list of posts (orderedItems).`);
  }
  return items;
}

/** Is this outbox item for the public or the followers (else: a direct message)? */
export function isAddressedToPublicOrFollowers(item: Record<string, unknown>, followers: string): boolean {
  const ids: string[] = [];
  audience(item.to, ids);
  audience(item.cc, ids);
  const object = asRecord(item.object);
  if (object) {
    audience(object.to, ids);
    audience(object.cc, ids);
  }
  return ids.some((id) => PUBLIC.has(id) || (followers !== '' && id === followers));
}

function noteText(note: Record<string, unknown>): string {
  let html = typeof note.content === 'string' ? note.content : '';
  if (html === '') {
    const map = asRecord(note.contentMap);
    const first = map ? Object.values(map).find((v) => typeof v === 'string') : undefined;
    html = typeof first === 'string' ? first : '';
  }
  return tidyText(htmlToText(html));
}

export interface MastodonFiles {
  outboxPath: string;
  outboxText: string;
  actorText: string | null;
  filesRead: string[];
  avatar: ArchiveAvatar | null;
}

/** The counting and cleaning rules on the archive's two JSON files. */
export function parseMastodon(files: MastodonFiles): ParsedArchive {
  const items = parseOutboxItems(files.outboxText, files.outboxPath);
  const actor = parseActor(files.actorText);
  let actorId = actor?.id ?? '';
  if (!actorId) actorId = items.map((i) => text(asRecord(i)?.actor)).find((a) => a !== '') ?? '';
  const followers = actor?.followers || (actorId ? `${actorId}/followers` : '');

  const posts: CleanedPost[] = [];
  const seen = new Set<string>();
  let boosts = 0;
  let direct = 0;
  for (const entry of items) {
    const item = asRecord(entry);
    if (item === null) continue;
    if (!isAddressedToPublicOrFollowers(item, followers)) {
      direct++;
      continue;
    }
    const object = asRecord(item.object);
    const id = text(object?.id) || text(item.id);
    if (id !== '') {
      if (seen.has(id)) continue;
      seen.add(id);
    }
    if (item.type === 'Announce') boosts++;
    else if (item.type === 'Create' && object?.type === 'Note') {
      posts.push({ text: noteText(object), time: parseIsoTime(object.published ?? item.published), tieKey: id });
    }
  }
  const account: AccountInfo = { username: actor?.username ?? '', displayName: actor?.displayName ?? '', accountId: actorId };
  return assemblePosts({ network: 'mastodon', account, posts, reposts: boosts, direct, filesRead: files.filesRead, avatar: files.avatar });
}

// ---- reading from a zip or a folder ------------------------------------------------------------

/** The archive's files, each readable (the zip's entries or the dropped folder's files). */
export interface MastodonSource {
  paths: string[];
  readText(path: string): Promise<string>;
  /** A small binary file (the avatar); null when larger than maxBytes (left unread). */
  readBytes(path: string, maxBytes: number): Promise<Uint8Array | null>;
}

/** The avatar file actor.json names (else the first `avatar.*`), and its type. */
export function pickAvatar(avatars: string[], actor: MastodonActor | null): { path: string; mimeType: string } | null {
  const base = (p: string) => p.slice(p.replace(/\\/g, '/').lastIndexOf('/') + 1);
  const named = actor?.icon ? avatars.find((p) => base(p) === actor.icon?.url) : undefined;
  const path = named ?? avatars[0];
  if (path === undefined) return null;
  const mimeType = (named && actor?.icon?.mediaType) || imageMimeType(path) || 'application/octet-stream';
  return { path, mimeType };
}

export async function readMastodonSource(source: MastodonSource): Promise<ParsedArchive> {
  const layout = findMastodonFiles(source.paths);
  if (layout === null) throw new ArchiveError('no-tweets-file', NO_OUTBOX_MESSAGE);
  const filesRead: string[] = [];
  const outboxText = await source.readText(layout.outbox);
  filesRead.push(layout.outbox);
  let actorText: string | null = null;
  if (layout.actor) {
    actorText = await source.readText(layout.actor);
    filesRead.push(layout.actor);
  }
  const chosen = pickAvatar(layout.avatars, parseActor(actorText));
  let avatar: ArchiveAvatar | null = null;
  if (chosen) {
    // A damaged avatar costs the picture, not the archive.
    const bytes = await source.readBytes(chosen.path, MAX_AVATAR_BYTES).catch(() => null);
    if (bytes) {
      filesRead.push(chosen.path);
      avatar = { fileName: chosen.path.slice(chosen.path.lastIndexOf('/') + 1), mimeType: chosen.mimeType, bytes };
    }
  }
  return parseMastodon({ outboxPath: layout.outbox, outboxText, actorText, filesRead, avatar });
}

// ---- reading from a .tar.gz --------------------------------------------------------------------

function tooLarge(path: string): ArchiveError {
  return new ArchiveError('too-large', `${path} is larger than ${MAX_TEXT_BYTES / 1024 / 1024} MB, more than a browser can hold as text.`);
}

/**
 * The older `.tar.gz` archive, streamed: only outbox.json, actor.json and avatar.* are kept, every
 * other entry passes unread; reading stops once all three are found at the root.
 */
export async function readMastodonTarGz(input: Blob | Uint8Array): Promise<ParsedArchive> {
  const atRoot = (bodies: Map<string, Uint8Array>, test: (path: string) => boolean) =>
    [...bodies.keys()].some((path) => !path.replace(/^(\.?\/)+/, '').includes('/') && test(path));
  const tar = await readTarGz(input, {
    want(path, size) {
      if (!isMastodonFileName(path)) return false;
      const base = path.slice(path.lastIndexOf('/') + 1);
      if (AVATAR_FILE.test(base)) return size <= MAX_AVATAR_BYTES;
      if (size > MAX_TEXT_BYTES) throw tooLarge(path);
      return true;
    },
    enough: (bodies) =>
      atRoot(bodies, (p) => p.endsWith(OUTBOX)) && atRoot(bodies, (p) => p.endsWith(ACTOR)) && atRoot(bodies, (p) => AVATAR_FILE.test(p.slice(p.lastIndexOf('/') + 1))),
  });
  if (findMastodonFiles(tar.paths) === null) {
    throw new ArchiveError(
      'no-tweets-file',
      looksLikeMastodonArchive(tar.paths)
        ? NO_OUTBOX_MESSAGE
        : 'This .tar.gz holds no outbox.json: it is not a Mastodon archive. Drop the archive Mastodon made (Preferences → Import and export → Request your archive).',
    );
  }
  const decoder = new TextDecoder('utf-8');
  return readMastodonSource({
    paths: tar.paths.filter((path) => tar.bodies.has(path)),
    readText: async (path) => decoder.decode(tar.bodies.get(path)),
    readBytes: async (path, maxBytes) => {
      const body = tar.bodies.get(path);
      return body !== undefined && body.length <= maxBytes ? body : null;
    },
  });
}
