import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The repo root. */
export const repoRoot = resolve(here, '..', '..');

/** The shared fixtures folder: ../shared/fixtures beside the clone (CI lays it there). */
export const fixturesDir = (() => {
  const candidates = [resolve(repoRoot, '..', 'shared', 'fixtures'), resolve(repoRoot, 'shared', 'fixtures')];
  const found = candidates.find((d) => existsSync(join(d, 'tiny-gpt2', 'config.json')));
  if (!found) throw new Error(`tiny-gpt2 fixtures not found; looked in ${candidates.join(', ')}`);
  return found;
})();

export const tinyDir = join(fixturesDir, 'tiny-gpt2');

/** Read a file of the tiny GPT-2 fixture as bytes (a fresh copy, 0-offset). */
export function tinyFile(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(tinyDir, name)));
}

export function tinyJson<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(join(tinyDir, name), 'utf8')) as T;
}
