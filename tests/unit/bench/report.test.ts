import { describe, expect, it } from 'vitest';
import type { GenerationFigures, TrainingFigures } from '../../../bench/measure';
import { buildRows, doesNotFit, fmtBytes, fmtSeconds, markdownTable, textTable, type BenchResults, type TrainResult } from '../../../bench/report';

const memory = { tfBytes: 0, gpuBytes: null, wasmHeapBytes: 3 * 1024 ** 3 };

function generation(over: Partial<GenerationFigures> = {}): GenerationFigures & { shapeName: 'gpt2' } {
  return {
    shape: 'gpt2',
    shapeName: 'gpt2',
    params: 124_439_808,
    promptTokens: 8,
    newTokens: 128,
    buildMs: 1,
    cached: { tokensPerSec: 20, ttftMs: 250, totalMs: 6400 },
    uncached: { tokensPerSec: 2, ttftMs: 200, totalMs: 64_000, mode: 'forward' },
    speedup: 10,
    tokensMatch: true,
    firstMismatch: null,
    memory,
    ...over,
  };
}

function training(over: Partial<TrainingFigures> = {}): TrainResult {
  return {
    shape: 'gpt2',
    mode: 'full',
    params: 124_439_808,
    trainableParams: 124_439_808,
    blockSize: 128,
    batchSize: 1,
    dropout: true,
    buildMs: 1,
    warmupMs: 1,
    stepMs: [4000, 4000],
    tokensPerSec: 32,
    gradientsMs: 3000,
    optimizerMs: 1000,
    optimizerMsBySubtraction: 1000,
    evalTokensPerSec: 128,
    flopsPerToken: 6 * 124_439_808,
    flopsRule: '6N',
    achievedGflops: 23.9,
    losses: [10.9, 10.8, 10.7],
    peakTfBytes: 2 * 1024 ** 3,
    warmupKernels: [],
    memory,
    backend: 'wasm',
    ...over,
  };
}

function results(over: Partial<BenchResults> = {}): BenchResults {
  return { date: 'd', environment: {}, training: [], durations: {}, ...over };
}

const row = (rows: { figure: string; value: string; detail: string }[], figure: string) => rows.find((r) => r.figure.startsWith(figure));

describe('buildRows', () => {
  it('reports the KV-cache speed-up and checks the tokens agree', () => {
    const { rows, checks } = buildRows(results({ generation: generation() }));
    expect(row(rows, 'KV-cache speed-up')?.value).toBe('10.0×');
    expect(row(rows, 'Generate with the KV cache')?.value).toBe('20.0 tok/s');
    expect(checks).toEqual([expect.objectContaining({ ok: true })]);
  });

  it('fails the check when cached and uncached tokens differ', () => {
    const { rows, checks } = buildRows(results({ generation: generation({ tokensMatch: false, firstMismatch: 17 }) }));
    expect(row(rows, 'KV-cache speed-up')?.detail).toContain('TOKENS DIFFER from token 17');
    expect(checks[0].ok).toBe(false);
  });

  it('puts achieved FLOP/s against the matMul roofline and projects the archive', () => {
    const backend = { report: { name: 'wasm' as const, reason: '', forced: false, probes: [], threads: 2, crossOriginIsolated: true, adapter: null, notes: [] }, matMul: { n: 1024, gflops: 30 } };
    const { rows } = buildRows(results({ backend, backendMemoryBytes: 2 * 1024 ** 3, training: [{ shape: 'gpt2', mode: 'full', result: training() }] }));
    const train = row(rows, 'Train gpt2 shape, full');
    expect(train?.value).toBe('32.0 tok/s');
    expect(train?.detail).toContain('= 80% of matMul');
    expect(train?.detail).toContain('wasm heap 3.00 GiB');
    const proj = row(rows, 'Projected: fine-tune gpt2 (full)');
    // 2196 blocks x 3 s + 276 steps x 1 s + 5 validations x 61 blocks x 1 s = 7169 s
    expect(proj?.value).toBe('119.5 min');
    expect(proj?.detail).toContain('the app picks LoRA for gpt2 on wasm');
  });

  it('shows a failed phase as a row instead of dropping it', () => {
    const { rows } = buildRows(results({ training: [{ shape: 'distilgpt2', mode: 'lora', result: { error: 'out of memory\nstack' } }] }));
    expect(rows).toEqual([{ figure: 'Train distilgpt2 shape, LoRA (r 8, all projections)', value: 'failed', detail: 'out of memory' }]);
  });

  it('says a model that does not fit the wasm heap does not fit, and keeps the cause', () => {
    const error = 'train: the wasm heap is full: allocating 147 MiB failed with the heap at 4096 MiB (4 GiB at most)';
    const { rows } = buildRows(results({ training: [{ shape: 'gpt2', mode: 'full', result: { error } }] }));
    expect(rows[0].value).toBe('does not fit');
    expect(rows[0].detail).toBe('the wasm heap is full: allocating 147 MiB failed with the heap at 4096 MiB (4 GiB at most)');
    expect(doesNotFit({ error })).toBe(true);
    expect(doesNotFit({ error: 'page crashed' })).toBe(false);
  });

  it('checks that a return visit asks the model host nothing and gives the written weights', () => {
    const load = (requests: number, probe: number[]) => ({ filesMs: 1000, buildMs: 1000, totalMs: 2000, bytes: 5e8, files: [], persistent: true, probe, requests });
    const { checks } = buildRows(results({ load: { network: load(6, [1, 2]), cached: load(1, [1, 3]), expectedProbe: [1, 2], repo: 'r' } }));
    expect(checks.map((c) => c.ok)).toEqual([false, false, true]);
  });
});

describe('formatting', () => {
  it('formats sizes and durations', () => {
    expect(fmtBytes(512 * 1024 ** 2)).toBe('512 MiB');
    expect(fmtBytes(1.5 * 1024 ** 3)).toBe('1.50 GiB');
    expect(fmtSeconds(0.25)).toBe('250 ms');
    expect(fmtSeconds(90)).toBe('90.0 s');
    expect(fmtSeconds(600)).toBe('10.0 min');
    expect(fmtSeconds(3 * 3600)).toBe('3.0 h');
  });

  it('escapes pipes in markdown and aligns the text table', () => {
    const rows = [{ figure: 'a|b', value: '1', detail: 'x' }];
    expect(markdownTable(rows)).toBe('| Figure | Value | Detail |\n|---|---:|---|\n| a\\|b | 1 | x |\n');
    expect(textTable(rows).split('\n')[2]).toBe('a|b         1  x');
  });
});
