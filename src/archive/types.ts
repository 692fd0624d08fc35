/** What reading one archive yields. */

export interface ArchiveStats {
  /** Tweet entries read, after de-duplication by id. */
  downloaded: number;
  /** Of those, texts starting with `RT @` (dropped). */
  retweets: number;
  /** Of the others, fewer than 3 words free of links, mentions and hashtags (dropped). */
  short: number;
  /** downloaded - retweets - short: the training texts. */
  kept: number;
}

export interface ParsedArchive {
  /** From account.js (else manifest.js); '' for a loose tweets.js: ask the person. */
  username: string;
  displayName: string;
  /** From account.js (else manifest.js's userInfo); '' when neither says. */
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
  /** The profile picture (X: the one file in data/profile_media/; Mastodon: avatar.* at the root), or null. */
  avatar: ArchiveAvatar | null;
}

export interface ArchiveAvatar {
  fileName: string;
  mimeType: string;
  bytes: Uint8Array;
}
