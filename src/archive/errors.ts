/**
 * Every way an input can fail to be a readable archive (X, Bluesky, Mastodon). The UI switches on
 * `code`; `message` is a sentence a person can act on.
 */
export type ArchiveErrorCode =
  | 'not-archive' // neither a zip, a .tar.gz, a Bluesky .car nor a tweets.js; or a CAR that is not a Bluesky repository
  | 'no-tweets-file' // a zip or folder without data/tweets.js (or its parts, or tweet.js); a Mastodon archive without outbox.json
  | 'corrupt' // a truncated or damaged zip, .tar.gz or .car, or a damaged entry inside it
  | 'bad-json' // a tweets.js / note-tweet.js / outbox.json whose contents do not parse
  | 'no-tweets' // an archive that holds no tweet or post at all
  | 'encrypted' // a password-protected zip
  | 'unsupported' // a valid zip this reader cannot open (split zip, unknown compression)
  | 'too-large'; // a single tweets file larger than a JavaScript string can hold

export class ArchiveError extends Error {
  readonly code: ArchiveErrorCode;

  constructor(code: ArchiveErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ArchiveError';
    this.code = code;
  }
}

export function isArchiveError(error: unknown): error is ArchiveError {
  return error instanceof ArchiveError;
}
