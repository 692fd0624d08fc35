/**
 * Every way an input can fail to be a readable Twitter/X archive. The UI switches on `code`;
 * `message` is a sentence a person can act on.
 */
export type ArchiveErrorCode =
  | 'not-archive' // neither a zip nor a tweets.js
  | 'no-tweets-file' // a zip or folder without data/tweets.js (or its parts, or tweet.js)
  | 'corrupt' // a truncated or damaged zip, or a damaged entry inside it
  | 'bad-json' // a tweets.js / note-tweet.js whose contents do not parse
  | 'no-tweets' // a tweets file that holds no tweet at all
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
