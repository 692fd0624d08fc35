/**
 * `npx tsx bench/llama.ts`: the "generation vs llama.cpp (wllama)" row, runnable alone. The same
 * random gpt2-shaped weights (randomGPT2Weights, seed 1) generate 128 greedy tokens after an
 * 8-token prompt twice in one Chromium page: with our page's generation (src/generate, KV cache,
 * in a worker on wasm, as the page runs it) and with @wllama/wllama (llama.cpp in wasm) loading
 * this repo's own .gguf export of those weights, f32 and Q8_0, with the same thread count.
 * Prints the figures and writes bench/results/llama.json and llama.md. Nothing is asserted about
 * speed; the exit code is 1 when a run fails or the prompt does not tokenize alike.
 *
 *   npx tsx bench/llama.ts [--new-tokens=128] [--no-build]
 */
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';
import { writeGguf, type GgufDType } from '../src/export/gguf';
import { loadTokenizer } from '../src/model/tokenizer';
import { randomGPT2Weights } from '../src/model/params';
import { launch } from '../tests/e2e/browser';
import { repoRoot, tinyDir } from '../tests/helpers/fixtures';
import { startSite } from '../tests/helpers/site';
import type { GenerationRun, LlamaBenchAnswer, LlamaBenchArgs } from './llama/protocol';
import { shapeConfig, describeShape } from './shapes';
import { option } from './options';

const newTokens = Number(option('new-tokens', '128'));
const SEED = 1;
const PROMPT = 'The best thing about today was that I';
const REPO = 'bench/gpt2-random-gguf';
const ggufDir = join(repoRoot, '.tmp', 'bench-llama', 'gpt2-random');
const distDir = join(repoRoot, '.tmp', 'bench-llama-dist');
const resultsDir = join(repoRoot, 'bench', 'results');
const tokenizerFiles = Object.fromEntries(['tokenizer.json', 'tokenizer_config.json'].map((n) => [n, new Uint8Array(readFileSync(join(tinyDir, n)))]));

const started = Date.now();
const progress = (line: string): void => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);

/** gpt2-{f32,q8_0}.gguf of the random weights, written once (kept while the stamp matches). */
async function prepareGguf(): Promise<void> {
  const stampFile = join(ggufDir, 'stamp.json');
  const stamp = JSON.stringify({ seed: SEED, shape: 'gpt2', writer: statSync(join(repoRoot, 'src', 'export', 'gguf.ts')).mtimeMs });
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return;
  mkdirSync(ggufDir, { recursive: true });
  const config = shapeConfig('gpt2');
  const weights = randomGPT2Weights(config, SEED);
  for (const dtype of ['f32', 'q8_0'] as GgufDType[]) {
    const fd = openSync(join(ggufDir, `gpt2-${dtype}.gguf`), 'w');
    try {
      const size = await writeGguf(config, async (name) => weights[name].data, tokenizerFiles, { dtype, name: 'gpt2 random' }, (bytes, position) => {
        writeSync(fd, bytes, 0, bytes.length, position);
      });
      progress(`wrote gpt2-${dtype}.gguf (${(size / 2 ** 20).toFixed(0)} MiB)`);
    } finally {
      closeSync(fd);
    }
  }
  writeFileSync(stampFile, stamp);
}

async function buildPage(): Promise<void> {
  if (process.argv.includes('--no-build') && existsSync(join(distDir, 'index.html'))) return;
  await build({
    configFile: false,
    root: join(repoRoot, 'bench', 'llama'),
    base: './',
    publicDir: false,
    logLevel: 'error',
    worker: { format: 'es' },
    build: { outDir: distDir, emptyOutDir: true, target: 'es2022', minify: 'esbuild', chunkSizeWarningLimit: 8192, reportCompressedSize: false },
  });
  // COOP/COEP from the test site (it reads _headers): wasm threads for both engines.
  writeFileSync(join(distDir, '_headers'), ['/*', '  Cross-Origin-Opener-Policy: same-origin', '  Cross-Origin-Embedder-Policy: require-corp', ''].join('\n'));
  // wllama's wasm served by the bench site itself (no CDN).
  copyFileSync(join(repoRoot, 'node_modules', '@wllama', 'wllama', 'esm', 'wasm', 'wllama.wasm'), join(distDir, 'wllama.wasm'));
  progress('page built');
}

function row(name: string, r: GenerationRun, detail: string): string {
  return `| ${name} | ${r.tokensPerSec.toFixed(1)} tok/s | ${detail}; ${r.tokens} tokens in ${(r.totalMs / 1000).toFixed(1)} s, decoding alone ${r.decodePerSec === null ? '?' : r.decodePerSec.toFixed(1)} tok/s; ${r.detail}, ${r.threads} thread(s) |`;
}

async function main(): Promise<void> {
  await prepareGguf();
  await buildPage();
  const tokenizer = loadTokenizer(tokenizerFiles);
  const promptIds = tokenizer.encode(PROMPT);
  const site = await startSite({ root: distDir, repos: { [REPO]: ggufDir } });
  const browser = await launch({ webgpu: false });
  try {
    const page = await browser.context.newPage();
    page.on('console', (m) => {
      if (m.text().startsWith('[bench]')) progress(m.text().slice(8));
    });
    page.on('pageerror', (e) => progress(`page error: ${e.message}`));
    await page.goto(site.url);
    await page.waitForFunction(() => 'llamaBench' in window);
    const env = await page.evaluate(() => ({ userAgent: navigator.userAgent, cores: navigator.hardwareConcurrency, crossOriginIsolated }));
    const file = (dtype: string) => `${site.hostUrl}/${REPO}/resolve/main/gpt2-${dtype}.gguf`;
    const args: LlamaBenchArgs = { seed: SEED, promptIds, promptText: PROMPT, newTokens, ggufUrls: { f32: file('f32'), q8_0: file('q8_0') }, wasmUrl: new URL('wllama.wasm', site.url).href };
    progress(`running: prompt ${promptIds.length} tokens, ${newTokens} new tokens`);
    const r = (await page.evaluate((a) => (window as unknown as { llamaBench: (x: LlamaBenchArgs) => Promise<LlamaBenchAnswer> }).llamaBench(a), args)) as LlamaBenchAnswer;
    // Same weights, both greedy: how many of our tokens llama.cpp's f32 text starts with.
    let agree = 0;
    while (agree < r.oursIds.length && r.f32Text.startsWith(tokenizer.decode(r.oursIds.slice(0, agree + 1)))) agree++;
    const shape = `${describeShape(shapeConfig('gpt2'))}, random weights (seed ${SEED}), greedy, ${promptIds.length}-token prompt, ${newTokens} new tokens`;
    const lines = [
      `chromium: ${/Chrome\/([\d.]+)/.exec(env.userAgent)?.[1] ?? '?'}; cores: ${env.cores}; crossOriginIsolated: ${env.crossOriginIsolated}; ${new Date().toISOString()}`,
      '',
      '| Figure | Value | Detail |',
      '|---|---:|---|',
      row('Generate, ours (KV cache)', r.ours, shape),
      row('Generate, llama.cpp (wllama 3.13.0), f32 .gguf', r.wllama.f32, 'the same weights through saveGguf\'s writer'),
      row('Generate, llama.cpp (wllama 3.13.0), Q8_0 .gguf', r.wllama.q8_0, 'the same weights, Q8_0 matrices'),
      `| Ours / llama.cpp f32 | ${(r.ours.tokensPerSec / r.wllama.f32.tokensPerSec).toFixed(2)}× | tokens per second, same page, same thread count; greedy agreement: the first ${agree} of ${r.oursIds.length} tokens alike (random weights: near-ties end it) |`,
      `| Ours / llama.cpp Q8_0 | ${(r.ours.tokensPerSec / r.wllama.q8_0.tokensPerSec).toFixed(2)}× | tokens per second |`,
    ];
    const md = lines.join('\n');
    console.log(`\n${md}\n`);
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(join(resultsDir, 'llama.json'), JSON.stringify({ date: new Date().toISOString(), environment: env, promptIds, newTokens, ...r, greedyAgreement: agree }, null, 2));
    writeFileSync(join(resultsDir, 'llama.md'), `${md}\n`);
  } finally {
    await browser.dispose();
    await site.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
