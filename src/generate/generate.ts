/**
 * Text generation with a key/value cache: the prompt is run once (prefill), then each new token
 * costs one single-position step that attends to the cached keys and values.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GPT2, KVCache } from '../model/gpt2';
import { createRng, sampleToken, type SamplingOptions } from './sampling';

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens: number;
  seed: number;
  /** Stop (without yielding it) when this token is drawn; also the start token of an empty prompt. */
  eosId?: number | null;
  /** Stop early; the generator then returns quietly. */
  signal?: AbortSignal;
}

/**
 * Yields up to `maxNewTokens` token ids continuing `promptIds`.
 *
 * When the context would outgrow n_positions, the oldest tokens are dropped: the cache is rebuilt
 * from the last `contextAfterOverflow(n_positions)` tokens, so a rebuild happens once every
 * quarter window rather than on every token.
 */
export async function* generate(model: GPT2, promptIds: number[], opts: GenerateOptions): AsyncGenerator<number> {
  const { nPositions } = model.config;
  const eosId = opts.eosId ?? null;
  if (!(opts.maxNewTokens >= 0)) throw new Error(`maxNewTokens must be >= 0, got ${opts.maxNewTokens}`);
  let context = promptIds.slice();
  if (context.length === 0) {
    if (eosId === null) throw new Error('generate: empty prompt and no eosId to start from');
    context = [eosId]; // GPT-2 was trained with <|endoftext|> between documents: a fresh start
  }
  const rng = createRng(opts.seed);
  const cache = model.newCache();
  try {
    // Prefill with as much of the prompt as fits.
    let row = await runStep(model, cache, context.slice(-nPositions));
    for (let n = 0; n < opts.maxNewTokens; n++) {
      if (opts.signal?.aborted) return;
      const token = sampleToken(row, opts, rng);
      if (token === eosId) return;
      context.push(token);
      yield token;
      if (n + 1 === opts.maxNewTokens || opts.signal?.aborted) return;
      if (cache.length + 1 > nPositions) {
        model.disposeCache(cache);
        row = await runStep(model, cache, context.slice(-contextAfterOverflow(nPositions)));
      } else {
        row = await runStep(model, cache, [token]);
      }
    }
  } finally {
    model.disposeCache(cache);
  }
}

/** Tokens kept when the window is full: three quarters of it (at least one). */
export function contextAfterOverflow(nPositions: number): number {
  return Math.max(1, nPositions - Math.max(1, Math.floor(nPositions / 4)));
}

/** Feed `ids` through the cache; the logits of the last one, read back asynchronously (webgpu). */
async function runStep(model: GPT2, cache: KVCache, ids: number[]): Promise<Float32Array> {
  const input = tf.tensor2d([ids], [1, ids.length], 'int32');
  let logits: tf.Tensor | null = null;
  try {
    logits = model.step(input, cache, { lastOnly: true });
    return (await logits.data()) as Float32Array;
  } finally {
    input.dispose();
    logits?.dispose();
  }
}
