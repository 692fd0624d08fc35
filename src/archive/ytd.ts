/**
 * The `.js` files of a Twitter/X archive are JSON behind a JavaScript assignment:
 *   window.YTD.tweets.part0 = [ {"tweet": {…}}, … ]
 *   window.__THAR_CONFIG = { "userInfo": {…}, … }       (manifest.js)
 * This module turns such a file's text into the JSON value it assigns.
 */
import { ArchiveError } from './errors';

export interface AssignedJson {
  /** The assignment target (`window.YTD.tweets.part0`), or null when the text is bare JSON. */
  target: string | null;
  value: unknown;
}

// An assignment target is a dotted identifier; requiring one before the `=` keeps an `=` inside a
// JSON string of a bare-JSON file from being mistaken for the assignment.
const ASSIGNMENT = /^\s*([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\s*=/;

export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Parses `target = <json>` (optional BOM, CRLF, trailing `;`), or bare JSON. */
export function parseAssignedJson(text: string, fileName: string): AssignedJson {
  const source = stripBom(text);
  const match = ASSIGNMENT.exec(source);
  let body = (match ? source.slice(match[0].length) : source).trim();
  if (body.endsWith(';')) body = body.slice(0, -1).trimEnd();
  if (body === '') {
    throw new ArchiveError('bad-json', `${fileName} is empty or cut short: it holds no data after "=".`);
  }
  try {
    return { target: match ? match[1] : null, value: JSON.parse(body) };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ArchiveError(
      'bad-json',
      `${fileName} is damaged: its contents are not valid JSON (${detail}). Download the archive again.`,
      { cause: error },
    );
  }
}

/** The `<type>` of `window.YTD.<type>.partN`, or null for any other target. */
export function ytdType(target: string | null): string | null {
  const match = target === null ? null : /^window\.YTD\.([\w$]+)\.part\d+$/.exec(target);
  return match ? match[1] : null;
}

/** Parses a `window.YTD.<type>.partN = [ … ]` file into its list of entries. */
export function parseYtdList(text: string, fileName: string): unknown[] {
  const { value } = parseAssignedJson(text, fileName);
  if (!Array.isArray(value)) {
    throw new ArchiveError('bad-json', `${fileName} is damaged: it should hold a list of entries, but it does not.`);
  }
  return value;
}

/** Cheap check on the first bytes of a loose file: does it look like an archive `.js` file? */
export function looksLikeYtdText(head: string): boolean {
  return /^\s*(window\.YTD\.|\[)/.test(stripBom(head));
}
