/**
 * The transformers.js bench page: our generation in a worker (as the page runs it), then
 * transformers.js 2.17.2 (onnxruntime-web 1.14, wasm) on the same weights exported by saveOnnx,
 * fp32 and q8, with the same thread count. bench/transformers.ts calls `window.tjsBench(args,
 * engine, threads)` once per browser it starts, so each engine's peak memory is its own.
 */
import type { TjsBenchArgs, TjsEngine, TjsRun } from './protocol';

function ours(args: TjsBenchArgs): Promise<TjsRun> {
  const worker = new Worker(new URL('./ours.worker.ts', import.meta.url), { type: 'module' });
  return new Promise<TjsRun>((resolve, reject) => {
    worker.onmessage = (e) => (e.data.ok ? resolve(e.data.result) : reject(new Error(e.data.message)));
    worker.onerror = (e) => reject(new Error(e.message));
    worker.postMessage({ seed: args.seed, promptIds: args.promptIds, newTokens: args.newTokens });
  }).finally(() => worker.terminate());
}

interface Transformers {
  env: { allowLocalModels: boolean; allowRemoteModels: boolean; remoteHost: string; useBrowserCache: boolean; backends: { onnx: { wasm: { wasmPaths: string; numThreads: number; proxy: boolean } } } };
  Tensor: new (type: string, data: BigInt64Array, dims: number[]) => unknown;
  AutoModelForCausalLM: { from_pretrained(repo: string, o: object): Promise<{ generate(x: unknown, o: object): Promise<unknown>; dispose(): Promise<unknown> }> };
}

async function transformersJs(t: Transformers, args: TjsBenchArgs, quantized: boolean, threads: number): Promise<TjsRun> {
  t.env.backends.onnx.wasm.numThreads = threads;
  const t0 = performance.now();
  const model = await t.AutoModelForCausalLM.from_pretrained(args.repo, { quantized, model_file_name: 'model' });
  const loadMs = performance.now() - t0;
  try {
    const input = new t.Tensor('int64', BigInt64Array.from(args.promptIds.map(BigInt)), [1, args.promptIds.length]);
    const options = (n: number) => ({ max_new_tokens: n, min_new_tokens: n, do_sample: false, eos_token_id: -1 });
    await model.generate(input, options(2)); // warm-up
    const t1 = performance.now();
    const out = (await model.generate(input, options(args.newTokens))) as Array<{ data?: BigInt64Array } & ArrayLike<bigint>>;
    const totalMs = performance.now() - t1;
    const seq = out[0];
    const ids = Array.from((seq.data ?? seq) as ArrayLike<bigint>, Number).slice(args.promptIds.length);
    return { tokensPerSec: (ids.length * 1000) / totalMs, totalMs, decodePerSec: null, tokens: ids.length, threads, detail: `transformers.js 2.17.2, onnxruntime-web 1.14 wasm${quantized ? ', q8 file' : ', fp32 file'}`, loadMs, ids };
  } finally {
    await model.dispose();
  }
}

async function run(args: TjsBenchArgs, engine: TjsEngine, threads: number): Promise<TjsRun> {
  if (engine === 'ours') return ours(args);
  const t = (await import(/* @vite-ignore */ `${location.origin}/transformers.min.js`)) as Transformers;
  t.env.allowLocalModels = false;
  t.env.allowRemoteModels = true;
  t.env.remoteHost = `${location.origin}/hf/`;
  t.env.useBrowserCache = false;
  t.env.backends.onnx.wasm.wasmPaths = `${location.origin}/`;
  return transformersJs(t, args, engine === 'q8', threads);
}

(window as unknown as { tjsBench: typeof run }).tjsBench = run;
