/**
 * llama.cpp (node-llama-cpp's prebuilt CPU binary, never built here) as the judge of an
 * exported .gguf: tokenize with its own tokenizer, continue greedily with its own GPT-2.
 */
import type { Llama, LlamaModel } from 'node-llama-cpp';

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
