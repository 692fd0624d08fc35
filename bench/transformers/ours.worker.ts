/**
 * Our page's generation (src/generate: KV cache, greedy) on a random gpt2-shaped model, on wasm
 * with the thread count the page picks.
 */
import { pickBackend } from '../../src/engine/backend';
import { generate } from '../../src/generate/generate';
import { GPT2 } from '../../src/model/gpt2';
import { randomGPT2Weights } from '../../src/model/params';
import { shapeConfig } from '../shapes';

const post = (m: unknown): void => (self as unknown as Worker).postMessage(m);

self.onmessage = async (e: MessageEvent<{ seed: number; promptIds: number[]; newTokens: number }>) => {
  try {
    const { seed, promptIds, newTokens } = e.data;
    const report = await pickBackend('wasm');
    const config = shapeConfig('gpt2');
    const weights = randomGPT2Weights(config, seed);
    const t0 = performance.now();
    const model = GPT2.fromWeights(config, weights);
    const loadMs = performance.now() - t0;
    try {
      const run = async (n: number) => {
        const tokens: number[] = [];
        const t1 = performance.now();
        let first = 0;
        for await (const t of generate(model, promptIds, { maxNewTokens: n, seed: 0, temperature: 0, eosId: null })) {
          if (tokens.length === 0) first = performance.now() - t1;
          tokens.push(t);
        }
        return { tokens, totalMs: performance.now() - t1, firstMs: first };
      };
      await run(2); // warm-up
      const r = await run(newTokens);
      post({
        ok: true,
        result: {
          tokensPerSec: (r.tokens.length * 1000) / r.totalMs,
          totalMs: r.totalMs,
          decodePerSec: ((r.tokens.length - 1) * 1000) / (r.totalMs - r.firstMs),
          tokens: r.tokens.length,
          threads: report.threads ?? 1,
          detail: `tfjs ${report.name}`,
          loadMs,
          ids: r.tokens,
        },
      });
    } finally {
      model.dispose();
    }
  } catch (err) {
    post({ ok: false, message: String((err as Error).stack ?? err) });
  }
};
