/**
 * The page's side of the one-interface rule: from the page's entry (src/ui/main.ts), following
 * every import that survives compilation (type-only imports are erased), nothing reaches tfjs,
 * transformers.js, or the engine's, model's, training's or archive code; the page only knows
 * the engine through the types of src/engine/api.ts and starts it as a Web Worker.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/fixtures';

const ENTRY = join(repoRoot, 'src/ui/main.ts');

/** Module specifiers a file loads at run time (static, re-exports, dynamic), type-only ones left out. */
function runtimeImports(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const found: string[] = [];
  const statement = /^\s*(import|export)\s+(type\s+)?([^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
  for (const m of code.matchAll(statement)) {
    const clause = (m[3] ?? '').replace(/\s+from\s+$/, '').trim();
    const names = clause.startsWith('{') ? clause.slice(1, -1).split(',').map((n) => n.trim()).filter(Boolean) : null;
    const typeOnly = m[2] !== undefined || (names !== null && names.length > 0 && names.every((n) => n.startsWith('type ')));
    if (!typeOnly) found.push(m[4]);
  }
  for (const m of code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1]);
  return found;
}

function resolveLocal(from: string, spec: string): string | null {
  const base = resolve(dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) if (existsSync(candidate) && candidate.endsWith('.ts')) return candidate;
  return null; // CSS and other assets
}

function reachable(entry: string): { modules: Set<string>; packages: Set<string> } {
  const modules = new Set<string>();
  const packages = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (modules.has(file)) continue;
    modules.add(file);
    for (const spec of runtimeImports(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) {
        const next = resolveLocal(file, spec);
        if (next) todo.push(next);
      } else packages.add(spec);
    }
  }
  return { modules, packages };
}

describe('what the page loads', () => {
  const { modules, packages } = reachable(ENTRY);
  const local = [...modules].map((f) => relative(repoRoot, f)).sort();

  it('no tfjs, no transformers.js: only the page’s own libraries', () => {
    const heavy = [...packages].filter((p) => p.startsWith('@tensorflow/') || p.startsWith('@xenova/') || p.startsWith('@huggingface/'));
    expect(heavy).toEqual([]);
    expect(packages.has('comlink')).toBe(true);
  });

  it('only src/ui and the shared configuration and locale: the engine is reached through api.ts types and a worker', () => {
    expect(local.length).toBeGreaterThan(10);
    // src/config.ts (the model host) and src/locale.ts (locales that never throw) import nothing themselves.
    expect(local.filter((f) => !f.startsWith('src/ui/') && f !== 'src/config.ts' && f !== 'src/locale.ts')).toEqual([]);
    expect(readFileSync(join(repoRoot, 'src/ui/engine-client.ts'), 'utf8')).toMatch(/new Worker\(new URL\('\.\.\/\.\.\/workers\/engine\.worker\.ts', import\.meta\.url\)/);
  });

  it('reads type-only imports as erased (the check itself)', () => {
    expect(runtimeImports("import type { A } from './a';\nimport { b } from './b';\nimport './c.css';\nexport type { D } from './d';\nexport { e } from './e';\nconst f = await import('./f');")).toEqual(['./b', './c.css', './e', './f']);
    expect(runtimeImports("import { type A, type B } from './types-only';\nimport { type C, d } from './mixed';")).toEqual(['./mixed']);
  });
});
