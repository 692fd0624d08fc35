/**
 * The soak run: the real engine (`EngineImpl`, as the page's worker runs it) on the tiny fixture
 * model from the model host: an archive, 2,000 training steps with pauses (each saves a
 * checkpoint), then 200 generations. While paused, and between generation batches, it samples
 * live tensors, the backend's memory (wasm heap or GPU bytes) and the worker's JavaScript heap
 * (measured by the page with `performance.measureUserAgentSpecificMemory`, which sees workers,
 * when the page is cross-origin isolated). After warm-up each figure should stay flat.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from '../src/engine/api';
import { EngineImpl } from '../src/engine/engine';
import { memorySnapshot, type Log } from './measure';
import type { WorkerMessage } from './protocol';

export interface SoakSample {
  label: string;
  /** Optimizer steps done, or generations done for the generation samples. */
  at: number;
  numTensors: number;
  tfBytes: number;
  wasmHeapBytes: number | null;
  gpuBytes: number | null;
  /** JavaScript heap of this worker (measureUserAgentSpecificMemory), or null where unavailable. */
  workerJsBytes: number | null;
  elapsedMs: number;
}

export interface SoakFigures {
  backend: string;
  steps: number;
  pauses: number;
  generations: number;
  blockSize: number;
  trainMs: number;
  generateMs: number;
  finalTrainLoss: number | null;
  samples: SoakSample[];
  jsHeapSource: string;
}

export interface SoakOptions {
  backend: BackendName;
  host: string;
  repo: string;
  archiveUrl: string;
  steps: number;
  generations: number;
  log: Log;
}

export interface PageMemory {
  workerJsBytes: number | null;
  source: string;
}

/** Asks the page to measure this worker's memory (bench/page.ts answers 'memory-result'). */
function pageMemory(): Promise<PageMemory> {
  const id = Math.random().toString(36).slice(2);
  return new Promise((resolve) => {
    const onMessage = (e: MessageEvent) => {
      const m = e.data as { type?: string; id?: string } & PageMemory;
      if (m?.type !== 'memory-result' || m.id !== id) return;
      self.removeEventListener('message', onMessage);
      resolve({ workerJsBytes: m.workerJsBytes, source: m.source });
    };
    self.addEventListener('message', onMessage);
    (self as unknown as Worker).postMessage({ type: 'measure-memory', id } satisfies WorkerMessage);
  });
}

export async function runSoak(opts: SoakOptions): Promise<SoakFigures> {
  const { log } = opts;
  const t0 = performance.now();
  const engine = new EngineImpl();
  const report = await engine.init({ backend: opts.backend, modelHost: opts.host, storageAvailable: true, avoid: [] }, () => {});
  const zip = await (await fetch(opts.archiveUrl)).blob();
  await engine.addArchive({ kind: 'file', file: new File([zip], 'soak-archive.zip'), name: 'soak-archive.zip' });
  await engine.loadModel({ kind: 'hub', repo: opts.repo }, () => {});
  log(`soak: ${opts.repo} loaded on ${report.name}; training ${opts.steps} steps`);

  const samples: SoakSample[] = [];
  let jsHeapSource = 'unavailable';
  const sample = async (label: string, at: number) => {
    const js = await pageMemory();
    jsHeapSource = js.source;
    const m = memorySnapshot();
    const s: SoakSample = { label, at, numTensors: tf.memory().numTensors, tfBytes: m.tfBytes, wasmHeapBytes: m.wasmHeapBytes, gpuBytes: m.gpuBytes, workerJsBytes: js.workerJsBytes, elapsedMs: performance.now() - t0 };
    samples.push(s);
    const mib = (b: number | null) => (b === null ? 'n/a' : `${(b / 2 ** 20).toFixed(1)} MiB`);
    log(`soak: ${label} (${at}): ${s.numTensors} tensors, ${mib(s.tfBytes)}; wasm heap ${mib(s.wasmHeapBytes)}; worker JS ${mib(s.workerJsBytes)}`);
  };

  // Pauses after warm-up, in the middle and near the end: each saves a checkpoint; memory is sampled while paused.
  const pauseAt = [Math.round(opts.steps / 8), Math.round(opts.steps / 2), opts.steps - 10].filter((s, i, a) => s > 0 && a.indexOf(s) === i);
  const labels = ['start', 'middle', 'end'];
  let pausing: Promise<void> = Promise.resolve();
  let lastLoss: number | null = null;
  const settings = { ...(await engine.defaultTrainSettings()), mode: 'full' as const, blockSize: 16, batchSize: 1, microBatch: 1, epochs: 8, maxSteps: opts.steps, checkpointMinutes: 1, modelName: 'soak' };
  const tt = performance.now();
  const result = await engine.train(settings, (p) => {
    if (p.trainLoss !== null) lastLoss = p.trainLoss;
    if (p.phase === 'training' && p.step % 250 === 0 && p.step > 0) log(`soak: step ${p.step}/${p.totalSteps}, loss ${p.trainLoss?.toFixed(3)}`);
    const k = pauseAt.indexOf(p.step);
    if (p.phase !== 'training' || k < 0) return;
    pauseAt[k] = -1;
    // Not from inside the progress callback: the trainer pauses at its next yield.
    pausing = pausing.then(async () => {
      await engine.pause();
      await sample(`training, ${labels[k]}`, p.step);
      await engine.unpause();
    });
  });
  await pausing;
  const trainMs = performance.now() - tt;
  if (result.cancelled || result.steps !== opts.steps) throw new Error(`soak: training stopped at step ${result.steps}${result.cancelled ? ' (cancelled)' : ''}`);
  log(`soak: ${result.steps} steps in ${(trainMs / 1000).toFixed(0)} s; ${opts.generations} generations`);

  const g0 = performance.now();
  const gen = { prompt: 'I think', maxNewTokens: 24, temperature: 1, topK: 50, topP: 0.95 };
  const batches = [Math.round(opts.generations / 10), Math.round((opts.generations * 9) / 20)];
  batches.push(opts.generations - batches[0] - batches[1]);
  let done = 0;
  for (const [i, count] of batches.entries()) {
    const texts = await engine.generate({ ...gen, count, seed: done + 1 }, () => {});
    if (texts.length !== count) throw new Error(`soak: ${texts.length} of ${count} generations`);
    done += count;
    await sample(`generation, ${labels[i]}`, done);
  }
  const generateMs = performance.now() - g0;
  return { backend: report.name, steps: result.steps, pauses: 3, generations: done, blockSize: settings.blockSize, trainMs, generateMs, finalTrainLoss: lastLoss, samples, jsHeapSource };
}
