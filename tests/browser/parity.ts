/**
 * The parity page: starts the measuring worker on the backend named by `?backend=` and puts its
 * report on `window.__parity` (or the error on `window.__parityError`) for the e2e test to read.
 */
import type { BackendChoice, ParityReport, WorkerMessage } from './report';

declare global {
  interface Window {
    __parity?: ParityReport;
    __parityError?: string;
    /** '<seconds since start> <stage>' lines, to see where a slow backend spends its time. */
    __parityProgress?: string[];
  }
}

const BACKENDS: BackendChoice[] = ['webgpu', 'wasm', 'webgl', 'cpu'];

const state = document.querySelector<HTMLElement>('#state')!;
const result = document.querySelector<HTMLElement>('#result')!;

function fail(message: string): void {
  window.__parityError = message;
  state.dataset.state = 'error';
  state.textContent = 'failed';
  result.textContent = message;
}

const asked = new URLSearchParams(location.search).get('backend') ?? 'webgpu';
document.querySelector('#backend')!.textContent = asked;
if (!BACKENDS.includes(asked as BackendChoice)) {
  fail(`unknown ?backend=${asked}; use one of ${BACKENDS.join(', ')}`);
} else {
  const worker = new Worker(new URL('./parity.worker.ts', import.meta.url), { type: 'module', name: 'parity' });
  const started = performance.now();
  const stages: string[] = (window.__parityProgress = []);
  worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
    const message = e.data;
    if (message.kind === 'progress') {
      stages.push(`${((performance.now() - started) / 1000).toFixed(1)} ${message.stage}`);
      state.textContent = `running: ${message.stage}`;
      return;
    }
    if (message.kind === 'done') {
      window.__parity = message.report;
      state.dataset.state = 'done';
      state.textContent = `done in ${(message.report.ms / 1000).toFixed(1)} s`;
      result.textContent = JSON.stringify(message.report, null, 1);
    } else fail(message.error);
    worker.terminate();
  };
  worker.onerror = (e) => fail(`worker error: ${e.message || 'the worker failed to start'}`);
  worker.postMessage({ backend: asked });
}
