/**
 * The benchmark without a browser: the same measurements (bench/measure.ts) in Node, on tfjs's
 * WebGPU backend over Dawn (the device machine's GPU, see ../shared/gpu/README.md) or on the cpu
 * backend. No IndexedDB, no peer: matMul, generation and training figures, one table.
 *
 * Bundle (one ES module; the device has no node_modules) with bench/build-gpu.sh, then
 *   here:        node .gpu-kit/bench.mjs --backend cpu --small
 *   on the GPU:  bash .gpu-kit/run.sh .gpu-kit/bench.mjs --backend webgpu --out "$OUT"
 *
 * --small: a tiny shape (seconds on the cpu backend) to check the bundle works, not a figure.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from '../src/engine/api';
import { describeAdapter, pickBackend } from '../src/engine/backend';
import { measureMatMulAt } from './matmul';
import { measureGeneration, measureTraining, type ModelOptions } from './measure';
import { buildRows, environmentLine, failed, markdownTable, textTable, type BenchResults, type Outcome } from './report';
import { shapeConfig, type ShapeName } from './shapes';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq ? eq.slice(name.length + 3) : fallback;
}

const backendName = option('backend', 'webgpu') as BackendName;
const small = process.argv.includes('--small');
const outDir = option('out', join(process.cwd(), 'bench', 'results'));
const steps = Number(option('steps', '2'));
const uncached = option('uncached', 'forward') as 'forward' | 'logits';
const newTokens = Number(option('new-tokens', small ? '16' : '128'));
const matMulN = Number(option('matmul', small ? '256' : '2048'));
const started = Date.now();
const log = (line: string): void => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);

async function main(): Promise<number> {
  const report = await pickBackend(backendName);
  log(`backend: ${report.name} (${report.reason})`);
  const modelOptions: ModelOptions = {};
  if (report.name === 'webgpu') {
    const adapter = await describeAdapter();
    if (adapter) modelOptions.maxTensorBytes = adapter.maxBindingBytes;
    log(`adapter: ${JSON.stringify(adapter)}`);
  }
  const results: BenchResults = {
    date: new Date().toISOString(),
    environment: { runtime: `node ${process.version}`, backend: report.name, adapter: report.adapter ? `${report.adapter.vendor} ${report.adapter.architecture}` : 'none' },
    training: [],
    durations: {},
  };
  const timed = async <T>(label: string, f: () => Promise<T>): Promise<Outcome<T>> => {
    log(`== ${label}`);
    const t0 = Date.now();
    try {
      return await f();
    } catch (err) {
      log(`!! ${label} failed: ${(err as Error).message}`);
      return { error: (err as Error).message ?? String(err) };
    } finally {
      results.durations[label] = (Date.now() - t0) / 1000;
    }
  };

  results.backend = await timed('matMul', async () => ({ report, matMul: await measureMatMulAt(matMulN, 3, !small) }));
  const genShape: ShapeName = small ? 'tiny' : 'gpt2';
  results.generation = await timed('generation', async () => ({
    ...(await measureGeneration(shapeConfig(genShape), { newTokens, promptTokens: 8, uncached, ...modelOptions, log })),
    shapeName: genShape,
  }));
  const shapes: ShapeName[] = small ? ['tiny'] : ['gpt2', 'distilgpt2'];
  for (const shape of shapes) {
    for (const mode of ['full', 'lora'] as const) {
      const result = await timed(`train ${shape} ${mode}`, async () => ({
        ...(await measureTraining(shapeConfig(shape), {
          mode,
          blockSize: small ? 32 : 128,
          warmupSteps: 1,
          steps,
          // The profiler's per-kernel timing would add GPU syncs; cpu and wasm profile cheaply.
          peakMemory: report.name !== 'webgpu',
          ...modelOptions,
          log,
        })),
        backend: report.name,
      }));
      results.training.push({ shape, mode, result });
    }
  }

  const { rows, checks } = buildRows(results);
  mkdirSync(outDir, { recursive: true });
  const stem = `gpu-${report.name}${small ? '-small' : ''}`;
  writeFileSync(join(outDir, `${stem}.json`), JSON.stringify({ ...results, rows, checks }, null, 2) + '\n');
  writeFileSync(join(outDir, `${stem}.md`), `${environmentLine(results)}; ${results.date}\n\n${markdownTable(rows)}`);
  console.log(`\n${environmentLine(results)}`);
  console.log(textTable(rows));
  for (const c of checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name} (${c.detail})`);
  console.log(`wrote ${join(outDir, `${stem}.json`)} and .md; tensors left: ${tf.memory().numTensors}`);
  const outcomes = [results.backend, results.generation, ...results.training.map((t) => t.result)];
  return checks.some((c) => !c.ok) || outcomes.some((o) => failed(o)) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
