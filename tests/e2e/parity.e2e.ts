/**
 * Parity in Chromium: the tiny fixture loaded in a module Web Worker (as the product runs tfjs)
 * (model.safetensors on every backend, pytorch_model.bin on wasm), on WebGPU (SwiftShader), on wasm and
 * on WebGL, against reference.json
 * (float64 GPT-2 equations): last-position logits, mean loss, greedy continuation, KV-cache steps,
 * training loss, per-tensor gradient norms (the tape's and the trainer's), clipping's global norm,
 * plain SGD, a vocabulary-split wte, and each backend's own AdamW and embedding programs.
 * The page (tests/browser) is built here; the browser only measures, this file compares.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch, watchConsole, type Browser } from './browser';
import { repoRoot, tinyJson } from '../helpers/fixtures';
import { startSite, type Site } from '../helpers/site';
import type { BackendChoice, ModelFigures, ParityReport, TrainingFigures } from '../browser/report';
import type { Reference } from '../unit/model/helpers';

const reference = tinyJson<Reference>('reference.json');
const tokenization = tinyJson<{ cases: Array<{ text: string; ids: number[] }> }>('tokenization.json');
const OUT_DIR = join(repoRoot, '.tmp', 'browser-tests');
/** float32 against the float64 reference (shared/fixtures/README.md). */
const TOL = 1e-3;
/** Cache steps against the full pass: the same float32 arithmetic in another order. */
const KV_TOL = 1e-4;
/** A split wte changes only how rows are gathered and the LM head is concatenated. */
const SPLIT_TOL = 1e-5;
/** The trainer's gradients against the tape's: the same sums in another order (gradients here are < 10). */
const TRAINER_TOL = 1e-5;
/** tests/browser/backend-checks: float32 against float64 on values of order 1. */
const CHECK_TOL = 1e-5;

/** |actual - expected| / max(1, |expected|): the error the tolerances bound. */
function err(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.max(1, Math.abs(expected));
}
function relErr(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.abs(expected);
}

let site: Site;
let browser: Browser;
beforeAll(async () => {
  // The page is built from the current sources every run: a stale build would test old code.
  await promisify(execFile)(process.execPath, [join(repoRoot, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'tests/browser/vite.config.ts'], { cwd: repoRoot });
  site = await startSite({ root: OUT_DIR });
  browser = await launch({ webgpu: true });
}, 180_000);
afterAll(async () => {
  await browser?.dispose();
  await site?.close();
});

async function runParity(backend: BackendChoice): Promise<ParityReport> {
  const page = await browser.context.newPage();
  const log = watchConsole(page);
  try {
    await page.goto(`${site.url}?backend=${backend}`);
    try {
      // WebGPU on SwiftShader takes ~3 minutes on 2 busy cores; wasm takes seconds.
      await page.waitForFunction(() => window.__parity !== undefined || window.__parityError !== undefined, null, { timeout: 400_000, polling: 500 });
    } catch (err) {
      const stages = await page.evaluate(() => window.__parityProgress ?? []).catch(() => []);
      throw new Error(`parity page on ${backend} did not finish: ${(err as Error).message}\nstages (seconds):\n${stages.join('\n')}\n${log.join('\n')}`);
    }
    const error = await page.evaluate(() => window.__parityError);
    if (error) throw new Error(`parity page failed on ${backend}: ${error}\n${log.join('\n')}`);
    return (await page.evaluate(() => window.__parity))!;
  } finally {
    await page.close();
  }
}

/** √(Σ over tensors of the reference gradient norms²): the global norm clipping should take. */
function referenceNorm(): number {
  return Math.sqrt(Object.values(reference.training.grad_l2).reduce((a, x) => a + x * x, 0));
}

/** Errors of training figures against reference.training, by kind. */
function trainingErrors(t: TrainingFigures): Record<string, number> {
  const { sgd, grad_l2, mean_loss } = reference.training;
  return {
    'train loss': err(t.meanLoss, mean_loss),
    'grad l2 (rel)': Math.max(...Object.entries(grad_l2).map(([name, e]) => relErr(t.gradL2[name], e))),
    "trainer's grads vs tape's (abs)": t.trainerGradMaxAbsDiff,
    'clip norm (rel)': relErr(t.clipNorm, referenceNorm()),
    ...(t.sgdLosses && {
      'sgd loss before': err(t.sgdLosses[0], sgd.loss_before),
      'sgd loss after': err(t.sgdLosses[sgd.steps], sgd.loss_after),
    }),
  };
}

/** Largest errors seen per kind, printed for the record (the assertions bound each one). */
function worstErrors(report: ParityReport): Record<string, number> {
  const worst: Record<string, number> = {};
  const note = (kind: string, e: number) => (worst[kind] = Math.max(worst[kind] ?? 0, e));
  for (const m of report.models) {
    m.cases.forEach((c, n) => {
      const ref = reference.cases[n];
      c.first16.forEach((v, i) => note('logits first16', err(v, ref.last_logits_first16[i])));
      c.top5.forEach(([, v], i) => note('logits top5', err(v, ref.last_logits_top5[i][1])));
      note('logits l2 (rel)', relErr(c.l2, ref.last_logits_l2));
      if (ref.mean_next_token_loss !== null && c.loss !== null) note('loss', err(c.loss, ref.mean_next_token_loss));
      note('kv vs full (abs)', c.kvMaxAbsDiff);
    });
  }
  for (const t of [...report.models.map((m) => m.training), report.split.training]) {
    for (const [kind, e] of Object.entries(trainingErrors(t))) note(kind, e);
  }
  note('split vs unsplit logits (abs)', report.split.logitsMaxAbsDiff);
  for (const [name, e] of Object.entries(report.checks)) note(`check ${name} (abs)`, e);
  note('split vs unsplit loss', err(report.split.loss, report.split.unsplitLoss));
  return worst;
}

function checkTraining(t: TrainingFigures, what: string, sgdExpected: boolean): void {
  const { sgd, grad_l2, mean_loss } = reference.training;
  expect(err(t.meanLoss, mean_loss), `${what} training loss ${t.meanLoss} vs ${mean_loss}`).toBeLessThanOrEqual(TOL);
  expect(Object.keys(t.gradL2).sort(), `${what} gradient tensors`).toEqual(Object.keys(grad_l2).sort());
  for (const [name, expected] of Object.entries(grad_l2)) {
    expect(relErr(t.gradL2[name], expected), `${what} grad ${name}: ${t.gradL2[name]} vs ${expected}`).toBeLessThanOrEqual(TOL);
  }
  expect(t.trainerGradMaxAbsDiff, `${what}: the trainer's gradients (GPT2.lossGradients) vs the tape's`).toBeLessThanOrEqual(TRAINER_TOL);
  expect(relErr(t.clipNorm, referenceNorm()), `${what}: clipping's global norm ${t.clipNorm} vs ${referenceNorm()}`).toBeLessThanOrEqual(TOL);
  if (!sgdExpected) {
    expect(t.sgdLosses).toBeNull();
    return;
  }
  expect(t.sgdLosses).toHaveLength(sgd.steps + 1);
  if (!t.sgdLosses) return;
  expect(err(t.sgdLosses[0], sgd.loss_before), `${what} loss before SGD: ${t.sgdLosses[0]} vs ${sgd.loss_before}`).toBeLessThanOrEqual(TOL);
  expect(err(t.sgdLosses[sgd.steps], sgd.loss_after), `${what} loss after ${sgd.steps} SGD steps: ${t.sgdLosses[sgd.steps]} vs ${sgd.loss_after}`).toBeLessThanOrEqual(TOL);
}

function checkModel(m: ModelFigures): void {
  const what = m.weights;
  expect(m.wteChunkRows, `${what}: wte is one tensor`).toEqual([50257]);
  expect(m.cases).toHaveLength(reference.cases.length);
  m.cases.forEach((c, n) => {
    const ref = reference.cases[n];
    const at = `${what} case ${n}`;
    expect(c.ids).toEqual(ref.ids);
    c.first16.forEach((v, i) => expect(err(v, ref.last_logits_first16[i]), `${at} first16[${i}] ${v} vs ${ref.last_logits_first16[i]}`).toBeLessThanOrEqual(TOL));
    expect(c.top5.map((t) => t[0]), `${at} top5 ids`).toEqual(ref.last_logits_top5.map((t) => t[0]));
    c.top5.forEach(([, v], i) => expect(err(v, ref.last_logits_top5[i][1]), `${at} top5[${i}] ${v} vs ${ref.last_logits_top5[i][1]}`).toBeLessThanOrEqual(TOL));
    expect(relErr(c.l2, ref.last_logits_l2), `${at} l2 ${c.l2} vs ${ref.last_logits_l2}`).toBeLessThanOrEqual(TOL);
    if (ref.mean_next_token_loss === null) {
      expect(c.loss, `${at}: a 1-token sequence has no next-token loss`).toBeNull();
      expect(c.lossRefusal).toMatch(/at least 2 tokens/);
    } else {
      expect(c.loss, `${at} loss (refused: ${c.lossRefusal})`).not.toBeNull();
      expect(err(c.loss!, ref.mean_next_token_loss), `${at} loss ${c.loss} vs ${ref.mean_next_token_loss}`).toBeLessThanOrEqual(TOL);
    }
    expect(c.greedy, `${at} greedy continuation`).toEqual(ref.greedy_continuation);
    expect(c.kvMaxAbsDiff, `${at} KV-cache steps vs full pass`).toBeLessThanOrEqual(KV_TOL);
  });
  checkTraining(m.training, what, m.weights === 'model.safetensors');
  expect(m.tensors.afterWork, `${what}: tensors leaked by the measurements`).toBe(m.tensors.afterLoad);
}

const RUNS: Array<{ backend: BackendChoice }> = [{ backend: 'webgpu' }, { backend: 'wasm' }, { backend: 'webgl' }];

for (const { backend } of RUNS) {
  describe(`parity on ${backend}`, () => {
    let report: ParityReport;
    beforeAll(async () => {
      report = await runParity(backend);
      const seconds = [...report.models.map((m) => `${m.weights} ${(m.ms / 1000).toFixed(1)} s`), `wte split ${(report.split.ms / 1000).toFixed(1)} s`].join(', ');
      console.log(`[parity ${backend}] ${(report.ms / 1000).toFixed(1)} s in the worker (${seconds}); largest errors:`, worstErrors(report));
    }, 420_000);

    it(`ran on ${backend} in a worker${backend === 'webgpu' ? ' with a WebGPU adapter' : ''}`, () => {
      expect(report.requested).toBe(backend);
      expect(report.backend).toBe(backend);
      if (backend === 'webgpu') expect(report.adapter, 'navigator.gpu gave the worker no adapter: WebGPU parity was not run').not.toBeNull();
      expect(report.crossOriginIsolated).toBe(true);
    });

    it('tokenizes as an independent BPE does, and decodes back exactly', () => {
      expect(report.tokenizer.cases.map((c) => c.ids)).toEqual(tokenization.cases.map((c) => c.ids));
      expect(report.tokenizer.cases.map((c) => c.decoded)).toEqual(tokenization.cases.map((c) => c.text));
    });

    it('model.safetensors: logits, loss, greedy, KV cache, gradients and SGD match the reference', () => {
      expect(report.models[0].weights).toBe('model.safetensors');
      checkModel(report.models[0]);
    });

    it.runIf(backend === 'wasm')('pytorch_model.bin: the same figures match the reference (SGD runs from model.safetensors only)', () => {
      expect(report.models[1].weights).toBe('pytorch_model.bin');
      checkModel(report.models[1]);
    });

    it('a vocabulary-split wte gives the unsplit logits and loss, and the reference gradients', () => {
      const { split } = report;
      expect(split.wteChunkRows).toHaveLength(7);
      expect(split.wteChunkRows.reduce((a, b) => a + b, 0)).toBe(50257);
      for (const rows of split.wteChunkRows) expect(rows * 32 * 4).toBeLessThanOrEqual(split.maxTensorBytes);
      expect(split.logitsMaxAbsDiff, 'split vs unsplit logits').toBeLessThanOrEqual(SPLIT_TOL);
      // The loss's log-sum-exp runs per chunk, then combines: another summation order.
      expect(err(split.loss, split.unsplitLoss), `split loss ${split.loss} vs ${split.unsplitLoss}`).toBeLessThanOrEqual(SPLIT_TOL);
      checkTraining(split.training, 'wte split', true);
      expect(split.tensors.afterWork, 'wte split: tensors leaked by the measurements').toBe(split.tensors.afterLoad);
    });

    it(`AdamW, the embedding gradient, lookup and row sums, and the global norm equal float64 on ${backend}`, () => {
      expect(report.checks.optimizer, 'AdamW after 3 steps').toBeLessThanOrEqual(CHECK_TOL);
      expect(report.checks.rowGradient, 'embedding gradient vs the one-hot product').toBeLessThanOrEqual(CHECK_TOL);
      expect(report.checks.embeddingRows, 'lookup, row-gradient sum, global norm').toBeLessThanOrEqual(CHECK_TOL);
    });

    it('frees every tensor it made', () => {
      expect(report.tensorsAtEnd).toBe(report.tensorsAtStart);
    });
  });
}

describe('without a WebGPU adapter', () => {
  it('?backend=webgpu fails loudly instead of measuring another backend', async () => {
    const plain = await launch({ webgpu: false });
    try {
      const page = await plain.context.newPage();
      await page.goto(`${site.url}?backend=webgpu`);
      await page.waitForFunction(() => window.__parity !== undefined || window.__parityError !== undefined, null, { timeout: 60_000 });
      expect(await page.evaluate(() => window.__parity)).toBeUndefined();
      expect(await page.evaluate(() => window.__parityError)).toMatch(/no adapter/);
    } finally {
      await plain.dispose();
    }
  });
});
