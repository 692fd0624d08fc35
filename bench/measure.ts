/**
 * The measurements themselves, on whatever tfjs backend is active: the browser worker and the
 * Node + Dawn bundle (bench/gpu.ts) run the same functions. No timing here is asserted; a figure
 * is a measurement, and a failed correctness check (tokens that differ, a loss that is not finite)
 * is reported beside it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { generate } from '../src/generate/generate';
import { argmax } from '../src/generate/sampling';
import type { GPT2Config } from '../src/model/config';
import { GPT2 } from '../src/model/gpt2';
import { randomGPT2Weights } from '../src/model/params';
import { mulberry32 } from '../src/random';
import { packBlocks, tokenStream, type Dataset } from '../src/train/dataset';
import { Trainer } from '../src/train/trainer';
import { describeShape, paramCount } from './shapes';

export type Log = (line: string) => void;

const now = (): number => performance.now();

// ---- memory ---------------------------------------------------------------------------------

export interface MemorySnapshot {
  /** Bytes of live tfjs tensors (variables included). */
  tfBytes: number;
  /** webgl / webgpu: bytes the backend holds on the GPU. */
  gpuBytes: number | null;
  /** wasm: size of the WebAssembly heap, which only grows, so it is the high-water mark. */
  wasmHeapBytes: number | null;
}

export function memorySnapshot(): MemorySnapshot {
  const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number; numBytesInGPUAllocated?: number };
  const wasm = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm;
  return {
    tfBytes: m.numBytes,
    gpuBytes: m.numBytesInGPUAllocated ?? m.numBytesInGPU ?? null,
    wasmHeapBytes: wasm?.HEAPU8 ? wasm.HEAPU8.buffer.byteLength : null,
  };
}

export interface KernelTime {
  /** Kernel name and input shapes. */
  kernel: string;
  calls: number;
  ms: number;
}

/**
 * Run `f` with tfjs's profiler on: the peak bytes of live tensors during it, and where the time
 * went (kernels by total time; on wasm and cpu the per-kernel times are wall times, on GPU
 * backends they need timer queries). The per-kernel result check (a read-back of every output)
 * is turned off meanwhile: it would only slow the run down.
 */
async function profiled(f: () => Promise<unknown>, top = 16): Promise<{ peakBytes: number; kernels: KernelTime[] }> {
  const env = tf.env();
  const check = env.getBool('CHECK_COMPUTATION_FOR_ERRORS');
  env.set('CHECK_COMPUTATION_FOR_ERRORS', false);
  try {
    const info = await tf.profile(async () => {
      await f();
    });
    const byKernel = new Map<string, KernelTime>();
    for (const k of info.kernels) {
      const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
      const e = byKernel.get(key) ?? { kernel: key, calls: 0, ms: 0 };
      e.calls += 1;
      e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      byKernel.set(key, e);
    }
    const kernels = [...byKernel.values()].sort((a, b) => b.ms - a.ms).slice(0, top);
    return { peakBytes: info.peakBytes, kernels };
  } finally {
    env.set('CHECK_COMPUTATION_FOR_ERRORS', check);
  }
}

// ---- model ----------------------------------------------------------------------------------

export interface ModelOptions {
  seed?: number;
  /** WebGPU's binding limit (see GPT2Options); unlimited elsewhere. */
  maxTensorBytes?: number;
}

function buildModel(config: GPT2Config, opts: ModelOptions): { model: GPT2; buildMs: number } {
  const t0 = now();
  const model = GPT2.fromWeights(config, randomGPT2Weights(config, opts.seed ?? 0), {
    maxTensorBytes: opts.maxTensorBytes,
  });
  return { model, buildMs: now() - t0 };
}

// ---- generation -----------------------------------------------------------------------------

/**
 * The baseline without a KV cache, recomputing the whole sequence for every new token:
 * 'forward' takes the last position's logits only (as the cached path does); 'logits' calls
 * `model.logits`, which also runs the LM head on every earlier position (50k-wide rows that are
 * thrown away), the slowest way.
 */
export type UncachedMode = 'forward' | 'logits';

export interface GenerationOptions extends ModelOptions {
  newTokens: number;
  promptTokens: number;
  uncached?: UncachedMode;
  log?: Log;
}

export interface GenerationFigures {
  shape: string;
  params: number;
  promptTokens: number;
  newTokens: number;
  buildMs: number;
  /** KV cache (src/generate): prompt prefill, then one single-position step per token. */
  cached: { tokensPerSec: number; ttftMs: number; totalMs: number };
  /** A full forward pass over the whole sequence for every new token (see UncachedMode). */
  uncached: { tokensPerSec: number; ttftMs: number; totalMs: number; mode: UncachedMode };
  /** cached / uncached tokens per second. */
  speedup: number;
  /** Greedy decoding: both paths must pick the same tokens. */
  tokensMatch: boolean;
  /** Index of the first differing token, or null. */
  firstMismatch: number | null;
  memory: MemorySnapshot;
}

/**
 * Tokens per second of greedy generation with the KV cache (`generate`) and without it (a full
 * `model.logits` pass per token), on the same random-weight model and prompt. Tokens per second
 * is newTokens / total time, first token included; the time to the first token is given apart.
 */
export async function measureGeneration(config: GPT2Config, opts: GenerationOptions): Promise<GenerationFigures> {
  const log = opts.log ?? (() => undefined);
  log(`generation: building a random-weight model (${describeShape(config)})`);
  const { model, buildMs } = buildModel(config, opts);
  try {
    const rand = mulberry32((opts.seed ?? 0) + 1);
    const prompt = Array.from({ length: opts.promptTokens }, () => Math.floor(rand() * (config.vocabSize - 1)));
    log(`generation: model built in ${(buildMs / 1000).toFixed(1)} s; warming up`);
    const mode = opts.uncached ?? 'forward';
    await runCached(model, prompt, 2);
    await runUncached(model, prompt, 2, mode);

    log(`generation: ${opts.newTokens} tokens with the KV cache`);
    const cached = await runCached(model, prompt, opts.newTokens, (n) => {
      if (n % 32 === 0) log(`generation (cached): ${n}/${opts.newTokens} tokens`);
    });
    log(`generation: ${opts.newTokens} tokens without the cache (a full forward pass each, ${mode === 'logits' ? 'model.logits' : 'last-position logits'})`);
    const uncached = await runUncached(model, prompt, opts.newTokens, mode, (n, ms) => {
      if (n % 16 === 0) log(`generation (uncached): ${n}/${opts.newTokens} tokens, ${(ms / 1000).toFixed(0)} s`);
    });
    let firstMismatch: number | null = null;
    for (let i = 0; i < Math.max(cached.tokens.length, uncached.tokens.length); i++) {
      if (cached.tokens[i] !== uncached.tokens[i]) {
        firstMismatch = i;
        break;
      }
    }
    const rate = (r: RunResult) => ({ tokensPerSec: (r.tokens.length * 1000) / r.totalMs, ttftMs: r.ttftMs, totalMs: r.totalMs });
    const c = rate(cached);
    const u = rate(uncached);
    return {
      shape: describeShape(config),
      params: paramCount(config),
      promptTokens: prompt.length,
      newTokens: opts.newTokens,
      buildMs,
      cached: c,
      uncached: { ...u, mode },
      speedup: c.tokensPerSec / u.tokensPerSec,
      tokensMatch: firstMismatch === null,
      firstMismatch,
      memory: memorySnapshot(),
    };
  } finally {
    model.dispose();
  }
}

interface RunResult {
  tokens: number[];
  ttftMs: number;
  totalMs: number;
}

async function runCached(model: GPT2, prompt: number[], n: number, progress?: (n: number) => void): Promise<RunResult> {
  const tokens: number[] = [];
  const t0 = now();
  let ttftMs = 0;
  for await (const token of generate(model, prompt, { maxNewTokens: n, seed: 0, temperature: 0, eosId: null })) {
    if (tokens.length === 0) ttftMs = now() - t0;
    tokens.push(token);
    progress?.(tokens.length);
  }
  return { tokens, ttftMs, totalMs: now() - t0 };
}

async function runUncached(
  model: GPT2,
  prompt: number[],
  n: number,
  mode: UncachedMode,
  progress?: (n: number, elapsedMs: number) => void,
): Promise<RunResult> {
  const ids = prompt.slice();
  const tokens: number[] = [];
  const t0 = now();
  let ttftMs = 0;
  const V = model.config.vocabSize;
  for (let i = 0; i < n; i++) {
    const L = ids.length;
    const input = tf.tensor2d([ids], [1, L], 'int32');
    let last: tf.Tensor;
    if (mode === 'logits') {
      last = tf.tidy(() => tf.slice(model.logits(input), [0, L - 1, 0], [1, 1, V]));
    } else {
      // A fresh, empty cache each time: every position is recomputed, nothing is reused.
      const fresh = model.newCache();
      last = model.step(input, fresh, { lastOnly: true });
      model.disposeCache(fresh);
    }
    input.dispose();
    const row = await last.data();
    last.dispose();
    const token = argmax(row);
    if (i === 0) ttftMs = now() - t0;
    tokens.push(token);
    ids.push(token);
    progress?.(tokens.length, now() - t0);
  }
  return { tokens, ttftMs, totalMs: now() - t0 };
}

// ---- training -------------------------------------------------------------------------------

/** The median: one slow step (a garbage collection, another process) does not move it. */
export function median(xs: number[]): number {
  if (xs.length === 0) throw new Error('median of nothing');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Token ids of one synthetic tweet. */
const TWEET_TOKENS = 25;

/**
 * A training set of random "tweets" of 25 ids each, packed exactly as real tweets are
 * (EOS-separated stream, blocks of blockSize + 1 overlapping by one), without validation.
 */
export function syntheticDataset(config: GPT2Config, blockSize: number, blocks: number, seed = 0): Dataset {
  const eosId = config.eosTokenId ?? config.vocabSize - 1;
  const rand = mulberry32(seed + 7);
  const nTweets = Math.ceil((blocks * blockSize + 1) / (TWEET_TOKENS + 1)) + 1;
  const tweets = Array.from({ length: nTweets }, () =>
    Array.from({ length: TWEET_TOKENS }, () => {
      const id = Math.floor(rand() * (config.vocabSize - 1));
      return id >= eosId ? id + 1 : id;
    }),
  );
  const stream = tokenStream(tweets, eosId);
  const train = packBlocks(stream, blockSize).slice(0, blocks);
  return {
    blockSize,
    train,
    val: [],
    trainTweets: nTweets,
    valTweets: 0,
    trainTokens: stream.length,
    valTokens: 0,
    seed,
    fingerprint: 'bench',
  };
}

export interface TrainingOptions extends ModelOptions {
  mode: 'full' | 'lora';
  blockSize: number;
  /** Untimed steps first (kernel compilation, allocation). */
  warmupSteps: number;
  steps: number;
  /** Train with dropout (the default settings do). */
  dropout?: boolean;
  /** Profile the warm-up step: peak bytes of live tensors, costliest kernels. */
  peakMemory?: boolean;
  log?: Log;
}

export interface TrainingFigures {
  shape: string;
  mode: 'full' | 'lora';
  params: number;
  trainableParams: number;
  blockSize: number;
  /** Blocks per optimizer step (micro-batch 1). */
  batchSize: number;
  dropout: boolean;
  buildMs: number;
  warmupMs: number;
  stepMs: number[];
  /** Trained tokens per second at the median timed step (one block of blockSize predictions each). */
  tokensPerSec: number;
  /** Forward + backward of one block alone (no clipping, no optimizer): ms. */
  gradientsMs: number;
  /**
   * Clipping + AdamW per step, timed inside the trainer (`Trainer.lastUpdateMs`), median over the
   * timed steps. On GPU backends only the dispatch (their kernels run asynchronously).
   */
  optimizerMs: number;
  /** The figure the bench reported before: median step minus one lone gradient pass (noise dominates it). */
  optimizerMsBySubtraction: number;
  /** Forward only (validation), tokens per second. */
  evalTokensPerSec: number;
  /** Model FLOPs counted per trained token: 6N full, 4N LoRA (see flopsRule). */
  flopsPerToken: number;
  flopsRule: string;
  achievedGflops: number;
  losses: number[];
  peakTfBytes: number | null;
  /** The profiled warm-up step's costliest kernels (empty when not profiled). */
  warmupKernels: KernelTime[];
  memory: MemorySnapshot;
}

/**
 * Training throughput of the real Trainer (AdamW, clipping, LR schedule; micro-batch 1, batch 1)
 * on random weights and synthetic tweets.
 */
export async function measureTraining(config: GPT2Config, opts: TrainingOptions): Promise<TrainingFigures> {
  const log = opts.log ?? (() => undefined);
  const label = `${opts.mode} training (${config.nLayer} layers)`;
  log(`${label}: building a random-weight model (${describeShape(config)})`);
  const { model, buildMs } = buildModel(config, opts);
  let trainer: Trainer | null = null;
  try {
    const total = opts.warmupSteps + opts.steps;
    // One block per step, plus one for the lone gradients timing and one for the forward-only timing.
    const dataset = syntheticDataset(config, opts.blockSize, total + 2, opts.seed);
    const dropout = opts.dropout ?? true;
    trainer = new Trainer(model, dataset, { mode: opts.mode, batchSize: 1, microBatchSize: 1, epochs: 1, dropout });
    const t = trainer;
    const trainableParams = Object.values(t.trainable).reduce((n, v) => n + v.size, 0);
    log(`${label}: ${(trainableParams / 1e6).toFixed(2)}M trainable parameters; warm-up step${opts.peakMemory ? ' (profiled for peak memory)' : ''}`);

    const w0 = now();
    let peakTfBytes: number | null = null;
    let warmupKernels: KernelTime[] = [];
    if (opts.peakMemory) {
      // With several warm-up steps, profile the last: the first one compiles shaders on GPU backends.
      if (opts.warmupSteps > 1) await t.run({ stopAtStep: opts.warmupSteps - 1 });
      const p = await profiled(() => t.run({ stopAtStep: opts.warmupSteps }));
      peakTfBytes = p.peakBytes;
      warmupKernels = p.kernels;
    } else await t.run({ stopAtStep: opts.warmupSteps });
    const warmupMs = now() - w0;
    log(`${label}: warm-up took ${(warmupMs / 1000).toFixed(1)} s`);

    const stepMs: number[] = [];
    const updateMs: number[] = [];
    for (let i = 0; i < opts.steps; i++) {
      const s0 = now();
      const result = await t.run({ stopAtStep: opts.warmupSteps + i + 1 });
      if (result.step !== opts.warmupSteps + i + 1) throw new Error(`the trainer stopped at step ${result.step}`);
      stepMs.push(now() - s0);
      updateMs.push(t.lastUpdateMs);
      log(`${label}: step ${i + 1}/${opts.steps} ${(stepMs[i] / 1000).toFixed(2)} s, loss ${t.history[t.history.length - 1].trainLoss.toFixed(3)}`);
    }
    const losses = t.history.map((r) => r.trainLoss);
    if (!losses.every(Number.isFinite)) throw new Error(`${label}: a loss is not finite (${losses.join(', ')})`);

    // The same forward + backward without clipping and the optimizer, to split a step's time.
    const g0 = now();
    const grads = await t.gradients(total);
    if (grads === null) throw new Error('gradients were cancelled');
    await grads.loss.data();
    const gradientsMs = now() - g0;
    tf.dispose([grads.loss, grads.grads]);

    // Forward only, as validation runs it (no dropout).
    const block = dataset.train[total + 1];
    const forward = async (): Promise<number> => {
      const e0 = now();
      const loss = tf.tidy(() => model.loss(tf.tensor2d(block, [1, block.length], 'int32')));
      await loss.data();
      loss.dispose();
      return now() - e0;
    };
    await forward(); // the first forward outside a gradient tape may take other code paths: untimed
    const evalMs = await forward();

    const typicalStep = median(stepMs);
    const tokensPerSec = (opts.blockSize * 1000) / typicalStep;
    const N = paramCount(config);
    const flopsPerToken = (opts.mode === 'full' ? 6 : 4) * N;
    const memory = memorySnapshot();
    return {
      shape: describeShape(config),
      mode: opts.mode,
      params: N,
      trainableParams,
      blockSize: opts.blockSize,
      batchSize: 1,
      dropout,
      buildMs,
      warmupMs,
      stepMs,
      tokensPerSec,
      gradientsMs,
      optimizerMs: median(updateMs),
      optimizerMsBySubtraction: Math.max(0, typicalStep - gradientsMs),
      evalTokensPerSec: (opts.blockSize * 1000) / evalMs,
      flopsPerToken,
      flopsRule:
        opts.mode === 'full'
          ? '6N per token (N = all parameters; attention scores not counted)'
          : '4N per token: forward 2N + backward to the activations 2N (frozen weights get no gradient); the adapters (<1%) not counted',
      achievedGflops: (flopsPerToken * tokensPerSec) / 1e9,
      losses,
      peakTfBytes,
      warmupKernels,
      memory,
    };
  } finally {
    trainer?.dispose();
    model.dispose();
  }
}
