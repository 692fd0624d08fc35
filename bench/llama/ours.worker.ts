/**
 * Our page's generation (src/generate: KV cache, greedy) on a random gpt2-shaped model, on the
 * backend the page picks for wasm, with the thread count the page would use.
 */
import { pickBackend } from '../../src/engine/backend';
import { generate } from '../../src/generate/generate';
import { GPT2 } from '../../src/model/gpt2';
import { randomGPT2Weights } from '../../src/model/params';
import { shapeConfig } from '../shapes';
import type { GenerationRun } from './protocol';

self.onmessage = async (e: MessageEvent<{ seed: number; promptIds: number[]; newTokens: number }>) => {
  try {
    const { seed, promptIds, newTokens } = e.data;
    const report = await pickBackend('wasm');
    const config = shapeConfig('gpt2');
    const model = GPT2.fromWeights(config, randomGPT2Weights(config, seed));
    try {
      const run = async (n: number) => {
        const tokens: number[] = [];
        const t0 = performance.now();
        let first = 0;
        for await (const t of generate(model, promptIds, { maxNewTokens: n, seed: 0, temperature: 0, eosId: null })) {
          if (tokens.length === 0) first = performance.now() - t0;
          tokens.push(t);
        }
        return { tokens, totalMs: performance.now() - t0, firstMs: first };
      };
      await run(2); // warm-up: kernels compiled, memory laid out
      const r = await run(newTokens);
      const result: GenerationRun & { ids: number[] } = {
        tokensPerSec: (r.tokens.length * 1000) / r.totalMs,
        totalMs: r.totalMs,
        decodePerSec: ((r.tokens.length - 1) * 1000) / (r.totalMs - r.firstMs),
        tokens: r.tokens.length,
        threads: report.threads ?? 1,
        detail: `tfjs ${report.name}`,
        ids: r.tokens,
      };
      (self as unknown as Worker).postMessage({ ok: true, result });
    } finally {
      model.dispose();
    }
  } catch (err) {
    (self as unknown as Worker).postMessage({ ok: false, message: String((err as Error).stack ?? err) });
  }
};
