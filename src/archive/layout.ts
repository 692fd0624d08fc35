/**
 * Where the files this reader needs sit among an archive's paths. Twitter/X puts them in `data/`
 * at the root of the zip; a re-zipped or dropped folder adds a top folder
 * (`twitter-2022-11-16-abc/data/tweets.js`), so `data/` is searched for at any depth.
 * Only these names are ever opened; every other entry (DMs, likes, media…) is left untouched.
 */

export interface ArchiveLayout {
  /** tweets.js / tweet.js and their -partN files, part order. */
  tweetFiles: string[];
  /** note-tweet.js and its parts. */
  noteFiles: string[];
  accountFile: string | null;
  manifestFile: string | null;
  /** The profile picture: the one image in `profile_media/` beside the tweets (the first by name if several), or null. */
  avatarFile: string | null;
}

const AVATAR_FILE = /\.(jpe?g|png|gif|webp)$/i;

const TWEET_FILE = /^(tweets?)(?:-part(\d+))?\.js$/;
const NOTE_FILE = /^note-tweet(?:-part(\d+))?\.js$/;

export interface SplitPath {
  original: string;
  dir: string;
  base: string;
  /** Folders above the file (0 at the root). */
  depth: number;
}

/** A path's folder and name, or null for macOS's AppleDouble shadows, which are not the files. */
export function splitPath(original: string): SplitPath | null {
  const path = original.replace(/\\/g, '/').replace(/^(\.?\/)+/, '');
  const slash = path.lastIndexOf('/');
  const dir = slash < 0 ? '' : path.slice(0, slash);
  const base = path.slice(slash + 1);
  // macOS zips carry AppleDouble shadows (`__MACOSX/…`, `._tweets.js`) that are not the files.
  if (base.startsWith('._') || dir.split('/').includes('__MACOSX')) return null;
  return { original, dir, base, depth: dir === '' ? 0 : dir.split('/').length };
}

function partNumber(match: RegExpExecArray, group: number): number {
  return match[group] === undefined ? 0 : Number(match[group]);
}

// Prefer a folder named `data`, then the shallowest, then the first by name: one archive per input.
function dirRank(dir: string): [number, number, string] {
  const segments = dir === '' ? [] : dir.split('/');
  return [segments.at(-1) === 'data' ? 0 : 1, segments.length, dir];
}

function compareRank(a: [number, number, string], b: [number, number, string]): number {
  if (a[0] !== b[0]) return a[0] - b[0];
  if (a[1] !== b[1]) return a[1] - b[1];
  return a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0;
}

/** The files to read, or null when no tweets file is anywhere among `paths`. */
export function findArchiveFiles(paths: Iterable<string>): ArchiveLayout | null {
  const files: SplitPath[] = [];
  for (const path of paths) {
    const split = splitPath(path);
    if (split !== null) files.push(split);
  }
  const tweetDirs = [...new Set(files.filter((f) => TWEET_FILE.test(f.base)).map((f) => f.dir))];
  if (tweetDirs.length === 0) return null;
  const dir = tweetDirs.map(dirRank).sort(compareRank)[0][2];
  const inDir = files.filter((f) => f.dir === dir);

  const tweets: Array<{ original: string; order: [number, number] }> = [];
  const notes: Array<{ original: string; order: number }> = [];
  let accountFile: string | null = null;
  let manifestFile: string | null = null;
  for (const file of inDir) {
    const tweetMatch = TWEET_FILE.exec(file.base);
    const noteMatch = NOTE_FILE.exec(file.base);
    if (tweetMatch) tweets.push({ original: file.original, order: [tweetMatch[1] === 'tweets' ? 0 : 1, partNumber(tweetMatch, 2)] });
    else if (noteMatch) notes.push({ original: file.original, order: partNumber(noteMatch, 1) });
    else if (file.base === 'account.js') accountFile ??= file.original;
    else if (file.base === 'manifest.js') manifestFile ??= file.original;
  }
  tweets.sort((a, b) => a.order[0] - b.order[0] || a.order[1] - b.order[1]);
  notes.sort((a, b) => a.order - b.order);
  const mediaDir = dir === '' ? 'profile_media' : `${dir}/profile_media`;
  const avatars = files.filter((f) => f.dir === mediaDir && AVATAR_FILE.test(f.base)).sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0));
  return {
    tweetFiles: tweets.map((t) => t.original),
    noteFiles: notes.map((n) => n.original),
    accountFile,
    manifestFile,
    avatarFile: avatars[0]?.original ?? null,
  };
}

/** True when some path looks like it belongs to a Twitter/X archive (for a clearer error message). */
export function looksLikeTwitterArchive(paths: Iterable<string>): boolean {
  for (const path of paths) {
    const split = splitPath(path);
    if (split && (split.base === 'manifest.js' || split.base === 'account.js' || split.base === 'Your archive.html')) return true;
  }
  return false;
}
