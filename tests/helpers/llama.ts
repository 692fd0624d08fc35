/**
 * llama.cpp (node-llama-cpp's prebuilt CPU binary, never built here) as the judge of an
 * exported .gguf: tokenize with its own tokenizer, continue greedily with its own GPT-2.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Llama, LlamaModel } from 'node-llama-cpp';
import type { GPT2 } from '../../src/model/gpt2';

/**
 * llama.cpp's CPU GELU reads a float16 table, so its f32 logits differ from ours by about 1e-3:
 * where two logits of a random test bot are closer than that, greedy may take either. Prompts
 * whose greedy steps all have a clear winner (a gap of at least this) must agree token for token.
 */
export const CLEAR_MARGIN = 0.05;

/**
 * Greedy continuation by our model (argmax of the last logits, context growing), and the
 * smallest gap between the top two logits on the way.
 */
export function modelGreedy(model: GPT2, ids: number[], n: number): { tokens: number[]; margin: number } {
  const context = ids.slice();
  const tokens: number[] = [];
  let margin = Infinity;
  for (let i = 0; i < n; i++) {
    const row = tf.tidy(() => tf.slice(model.logits(tf.tensor2d([context], [1, context.length], 'int32')), [0, context.length - 1, 0], [1, 1, -1]).dataSync());
    let next = 0;
    for (let j = 1; j < row.length; j++) if (row[j] > row[next]) next = j;
    let second = -Infinity;
    for (let j = 0; j < row.length; j++) if (j !== next && row[j] > second) second = row[j];
    margin = Math.min(margin, row[next] - second);
    tokens.push(next);
    context.push(next);
  }
  return { tokens, margin };
}

async function withModel<T>(llama: Llama, path: string, fn: (m: LlamaModel) => Promise<T>): Promise<T> {
  const m = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
  try {
    return await fn(m);
  } finally {
    await m.dispose();
  }
}

/** llama.cpp's ids of each text (no special tokens parsed, none added). */
export function llamaTokenize(llama: Llama, path: string, texts: string[]): Promise<number[][]> {
  return withModel(llama, path, async (m) => texts.map((t) => Array.from(m.tokenize(t, false)) as number[]));
}

/** The first `n` greedy tokens after `ids` (temperature 0), as llama.cpp computes them. */
export function llamaGreedy(llama: Llama, path: string, ids: number[], n: number): Promise<number[]> {
  return withModel(llama, path, async (m) => {
    const ctx = await m.createContext({ contextSize: Math.min(m.trainContextSize, 128), threads: 1 });
    try {
      const out: number[] = [];
      for await (const token of ctx.getSequence().evaluate(ids as never, { temperature: 0 })) {
        out.push(token as number);
        if (out.length === n) break;
      }
      return out;
    } finally {
      await ctx.dispose();
    }
  });
}
