/**
 * Picks the fastest tfjs backend this device really has.
 *
 * Names lie: a software WebGPU adapter (SwiftShader, `isFallbackAdapter`) is ~30x slower than wasm
 * on the same CPU, and WebGL on SwiftShader is slower still. So every candidate that starts runs
 * the same short timed matMul, and the fastest wins. `?backend=` forces one and fails loudly when
 * it is missing. Runs in the engine worker only.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths, setThreadsCount, getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import type { BackendName, BackendProbe, BackendReport } from './api';
// The site serves tfjs-backend-wasm's binaries itself (never a CDN): vite emits them as assets.
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

const WASM_FILES = {
  'tfjs-backend-wasm.wasm': new URL(wasmPlain, import.meta.url).href,
  'tfjs-backend-wasm-simd.wasm': new URL(wasmSimd, import.meta.url).href,
  'tfjs-backend-wasm-threaded-simd.wasm': new URL(wasmThreaded, import.meta.url).href,
};

const PROBE_N = 384;

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  isFallbackAdapter: boolean;
  maxBindingBytes: number;
}

/** What `navigator.gpu` offers, without starting tfjs's webgpu backend. */
export async function describeAdapter(): Promise<AdapterInfo | null> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return null;
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return null;
  // `adapter.info` is newer than the @webgpu/types tfjs pins; older Chromium has isFallbackAdapter on the adapter.
  const extra = adapter as unknown as { info?: { vendor?: string; architecture?: string; isFallbackAdapter?: boolean }; isFallbackAdapter?: boolean };
  const info = extra.info ?? {};
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    isFallbackAdapter: Boolean(extra.isFallbackAdapter ?? info.isFallbackAdapter),
    maxBindingBytes: adapter.limits.maxStorageBufferBindingSize,
  };
}

/** Measured matMul GFLOP/s of the active backend (warm-up excluded, data awaited). */
export async function measureMatMul(n = PROBE_N, reps = 3): Promise<number> {
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 2);
  try {
    const warm = tf.matMul(a, b);
    await warm.data();
    warm.dispose();
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) {
      const c = tf.matMul(a, b);
      await c.data();
      c.dispose();
    }
    const seconds = (performance.now() - t0) / 1000;
    return (2 * n ** 3 * reps) / seconds / 1e9;
  } finally {
    a.dispose();
    b.dispose();
  }
}

/** How long one backend's start, or one timed probe, may take before the engine moves on. */
export interface Deadlines {
  startMs: number;
  probeMs: number;
}
export const DEFAULT_DEADLINES: Deadlines = { startMs: 20_000, probeMs: 20_000 };

/** wasm threads asked for at start-up (1 once wasm fell back to its single-threaded build). */
let wasmThreadsAsked = 1;

/** Where the start-up is, for the page's liveness check (`Engine.ping`). */
let onStage: (stage: string) => void = () => {};

function configureWasm(allowThreads: boolean): void {
  setWasmPaths(WASM_FILES);
  if (!allowThreads) {
    wasmWithoutThreads();
    return;
  }
  // Threads need SharedArrayBuffer, which needs cross-origin isolation.
  const isolated = Boolean((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated);
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  const threads = isolated ? Math.max(1, Math.min(cores, 8)) : 1;
  setThreadsCount(threads);
  wasmThreadsAsked = threads;
  // The threaded glue starts this many pthread workers (scripts/wasm-thread-pool.ts), not 8:
  // every extra worker is one more that Firefox may never start.
  (globalThis as { __tfjsWasmPthreadPoolSize?: number }).__tfjsWasmPthreadPoolSize = threads;
}

/** Falls back to the single-threaded wasm build (after the threaded one did not start in time). */
function wasmWithoutThreads(): void {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  setThreadsCount(1);
  wasmThreadsAsked = 1;
}

/** Rejects with `TimeoutError` when `work` has not settled after `ms`; `work` itself is left to settle. */
export async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} did not finish within ${Math.round(ms / 1000)} s`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

export class TimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimeoutError';
  }
}

type StartResult = { ok: true } | { ok: false; why: string };

/** Starts one backend within the deadline; a start that hangs counts as "did not start". */
async function startWithin(name: BackendName, ms: number): Promise<StartResult> {
  onStage(`starting ${name}${name === 'wasm' ? (wasmThreadsAsked > 1 ? ` with ${wasmThreadsAsked} threads` : ' single-threaded') : ''}`);
  try {
    return (await withDeadline(tf.setBackend(name), ms, `${name}'s start`)) ? { ok: true } : { ok: false, why: 'not available on this device' };
  } catch (err) {
    if (!(err instanceof TimeoutError)) return { ok: false, why: `failed: ${(err as Error).message}` };
    abandonStart(name);
    return { ok: false, why: err.message };
  }
}

/**
 * Forgets a start that never settled. tfjs keeps waiting on it (every later op would throw "has not
 * yet been initialized"); removing the backend makes that start obsolete, and registering the same
 * factory again lets a later start (single-threaded wasm) begin afresh.
 */
function abandonStart(name: BackendName): void {
  const factory = tf.findBackendFactory(name);
  tf.removeBackend(name);
  if (factory) tf.registerBackend(name, factory);
}

/**
 * Starts a backend, noting what went wrong on the way. wasm whose threaded build does not start in
 * time (the Firefox pthread-pool hang) is started again single-threaded.
 */
async function startBackend(name: BackendName, ms: number, notes: string[]): Promise<boolean> {
  const first = await startWithin(name, ms);
  if (first.ok) return true;
  const threaded = name === 'wasm' && wasmThreadsAsked > 1;
  if (!threaded || !first.why.includes('did not finish')) {
    if (first.why.includes('did not finish')) notes.push(`${first.why}; the engine moved on.`);
    return false;
  }
  notes.push(`wasm with threads ${first.why.replace("wasm's start ", '')}; it was started again single-threaded.`);
  wasmWithoutThreads();
  const second = await startWithin(name, ms);
  if (!second.ok && second.why.includes('did not finish')) notes.push(`Single-threaded wasm ${second.why.replace("wasm's start ", '')} either; the engine moved on.`);
  return second.ok;
}

function getThreadsCountSafe(): number {
  try {
    return getThreadsCount();
  } catch {
    return 1;
  }
}

async function probe(name: BackendName, deadlines: Deadlines, notes: string[]): Promise<BackendProbe> {
  if (!(await startBackend(name, deadlines.startMs, notes))) return { name, gflops: null, note: 'did not start' };
  onStage(`timing ${name}`);
  try {
    const gflops = await withDeadline(measureMatMul(), deadlines.probeMs, `${name}'s timed matMul`);
    return { name, gflops, note: `${gflops.toFixed(1)} GFLOP/s` };
  } catch (err) {
    if (err instanceof TimeoutError) notes.push(`${err.message}; the engine moved on.`);
    return { name, gflops: null, note: `failed: ${(err as Error).message}` };
  }
}

function threadsInUse(name: BackendName): number {
  return name === 'wasm' ? getThreadsCountSafe() : 1;
}

/** The GPUDevice of tfjs's webgpu backend, when that backend runs. */
export function webgpuDevice(): GPUDevice | null {
  if (tf.getBackend() !== 'webgpu') return null;
  return (tf.backend() as unknown as { device?: GPUDevice }).device ?? null;
}

export interface PickOptions {
  /** False: wasm starts single-threaded (the page's retry after a worker blocked in the threaded start). */
  wasmThreads?: boolean;
  /** Told each start-up stage, so a worker that stops answering can say where it stopped. */
  onStage?: (stage: string) => void;
}

export async function pickBackend(forced: BackendName | null, avoid: BackendName[] = [], deadlines: Deadlines = DEFAULT_DEADLINES, opts: PickOptions = {}): Promise<BackendReport> {
  onStage = opts.onStage ?? (() => {});
  configureWasm(opts.wasmThreads ?? true);
  onStage('asking for a WebGPU adapter');
  /** What went wrong on the way (a start past its deadline, a fallback), for the page to say. */
  const notes: string[] = [];
  const adapter = await withDeadline(describeAdapter(), deadlines.startMs, 'The WebGPU adapter request').catch((err: Error) => {
    if (err instanceof TimeoutError) notes.push(`${err.message}; WebGPU is skipped.`);
    return null;
  });
  const isolated = Boolean((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated);
  const report = (name: BackendName, reason: string, probes: BackendProbe[]): BackendReport => ({
    name,
    reason,
    forced: forced !== null,
    probes,
    threads: threadsInUse(name),
    crossOriginIsolated: isolated,
    adapter,
    notes,
  });

  if (forced) {
    if (forced === 'webgpu' && !adapter) {
      throw new Error('WebGPU was requested (?backend=webgpu) but this browser gives no WebGPU adapter.');
    }
    if (!(await startBackend(forced, deadlines.startMs, notes))) {
      throw new Error(`The ${forced} backend was requested but could not start on this device.${notes.length ? ' ' + notes.join(' ') : ''}`);
    }
    return report(forced, `${forced} was chosen by the URL (?backend=${forced}).`, []);
  }

  const usable = adapter && !avoid.includes('webgpu') ? adapter : null;
  // A hardware GPU adapter is the fastest by a wide margin; probing it would only cost start-up time.
  if (usable && !usable.isFallbackAdapter && (await startBackend('webgpu', deadlines.startMs, notes))) {
    return report('webgpu', `WebGPU on a hardware GPU (${usable.vendor || 'unknown vendor'} ${usable.architecture}).`, []);
  }

  const candidates = (['wasm', 'webgl', 'webgpu'] as BackendName[]).filter((b) => !avoid.includes(b) && (b !== 'webgpu' || usable));
  const probes: BackendProbe[] = [];
  for (const name of candidates) probes.push(await probe(name, deadlines, notes));
  const ranked = probes.filter((p) => p.gflops !== null).sort((x, y) => (y.gflops ?? 0) - (x.gflops ?? 0));
  // cpu (plain JS) is the last resort: it always starts, slowly.
  const order = [...ranked.map((p) => p.name), ...(ranked.length ? [] : (['cpu'] as BackendName[]))];
  let winner: BackendName | null = null;
  for (const name of order) {
    if (await startBackend(name, deadlines.startMs, notes)) {
      winner = name;
      break;
    }
  }
  if (!winner) throw new Error(`No tfjs backend could start in this browser.${notes.length ? ' ' + notes.join(' ') : ''}`);
  const why = avoid.includes('webgpu')
    ? 'WebGPU is avoided after the GPU was lost, so each other backend was timed'
    : adapter
      ? `the WebGPU adapter is a software one (${adapter.architecture || 'fallback'}), so each backend was timed`
      : 'this browser gives no WebGPU adapter, so each backend was timed';
  const figures = probes.map((p) => `${p.name} ${p.gflops === null ? 'n/a' : p.gflops.toFixed(1)}`).join(', ');
  return report(winner, `${winner} is fastest here: ${why} (matMul GFLOP/s: ${figures}).`, probes);
}
