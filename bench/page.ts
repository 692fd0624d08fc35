/**
 * The benchmark page: bench/run.ts calls `window.bench.phase(name, args)`, which runs that phase
 * in a fresh worker and resolves with its figures. Progress lines go to the console with a
 * `[bench]` prefix, where run.ts picks them up.
 */
import type { PageAnswer, PhaseArgs, PhaseName, PhaseResults, WorkerMessage } from './protocol';

export interface BenchPage {
  /** Runs one phase in a fresh worker; a phase still running after `timeoutMs` is stopped and fails. */
  phase<P extends PhaseName>(phase: P, args: PhaseArgs[P], timeoutMs: number): Promise<PhaseResults[P]>;
  environment(): { userAgent: string; cores: number; crossOriginIsolated: boolean };
}

const bench: BenchPage = {
  phase(phase, args, timeoutMs) {
    const worker = new Worker(new URL('./bench.worker.ts', import.meta.url), { type: 'module', name: `bench-${phase}` });
    let timer: ReturnType<typeof setTimeout> | undefined;
    return new Promise((resolve, reject) => {
      // A worker whose wasm heap is exhausted may neither answer nor fail: give up on it.
      timer = setTimeout(() => reject(new Error(`${phase}: no result after ${Math.round(timeoutMs / 1000)} s, stopped`)), timeoutMs);
      worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
        const m = e.data;
        if (m.type === 'log') console.log(`[bench] ${m.line}`);
        else if (m.type === 'done') resolve(m.result as never);
        else if (m.type === 'measure-memory') void workerMemory().then((r) => worker.postMessage({ type: 'memory-result', id: m.id, ...r } satisfies PageAnswer));
        else reject(new Error(`${phase}: ${m.message}${m.stack ? `\n${m.stack}` : ''}`));
      };
      worker.onerror = (e) => reject(new Error(`${phase}: worker error: ${e.message}`));
      worker.postMessage({ phase, args });
    }).finally(() => {
      clearTimeout(timer);
      worker.terminate();
    }) as Promise<never>;
  },
  environment() {
    return { userAgent: navigator.userAgent, cores: navigator.hardwareConcurrency, crossOriginIsolated };
  },
};

interface MemoryMeasurement {
  bytes: number;
  breakdown: Array<{ bytes: number; types: string[]; attribution: Array<{ url: string; scope: string }> }>;
}

/**
 * The JavaScript heap of the page's dedicated workers (the one phase worker), from
 * measureUserAgentSpecificMemory: it needs cross-origin isolation and answers after the next
 * garbage collection (up to ~20 s). Workers have no performance.memory of their own.
 */
async function workerMemory(): Promise<{ workerJsBytes: number | null; source: string }> {
  const measure = (performance as Performance & { measureUserAgentSpecificMemory?: () => Promise<MemoryMeasurement> }).measureUserAgentSpecificMemory;
  if (!crossOriginIsolated || !measure) return { workerJsBytes: null, source: 'unavailable (the page is not cross-origin isolated)' };
  try {
    const result = await measure.call(performance);
    const bytes = result.breakdown
      .filter((b) => b.attribution.some((a) => a.scope === 'DedicatedWorkerGlobalScope'))
      .reduce((n, b) => n + b.bytes, 0);
    return { workerJsBytes: bytes, source: 'performance.measureUserAgentSpecificMemory (dedicated workers)' };
  } catch (err) {
    return { workerJsBytes: null, source: `unavailable (${(err as Error).message})` };
  }
}

(window as unknown as { bench: BenchPage }).bench = bench;
