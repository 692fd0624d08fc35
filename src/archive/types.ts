/** What reading one archive yields: an X archive, a Bluesky repository or a Mastodon archive. */

/** The network an export comes from. */
export type Network = 'x' | 'bluesky' | 'mastodon';

/** The profile picture shipped inside an export (Mastodon `avatar.*`, X `profile_media/`). */
export interface ArchiveAvatar {
  fileName: string;
  mimeType: string;
  bytes: Uint8Array;
}

export interface ArchiveStats {
  /**
   * Posts read, after de-duplication by id: X tweet entries; Bluesky `app.bsky.feed.post` +
   * `app.bsky.feed.repost` records; Mastodon `Create` of a `Note` + `Announce` (direct messages
   * excluded).
   */
  downloaded: number;
  /** Of those, the shared posts of others (dropped): X `RT @` texts, Bluesky reposts, Mastodon boosts. */
  retweets: number;
  /** Of the others, fewer than 3 words free of links, mentions and hashtags (dropped). */
  short: number;
  /** downloaded - retweets - short: the training texts. */
  kept: number;
  /** Mastodon direct messages skipped (never read into the result); 0 for X and Bluesky. */
  direct: number;
}

export interface ParsedArchive {
  network: Network;
  /**
   * X: from account.js (else manifest.js); Mastodon: actor.json `preferredUsername`. '' for a
   * loose tweets.js and for Bluesky (the handle is not in the export): ask the person.
   */
  username: string;
  /** X: account.js; Bluesky: the profile's `displayName`; Mastodon: actor.json `name`. */
  displayName: string;
  /**
   * X: account.js (else manifest.js's userInfo), '' when neither says; Bluesky: the commit's
   * DID; Mastodon: the actor's `id` (a URL).
   */
  accountId: string;
  /**
   * The same for the same archive dropped twice: `account:<accountId>`, or, without an account
   * id, `tweets:<hash of the sorted tweet ids>`.
   */
  identity: string;
  stats: ArchiveStats;
  /** The kept, cleaned texts, oldest first. */
  tweets: string[];
  /** ISO dates of the first and last kept tweets; null when none is kept (or dates are unknown). */
  firstDate: string | null;
  lastDate: string | null;
  /** Up to 5 kept texts spread evenly from the oldest to the newest. */
  samples: string[];
  /** The entries (or files) actually decompressed and read, in reading order. */
  filesRead: string[];
  /** ISO date of each kept tweet, parallel to `tweets` (null where the archive gives none); absent from readers that know no dates. */
  tweetDates?: Array<string | null>;
  /** The profile picture inside the export, or null (Bluesky's CAR holds no blobs). */
  avatar: ArchiveAvatar | null;
}
