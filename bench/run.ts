/**
 * `npm run bench`: builds the benchmark page, serves it (with a Hugging Face-layout model host for
 * a random-weight GPT-2-small checkpoint), opens it in Debian's Chromium, runs each phase in a
 * fresh worker on the backend the page picks, and prints one table of figures; also writes
 * bench/results/latest.json and latest.md.
 *
 *   npx tsx bench/run.ts [--phases=backend,generation,load,train,pair,copies] [--no-build]
 *                        [--train=gpt2-full,gpt2-lora,distilgpt2-full,distilgpt2-lora]
 *                        [--steps=2] [--new-tokens=128] [--uncached=forward|logits]
 *                        [--pair-backend=webgl] [--phase-timeout=600]
 *                        [--phases=…,dataset,soak] [--soak-steps=2000] [--soak-generations=200]
 *                        [--phases=…,budget] [--budget-minutes=5] [--budget-shapes=gpt2,distilgpt2]
 *                        [--budget-tweets=3000] [--live-tweets=80] [--live-epochs=2]
 *   npx tsx bench/run.ts --report=bench/results/latest.json   (the table again, from saved figures)
 *
 * Timings are reported, never asserted. The exit code is 1 when a phase fails or a correctness
 * check does (tokens that differ between the cached and uncached paths, a return visit that asks
 * the model host, weights that differ from those written).
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';
import type { BackendName } from '../src/engine/api';
import { backendMemoryBytes } from '../src/engine/training';
import { randomGPT2Weights } from '../src/model/params';
import { writeSafetensors } from '../src/model/weights';
import { launch } from '../tests/e2e/browser';
import { repoRoot, tinyDir } from '../tests/helpers/fixtures';
import { startSite } from '../tests/helpers/site';
import type { BenchPage } from './page';
import type { PhaseArgs, PhaseName, PhaseResults } from './protocol';
import { PROBE_TENSOR, PROBE_VALUES } from './protocol';
import { buildRows, doesNotFit, environmentLine, failed, markdownTable, textTable, type BenchResults, type Outcome } from './report';
import { SHAPE_CONFIGS, shapeConfig } from './shapes';
import { prepareBigArchive } from './big-archive';
import { option } from './options';

const ALL_PHASES = ['backend', 'generation', 'load', 'train', 'pair', 'copies', 'dataset', 'soak', 'budget'] as const;
type Step = (typeof ALL_PHASES)[number];

const phases = new Set(option('phases', ALL_PHASES.join(',')).split(',') as Step[]);
const steps = Number(option('steps', '2'));
const uncachedMode = option('uncached', 'forward') as 'forward' | 'logits';
const newTokens = Number(option('new-tokens', '128'));
const pairBackendWanted = option('pair-backend', 'webgl') as BackendName;
const trainConfigs = option('train', 'gpt2-full,gpt2-lora,distilgpt2-full,distilgpt2-lora').split(',');
/** A phase still running after this long is stopped and reported as failed. */
const phaseTimeoutS = Number(option('phase-timeout', '600'));
const distDir = join(repoRoot, '.tmp', 'bench-dist');
const modelDir = join(repoRoot, '.tmp', 'bench-model', 'gpt2-random');
const resultsDir = join(repoRoot, 'bench', 'results');
const REPO = 'bench/gpt2-random';
const MODEL_SEED = 1;
/** The tiny fixture model (its GPT-2 tokenizer for the dataset phase). */
const TINY_REPO = 'test/tiny-gpt2';
/** The big archive's name in the served page folder. */
const BIG_ARCHIVE = 'bench-archive-100k.zip';
/** The soak's archive: enough tweets for 2,000 steps of one 32-token block without many epochs. */
const SOAK_TWEETS = 2000;
const SOAK_ARCHIVE = 'bench-archive-soak.zip';
const soakSteps = Number(option('soak-steps', '2000'));
const soakGenerations = Number(option('soak-generations', '200'));
/** The soak takes ~3 minutes on an idle 2-core machine, several times that on a busy one. */
const SOAK_TIMEOUT_S = 1800;
/** Issue 20: the person's time budget at the real shapes, and the live samples' cost. */
const budgetMinutes = Number(option('budget-minutes', '5'));
const budgetShapes = option('budget-shapes', 'gpt2,distilgpt2').split(',') as Array<'gpt2' | 'distilgpt2'>;
const budgetTweets = Number(option('budget-tweets', '3000'));
/** About 2 steps of 8 blocks an epoch: validations (and live samples after them) every 2 steps. */
const liveTweets = Number(option('live-tweets', '80'));
const liveEpochs = Number(option('live-epochs', '2'));

const started = Date.now();
const progress = (line: string): void => {
  const t = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
  console.log(`[${t} s] ${line}`);
};

/**
 * The model host's repo: a GPT-2-small config.json, random weights as model.safetensors (~500 MB,
 * written once and reused while its stamp matches), the GPT-2 tokenizer from the tiny fixture.
 */
function prepareModelRepo(): number[] {
  const stampFile = join(modelDir, 'stamp.json');
  const config = SHAPE_CONFIGS.gpt2;
  const stamp = { config, seed: MODEL_SEED };
  if (existsSync(stampFile) && existsSync(join(modelDir, 'model.safetensors'))) {
    const saved = JSON.parse(readFileSync(stampFile, 'utf8'));
    if (JSON.stringify(saved.stamp) === JSON.stringify(stamp) && statSync(join(modelDir, 'model.safetensors')).size === saved.bytes) {
      progress(`model host: reusing ${modelDir}`);
      return saved.probe;
    }
  }
  progress('model host: writing a random-weight gpt2-shaped model.safetensors (~500 MB)');
  mkdirSync(modelDir, { recursive: true });
  const weights = randomGPT2Weights(shapeConfig('gpt2'), MODEL_SEED);
  const bytes = writeSafetensors(Object.entries(weights).map(([name, t]) => ({ name, shape: t.shape, data: t.data })));
  writeFileSync(join(modelDir, 'model.safetensors'), bytes);
  writeFileSync(join(modelDir, 'config.json'), JSON.stringify({ architectures: ['GPT2LMHeadModel'], ...config, bos_token_id: 50256 }, null, 2));
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(tinyDir, f), join(modelDir, f));
  const probe = Array.from(weights[PROBE_TENSOR].data.subarray(0, PROBE_VALUES));
  writeFileSync(stampFile, JSON.stringify({ stamp, bytes: bytes.byteLength, probe }));
  return probe;
}

/** `--report=FILE`: print and write the table again from a results JSON, measuring nothing. */
function rerender(file: string): number {
  const { rows: _rows, checks: _checks, ...results } = JSON.parse(readFileSync(file, 'utf8')) as BenchResults & { rows?: unknown; checks?: unknown };
  const { rows, checks } = buildRows(results);
  const md = markdownTable(rows);
  writeFileSync(file, JSON.stringify({ ...results, rows, checks }, null, 2) + '\n');
  writeFileSync(file.replace(/\.json$/, '.md'), `${environmentLine(results)}; ${results.date}\n\n${md}`);
  console.log(environmentLine(results));
  console.log(textTable(rows));
  return 0;
}

async function main(): Promise<number> {
  const reportOnly = option('report', '');
  if (reportOnly) return rerender(reportOnly);
  if (!process.argv.includes('--no-build')) {
    progress('building the benchmark page into .tmp/bench-dist');
    await build({ configFile: join(repoRoot, 'bench', 'vite.config.ts') });
  }
  const expectedProbe = phases.has('load') ? prepareModelRepo() : [];

  const archiveDir = join(repoRoot, '.tmp', 'bench-archive');
  if (phases.has('dataset')) copyFileSync(await prepareBigArchive(archiveDir, progress), join(distDir, BIG_ARCHIVE));
  if (phases.has('soak')) copyFileSync(await prepareBigArchive(archiveDir, progress, SOAK_TWEETS), join(distDir, SOAK_ARCHIVE));

  const site = await startSite({ root: distDir, repos: { [REPO]: modelDir, [TINY_REPO]: tinyDir } });
  const browser = await launch({ webgpu: true });
  const results: BenchResults = { date: new Date().toISOString(), environment: {}, training: [], durations: {} };
  try {
    const page = await browser.context.newPage();
    page.on('console', (m) => {
      const text = m.text();
      if (text.startsWith('[bench] ')) progress(text.slice(8));
      else if (m.type() === 'error') progress(`[page error] ${text.slice(0, 300)}`);
    });
    page.on('pageerror', (e) => progress(`[page error] ${e.message}`));
    await page.goto(site.url);
    await page.waitForFunction(() => 'bench' in window);
    const env = await page.evaluate(() => (window as unknown as { bench: BenchPage }).bench.environment());
    const chromium = /Chrome\/([\d.]+)/.exec(env.userAgent)?.[1] ?? 'unknown';
    results.environment = { chromium, cores: env.cores, crossOriginIsolated: env.crossOriginIsolated, node: process.version };

    const run = <P extends PhaseName>(phase: P, args: PhaseArgs[P], timeoutS = phaseTimeoutS): Promise<PhaseResults[P]> =>
      page.evaluate(
        ({ p, a, t }) => (window as unknown as { bench: { phase(p: string, a: unknown, t: number): Promise<unknown> } }).bench.phase(p, a, t),
        { p: phase as string, a: args as unknown, t: timeoutS * 1000 },
      ) as Promise<PhaseResults[P]>;
    const timed = async <T>(label: string, f: () => Promise<T>): Promise<Outcome<T>> => {
      progress(`== ${label}`);
      const t0 = Date.now();
      try {
        return await f();
      } catch (err) {
        const message = ((err as Error).message ?? String(err)).replace(/^page\.evaluate: Error: /, '');
        progress(`!! ${label} failed: ${message.split('\n').slice(0, 3).join(' | ')}`);
        return { error: message };
      } finally {
        results.durations[label] = (Date.now() - t0) / 1000;
      }
    };

    results.backend = await timed('backend', () => run('backend', { matMulN: 1024 }));
    if (failed(results.backend)) throw new Error(`no backend: ${results.backend.error}`);
    const backend = results.backend.report.name;
    results.environment.backend = backend;
    results.backendMemoryBytes = backendMemoryBytes(backend);

    if (phases.has('generation')) {
      results.generation = await timed('generation', async () => ({
        ...(await run('generation', { backend, shape: 'gpt2', newTokens, promptTokens: 8, uncached: uncachedMode })),
        shapeName: 'gpt2' as const,
      }));
    }

    if (phases.has('load')) {
      results.load = await timed('load', async () => {
        const loadOnce = async (label: string, legacy = false) => {
          const before = site.modelRequests().length;
          progress(`load: ${label}`);
          const figures = await run('load', { backend, repo: REPO, host: site.hostUrl, legacy });
          return { ...figures, requests: site.modelRequests().length - before };
        };
        const network = await loadOnce('first visit: from the model host into IndexedDB');
        const cached = await loadOnce('return visit (a fresh worker): from IndexedDB');
        // The baseline: the same library in the format stored before files were Blobs, loaded the old way.
        progress('load: copying the library into the pre-Blob format');
        await run('legacy-library', { repo: REPO });
        const legacy = await loadOnce('return visit from the pre-Blob format (the baseline)', true).catch((e: Error) => ({ error: e.message }));
        return { network, cached, legacy, expectedProbe, repo: REPO };
      });
    }

    if (phases.has('train')) {
      for (const shape of ['gpt2', 'distilgpt2'] as const) {
        for (const mode of ['full', 'lora'] as const) {
          if (!trainConfigs.includes(`${shape}-${mode}`)) continue;
          const result = await timed(`train ${shape} ${mode}`, () =>
            run('train', { backend, shape, mode, blockSize: 128, warmupSteps: 1, steps, dropout: true, peakMemory: true }),
          );
          results.training.push({ shape, mode, result });
        }
      }
    }

    if (phases.has('pair')) {
      // The peer does not run on wasm: compare on a backend both have (webgl here; cpu if webgl is missing).
      const webglProbe = results.backend.report.probes.find((p) => p.name === pairBackendWanted);
      const pairBackend: BackendName = pairBackendWanted === 'webgl' && webglProbe && webglProbe.gflops === null ? 'cpu' : pairBackendWanted;
      const pairSteps = 5;
      const pairBlock = shapeConfig('pair').nPositions;
      const ours = await timed(`pair: ours on ${pairBackend}`, () =>
        run('train', { backend: pairBackend, shape: 'pair', mode: 'full', blockSize: pairBlock, warmupSteps: 2, steps: pairSteps, dropout: false, peakMemory: true, matMulN: 512 }),
      );
      const peer = await timed(`pair: @genai-fi/nanogpt on ${pairBackend}`, () =>
        run('peer', { backend: pairBackend, shape: 'pair', blockSize: pairBlock, warmupSteps: 2, steps: pairSteps }),
      );
      results.pair = { backend: pairBackend, shape: 'pair', ours, peer };
    }

    if (phases.has('copies')) {
      results.copies = await timed('copies', () => run('copies', { tweets: 100_000, checks: 4000, builds: 5 }));
    }

    if (phases.has('dataset')) {
      const tiny = `${site.hostUrl}/${TINY_REPO}/resolve/main`;
      results.dataset = await timed('dataset', () =>
        run('dataset', { archiveUrl: `${site.url.replace(/\/?$/, '/')}${BIG_ARCHIVE}`, tokenizerUrl: `${tiny}/tokenizer.json`, tokenizerConfigUrl: `${tiny}/tokenizer_config.json` }),
      );
    }

    if (phases.has('soak')) {
      results.soak = await timed('soak', () =>
        run('soak', { backend, host: site.hostUrl, repo: TINY_REPO, archiveUrl: `${site.url.replace(/\/?$/, '/')}${SOAK_ARCHIVE}`, steps: soakSteps, generations: soakGenerations }, Math.max(phaseTimeoutS, SOAK_TIMEOUT_S)),
      );
    }

    if (phases.has('budget')) {
      results.budget = [];
      const tiny = `${site.hostUrl}/${TINY_REPO}/resolve/main`;
      for (const shape of budgetShapes) {
        const result = await timed(`budget ${shape}`, () =>
          run(
            'budget',
            { backend, shape, budgetMinutes, tweets: budgetTweets, liveTweets, liveEpochs, tokenizerUrl: `${tiny}/tokenizer.json`, tokenizerConfigUrl: `${tiny}/tokenizer_config.json` },
            // The budget, its end's overshoot, two live-sample runs and the model's set-up.
            Math.max(phaseTimeoutS, budgetMinutes * 60 * 3 + 1200),
          ),
        );
        results.budget.push({ shape, result });
      }
    }
  } finally {
    await browser.dispose();
    await site.close();
  }

  const { rows, checks } = buildRows(results);
  const md = markdownTable(rows);
  // Only a run of every phase replaces latest.*; a partial run writes partial.* (git-ignored).
  const complete = ALL_PHASES.every((p) => phases.has(p)) && !process.argv.some((a) => a.startsWith('--train=') || a.startsWith('--budget-') || a.startsWith('--live-'));
  // `--stem=NAME` writes NAME.json and NAME.md instead (two partial runs side by side).
  const stem = option('stem', complete ? 'latest' : 'partial');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, `${stem}.json`), JSON.stringify({ ...results, rows, checks }, null, 2) + '\n');
  writeFileSync(join(resultsDir, `${stem}.md`), `${environmentLine(results)}; ${results.date}\n\n${md}`);
  console.log('');
  console.log(environmentLine(results));
  console.log(textTable(rows));
  const failedChecks = checks.filter((c) => !c.ok);
  for (const c of checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name} (${c.detail})`);
  const outcomes: Array<Outcome<unknown> | undefined> = [results.backend, results.generation, results.load, results.pair, results.copies, results.dataset, results.soak, ...results.training.map((t) => t.result), ...(results.budget ?? []).map((b) => b.result)];
  if (results.pair && !failed(results.pair)) outcomes.push(results.pair.ours, results.pair.peer);
  // A model that does not fit the wasm heap is a finding (its row says so), not a failure of the bench.
  const failedPhases = outcomes.filter((o) => failed(o) && !doesNotFit(o)).length;
  console.log(`\nwrote bench/results/${stem}.json and ${stem}.md in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return failedChecks.length > 0 || failedPhases > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
