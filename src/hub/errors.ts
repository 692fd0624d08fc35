/**
 * Errors the hub code raises, each with a `code` the UI can switch on and a message a person can
 * act on. Comlink carries only `name` and `message` across the worker boundary, so the code is
 * also mirrored into `name` (e.g. `HubError:not-found`).
 */

export type HubErrorCode =
  | 'invalid-repo' // the repo name is not something a model host could serve
  | 'not-found' // the host answered 404 for a file (or the whole repo)
  | 'network' // the host could not be reached, or the connection dropped
  | 'html' // an HTML page came back where a model file was expected
  | 'http' // any other non-success HTTP status
  | 'size-mismatch' // the body's length differs from what the server announced
  | 'incomplete-model'; // a set of files lacks config, weights or tokenizer

export class HubError extends Error {
  readonly code: HubErrorCode;
  constructor(code: HubErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = `HubError:${code}`;
  }
}

/**
 * The browser refused a write because the origin's storage quota is used up. Whatever was being
 * written is rolled back (no half model stays listed); the data can still be used this session.
 */
export class StorageFullError extends Error {
  constructor(what: string, options?: { cause?: unknown }) {
    super(
      `Your browser's storage is full: ${what} could not be saved, so models will not be kept ` +
        'after this page closes. Delete models or checkpoints in the library, or free disk space, to keep them.',
      options,
    );
    this.name = 'StorageFullError';
  }
}

/** IndexedDB reports quota failures as a DOMException (or an Error) named QuotaExceededError. */
export function isQuotaError(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 4) return false;
  const name = (err as { name?: unknown }).name;
  // Firefox has used NS_ERROR_DOM_QUOTA_REACHED; some wrappers put the DOMException in `cause`.
  if (name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED') return true;
  return isQuotaError((err as { cause?: unknown }).cause, depth + 1);
}

export function isAbortError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError';
}
