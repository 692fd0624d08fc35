/**
 * One benchmark phase per worker: start the backend (the page's own picker, so the backend is the
 * one the page would use), measure, post the figures, and let the page terminate the worker.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describeAdapter, pickBackend } from '../src/engine/backend';
import type { BackendName } from '../src/engine/api';
import { runBudget } from './budget';
import { measureCopies } from './copies';
import { measureDatasetBuild } from './dataset';
import { measureLoad, writeLegacyLibrary } from './load';
import { runSoak } from './soak';
import { measureMatMulAt } from './matmul';
import { checkEmbeddingRows, checkOptimizer, checkRowGradient } from '../tests/browser/backend-checks';
import { measureGeneration, measureTraining, memorySnapshot, type ModelOptions } from './measure';
import { HEAP_FULL, type PhaseArgs, type PhaseName, type PhaseRequest, type PhaseResults, type WorkerMessage } from './protocol';
import { shapeConfig } from './shapes';

const post = (m: WorkerMessage): void => (self as unknown as Worker).postMessage(m);
const log = (line: string): void => post({ type: 'log', line });
const mib = (bytes: number): string => `${Math.round(bytes / 2 ** 20)} MiB`;

/** WebGPU binds at most maxStorageBufferBindingSize per tensor: wte is chunked beyond it. */
async function modelOptions(backend: BackendName): Promise<ModelOptions> {
  if (backend !== 'webgpu') return {};
  const adapter = await describeAdapter();
  return adapter ? { maxTensorBytes: adapter.maxBindingBytes } : {};
}

async function start(backend: BackendName): Promise<void> {
  const report = await pickBackend(backend);
  log(`backend: ${report.name}${report.name === 'wasm' ? `, ${report.threads} thread(s)` : ''}`);
  if (report.name === 'wasm') guardWasmHeap();
}

/**
 * tfjs-wasm allocates each tensor with the module's malloc and does not check the result: when
 * the 4 GiB heap is full it writes to address 0 and the worker hangs instead of failing. Turn a
 * failed allocation into an error, so a model that does not fit fails at once and says why.
 */
let heapFull: string | null = null;
/** Bytes malloc'ed and not yet freed in the wasm heap (tensors and the backend's own), and their peak. */
const heapUse = { live: 0, peak: 0, sizes: new Map<number, number>() };

function guardWasmHeap(): void {
  const wasm = (tf.backend() as unknown as { wasm?: { _malloc(n: number): number; _free(at: number): void; HEAPU8: Uint8Array } }).wasm;
  if (!wasm) return;
  // Emscripten's first call of _malloc replaces Module._malloc with the raw export: make that call first.
  wasm._free(wasm._malloc(8));
  const malloc = wasm._malloc;
  const free = wasm._free;
  wasm._malloc = (n: number): number => {
    const at = malloc(n);
    if (at === 0 && n > 0) {
      heapFull ??= `${HEAP_FULL}: allocating ${n < 2 ** 20 ? `${n} bytes` : mib(n)} failed with the heap at ${mib(wasm.HEAPU8.buffer.byteLength)} (4 GiB at most)`;
      throw new Error(heapFull);
    }
    heapUse.sizes.set(at >>> 0, n);
    heapUse.live += n;
    heapUse.peak = Math.max(heapUse.peak, heapUse.live);
    return at;
  };
  wasm._free = (at: number): void => {
    const n = heapUse.sizes.get(at >>> 0);
    if (n !== undefined) {
      heapUse.live -= n;
      heapUse.sizes.delete(at >>> 0);
    }
    free(at);
  };
}

const phases: { [P in PhaseName]: (args: PhaseArgs[P]) => Promise<PhaseResults[P]> } = {
  async backend(args) {
    log('backend: choosing as the page does (timed probes)');
    const report = await pickBackend(null);
    log(`backend: ${report.reason}`);
    if (report.name === 'wasm') {
      // Which tfjs-wasm binary runs: the threaded one works on a SharedArrayBuffer heap.
      const heap = (tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } }).wasm?.HEAPU8.buffer;
      const multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      log(`backend: wasm ${heap instanceof SharedArrayBuffer ? 'threaded' : 'single-threaded'} binary, ${report.threads} thread(s); multithread support ${multithread ? 'yes' : 'no'}, crossOriginIsolated ${report.crossOriginIsolated}`);
    }
    const matMul = await measureMatMulAt(args.matMulN, 3, true);
    log(`backend: matMul ${args.matMulN}^3 on ${report.name}: ${matMul.gflops.toFixed(1)} GFLOP/s`);
    return { report, matMul };
  },
  async generation(args) {
    await start(args.backend);
    return measureGeneration(shapeConfig(args.shape), { ...args, ...(await modelOptions(args.backend)), log });
  },
  async load(args) {
    await start(args.backend);
    return measureLoad(args.repo, args.host, log, args.legacy ?? false);
  },
  async 'legacy-library'(args) {
    const t0 = performance.now();
    await writeLegacyLibrary(args.repo, log);
    return { ms: performance.now() - t0 };
  },
  async train(args) {
    await start(args.backend);
    const matMul = args.matMulN ? await measureMatMulAt(args.matMulN) : undefined;
    if (matMul) log(`train: matMul ${matMul.n}^3 on ${args.backend}: ${matMul.gflops.toFixed(1)} GFLOP/s`);
    const optimizerMaxDiff = await checkOptimizer();
    const rowGradientMaxDiff = await checkRowGradient();
    const embeddingRowsMaxDiff = await checkEmbeddingRows();
    heapUse.peak = heapUse.live;
    const figures = await measureTraining(shapeConfig(args.shape), { ...args, ...(await modelOptions(args.backend)), log });
    return { ...figures, backend: args.backend, matMul, optimizerMaxDiff, rowGradientMaxDiff, embeddingRowsMaxDiff, ...(args.backend === 'wasm' ? { wasmLivePeakBytes: heapUse.peak } : {}) };
  },
  async dataset(args) {
    return measureDatasetBuild(args.archiveUrl, args.tokenizerUrl, args.tokenizerConfigUrl, log);
  },
  async soak(args) {
    return runSoak({ ...args, log });
  },
  async budget(args) {
    await start(args.backend);
    return runBudget(args, log);
  },
  async peer(args) {
    await start(args.backend);
    // Loaded only here: the peer registers kernels and a backend of its own when imported.
    const { measurePeerTraining } = await import('./peer');
    return measurePeerTraining(shapeConfig(args.shape), { ...args, log });
  },
  async copies(args) {
    // No tfjs: the copy index is plain JavaScript, timed on the page's own engine.
    return measureCopies({ ...args, log });
  },
};

self.onmessage = async (e: MessageEvent<PhaseRequest>) => {
  if (!e.data || !('phase' in e.data)) return; // an answer from the page (the soak's memory figures)
  const { phase, args } = e.data;
  try {
    const result = await (phases[phase] as (a: unknown) => Promise<unknown>)(args);
    post({ type: 'done', result });
  } catch (err) {
    const error = err as Error;
    // After a failure (an exhausted wasm heap aborts the module) the memory figures say how far it got.
    let memory = '';
    try {
      const m = memorySnapshot();
      memory = ` [tensors ${mib(m.tfBytes)}${m.wasmHeapBytes !== null ? `, wasm heap ${mib(m.wasmHeapBytes)}` : ''}]`;
    } catch {
      // the backend may be gone
    }
    // tfjs may wrap the allocation error in another one: name the cause.
    post({ type: 'error', message: `${heapFull ?? error?.message ?? String(err)}${memory}`, stack: error?.stack });
  }
};
