/**
 * transformers.js 2.17.2 in a browser page, offline: a site root holding its browser bundle
 * (dist/transformers.min.js, which carries onnxruntime-web 1.14) and onnxruntime's .wasm files,
 * and the page-side setup that points it at the test site's model host (`/hf`, Hugging Face URL
 * layout) with no other network. Used by the ONNX e2e test and the bench's transformers.js row.
 */
import { copyFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './fixtures';

/** A folder to serve at `/`: index.html, transformers.min.js and ort-wasm*.wasm. */
export function transformersSiteRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'tweetgpt-tjs-'));
  const dist = join(repoRoot, 'node_modules', '@xenova', 'transformers', 'dist');
  copyFileSync(join(dist, 'transformers.min.js'), join(root, 'transformers.min.js'));
  for (const f of readdirSync(dist)) if (f.endsWith('.wasm')) copyFileSync(join(dist, f), join(root, f));
  writeFileSync(join(root, 'index.html'), '<!doctype html><meta charset="utf-8"><title>transformers.js</title><p>transformers.js test page</p>\n');
  return root;
}

/**
 * Page-side source (for page.evaluate) that imports the bundle and sets it up: models from
 * `${origin}/hf/<repo>/resolve/main/…`, onnxruntime's wasm from the site root, `threads` wasm threads.
 */
export function setupSource(threads: number): string {
  return `(async () => {
    const t = await import('/transformers.min.js');
    t.env.allowLocalModels = false;
    t.env.allowRemoteModels = true;
    t.env.remoteHost = location.origin + '/hf/';
    t.env.useBrowserCache = false;
    t.env.backends.onnx.wasm.wasmPaths = location.origin + '/';
    t.env.backends.onnx.wasm.numThreads = ${threads};
    globalThis.transformers = t;
  })()`;
}
