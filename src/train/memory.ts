/**
 * Full fine-tuning or LoRA? Full fine-tuning keeps four floats per parameter (the weight, its
 * gradient, AdamW's m and v); LoRA keeps the frozen weights once plus small adapters. Both also hold
 * the activations of one micro-batch for the backward pass. The constants are measured peaks (see
 * activationBytes and MEMORY_HEADROOM), checked by tests/unit/train/memory-peak.test.ts: a training
 * step's peak must stay under the figure this rule assumes.
 */
import type { GPT2Config } from '../model/config';

export type TrainMode = 'full' | 'lora';

export interface ModeChoice {
  mode: TrainMode;
  /** One sentence saying why, with the numbers. */
  reason: string;
  /** Estimated bytes for full fine-tuning (weights, gradients, AdamW m and v, activations). */
  fullBytes: number;
}

const BYTES_PER_FLOAT = 4;
/**
 * Heap high-water mark over the peak of live (malloc'ed) bytes, measured on tfjs-wasm, which never
 * returns memory, fragments, and keeps XNNPACK's packed copies of weight matrices outside the
 * tensors: distilgpt2 full 2078 / 1562 MiB = 1.33, gpt2 full 3128 / 2374 MiB = 1.32, flat from the
 * first step on (Node, block 128, micro-batch 1).
 */
export const HEAP_FRAGMENTATION = 1.35;
/** Share of the backend's memory left for tensors: the wasm module, its threads and the page keep the rest. */
export const RESERVED_SHARE = 0.15;
/** Share of the reported memory the rule lets the live peak reach: (1 − reserved) / fragmentation. */
export const MEMORY_HEADROOM = (1 - RESERVED_SHARE) / HEAP_FRAGMENTATION;
/** With no memory figure (WebGPU reports none), train fully only when it needs less than this. */
export const UNKNOWN_MEMORY_FULL_LIMIT = 1024 * 1024 * 1024;

/** tfjs-wasm's heap grows up to 4 GiB (wasm32's limit). */
export const WASM_HEAP_LIMIT = 4 * 1024 ** 3;
/**
 * What one tab may use on a phone or tablet: Safari and iOS kill a tab far below the device's
 * memory (wllama measured about 1.6 GB usable on a 4 GB iPhone). Assumed when the browser reports
 * no memory figure (Safari and Firefox have no `navigator.deviceMemory`).
 */
export const PHONE_TAB_BYTES = 1.5 * 1024 ** 3;

/** The memory training may plan with, and whether the browser reported it or the page assumed it. */
export interface MemoryBudget {
  bytes: number | null;
  assumed: boolean;
}

/** What the browser says about memory: `navigator.deviceMemory` (GiB, Chromium only), `performance.memory` (Chromium only). */
export interface MemoryReports {
  deviceMemoryGiB?: number;
  jsHeapSizeLimit?: number;
}

/** Reads the browser's memory figures where it has them (Chromium-only APIs, each optional). */
export function memoryReports(scope: { navigator?: unknown; performance?: unknown } = globalThis): MemoryReports {
  const nav = scope.navigator as { deviceMemory?: unknown } | undefined;
  const perf = scope.performance as { memory?: { jsHeapSizeLimit?: unknown } } | undefined;
  const device = typeof nav?.deviceMemory === 'number' && nav.deviceMemory > 0 ? nav.deviceMemory : undefined;
  const heap = typeof perf?.memory?.jsHeapSizeLimit === 'number' && perf.memory.jsHeapSizeLimit > 0 ? perf.memory.jsHeapSizeLimit : undefined;
  return { deviceMemoryGiB: device, jsHeapSizeLimit: heap };
}

/**
 * The budget for a backend: wasm gets half the device's reported memory, at most its 4 GiB heap;
 * the cpu backend the JS heap limit; with no figure, what a phone or tablet gives a tab (said so).
 * GPU backends report no memory (null: the rule's own unknown-memory limit applies).
 */
export function memoryBudget(backend: 'wasm' | 'cpu' | 'webgl' | 'webgpu', reports: MemoryReports): MemoryBudget {
  if (backend === 'webgl' || backend === 'webgpu') return { bytes: null, assumed: false };
  if (backend === 'cpu' && reports.jsHeapSizeLimit) return { bytes: reports.jsHeapSizeLimit, assumed: false };
  if (reports.deviceMemoryGiB) {
    const half = (reports.deviceMemoryGiB * 1024 ** 3) / 2;
    return { bytes: backend === 'wasm' ? Math.min(WASM_HEAP_LIMIT, half) : half, assumed: false };
  }
  return { bytes: PHONE_TAB_BYTES, assumed: true };
}

/**
 * Activation memory of one training micro-batch at its peak (the end of the backward pass: tfjs's
 * tape keeps every saved forward tensor and every intermediate gradient until the pass ends).
 * Per predicted token: ~100·nEmbd floats per layer (LayerNorm, qkv and its head-split copies,
 * the MLP's 4·nEmbd activations, residuals, and their gradients) plus ~12·nHead·T for the
 * attention scores, softmax and their gradients; outside the layers ~16·nEmbd and ~4·vocab
 * (exp(logits − max) kept for the loss's gradient, and at the backward pass's start d logits and
 * its transpose: with a small model and a large vocabulary that moment is the peak). Fitted to the live bytes at the peak of a
 * step on tfjs-wasm, minus 16 bytes per parameter: distilgpt2 312 MiB, gpt2 475 MiB at block 128
 * (this gives 382 and 662), the tiny fixture (vocab 50257, 32 wide) and 2-4 layer models of 256-512 wide, vocab 2048-8192, block 64-128
 * (within 5-35% above); tests/unit/train/memory-peak.test.ts keeps it an upper bound.
 */
export function activationBytes(config: Pick<GPT2Config, 'nLayer' | 'nEmbd' | 'nHead' | 'vocabSize'>, microBatch: number, seqLen: number): number {
  const perToken = config.nLayer * (100 * config.nEmbd + 12 * config.nHead * seqLen) + 16 * config.nEmbd + 4 * config.vocabSize;
  return BYTES_PER_FLOAT * microBatch * seqLen * perToken;
}

/**
 * Peak bytes of full fine-tuning: weights, AdamW's m and v, the gradients, the activations, and,
 * when a step accumulates several micro-batches, the running sum beside the newest gradients.
 */
export function fullTrainingBytes(paramCount: number, activations = 0, accumulates = false): number {
  return (accumulates ? 5 : 4) * BYTES_PER_FLOAT * paramCount + activations;
}

export function formatMB(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MB`;
}

/**
 * Pick the training mode for a model of `paramCount` parameters on a backend that reports
 * `backendMemoryBytes` (null when it does not say).
 */
export function chooseMode(paramCount: number, backendMemoryBytes: number | null, activations = 0, accumulates = false, assumed = false): ModeChoice {
  const fullBytes = fullTrainingBytes(paramCount, activations, accumulates);
  const needs = `full fine-tuning needs ~${formatMB(fullBytes)} for weights + gradients + AdamW state${activations > 0 ? ' + activations' : ''}`;
  if (backendMemoryBytes === null || !(backendMemoryBytes > 0)) {
    if (fullBytes <= UNKNOWN_MEMORY_FULL_LIMIT) {
      return { mode: 'full', fullBytes, reason: `${needs}; this device does not report its memory, and that is small enough: using full fine-tuning` };
    }
    return { mode: 'lora', fullBytes, reason: `${needs}; this device does not report its memory, so that is too risky: using LoRA` };
  }
  const usable = backendMemoryBytes * MEMORY_HEADROOM;
  const reports = assumed
    ? `this browser does not report the device's memory, so the page assumes ${formatMB(backendMemoryBytes)} (what a phone or tablet gives one tab), ${formatMB(usable)} of it usable`
    : `this device reports ${formatMB(backendMemoryBytes)}, ${formatMB(usable)} of it usable`;
  if (fullBytes <= usable) return { mode: 'full', fullBytes, reason: `${needs}; ${reports}: using full fine-tuning` };
  return { mode: 'lora', fullBytes, reason: `${needs}; ${reports}: using LoRA` };
}

/**
 * Largest power-of-two micro-batch (at most `batchSize`) whose activations fit beside the fixed
 * cost; 1 when the memory is unknown or nothing fits. Gradient accumulation makes up the rest, so the
 * effective batch does not depend on this.
 */
export function chooseMicroBatch(
  config: Pick<GPT2Config, 'nLayer' | 'nEmbd' | 'nHead' | 'vocabSize'>,
  seqLen: number,
  batchSize: number,
  fixedBytes: number,
  backendMemoryBytes: number | null,
): number {
  if (backendMemoryBytes === null || !(backendMemoryBytes > 0)) return 1;
  const usable = backendMemoryBytes * MEMORY_HEADROOM - fixedBytes;
  let micro = 1;
  while (micro * 2 <= batchSize && activationBytes(config, micro * 2, seqLen) <= usable) micro *= 2;
  return micro;
}
