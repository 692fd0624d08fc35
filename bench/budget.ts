/**
 * Training on the person's time at the real shapes (issue 20), through the engine's own session
 * (`TrainingSession`, as the page's worker runs it): the page's settings (`defaultSettings`), the
 * mode the page's memory rule picks (`pickMode`), the budget planner (`src/train/budget.ts`, via
 * `trainerSettings` and the Trainer), and the live samples with their 5% rule
 * (`src/engine/live-samples.ts`, written by the session after each validation).
 *
 * 1. A budgeted run: `budgetMinutes` minutes on a synthetic archive of `tweets` tweets, to the
 *    plan's end; where the end landed against the budget, in the trainer's working time (what the
 *    budget is planned in: steps and validations, pauses and yields excluded) and in wall time.
 * 2. The live samples' cost: the same session on a small archive whose epoch is two steps (so
 *    validations, and live samples after them, come every two steps), four times: without live
 *    samples, with, with, without; the wall time of each run and the samples' own time.
 *
 * Random weights at the real shape (speed does not depend on the values); the GPT-2 tokenizer of
 * the tiny fixture. Checkpoints are not saved (their copy runs while the trainer is parked, outside
 * the working time): `checkpointMinutes` is set past the run.
 */
import type { BackendName, ModelInfo, TrainProgress, TrainSettings } from '../src/engine/api';
import type { LoadedModel } from '../src/engine/loaded-model';
import { defaultSettings, pickMode, TrainingSession, type SessionHooks } from '../src/engine/training';
import { GPT2 } from '../src/model/gpt2';
import { randomGPT2Weights } from '../src/model/params';
import { loadTokenizer } from '../src/model/tokenizer';
import { mulberry32 } from '../src/random';
import type { Log } from './measure';
import { parseGPT2Config } from '../src/model/config';
import { shapeConfig, type ShapeName } from './shapes';

export interface BudgetArgs {
  backend: BackendName;
  shape: ShapeName;
  budgetMinutes: number;
  /** Synthetic tweets of the budgeted run's archive. */
  tweets: number;
  /** Synthetic tweets of the live-sample runs' archive (its epoch: about two steps of 8 blocks). */
  liveTweets: number;
  /** Epochs of each live-sample run (0: skip the live-sample runs). */
  liveEpochs: number;
  tokenizerUrl: string;
  tokenizerConfigUrl: string;
  /** A config.json instead of the shape's, and settings over the page's (the unit test's tiny run). */
  config?: Record<string, unknown>;
  settings?: Partial<TrainSettings>;
}

export interface PlanSeen {
  /** The step after which the page first showed this plan. */
  atStep: number;
  totalSteps: number;
  msPerStep: number;
  reason: string;
  replans: number;
}

export interface SessionFigures {
  status: string;
  steps: number;
  stepsPerEpoch: number;
  trainBlocks: number;
  valBlocks: number;
  /** Tokens per tweet of the archive (train stream / train tweets, EOS included). */
  tokensPerTweet: number;
  /** The trainer's working time at the end (steps and validations). */
  workingMs: number;
  /** session.run()'s wall time (live samples, yields and the end's bookkeeping included). */
  wallMs: number;
  /** Working time after each step (validations after a step included in it), index = step. */
  elapsedAtStep: number[];
  /** Working time of the validation before the first step. */
  firstValidationMs: number;
  /** Steps followed by a validation. */
  validationSteps: number[];
  /** Live samples written: the step of the validation they followed and their wall time. */
  samples: Array<{ step: number; ms: number; texts: string[] }>;
  stopReason: string | null;
}

export interface BudgetFigures {
  shape: ShapeName;
  backend: BackendName;
  mode: 'full' | 'lora';
  modeReason: string;
  params: number;
  batchSize: number;
  blockSize: number;
  budgetMs: number;
  tweets: number;
  budgeted: SessionFigures & { plans: PlanSeen[] };
  /**
   * The live-sample runs: the same archive and settings without and with live samples, in the
   * order without, with, with, without (so a steady drift of the step time cancels out).
   */
  live?: { tweets: number; epochs: number; runs: Array<{ samples: boolean; figures: SessionFigures }> };
}

/** Common words, so the tokenizer sees tweets of ordinary English (about one GPT-2 token a word). */
const WORDS = (
  'the be to of and a in that have I it for not on with he as you do at this but his by from they we say her she or an will my one all would there their ' +
  'what so up out if about who get which go me when make can like time no just him know take people into year your good some could them see other than then ' +
  'now look only come its over think also back after use two how our work first well way even new want because any these give day most us today coffee ' +
  'morning night game team music book city rain weekend friends love great really never always still again week tonight happy thanks lol yes'
).split(' ');

/** `n` synthetic tweets, 13–32 words each with some punctuation, from a fixed seed. */
export function syntheticTweets(n: number, seed = 3): string[] {
  const rand = mulberry32(seed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const words = 13 + Math.floor(rand() * 20);
    const parts: string[] = [];
    for (let w = 0; w < words; w++) parts.push(WORDS[Math.floor(rand() * WORDS.length)]);
    let text = parts.join(' ');
    text = text[0].toUpperCase() + text.slice(1) + (rand() < 0.3 ? '!' : '.');
    if (rand() < 0.15) text += ` #${WORDS[Math.floor(rand() * WORDS.length)]}`;
    out.push(text);
  }
  return out;
}

/** Live samples off, on, on, off: a drift of the step time over the four runs cancels out of the comparison. */
export const LIVE_ORDER = [false, true, true, false] as const;

async function session(model: LoadedModel, texts: string[], settings: TrainSettings, backend: BackendName, withSamples: boolean, log: Log, label: string): Promise<{ figures: SessionFigures; plans: PlanSeen[]; mode: { mode: 'full' | 'lora'; reason: string } }> {
  const plans: PlanSeen[] = [];
  const samples: SessionFigures['samples'] = [];
  const elapsedAtStep: number[] = [];
  const validationSteps: number[] = [];
  let firstValidationMs = 0;
  let lastValidationAt = 0;
  let lastLog = 0;
  const hooks: SessionHooks = {
    onProgress(p: TrainProgress) {
      const t = performance.now();
      if (p.plan && (plans.length === 0 || plans[plans.length - 1].reason !== p.plan.reason)) {
        plans.push({ atStep: p.step, totalSteps: p.plan.totalSteps, msPerStep: p.plan.msPerStep, reason: p.plan.reason, replans: p.plan.replans });
        log(`${label}: plan at step ${p.step}: ${p.plan.totalSteps} steps (${p.plan.reason})`);
      }
      if (p.samples) {
        samples.push({ step: p.samplesStep ?? p.step, ms: t - lastValidationAt, texts: p.samples.map((s) => s.text) });
        log(`${label}: live samples after step ${p.samplesStep ?? p.step} in ${((t - lastValidationAt) / 1000).toFixed(1)} s`);
        return;
      }
      if (p.phase === 'preparing' || p.phase === 'checkpoint') return;
      if (p.valLoss !== null && p.validations && p.validations[p.validations.length - 1]?.step === p.step) {
        if (!validationSteps.includes(p.step)) {
          validationSteps.push(p.step);
          lastValidationAt = t;
          if (p.step === 0) firstValidationMs = p.elapsedMs;
        }
      }
      if (p.step > 0 && p.trainLoss !== null) elapsedAtStep[p.step] = p.elapsedMs;
      if (t - lastLog > 30_000) {
        lastLog = t;
        log(`${label}: step ${p.step}/${p.totalSteps}, working time ${(p.elapsedMs / 1000).toFixed(0)} s`);
      }
    },
    async saveCheckpoint() {},
    ...(withSamples ? { checkCopy: () => null } : {}),
  };
  const s = await TrainingSession.start(model, texts, settings, backend, { id: 'bench', repo: 'bench' }, 'bench', hooks);
  const t = s.trainer;
  const w0 = performance.now();
  const result = await s.run();
  const wallMs = performance.now() - w0;
  const d = t.dataset;
  const figures: SessionFigures = {
    status: result.cancelled ? 'cancelled' : (result.stopReason ?? ''),
    steps: result.steps,
    stepsPerEpoch: t.stepsPerEpoch,
    trainBlocks: d.train.length,
    valBlocks: d.val.length,
    tokensPerTweet: d.trainTokens / Math.max(1, d.trainTweets),
    workingMs: result.seconds * 1000,
    wallMs,
    elapsedAtStep: Array.from({ length: result.steps + 1 }, (_, i) => (i === 0 ? firstValidationMs : (elapsedAtStep[i] ?? NaN))),
    firstValidationMs,
    validationSteps,
    samples,
    stopReason: result.stopReason,
  };
  // Free the optimizer state; the model (and LoRA adapters, left unmerged) stays for the next run.
  t.dispose();
  return { figures, plans, mode: { mode: s.meta.mode, reason: s.meta.modeReason } };
}

export async function runBudget(args: BudgetArgs, log: Log): Promise<BudgetFigures> {
  const fetchBytes = async (url: string) => new Uint8Array(await (await fetch(url)).arrayBuffer());
  const tokenizer = loadTokenizer({ 'tokenizer.json': await fetchBytes(args.tokenizerUrl), 'tokenizer_config.json': await fetchBytes(args.tokenizerConfigUrl) });
  const config = args.config ? parseGPT2Config(args.config) : shapeConfig(args.shape);
  const gpt2 = GPT2.fromWeights(config, randomGPT2Weights(config, 1));
  const params = Object.values(gpt2.params).reduce((n, v) => n + v.size, 0);
  const { nLayer, nHead, nEmbd, nPositions, vocabSize } = config;
  const info: ModelInfo = { id: args.shape, name: args.shape, kind: 'base', baseRepo: args.shape, params, config: { nLayer, nHead, nEmbd, nPositions, vocabSize }, networkBytes: 0, loadMs: 0, persisted: false };
  const model: LoadedModel = { gpt2, tokenizer, files: {}, info };
  // The page's settings, with the person's time budget; no checkpoint inside the run.
  const base: TrainSettings = { ...defaultSettings(model, 'bench'), checkpointMinutes: 24 * 60, ...args.settings };
  const budgeted = { ...base, budgetMinutes: args.budgetMinutes };
  const mode = pickMode(model, budgeted, args.backend);
  log(`budget: ${args.shape} on ${args.backend}, ${mode.mode} (${mode.reason}); ${args.budgetMinutes}-minute budget, ${args.tweets} synthetic tweets`);
  try {
    const run = await session(model, syntheticTweets(args.tweets), budgeted, args.backend, true, log, `budget ${args.shape}`);
    const out: BudgetFigures = {
      shape: args.shape,
      backend: args.backend,
      mode: run.mode.mode,
      modeReason: run.mode.reason,
      params,
      batchSize: base.batchSize,
      blockSize: base.blockSize,
      budgetMs: args.budgetMinutes * 60_000,
      tweets: args.tweets,
      budgeted: { ...run.figures, plans: run.plans },
    };
    log(`budget ${args.shape}: ${run.figures.steps} steps, working time ${(run.figures.workingMs / 1000).toFixed(1)} s of ${args.budgetMinutes * 60} s, wall ${(run.figures.wallMs / 1000).toFixed(1)} s`);
    if (args.liveEpochs > 0) {
      // Without a budget: the recipe's epochs on a small archive, validation (and samples) every epoch.
      const small = syntheticTweets(args.liveTweets, 5);
      const plain = { ...base, epochs: args.liveEpochs, budgetMinutes: 0 };
      const runs: Array<{ samples: boolean; figures: SessionFigures }> = [];
      for (const samples of LIVE_ORDER) {
        const r = await session(model, small, plain, args.backend, samples, log, `live ${args.shape} ${samples ? 'with' : 'without'}`);
        runs.push({ samples, figures: r.figures });
      }
      out.live = { tweets: args.liveTweets, epochs: args.liveEpochs, runs };
    }
    return out;
  } finally {
    gpt2.dispose();
  }
}
