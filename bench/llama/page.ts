/**
 * The llama bench page: our generation in a worker (as the page runs it), then wllama (llama.cpp
 * in wasm, its own workers) on the same weights as .gguf f32 and Q8_0, with the same thread
 * count. bench/llama.ts calls `window.llamaBench(args)`.
 */
import { Wllama } from '@wllama/wllama';
import type { GenerationRun, LlamaBenchAnswer, LlamaBenchArgs } from './protocol';

function ours(args: LlamaBenchArgs): Promise<GenerationRun & { ids: number[] }> {
  const worker = new Worker(new URL('./ours.worker.ts', import.meta.url), { type: 'module' });
  return new Promise<GenerationRun & { ids: number[] }>((resolve, reject) => {
    worker.onmessage = (e) => (e.data.ok ? resolve(e.data.result) : reject(new Error(e.data.message)));
    worker.onerror = (e) => reject(new Error(e.message));
    worker.postMessage({ seed: args.seed, promptIds: args.promptIds, newTokens: args.newTokens });
  }).finally(() => worker.terminate());
}

async function wllama(args: LlamaBenchArgs, url: string, threads: number): Promise<GenerationRun & { text: string }> {
  const w = new Wllama({ default: args.wasmUrl }, { suppressNativeLog: true });
  try {
    await w.loadModelFromUrl(url, { n_threads: threads, n_ctx: 512, n_batch: 128, seed: 0 });
    const params = { temperature: 0, top_k: 1, ignore_eos: true, seed: 0 } as const;
    const prompt = args.promptText;
    await w.createCompletion({ prompt, max_tokens: 2, ...params }); // warm-up
    const t0 = performance.now();
    const out = await w.createCompletion({ prompt, max_tokens: args.newTokens, cache_prompt: false, ...params } as never);
    const totalMs = performance.now() - t0;
    const r = out as unknown as { choices: Array<{ text: string }>; usage: { completion_tokens: number }; timings?: { predicted_per_second: number } };
    const n = r.usage.completion_tokens;
    return {
      tokensPerSec: (n * 1000) / totalMs,
      totalMs,
      decodePerSec: r.timings?.predicted_per_second ?? null,
      tokens: n,
      threads: w.getNumThreads(),
      detail: `wllama ${w.isMultithread() ? 'multi-thread' : 'single-thread'}`,
      text: r.choices[0].text,
    };
  } finally {
    await w.exit();
  }
}

async function run(args: LlamaBenchArgs): Promise<LlamaBenchAnswer> {
  const mine = await ours(args);
  console.log(`[bench] ours: ${mine.tokensPerSec.toFixed(2)} tokens/s (${mine.threads} threads)`);
  const f32 = await wllama(args, args.ggufUrls.f32, mine.threads);
  console.log(`[bench] wllama f32: ${f32.tokensPerSec.toFixed(2)} tokens/s`);
  const q8 = await wllama(args, args.ggufUrls.q8_0, mine.threads);
  console.log(`[bench] wllama q8_0: ${q8.tokensPerSec.toFixed(2)} tokens/s`);
  const { ids: oursIds, ...oursRun } = mine;
  const { text: f32Text, ...f32Run } = f32;
  const q8Run: GenerationRun = { tokensPerSec: q8.tokensPerSec, totalMs: q8.totalMs, decodePerSec: q8.decodePerSec, tokens: q8.tokens, threads: q8.threads, detail: q8.detail };
  return { ours: oursRun, wllama: { f32: f32Run, q8_0: q8Run }, oursIds, f32Text };
}

(window as unknown as { llamaBench: typeof run }).llamaBench = run;
