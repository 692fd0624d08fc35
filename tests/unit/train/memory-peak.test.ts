/**
 * A training step's peak memory stays under what the memory rule (src/train/memory.ts) assumes
 * for it, on tfjs-wasm in Node: every byte malloc'ed in the wasm heap (tensors, the backend's own
 * buffers) is counted from before the model is built, and the most live at once during a few
 * full fine-tuning steps (AdamW, clipping, dropout, micro-batches accumulated) must not exceed
 * fullTrainingBytes(params, activationBytes(config, microBatch, block), accumulating). Also: the heap stops
 * growing after the first step (no per-step fragmentation drift).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GPT2, loadGPT2, parseGPT2Config, randomGPT2Weights } from '../../../src/model';
import { mulberry32 } from '../../../src/random';
import { packBlocks, tokenStream, type Dataset } from '../../../src/train/dataset';
import { activationBytes, fullTrainingBytes } from '../../../src/train/memory';
import { Trainer } from '../../../src/train/trainer';
import { repoRoot, tinyFile } from '../../helpers/fixtures';

interface HeapModule {
  _malloc(n: number): number;
  _free(at: number): void;
  HEAPU8: Uint8Array;
}

/** Live and peak bytes malloc'ed in the wasm heap. */
const heap = { live: 0, peak: 0, sizes: new Map<number, number>() };
let restore: (() => void) | null = null;

function trackHeap(): void {
  const wasm = (tf.backend() as unknown as { wasm: HeapModule }).wasm;
  // Emscripten replaces Module._malloc with the raw export on its first call: make that call first.
  wasm._free(wasm._malloc(8));
  const { _malloc: malloc, _free: free } = wasm;
  wasm._malloc = (n: number) => {
    const at = malloc(n);
    heap.sizes.set(at >>> 0, n);
    heap.live += n;
    heap.peak = Math.max(heap.peak, heap.live);
    return at;
  };
  wasm._free = (at: number) => {
    const n = heap.sizes.get(at >>> 0);
    if (n !== undefined) {
      heap.live -= n;
      heap.sizes.delete(at >>> 0);
    }
    free(at);
  };
  restore = () => {
    wasm._malloc = malloc;
    wasm._free = free;
  };
}

function randomDataset(vocab: number, blockSize: number, blocks: number): Dataset {
  const rand = mulberry32(5);
  const eos = vocab - 1;
  const tweets = Array.from({ length: blocks * 4 }, () => Array.from({ length: 25 }, () => Math.floor(rand() * eos)));
  const stream = tokenStream(tweets, eos);
  const train = packBlocks(stream, blockSize).slice(0, blocks);
  return { blockSize, train, val: [], trainTweets: tweets.length, valTweets: 0, trainTokens: stream.length, valTokens: 0, seed: 5, fingerprint: 'peak' };
}

const cases: { name: string; make: () => Promise<GPT2>; blockSize: number; microBatch: number }[] = [
  {
    name: '4 layers × 256, vocab 8192, block 64, micro-batch 1',
    make: async () => {
      const config = parseGPT2Config({ model_type: 'gpt2', vocab_size: 8192, n_positions: 64, n_embd: 256, n_layer: 4, n_head: 4 });
      return GPT2.fromWeights(config, randomGPT2Weights(config, 1));
    },
    blockSize: 64,
    microBatch: 1,
  },
  {
    name: 'the tiny fixture (vocab 50257), block 32, micro-batch 2',
    make: () => loadGPT2({ 'config.json': tinyFile('config.json'), 'model.safetensors': tinyFile('model.safetensors') }),
    blockSize: 32,
    microBatch: 2,
  },
];

describe('a training step on wasm stays under the memory rule', () => {
  beforeAll(async () => {
    setWasmPaths(join(repoRoot, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist') + '/');
    expect(await tf.setBackend('wasm')).toBe(true);
    trackHeap();
  });
  afterAll(() => restore?.());

  test.each(cases)('$name', async ({ make, blockSize, microBatch }) => {
    const start = heap.live;
    const model = await make();
    const params = Object.values(model.params).reduce((n, v) => n + v.size, 0);
    const trainer = new Trainer(model, randomDataset(model.config.vocabSize, blockSize, 8), {
      mode: 'full',
      batchSize: 2 * microBatch,
      microBatchSize: microBatch,
      epochs: 1,
      dropout: true,
    });
    const heapSizes: number[] = [];
    heap.peak = heap.live;
    for (let step = 1; step <= 3; step++) {
      await trainer.run({ stopAtStep: step });
      heapSizes.push((tf.backend() as unknown as { wasm: HeapModule }).wasm.HEAPU8.buffer.byteLength);
    }
    const peak = heap.peak - start;
    const assumed = fullTrainingBytes(params, activationBytes(model.config, microBatch, blockSize), true);
    expect(peak, `peak ${(peak / 2 ** 20).toFixed(1)} MiB vs the rule's ${(assumed / 2 ** 20).toFixed(1)} MiB`).toBeLessThanOrEqual(assumed);
    // What it holds between steps: weights, AdamW's m and v, nothing else of the model's size.
    expect(heap.live - start).toBeLessThan(12 * params * 1.01 + 2 ** 20);
    expect(heapSizes[2]).toBe(heapSizes[1]);
    trainer.dispose();
    model.dispose();
  }, 120_000);
});
