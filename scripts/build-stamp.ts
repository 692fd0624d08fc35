/**
 * Whether dist/ is the build of the sources as they are now. The build writes `dist/.source-hash`
 * (a hash of every file it is built from and the VITE_ settings); `bash scripts/serve.sh` builds
 * again only when that hash differs, so starting the page twice does not rebuild it, and a page
 * already being served from dist/ (by another test, another tab) never sees its files vanish.
 *   npx tsx scripts/build-stamp.ts --fresh [dist]   exit 0 when dist/ is current, 1 when a build is due
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** What the page is built from. */
const INPUTS = ['src', 'workers', 'public', 'scripts', 'index.html', 'vite.config.ts', 'tsconfig.json', 'package-lock.json'];
export const STAMP = '.source-hash';

function files(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).flatMap((name) => files(join(path, name)));
}

/** sha256 over each input file's path and bytes (sorted), and the VITE_ environment. */
export function sourceHash(env: NodeJS.ProcessEnv = process.env): string {
  const hash = createHash('sha256');
  const all = INPUTS.flatMap((p) => files(join(ROOT, p))).map((f) => relative(ROOT, f).split('\\').join('/')).sort();
  for (const f of all) {
    hash.update(`${f}\0`);
    hash.update(readFileSync(join(ROOT, f)));
  }
  for (const k of Object.keys(env).filter((k) => k.startsWith('VITE_')).sort()) hash.update(`${k}=${env[k]}\0`);
  return hash.digest('hex');
}

/** The vite plugin: writes the stamp once the build has written everything else. */
export function buildStamp(): Plugin {
  let hash = '';
  return {
    name: 'tweetgpt-build-stamp',
    apply: 'build',
    configResolved() {
      hash = sourceHash();
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: STAMP, source: `${hash}\n` });
    },
  };
}

export function isFresh(dist = join(ROOT, 'dist')): boolean {
  const stamp = join(dist, STAMP);
  return existsSync(stamp) && existsSync(join(dist, 'index.html')) && readFileSync(stamp, 'utf8').trim() === sourceHash();
}

if (process.argv[2] === '--fresh') process.exit(isFresh(process.argv[3] ? resolve(process.argv[3]) : undefined) ? 0 : 1);
