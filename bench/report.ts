/**
 * The benchmark's results as one table (Figure | Value | Detail): printed as aligned text, written
 * as markdown for the README, from the JSON that `bench/run.ts` (or `bench/gpu.ts`) collects.
 */
import type { BackendName } from '../src/engine/api';
import { activationBytes, chooseMode, fullTrainingBytes } from '../src/train/memory';
import type { CopyFigures } from './copies';
import type { MatMulFigures } from './matmul';
import { median, type GenerationFigures, type TrainingFigures } from './measure';
import type { PeerFigures } from './peer';
import { corpusPlan, projectEarlyStop, projectTime, type CorpusPlan } from './projection';
import type { BudgetFigures, SessionFigures } from './budget';
import { UNTIL_IMPROVING_EPOCHS } from '../src/engine/run-settings';
import { LIVE_SAMPLE_SHARE, LIVE_SAMPLE_TOKENS, LIVE_SAMPLES } from '../src/engine/live-samples';
import type { DatasetFigures } from './dataset';
import type { SoakFigures, SoakSample } from './soak';
import { HEAP_FULL, type BackendFigures, type LoadFigures } from './protocol';
import { paramCount, shapeConfig, type ShapeName } from './shapes';

export interface PhaseError {
  error: string;
}

export type Outcome<T> = T | PhaseError;

export const failed = <T>(o: Outcome<T> | undefined): o is PhaseError => o !== undefined && 'error' in (o as object);

/** A model that does not fit the wasm heap: a measured limit, not a failure of the bench. */
export const doesNotFit = (o: Outcome<unknown> | undefined): boolean => failed(o) && o.error.includes(HEAP_FULL);
const ok = <T>(o: Outcome<T> | undefined): o is T => o !== undefined && !failed(o);

export interface TrainResult extends TrainingFigures {
  backend: BackendName;
  matMul?: MatMulFigures;
  wasmLivePeakBytes?: number;
  /** AdamW on this backend vs a float64 reference: largest weight difference after 3 steps. */
  optimizerMaxDiff?: number;
  /** The embedding gradient's path on this backend vs the one-hot product. */
  rowGradientMaxDiff?: number;
  /** The trainer's embedding lookup, row-gradient sum and global norm vs float64 (tests/browser/backend-checks). */
  embeddingRowsMaxDiff?: number;
}

export interface TrainEntry {
  shape: ShapeName;
  mode: 'full' | 'lora';
  result: Outcome<TrainResult>;
}

export interface LoadResult extends LoadFigures {
  /** Requests the model host saw during this load. */
  requests: number;
}

export interface BenchResults {
  date: string;
  environment: Record<string, string | number | boolean>;
  /** The backend the page picks here, and its matMul figure. */
  backend?: Outcome<BackendFigures>;
  generation?: Outcome<GenerationFigures & { shapeName: ShapeName }>;
  load?: Outcome<{ network: LoadResult; cached: LoadResult; legacy?: Outcome<LoadResult>; expectedProbe: number[]; repo: string }>;
  training: TrainEntry[];
  pair?: Outcome<{ backend: BackendName; shape: ShapeName; ours: Outcome<TrainResult>; peer: Outcome<PeerFigures> }>;
  copies?: Outcome<CopyFigures>;
  /** A synthetic 100,000-tweet archive from the zip to the packed dataset. */
  dataset?: Outcome<DatasetFigures>;
  /** The tiny model trained 2,000 steps with pauses, then 200 generations: memory over time. */
  soak?: Outcome<SoakFigures>;
  /** Issue 20: a time-budgeted run per shape, and the live samples' cost. */
  budget?: Array<{ shape: ShapeName; result: Outcome<BudgetFigures> }>;
  /** Seconds each phase took, wall clock. */
  durations: Record<string, number>;
  /** Memory a backend gives training, as the engine assumes it (for the mode the app would choose). */
  backendMemoryBytes?: number | null;
}

export interface Row {
  figure: string;
  value: string;
  detail: string;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

// ---- formatting ------------------------------------------------------------------------------

export function fmtNum(x: number, digits = 1): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 100) return Math.round(x).toLocaleString('en-US');
  return x.toFixed(digits);
}

export function fmtRate(tokensPerSec: number): string {
  return `${tokensPerSec >= 10 ? fmtNum(tokensPerSec, 1) : tokensPerSec.toFixed(2)} tok/s`;
}

export function fmtBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
  return `${Math.round(bytes / 1024 ** 2)} MiB`;
}

export function fmtSeconds(s: number): string {
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 120) return `${s.toFixed(1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

const mParams = (n: number): string => `${(n / 1e6).toFixed(1)}M`;

// ---- rows ------------------------------------------------------------------------------------

/**
 * The same rows before issue 13's memory and speed work (the README's run of 2026-11-29, same
 * machine, wasm in Chromium), cited beside today's figures: the old code paths are gone.
 */
export const BEFORE_ISSUE_13: Record<string, string> = {
  'gpt2-full': 'does not fit (heap full at 4096 MiB, 1079 MiB of tensors)',
  'gpt2-lora': '23.8 tok/s, step 5.4 s, AdamW + clip 786 ms (by subtraction), peak tensors 2.47 GiB, heap 3.01 GiB',
  'distilgpt2-full': 'does not fit (heap full at 4055 MiB, 625 MiB of tensors)',
  'distilgpt2-lora': '46.7 tok/s, step 2.7 s, AdamW + clip 17 ms (by subtraction), peak tensors 1.45 GiB, heap 1.93 GiB',
  pair: '1.28× (ours 56.8 / peer 44.4 tok/s on webgl)',
};

const trainLabel = (e: TrainEntry): string => `Train ${e.shape} shape, ${e.mode === 'full' ? 'full fine-tuning' : 'LoRA (r 8, all projections)'}`;

export function buildRows(r: BenchResults): { rows: Row[]; checks: Check[] } {
  const rows: Row[] = [];
  const checks: Check[] = [];
  const err = (figure: string, e: PhaseError) =>
    rows.push({
      figure,
      value: doesNotFit(e) ? 'does not fit' : 'failed',
      detail: e.error.split('\n')[0].replace(/^\w+: /, '').slice(0, 200),
    });

  // Backend
  const backend = r.backend;
  const roofline = ok(backend) ? backend.matMul : undefined;
  if (ok(backend)) {
    const rep = backend.report;
    const probes = rep.probes.map((p) => `${p.name} ${p.gflops === null ? 'n/a' : fmtNum(p.gflops)}`).join(', ');
    rows.push({
      figure: rep.forced ? 'Backend (forced)' : 'Backend the page picks',
      value: rep.name,
      detail: `${rep.name === 'wasm' ? `${rep.threads} thread(s), ` : ''}cross-origin isolated: ${rep.crossOriginIsolated ? 'yes' : 'no'}${probes ? `; probe GFLOP/s (384³): ${probes}` : ''}`,
    });
    rows.push({ figure: `matMul ${backend.matMul.n}³ on ${rep.name}`, value: `${fmtNum(backend.matMul.gflops)} GFLOP/s`, detail: 'the roofline for the training rows' });
    const products = backend.matMul.stepProducts;
    if (products && Object.keys(products).length > 0) {
      const values = Object.values(products);
      rows.push({
        figure: 'tf.matMul at a GPT-2 step’s shapes (128 tokens)',
        value: `${fmtNum(Math.min(...values))}–${fmtNum(Math.max(...values))} GFLOP/s`,
        detail:
          'with the transpose flags a backward pass would use: ' +
          Object.entries(products)
            .map(([name, g]) => `${name}: ${fmtNum(g)}`)
            .join('; '),
      });
    }
  } else if (failed(backend)) err('Backend', backend);

  // Generation
  const g = r.generation;
  if (ok(g)) {
    const where = `${g.shapeName} shape (${mParams(g.params)} params, random weights), greedy, ${g.promptTokens}-token prompt, ${g.newTokens} new tokens`;
    rows.push({ figure: 'Generate with the KV cache', value: fmtRate(g.cached.tokensPerSec), detail: `${where}; first token ${fmtSeconds(g.cached.ttftMs / 1000)}` });
    rows.push({
      figure: 'Generate without cache (full forward per token)',
      value: fmtRate(g.uncached.tokensPerSec),
      detail: `the whole sequence recomputed each token, ${g.uncached.mode === 'logits' ? 'model.logits (LM head on every position)' : 'logits of the last position only'}; first token ${fmtSeconds(g.uncached.ttftMs / 1000)}`,
    });
    rows.push({
      figure: 'KV-cache speed-up',
      value: `${fmtNum(g.speedup)}×`,
      detail: g.tokensMatch ? `same ${g.newTokens} tokens both ways` : `TOKENS DIFFER from token ${g.firstMismatch}`,
    });
    checks.push({ name: 'generation: cached and uncached greedy tokens are equal', ok: g.tokensMatch, detail: g.tokensMatch ? `${g.newTokens} tokens` : `first difference at ${g.firstMismatch}` });
  } else if (failed(g)) err('Generate', g);

  // Load
  const l = r.load;
  if (ok(l)) {
    const n = l.network;
    const c = l.cached;
    const sameNet = sameValues(n.probe, l.expectedProbe);
    const sameCache = sameValues(c.probe, l.expectedProbe);
    rows.push({
      figure: 'Load from the model host (first visit)',
      value: fmtSeconds(n.totalMs / 1000),
      detail: `gpt2-shaped model.safetensors, ${fmtBytes(n.bytes)} in all, ${n.requests} requests; files ${fmtSeconds(n.filesMs / 1000)} (download + IndexedDB write), build ${fmtSeconds(n.buildMs / 1000)}`,
    });
    const legacy = ok(l.legacy) ? l.legacy : undefined;
    const build = (x: LoadResult) =>
      `build ${fmtSeconds(x.buildMs / 1000)}${x.parseMs !== undefined && x.uploadMs !== undefined ? ` (parse ${fmtSeconds(x.parseMs / 1000)} + upload to ${r.environment.backend ?? 'the backend'} ${fmtSeconds(x.uploadMs / 1000)})` : ''}`;
    const speed = (x: LoadResult) => `${fmtNum(x.bytes / 2 ** 20 / (x.filesMs / 1000), 0)} MiB/s`;
    rows.push({
      figure: 'Load from IndexedDB (return visit)',
      value: fmtSeconds(c.totalMs / 1000),
      detail:
        `${c.requests} requests; files ${fmtSeconds(c.filesMs / 1000)} (${speed(c)}, Blob rows read in parallel), ${build(c)}` +
        `${c.tokenizerMs !== undefined ? ` (+ tokenizer ${fmtSeconds(c.tokenizerMs / 1000)}, not in the total)` : ''}` +
        (legacy
          ? `; baseline, the same run from the pre-Blob format loaded the old way: ${fmtSeconds(legacy.totalMs / 1000)} = files ${fmtSeconds(legacy.filesMs / 1000)} (${speed(legacy)}), ${build(legacy)}: ${fmtNum(legacy.totalMs / c.totalMs)}× slower`
          : failed(l.legacy)
            ? `; baseline failed: ${l.legacy.error.slice(0, 120)}`
            : '') +
        `${c.persistent ? '' : ' (store NOT persistent)'}`,
    });
    rows.push({ figure: 'IndexedDB vs model host', value: `${fmtNum(n.totalMs / c.totalMs)}× faster`, detail: sameNet && sameCache ? 'both loads give the weights written' : 'WEIGHTS DIFFER from those written' });
    checks.push({ name: 'load: return visit makes no model-host request', ok: c.requests === 0, detail: `${c.requests} requests` });
    if (legacy) {
      const sameLegacy = sameValues(legacy.probe, l.expectedProbe);
      checks.push({ name: 'load: the pre-Blob format still loads, with the weights written', ok: sameLegacy && legacy.requests === 0, detail: `${legacy.requests} requests, weights ${sameLegacy ? 'same' : 'differ'}` });
    }
    checks.push({ name: 'load: both loads give the weights written', ok: sameNet && sameCache, detail: `host ${sameNet ? 'same' : 'differs'}, IndexedDB ${sameCache ? 'same' : 'differs'}` });
    checks.push({ name: 'load: the model was stored persistently', ok: n.persistent && c.persistent, detail: n.persistent ? 'IndexedDB' : 'memory fallback' });
  } else if (failed(l)) err('Load (gpt2 shape)', l);

  // Training on the page's backend
  for (const entry of r.training) {
    const t = entry.result;
    const label = trainLabel(entry);
    if (failed(t)) err(label, t);
    if (!ok(t)) continue;
    const rel = roofline ? ` = ${fmtNum((100 * t.achievedGflops) / roofline.gflops, 0)}% of matMul` : '';
    // What the memory rule assumes for this step (batch = micro-batch 1: nothing accumulated).
    const assumed = t.mode === 'full' ? fullTrainingBytes(t.params, activationBytes(shapeConfig(entry.shape), 1, t.blockSize)) : null;
    const mem = [
      t.peakTfBytes !== null ? `peak tensors ${fmtBytes(t.peakTfBytes)}` : '',
      t.wasmLivePeakBytes !== undefined ? `peak live heap ${fmtBytes(t.wasmLivePeakBytes)}${assumed !== null ? ` (the memory rule assumes ${fmtBytes(assumed)})` : ''}` : '',
      t.memory.wasmHeapBytes !== null ? `wasm heap ${fmtBytes(t.memory.wasmHeapBytes)}` : '',
      t.memory.gpuBytes !== null ? `GPU ${fmtBytes(t.memory.gpuBytes)}` : '',
    ].filter(Boolean);
    rows.push({
      figure: label,
      value: fmtRate(t.tokensPerSec),
      detail:
        `${mParams(t.params)} params, ${mParams(t.trainableParams)} trained; block ${t.blockSize}, batch 1, median of ${t.stepMs.length} steps ${fmtSeconds(median(t.stepMs) / 1000)} ` +
        `(AdamW + clip ${fmtSeconds(t.optimizerMs / 1000)}${optimizerBefore(t)}); ${t.mode === 'full' ? '6N' : '4N'}×tok/s = ${fmtNum(t.achievedGflops)} GFLOP/s${rel}` +
        `${mem.length ? `; ${mem.join(', ')}` : ''}${before(`${entry.shape}-${entry.mode}`, t.backend)}`,
    });
    optimizerCheck(checks, t);
    checks.push({ name: `${entry.shape} ${entry.mode}: losses are finite`, ok: t.losses.every(Number.isFinite), detail: t.losses.map((x) => x.toFixed(3)).join(', ') });
  }

  // Ours vs the peer
  const p = r.pair;
  if (ok(p)) {
    const ours = p.ours;
    const peer = p.peer;
    const shape = ok(ours) ? ours.shape : ok(peer) ? peer.shape : p.shape;
    const mm = ok(ours) && ours.matMul ? `; matMul ${ours.matMul.n}³ there ${fmtNum(ours.matMul.gflops)} GFLOP/s` : '';
    if (ok(ours)) {
      optimizerCheck(checks, ours);
      rows.push({
        figure: `Train, pair shape, ours on ${p.backend}`,
        value: fmtRate(ours.tokensPerSec),
        detail: `${shape}, block ${ours.blockSize}, batch 1, full, no dropout, ${mParams(ours.params)} params${mm}`,
      });
    } else if (failed(ours)) err(`Train, pair shape, ours on ${p.backend}`, ours);
    if (ok(peer)) {
      rows.push({
        figure: `Train, pair shape, ${peer.library} on ${p.backend}`,
        value: fmtRate(peer.tokensPerSec),
        detail: `${peer.model}, ${mParams(peer.params)} params, block ${peer.blockSize}, batch 1`,
      });
    } else if (failed(peer)) err(`Train, pair shape, @genai-fi/nanogpt on ${p.backend}`, peer);
    if (ok(ours) && ok(peer)) {
      rows.push({
        figure: 'Ours / peer, same shape, same backend',
        value: `${fmtNum(ours.tokensPerSec / peer.tokensPerSec, 2)}×`,
        detail: `training tokens per second on ${p.backend}${before('pair', p.backend === 'webgl' ? 'wasm' : p.backend)}`,
      });
    }
  } else if (failed(p)) err('Ours vs @genai-fi/nanogpt', p);

  // A big archive, from the file to the packed dataset
  const d = r.dataset;
  if (ok(d)) {
    rows.push({
      figure: `Big archive (${d.tweetsInArchive.toLocaleString('en-US')} tweets) to the packed dataset`,
      value: fmtSeconds(d.totalMs / 1000),
      detail:
        `synthetic ${fmtBytes(d.archiveBytes)} zip; read + clean ${fmtSeconds(d.readMs / 1000)}, merge ${fmtSeconds(d.mergeMs / 1000)}, tokenize + split + pack in ${d.chunks} chunks ${fmtSeconds(d.buildMs / 1000)} ` +
        `(${d.textsKept.toLocaleString('en-US')} tweets kept, ${d.tokens.toLocaleString('en-US')} tokens, ${d.trainBlocks.toLocaleString('en-US')} + ${d.valBlocks.toLocaleString('en-US')} blocks of ${d.blockSize}); ` +
        `the worker answered messages at least every ${fmtSeconds(d.longestStallMs / 1000)} meanwhile; baseline, built in one call: ${fmtSeconds(d.atOnceMs / 1000)} without answering any`,
    });
    checks.push({ name: 'dataset: built in chunks equals built at once', ok: d.same, detail: d.same ? 'same fingerprint and blocks' : 'DIFFERENT' });
  } else if (failed(d)) err('Big archive to the packed dataset', d);

  // Soak: memory after warm-up
  const so = r.soak;
  if (ok(so)) {
    const phase = (prefix: string) => so.samples.filter((x) => x.label.startsWith(prefix));
    const series = (xs: SoakSample[], f: (x: SoakSample) => number | null, fmt: (n: number) => string) =>
      xs.every((x) => f(x) !== null) ? xs.map((x) => fmt(f(x) as number)).join(' → ') : 'n/a';
    const mibs = (n: number) => `${(n / 2 ** 20).toFixed(1)}`;
    const describe = (xs: SoakSample[], unit: string) =>
      `${unit} ${xs.map((x) => x.at).join('/')}: tensors ${series(xs, (x) => x.numTensors, String)}; tensor MiB ${series(xs, (x) => x.tfBytes, mibs)}; ` +
      `${so.backend === 'wasm' ? `wasm heap MiB ${series(xs, (x) => x.wasmHeapBytes, mibs)}` : `GPU MiB ${series(xs, (x) => x.gpuBytes, mibs)}`}; worker JS heap MiB ${series(xs, (x) => x.workerJsBytes, mibs)}`;
    const train = phase('training');
    const gen = phase('generation');
    const flat = soakFlat(train) && soakFlat(gen);
    rows.push({
      figure: `Soak: tiny model, ${so.steps.toLocaleString('en-US')} steps with ${so.pauses} pauses, then ${so.generations} generations`,
      value: flat ? 'flat' : 'grows',
      detail:
        `block ${so.blockSize}, batch 1, on ${so.backend}, train ${fmtSeconds(so.trainMs / 1000)}, generate ${fmtSeconds(so.generateMs / 1000)}; ` +
        `${describe(train, 'at steps')}; ${describe(gen, 'after generations')}; JS heap by ${so.jsHeapSource}`,
    });
    checks.push({ name: 'soak: live tensors and backend memory flat after warm-up', ok: flat, detail: `${train.map((x) => x.numTensors).join('/')} tensors while training, ${gen.map((x) => x.numTensors).join('/')} while generating` });
  } else if (failed(so)) err('Soak (tiny model)', so);

  // Projections
  const plan = corpusPlan();
  let first = true;
  for (const { shape: model, mode, result: t } of r.training) {
    // Projections are for the published shapes, at the default block of 128.
    if (!ok(t) || (model !== 'gpt2' && model !== 'distilgpt2') || t.blockSize !== plan.blockSize) continue;
    const proj = projectTime(plan, { blockSize: t.blockSize, stepMs: median(t.stepMs), optimizerMs: t.optimizerMs, evalTokensPerSec: t.evalTokensPerSec });
    const appMode = appDefaultMode(model, r.backendMemoryBytes ?? null);
    rows.push({
      figure: `Projected: fine-tune ${model} (${mode === 'full' ? 'full' : 'LoRA'}) on 3,000 tweets`,
      value: fmtSeconds(proj.seconds),
      detail:
        `${first ? `${planSentence(plan)}; ` : ''}train ${fmtSeconds(proj.trainSeconds)} + validation ${fmtSeconds(proj.evalSeconds)}` +
        `${appMode ? `; the app picks ${appMode} for ${model} on ${t.backend}` : ''}`,
    });
    first = false;
  }

  for (const b of r.budget ?? []) budgetRows(b.shape, b.result, rows, err);

  copyRows(r.copies, rows, checks, err);
  return { rows, checks };
}

/** Steps the early-stopping projection assumes the best validation loss at (not measured on real tweets). */
export const ASSUMED_BEST_EPOCH = 2;
/** Assumed epochs of the best validation loss, besides ASSUMED_BEST_EPOCH, given in the detail. */
const OTHER_BEST_EPOCHS = [1, 3];

/** Working time of each step that no validation followed, past the first `skip` steps (warm-up). */
export function stepTimes(f: SessionFigures, skip = 2): number[] {
  const out: number[] = [];
  for (let k = skip + 1; k <= f.steps; k++) {
    const ms = f.elapsedAtStep[k] - f.elapsedAtStep[k - 1];
    if (Number.isFinite(ms) && !f.validationSteps.includes(k)) out.push(ms);
  }
  return out;
}

const signed = (x: number, digits = 1): string => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(digits)}`;

/** Issue 20's rows: the budget's end against the budget, the projection with early stopping, the live samples' cost. */
export function budgetRows(shape: ShapeName, b: Outcome<BudgetFigures>, rows: Row[], err: (figure: string, e: PhaseError) => void): void {
  if (failed(b)) return err(`Time budget: ${shape}`, b);
  const f = b.budgeted;
  const modeName = b.mode === 'full' ? 'full' : 'LoRA';
  const budgetS = b.budgetMs / 1000;
  const endS = f.workingMs / 1000;
  const lateS = endS - budgetS;
  const steps = stepTimes(f);
  const first = f.plans[0];
  const last = f.plans[f.plans.length - 1];
  // A plan that ends soon after it is made leaves no step without a validation after it: then the
  // step time is the planner's own measure (working time of the steps, validations left out).
  const msPerStep = steps.length > 0 ? median(steps) : last ? last.msPerStep : NaN;
  const stepSource = steps.length > 0 ? `median step ${fmtSeconds(msPerStep / 1000)} (${steps.length} steps past the 2 warm-up ones)` : `step ${fmtSeconds(msPerStep / 1000)} as the planner measured it (no step past the 2 warm-up ones without a validation after it)`;
  const lastStepMs = f.elapsedAtStep[f.steps] - f.elapsedAtStep[f.steps - 1];
  const replans = last ? last.replans : 0;
  const why = f.plans.slice(1).map((p) => p.reason).join('; ');
  rows.push({
    figure: `Time budget: ${shape} (${modeName}), ${fmtNum(budgetS / 60, 0)}-minute budget, end vs budget`,
    value: `${signed(lateS)} s (${signed((100 * lateS) / budgetS)}%)`,
    detail:
      `${lateS >= 0 ? 'late' : 'early'}, in the trainer's working time (steps and validations: what the budget is planned in): ended at step ${f.steps} after ${fmtSeconds(endS)} of ${fmtSeconds(budgetS)}; wall time of the run ${fmtSeconds(f.wallMs / 1000)}; ` +
      (first ? `planned ${first.totalSteps} steps after step ${first.atStep} (${first.reason}), ${replans === 0 ? 'no re-plan' : `${replans} re-plan${replans === 1 ? '' : 's'}: ${why}`}, final plan ${last.totalSteps} steps; ` : 'no plan was made; ') +
      `the page's mode for ${shape} on ${b.backend}: ${modeName}; ${b.tweets.toLocaleString('en-US')} synthetic tweets (${fmtNum(f.tokensPerTweet)} tokens each with EOS), ${f.trainBlocks} + ${f.valBlocks} blocks of ${b.blockSize}, steps of ${b.batchSize} blocks; ` +
      `${stepSource}; validation before the first step ${fmtSeconds(f.firstValidationMs / 1000)}; the last step with the validation after it ${fmtSeconds(lastStepMs / 1000)} ` +
      `(the plan counts each validation it will run, the one after the last step included, at the latest validation's time)`,
  });

  // The 3,000-tweet projection with early stopping, at this run's step and validation times.
  const plan = corpusPlan();
  const times = { msPerStep, evalMsPerBlock: f.firstValidationMs / Math.max(1, f.valBlocks) };
  if (Number.isFinite(msPerStep) && b.blockSize === plan.blockSize && b.batchSize === plan.batchSize) {
    const at = (bestEpoch: number) => projectEarlyStop(plan, times, { bestEpoch, patience: 2, maxEpochs: UNTIL_IMPROVING_EPOCHS });
    const main = at(ASSUMED_BEST_EPOCH);
    const fixed = projectEarlyStop(plan, times, { bestEpoch: plan.epochs, patience: 0, maxEpochs: plan.epochs });
    rows.push({
      figure: `Projected: ${shape} (${modeName}) to a bot on 3,000 tweets, early stopping`,
      value: fmtSeconds(main.seconds),
      detail:
        `“until it stops improving” (${UNTIL_IMPROVING_EPOCHS}-epoch schedule), validation after every epoch of ${plan.stepsPerEpoch} steps (${plan.valBlocks} blocks), patience 2; ` +
        `ASSUMED, not measured on real tweets: the best validation loss after epoch ${ASSUMED_BEST_EPOCH}, so the run stops after epoch ${main.epochs} (${main.steps} steps, ${main.validations} validations): train ${fmtSeconds(main.trainSeconds)} + validation ${fmtSeconds(main.evalSeconds)}; ` +
        OTHER_BEST_EPOCHS.map((e) => { const p = at(e); return `best after epoch ${e}: ${fmtSeconds(p.seconds)}`; }).join(', ') +
        `; the 4-epoch recipe without early stopping: ${fmtSeconds(fixed.seconds)}; at this run's measured times: ${fmtSeconds(msPerStep / 1000)} a step of ${b.batchSize} blocks, ${fmtSeconds(times.evalMsPerBlock / 1000)} a validation block (the first validation, warm-up included)`,
    });
  }

  // The live samples' cost: the same run without and with them (off, on, on, off).
  const live = b.live;
  if (live) {
    const of = (on: boolean) => live.runs.filter((r) => r.samples === on).map((r) => r.figures);
    const withRuns = of(true);
    const withoutRuns = of(false);
    const total = (fs: SessionFigures[], key: 'wallMs' | 'workingMs') => fs.reduce((a, f) => a + f[key], 0);
    const sampleMs = withRuns.flatMap((f) => f.samples.map((x) => x.ms));
    const sampleSum = sampleMs.reduce((a, x) => a + x, 0);
    const perValidation = sampleMs.length > 0 ? median(sampleMs) : NaN;
    const slow = total(withRuns, 'wallMs') / total(withoutRuns, 'wallMs') - 1;
    const workDrift = (total(withRuns, 'workingMs') - sampleSum) / total(withoutRuns, 'workingMs') - 1;
    const epochMs = plan.stepsPerEpoch * msPerStep;
    const first = live.runs[0].figures;
    rows.push({
      figure: `Live samples: ${shape} (${modeName}), run time with vs without`,
      value: `${signed(100 * slow)}%`,
      detail:
        `goal ≤ ${Math.round(LIVE_SAMPLE_SHARE * 100)}%; wall time of the same session (${live.epochs} epochs of ${first.stepsPerEpoch} steps of ${b.batchSize} blocks on ${live.tweets} synthetic tweets, validation of ${first.valBlocks} block(s) after each epoch), ` +
        `run ${live.runs.length} times in the order ${live.runs.map((r) => (r.samples ? 'with' : 'without')).join(', ')}: ${live.runs.map((r) => fmtSeconds(r.figures.wallMs / 1000)).join(', ')}; ` +
        `live samples written ${sampleMs.length} time(s) (${LIVE_SAMPLES.length} tweets of at most ${LIVE_SAMPLE_TOKENS} new tokens, the engine's liveSamples and its ${Math.round(LIVE_SAMPLE_SHARE * 100)}% rule): ${sampleMs.map((ms) => fmtSeconds(ms / 1000)).join(', ')}, ` +
        `their own time ${((100 * sampleSum) / total(withRuns, 'wallMs')).toFixed(1)}% of the runs with them; the working time less the samples (the trainer counts them as part of each validation) differed by ${signed(100 * workDrift)}% between the runs with and without` +
        (Number.isFinite(epochMs) && Number.isFinite(perValidation)
          ? `; by arithmetic at the page's once-an-epoch validation on 3,000 tweets (${plan.stepsPerEpoch} steps at this phase's step time): ${fmtSeconds(perValidation / 1000)} per ${fmtSeconds(epochMs / 1000)} epoch = ${((100 * perValidation) / epochMs).toFixed(2)}%`
          : ''),
    });
  }
}

/** The copy check (src/generate/copies.ts): index build and per-tweet check times; every verbatim tweet must be flagged. */
function copyRows(c: Outcome<CopyFigures> | undefined, rows: Row[], checks: Check[], err: (figure: string, e: PhaseError) => void): void {
  if (c === undefined) return;
  const n = (x: number) => x.toLocaleString('en-US');
  if (failed(c)) return err('Copy check: build the index', c);
  const build = [...c.buildMs].sort((a, b) => a - b);
  rows.push({
    figure: `Copy check: build the index of ${n(c.tweets)} tweets`,
    value: fmtSeconds(median(build) / 1000),
    detail: `median of ${build.length} builds (${build.map((ms) => fmtSeconds(ms / 1000)).join(', ')}); ${n(c.words)} words, ${Math.round(c.segmenterShare * 100)}% of tweets through Intl.Segmenter, the rest through the Latin-text shortcut; word 4-grams hashed`,
  });
  const ms = (x: number) => (x < 0.1 ? `${(x * 1000).toFixed(0)} µs` : `${x.toFixed(2)} ms`);
  rows.push({
    figure: 'Copy check: one generated tweet',
    value: ms(c.checkMedianMs),
    detail: `median of ${n(c.checks)} checks (verbatim kept tweets, rewritten ends, splices of two, fresh text); 99th percentile ${ms(c.checkP99Ms)}, worst ${ms(c.checkMaxMs)}; ${n(c.copiesFound)} copies found`,
  });
  checks.push({ name: 'every verbatim kept tweet is flagged as a copy', ok: c.verbatimFlagged === c.verbatimChecked, detail: `${c.verbatimFlagged} of ${c.verbatimChecked}` });
  if (c.shortcutCompared !== undefined) {
    const bad = c.shortcutMismatches ?? [];
    checks.push({ name: 'the Latin-text shortcut splits words as this browser’s Intl.Segmenter', ok: bad.length === 0, detail: `${c.shortcutCompared} texts${bad.length ? `; differs on ${bad.map((t) => JSON.stringify(t)).join(', ')}` : ''}` });
  }
}

/** AdamW's path on this backend gives the formula's weights (1e-5: float32 against float64, lr 0.01). */
function optimizerCheck(checks: Check[], t: TrainResult): void {
  if (t.optimizerMaxDiff === undefined || checks.some((c) => c.name === `AdamW on ${t.backend} equals a float64 reference`)) return;
  checks.push({ name: `AdamW on ${t.backend} equals a float64 reference`, ok: t.optimizerMaxDiff < 1e-5, detail: `largest weight difference after 3 steps ${t.optimizerMaxDiff.toExponential(1)}` });
  if (t.rowGradientMaxDiff !== undefined) {
    checks.push({ name: `the embedding gradient on ${t.backend} equals the one-hot product`, ok: t.rowGradientMaxDiff < 1e-5, detail: `largest difference ${t.rowGradientMaxDiff.toExponential(1)}` });
  }
  if (t.embeddingRowsMaxDiff !== undefined) {
    checks.push({ name: `embedding lookup, row-gradient sum and global norm on ${t.backend} equal float64`, ok: t.embeddingRowsMaxDiff < 1e-5, detail: `largest difference ${t.embeddingRowsMaxDiff.toExponential(1)}` });
  }
}

/**
 * Flat after warm-up: the same live tensors and bytes at every sample, and the backend's memory
 * (the wasm heap only grows) and the worker's JS heap within 10% of the first sample.
 */
function soakFlat(xs: Array<{ numTensors: number; tfBytes: number; wasmHeapBytes: number | null; gpuBytes: number | null; workerJsBytes: number | null }>): boolean {
  if (xs.length < 2) return false;
  const first = xs[0];
  const within = (a: number | null, b: number | null) => a === null || b === null || b <= a * 1.1;
  return xs.every((x) => x.numTensors === first.numTensors && x.tfBytes === first.tfBytes && within(first.wasmHeapBytes, x.wasmHeapBytes) && within(first.gpuBytes, x.gpuBytes) && within(first.workerJsBytes, x.workerJsBytes));
}

/**
 * The optimizer figure as the bench computed it before issue 13 (median step − a lone gradient
 * pass), beside the measured one: on a shared machine that difference was mostly noise.
 */
function optimizerBefore(t: TrainResult): string {
  const old = t.optimizerMsBySubtraction;
  return old === undefined ? '' : `, timed in the step; step − lone gradient pass: ${old > 0 ? fmtSeconds(old / 1000) : '≈0'}`;
}

/** "; before issue 13: …" for rows measured where the cited figures were (wasm page, webgl pair). */
function before(key: string, backend: BackendName): string {
  const figure = BEFORE_ISSUE_13[key];
  return figure && backend === 'wasm' ? `; before issue 13 (2026-11-29): ${figure}` : '';
}

function planSentence(p: CorpusPlan): string {
  return (
    `assumes ${p.tweets.toLocaleString('en-US')} tweets of ${p.tokensPerTweet} tokens + EOS: ${p.trainTweets.toLocaleString('en-US')} train / ${p.valTweets} validation tweets, ` +
    `${p.trainBlocks} blocks of ${p.blockSize}, ${p.epochs} epochs × ${p.stepsPerEpoch} steps of ${p.batchSize} blocks = ${p.trainTokens.toLocaleString('en-US')} trained tokens, ` +
    `${p.validations} validations of ${p.valBlocks} blocks`
  );
}

/** The mode the app's memory rule (src/train/memory chooseMode) picks for this model. */
function appDefaultMode(model: ShapeName, backendMemoryBytes: number | null): string | null {
  const config = shapeConfig(model);
  // The app's defaults: micro-batch 1 of block 128, 8 blocks per step (accumulated).
  const choice = chooseMode(paramCount(config), backendMemoryBytes, activationBytes(config, 1, 128), true);
  return choice.mode === 'full' ? 'full fine-tuning' : 'LoRA';
}

function sameValues(a: number[], b: number[]): boolean {
  return a.length === b.length && a.length > 0 && a.every((x, i) => Math.fround(x) === Math.fround(b[i]));
}

// ---- output ----------------------------------------------------------------------------------

export function markdownTable(rows: Row[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return ['| Figure | Value | Detail |', '|---|---:|---|', ...rows.map((r) => `| ${esc(r.figure)} | ${esc(r.value)} | ${esc(r.detail)} |`)].join('\n') + '\n';
}

export function textTable(rows: Row[]): string {
  const w1 = Math.max(6, ...rows.map((r) => r.figure.length));
  const w2 = Math.max(5, ...rows.map((r) => r.value.length));
  const line = (a: string, b: string, c: string) => `${a.padEnd(w1)}  ${b.padStart(w2)}  ${c}`;
  return [line('Figure', 'Value', 'Detail'), line('-'.repeat(w1), '-'.repeat(w2), '------'), ...rows.map((r) => line(r.figure, r.value, r.detail))].join('\n') + '\n';
}

export function environmentLine(r: BenchResults): string {
  return Object.entries(r.environment)
    .map(([k, v]) => `${k}: ${v}`)
    .join('; ');
}
