/**
 * Real exports of real accounts (../shared/real beside the clone; CI lays it there), read at
 * test time and never copied into the repository. See its README for sources and format facts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repoRoot } from './fixtures';

export const realDir = (() => {
  const candidates = [resolve(repoRoot, '..', 'shared', 'real'), resolve(repoRoot, 'shared', 'real')];
  const found = candidates.find((d) => existsSync(join(d, 'README.md')));
  if (!found) throw new Error(`the real exports (shared/real) were not found; looked in ${candidates.join(', ')}`);
  return found;
})();

/** A real export's bytes (a fresh copy). */
export function realFile(name: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(readFileSync(join(realDir, name)));
}

/** The text every direct message has in these copies instead of its own. */
export const REMOVED_DM_TEXT = '[direct message removed from this test copy]';
