/**
 * The counting rules shared by the networks that are not X (Bluesky, Mastodon): their readers
 * turn an export into cleaned posts, a count of reposts/boosts and of direct messages skipped;
 * this module orders the posts oldest first, applies the short rule and fills a ParsedArchive.
 */
import type { AccountInfo } from './account';
import { hash53, isoDate, SAMPLE_COUNT, spread } from './assemble';
import { ArchiveError } from './errors';
import type { ArchiveAvatar, Network, ParsedArchive } from './types';
import { isShort } from './words';

export interface CleanedPost {
  /** The text after the network's own steps and the shared ones (tidyText). */
  text: string;
  /** ms since the epoch; NaN when unknown (ordered first, as X does). */
  time: number;
  /** Orders posts of the same time: Bluesky rkey, Mastodon Note id. */
  tieKey: string;
}

export interface PostsReading {
  network: Exclude<Network, 'x'>;
  account: AccountInfo;
  posts: CleanedPost[];
  /** Reposts (Bluesky) or boosts (Mastodon): downloaded, then dropped. */
  reposts: number;
  /** Direct messages skipped (Mastodon); never part of `posts`. */
  direct: number;
  filesRead: string[];
  avatar: ArchiveAvatar | null;
}

const NETWORK_NAME = { bluesky: 'Bluesky repository', mastodon: 'Mastodon archive' } as const;

function comparePosts(a: CleanedPost, b: CleanedPost): number {
  const ta = Number.isNaN(a.time) ? -Infinity : a.time;
  const tb = Number.isNaN(b.time) ? -Infinity : b.time;
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.tieKey < b.tieKey ? -1 : a.tieKey > b.tieKey ? 1 : 0;
}

/** Parses an ISO 8601 date (`createdAt`, `published`); NaN when it is not one. */
export function parseIsoTime(value: unknown): number {
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN;
}

export function assemblePosts(reading: PostsReading): ParsedArchive {
  const { posts, reposts, direct, account } = reading;
  if (posts.length + reposts === 0) {
    const dms = direct > 0 ? ` (only ${direct} direct message${direct === 1 ? '' : 's'}, which are never used)` : '';
    throw new ArchiveError('no-tweets', `This ${NETWORK_NAME[reading.network]} holds no posts at all${dms}, so there is nothing to learn from.`);
  }
  const ordered = posts.slice().sort(comparePosts);
  let short = 0;
  const kept: CleanedPost[] = [];
  for (const post of ordered) {
    if (isShort(post.text)) short++;
    else kept.push(post);
  }
  const texts = kept.map((p) => p.text);
  const identity = account.accountId
    ? `account:${account.accountId}`
    : `posts:${hash53(ordered.map((p) => `${p.tieKey}\n${p.text}`).join('\n'))}`;
  return {
    network: reading.network,
    username: account.username,
    displayName: account.displayName,
    accountId: account.accountId,
    identity,
    stats: { downloaded: posts.length + reposts, retweets: reposts, short, kept: kept.length, direct },
    tweets: texts,
    firstDate: kept.length ? isoDate(kept[0].time) : null,
    lastDate: kept.length ? isoDate(kept[kept.length - 1].time) : null,
    samples: spread(texts, SAMPLE_COUNT),
    filesRead: reading.filesRead,
    avatar: reading.avatar,
  };
}
