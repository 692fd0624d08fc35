/**
 * `npx tsx --expose-gc bench/transformers.ts`: the "generation vs transformers.js" row, runnable
 * alone, and the ONNX export's memory peak. The same random gpt2-shaped weights
 * (randomGPT2Weights, seed 1) are exported in Node through saveOnnx's path (fp32 and q8, into
 * .tmp/bench-onnx/, the export's peak ArrayBuffer bytes sampled at every part it writes), then
 * generate 128 greedy tokens after an 8-token prompt in one Chromium page (cross-origin
 * isolated): with our page's generation (src/generate, KV cache, in a worker on wasm with the
 * thread count the page picks), and with transformers.js 2.17.2 (its browser bundle, onnxruntime-web
 * 1.14 on wasm) loading those files from the bench site's HF-layout host, same thread count.
 * Prints the figures and writes bench/results/transformers.json and transformers.md. Nothing is
 * asserted about speed; the exit code is 1 when a run fails. How many greedy tokens agree is
 * reported (random weights: a near-tie can end the agreement).
 *
 *   npx tsx --expose-gc bench/transformers.ts [--new-tokens=128] [--rounds=2] [--no-build]
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { modelTensorSource } from '../src/export/gguf';
import { ONNX_FILES, writeOnnx, type OnnxDType } from '../src/export/onnx';
import { GPT2 } from '../src/model/gpt2';
import { loadTokenizer } from '../src/model/tokenizer';
import { randomGPT2Weights } from '../src/model/params';
import { launch } from '../tests/e2e/browser';
import { repoRoot, tinyDir } from '../tests/helpers/fixtures';
import { startSite } from '../tests/helpers/site';
import type { TjsBenchArgs, TjsEngine, TjsRunReport } from './transformers/protocol';
import { describeShape, SHAPE_CONFIGS, shapeConfig } from './shapes';
import { option } from './options';

const newTokens = Number(option('new-tokens', '128'));
const rounds = Number(option('rounds', '2'));
const SEED = 1;
const PROMPT = 'The best thing about today was that I';
const REPO = 'bench/gpt2-random-onnx';
const onnxDir = join(repoRoot, '.tmp', 'bench-onnx', 'gpt2-random');
const distDir = join(repoRoot, '.tmp', 'bench-tjs-dist');
const resultsDir = join(repoRoot, 'bench', 'results');
const tokenizerFiles = Object.fromEntries(['tokenizer.json', 'tokenizer_config.json'].map((n) => [n, new Uint8Array(readFileSync(join(tinyDir, n)))]));
const MiB = 2 ** 20;

const started = Date.now();
const progress = (line: string): void => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const collect = (): void => (globalThis as { gc?: () => void }).gc?.();

interface ExportFigures {
  dtype: OnnxDType;
  fileBytes: number;
  seconds: number;
  /** ArrayBuffer bytes held before the export (the model's weights, in tfjs-cpu's arrays) */
  baselineBytes: number;
  /** the most ArrayBuffer bytes held at once during the export, over the baseline */
  peakOverBaselineBytes: number;
}

/** The .onnx files of the random weights, written by saveOnnx's path (a tfjs-cpu GPT2, its tensor source, one output array). */
async function exportOnnx(): Promise<{ weightBytes: number; exports: ExportFigures[] }> {
  await tf.setBackend('cpu');
  const config = shapeConfig('gpt2');
  let weights: ReturnType<typeof randomGPT2Weights> | null = randomGPT2Weights(config, SEED);
  const weightBytes = Object.values(weights).reduce((n, w) => n + w.data.byteLength, 0);
  const model = GPT2.fromWeights(config, weights);
  weights = null;
  mkdirSync(join(onnxDir, 'onnx'), { recursive: true });
  writeFileSync(join(onnxDir, 'config.json'), JSON.stringify({ ...SHAPE_CONFIGS.gpt2, architectures: ['GPT2LMHeadModel'], n_ctx: 1024, bos_token_id: 50256 }));
  writeFileSync(join(onnxDir, 'generation_config.json'), JSON.stringify({ bos_token_id: 50256, eos_token_id: 50256 }));
  const exports: ExportFigures[] = [];
  try {
    for (const dtype of ['fp32', 'q8'] as const) {
      collect();
      const baselineBytes = process.memoryUsage().arrayBuffers;
      let peak = baselineBytes;
      const t0 = performance.now();
      // saveOnnx's own body, with the memory sampled as each part is written.
      let out = new Uint8Array(0);
      const size = await writeOnnx(model.config, modelTensorSource(model), { dtype }, (bytes, position, fileSize) => {
        if (out.length !== fileSize) out = new Uint8Array(fileSize);
        out.set(bytes, position);
        peak = Math.max(peak, process.memoryUsage().arrayBuffers);
      });
      const seconds = (performance.now() - t0) / 1000;
      writeFileSync(join(onnxDir, ONNX_FILES[dtype]), out);
      out = new Uint8Array(0);
      exports.push({ dtype, fileBytes: size, seconds, baselineBytes, peakOverBaselineBytes: peak - baselineBytes });
      progress(`saveOnnx ${dtype}: ${(size / MiB).toFixed(0)} MiB in ${seconds.toFixed(1)} s, peak ${((peak - baselineBytes) / MiB).toFixed(0)} MiB over the model's ${(baselineBytes / MiB).toFixed(0)} MiB`);
    }
  } finally {
    model.dispose();
  }
  return { weightBytes, exports };
}

async function buildPage(): Promise<void> {
  if (!(process.argv.includes('--no-build') && existsSync(join(distDir, 'index.html')))) {
    await build({
      configFile: false,
      root: join(repoRoot, 'bench', 'transformers'),
      base: './',
      publicDir: false,
      logLevel: 'error',
      worker: { format: 'es' },
      build: { outDir: distDir, emptyOutDir: true, target: 'es2022', minify: 'esbuild', chunkSizeWarningLimit: 8192, reportCompressedSize: false },
    });
    progress('page built');
  }
  writeFileSync(join(distDir, '_headers'), ['/*', '  Cross-Origin-Opener-Policy: same-origin', '  Cross-Origin-Embedder-Policy: require-corp', ''].join('\n'));
  // transformers.js's browser bundle and onnxruntime-web's wasm, served by the bench site itself (no CDN).
  const dist = join(repoRoot, 'node_modules', '@xenova', 'transformers', 'dist');
  copyFileSync(join(dist, 'transformers.min.js'), join(distDir, 'transformers.min.js'));
  for (const f of readdirSync(dist)) if (f.endsWith('.wasm')) copyFileSync(join(dist, f), join(distDir, f));
}

function row(name: string, r: TjsRunReport, detail: string): string {
  const mem = r.peakRendererBytes === null ? '?' : `${(r.peakRendererBytes / MiB).toFixed(0)} MiB`;
  return `| ${name} | ${r.tokensPerSec.toFixed(1)} tok/s | ${detail}; ${r.tokens} tokens in ${(r.totalMs / 1000).toFixed(1)} s; load ${(r.loadMs / 1000).toFixed(1)} s; renderer peak memory ${mem}; ${r.detail}, ${r.threads} thread(s) |`;
}

/** Peak resident bytes (VmHWM) of the largest renderer process under the Chromium whose profile is `profileDir` (Linux /proc). */
function peakRendererBytes(profileDir: string): number | null {
  if (!existsSync('/proc/self/status')) return null;
  const procs = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map((pid) => {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/); // Chromium rewrites its argv into one space-separated string
      const ppid = Number(/^\d+ \(.*\) \S+ (\d+)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1]);
      return { pid: Number(pid), ppid, cmd };
    } catch {
      return null;
    }
  }).filter((p): p is { pid: number; ppid: number; cmd: string[] } => p !== null);
  const roots = new Set(procs.filter((p) => p.cmd.some((a) => a === `--user-data-dir=${profileDir}`) && !p.cmd.some((a) => a.startsWith('--type='))).map((p) => p.pid));
  const mine = new Set(roots);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs) if (!mine.has(p.pid) && mine.has(p.ppid)) (mine.add(p.pid), (grew = true));
  }
  let peak: number | null = null;
  for (const p of procs) {
    if (!mine.has(p.pid) || !p.cmd.includes('--type=renderer')) continue;
    const kb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p.pid}/status`, 'utf8'))?.[1] ?? NaN);
    if (Number.isFinite(kb)) peak = Math.max(peak ?? 0, kb * 1024);
  }
  return peak;
}

/** One engine's run in a browser of its own (so the peak memory is that engine's alone). */
async function runEngine(siteUrl: string, args: TjsBenchArgs, engine: TjsEngine, threads: number): Promise<TjsRunReport & { env: { userAgent: string; cores: number; crossOriginIsolated: boolean } }> {
  const browser = await launch({ webgpu: false });
  try {
    const page = await browser.context.newPage();
    page.on('console', (m) => {
      if (m.text().startsWith('[bench]')) progress(m.text().slice(8));
    });
    page.on('pageerror', (e) => progress(`page error: ${e.message}`));
    await page.goto(siteUrl);
    await page.waitForFunction(() => 'tjsBench' in window);
    const env = await page.evaluate(() => ({ userAgent: navigator.userAgent, cores: navigator.hardwareConcurrency, crossOriginIsolated }));
    const r = await page.evaluate(([a, e, t]) => (window as unknown as { tjsBench: (x: TjsBenchArgs, e: TjsEngine, t: number) => Promise<TjsRunReport> }).tjsBench(a, e, t), [args, engine, threads] as [TjsBenchArgs, TjsEngine, number]);
    const report = { ...r, peakRendererBytes: peakRendererBytes(browser.profileDir), env };
    progress(`${engine}: ${r.tokensPerSec.toFixed(2)} tokens/s (${r.threads} thread(s)), load ${(r.loadMs / 1000).toFixed(1)} s, renderer peak ${report.peakRendererBytes === null ? '?' : (report.peakRendererBytes / MiB).toFixed(0)} MiB`);
    return report;
  } finally {
    await browser.dispose();
  }
}

async function main(): Promise<void> {
  const exported = await exportOnnx();
  await buildPage();
  const promptIds = loadTokenizer(tokenizerFiles).encode(PROMPT);
  const site = await startSite({ root: distDir, repos: { [REPO]: onnxDir } });
  try {
    const args: TjsBenchArgs = { seed: SEED, promptIds, newTokens, repo: REPO };
    progress(`running: prompt ${promptIds.length} tokens, ${newTokens} new tokens`);
    // The machine is shared and its load drifts: the engines take turns, `rounds` times, and each
    // engine's best round is compared (every round is in the JSON and the table's detail).
    const runs: Record<TjsEngine, Array<Awaited<ReturnType<typeof runEngine>>>> = { ours: [], fp32: [], q8: [] };
    for (let round = 0; round < rounds; round++) {
      runs.ours.push(await runEngine(site.url, args, 'ours', 0));
      for (const engine of ['fp32', 'q8'] as const) runs[engine].push(await runEngine(site.url, args, engine, runs.ours[0].threads));
    }
    const best = (e: TjsEngine) => runs[e].reduce((a, b) => (b.tokensPerSec > a.tokensPerSec ? b : a));
    const rates = (e: TjsEngine) => `rounds: ${runs[e].map((r) => r.tokensPerSec.toFixed(1)).join(', ')} tok/s`;
    const ours = best('ours');
    const fp32Run = best('fp32');
    const q8Run = best('q8');
    const env = ours.env;
    const agree = (ids: number[]): number => {
      let n = 0;
      while (n < ids.length && ids[n] === ours.ids[n]) n++;
      return n;
    };
    const [fp32, q8] = exported.exports;
    const shape = `${describeShape(shapeConfig('gpt2'))}, random weights (seed ${SEED}), greedy, ${promptIds.length}-token prompt, ${newTokens} new tokens`;
    const size = (b: number): string => `${(b / MiB).toFixed(0)} MiB`;
    const lines = [
      `chromium: ${/Chrome\/([\d.]+)/.exec(env.userAgent)?.[1] ?? '?'}; cores: ${env.cores}; crossOriginIsolated: ${env.crossOriginIsolated}; ${new Date().toISOString()}`,
      '',
      '| Figure | Value | Detail |',
      '|---|---:|---|',
      row('Generate, ours (KV cache)', ours, `${shape}; best of ${rates('ours')}; load = the random weights into the backend (no file)`),
      row('Generate, transformers.js, fp32 .onnx', fp32Run, `the same weights through saveOnnx (${size(fp32.fileBytes)} download); best of ${rates('fp32')}; greedy: the first ${agree(fp32Run.ids)} of ${ours.ids.length} tokens alike`),
      row('Generate, transformers.js, q8 .onnx', q8Run, `the same weights, 8-bit per-channel matrices (${size(q8.fileBytes)} download, ${((100 * q8.fileBytes) / fp32.fileBytes).toFixed(0)}% of fp32); best of ${rates('q8')}; greedy: the first ${agree(q8Run.ids)} of ${ours.ids.length} tokens alike`),
      `| Ours / transformers.js fp32 | ${(ours.tokensPerSec / fp32Run.tokensPerSec).toFixed(2)}× | tokens per second, same Chromium, same backend (wasm) and thread count |`,
      `| Ours / transformers.js q8 | ${(ours.tokensPerSec / q8Run.tokensPerSec).toFixed(2)}× | tokens per second |`,
      ...exported.exports.map((e) => `| saveOnnx ${e.dtype}, gpt2 | ${size(e.peakOverBaselineBytes)} peak | over the model's own ${size(e.baselineBytes)} (weights ${size(exported.weightBytes)}): ${((e.baselineBytes + e.peakOverBaselineBytes) / exported.weightBytes).toFixed(2)}× the weights at the peak, Node ArrayBuffer bytes sampled at every part written; ${size(e.fileBytes)} file in ${e.seconds.toFixed(1)} s |`),
    ];
    const md = lines.join('\n');
    console.log(`\n${md}\n`);
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(join(resultsDir, 'transformers.json'), JSON.stringify({ date: new Date().toISOString(), environment: env, promptIds, newTokens, exports: exported, rounds: runs }, null, 2));
    writeFileSync(join(resultsDir, 'transformers.md'), `${md}\n`);
  } finally {
    await site.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
