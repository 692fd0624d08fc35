/**
 * The benchmark page: bench/run.ts calls `window.bench.phase(name, args)`, which runs that phase
 * in a fresh worker and resolves with its figures. Progress lines go to the console with a
 * `[bench]` prefix, where run.ts picks them up.
 */
import type { PhaseArgs, PhaseName, PhaseResults, WorkerMessage } from './protocol';

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

(window as unknown as { bench: BenchPage }).bench = bench;
