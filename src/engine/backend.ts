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

function configureWasm(): void {
  setWasmPaths(WASM_FILES);
  // Threads need SharedArrayBuffer, which needs cross-origin isolation.
  const isolated = Boolean((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated);
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  setThreadsCount(isolated ? Math.max(1, Math.min(cores, 8)) : 1);
}

async function start(name: BackendName): Promise<boolean> {
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

async function probe(name: BackendName): Promise<BackendProbe> {
  if (!(await start(name))) return { name, gflops: null, note: 'not available on this device' };
  try {
    const gflops = await measureMatMul();
    return { name, gflops, note: `${gflops.toFixed(1)} GFLOP/s` };
  } catch (err) {
    return { name, gflops: null, note: `failed: ${(err as Error).message}` };
  }
}

function threadsInUse(name: BackendName): number {
  if (name !== 'wasm') return 1;
  try {
    return getThreadsCount();
  } catch {
    return 1;
  }
}

/** The GPUDevice of tfjs's webgpu backend, when that backend runs. */
export function webgpuDevice(): GPUDevice | null {
  if (tf.getBackend() !== 'webgpu') return null;
  return (tf.backend() as unknown as { device?: GPUDevice }).device ?? null;
}

export async function pickBackend(forced: BackendName | null, avoid: BackendName[] = []): Promise<BackendReport> {
  configureWasm();
  const adapter = await describeAdapter().catch(() => null);
  const isolated = Boolean((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated);
  const report = (name: BackendName, reason: string, probes: BackendProbe[]): BackendReport => ({
    name,
    reason,
    forced: forced !== null,
    probes,
    threads: threadsInUse(name),
    crossOriginIsolated: isolated,
    adapter,
  });

  if (forced) {
    if (forced === 'webgpu' && !adapter) {
      throw new Error('WebGPU was requested (?backend=webgpu) but this browser gives no WebGPU adapter.');
    }
    if (!(await start(forced))) throw new Error(`The ${forced} backend was requested but could not start on this device.`);
    return report(forced, `${forced} was chosen by the URL (?backend=${forced}).`, []);
  }

  const usable = adapter && !avoid.includes('webgpu') ? adapter : null;
  // A hardware GPU adapter is the fastest by a wide margin; probing it would only cost start-up time.
  if (usable && !usable.isFallbackAdapter && (await start('webgpu'))) {
    return report('webgpu', `WebGPU on a hardware GPU (${usable.vendor || 'unknown vendor'} ${usable.architecture}).`, []);
  }

  const candidates = (['wasm', 'webgl', 'webgpu'] as BackendName[]).filter((b) => !avoid.includes(b) && (b !== 'webgpu' || usable));
  const probes: BackendProbe[] = [];
  for (const name of candidates) probes.push(await probe(name));
  const ranked = probes.filter((p) => p.gflops !== null).sort((x, y) => (y.gflops ?? 0) - (x.gflops ?? 0));
  const winner = ranked[0]?.name ?? 'cpu';
  if (!(await start(winner))) throw new Error('No tfjs backend could start in this browser.');
  const why = avoid.includes('webgpu')
    ? 'WebGPU is avoided after the GPU was lost, so each other backend was timed'
    : adapter
      ? `the WebGPU adapter is a software one (${adapter.architecture || 'fallback'}), so each backend was timed`
      : 'this browser gives no WebGPU adapter, so each backend was timed';
  const figures = probes.map((p) => `${p.name} ${p.gflops === null ? 'n/a' : p.gflops.toFixed(1)}`).join(', ');
  return report(winner, `${winner} is fastest here: ${why} (matMul GFLOP/s: ${figures}).`, probes);
}
