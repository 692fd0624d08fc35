/**
 * Full fine-tuning or LoRA? Full fine-tuning keeps four floats per parameter (the weight, its
 * gradient, AdamW's m and v); LoRA keeps the frozen weights once plus small adapters. Both also hold
 * the activations of one micro-batch for the backward pass. The numbers are estimates meant for a
 * decision with a reason a person can read, not an allocator.
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
/** Share of the reported memory we allow ourselves: the browser, the page and fragmentation take the rest. */
export const MEMORY_HEADROOM = 0.7;
/** With no memory figure (WebGPU reports none), train fully only when it needs less than this. */
export const UNKNOWN_MEMORY_FULL_LIMIT = 1024 * 1024 * 1024;

/**
 * Activation memory of one training micro-batch: tfjs's tape keeps every intermediate of the
 * forward pass until the backward pass. Per token and layer that is ~45·nEmbd floats (LayerNorms,
 * qkv and its head-split copies, the tanh-GELU's intermediates over 4·nEmbd, dropout masks,
 * residuals) plus ~5·nHead·T for the attention scores, mask, softmax and dropout; the LM head adds
 * ~3·vocab per token (logits, log-softmax and its gradient).
 */
export function activationBytes(config: Pick<GPT2Config, 'nLayer' | 'nEmbd' | 'nHead' | 'vocabSize'>, microBatch: number, seqLen: number): number {
  const perToken = config.nLayer * (45 * config.nEmbd + 5 * config.nHead * seqLen) + 3 * config.vocabSize;
  return BYTES_PER_FLOAT * microBatch * seqLen * perToken;
}

export function fullTrainingBytes(paramCount: number, activations = 0): number {
  return 4 * BYTES_PER_FLOAT * paramCount + activations;
}

export function formatMB(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MB`;
}

/**
 * Pick the training mode for a model of `paramCount` parameters on a backend that reports
 * `backendMemoryBytes` (null when it does not say).
 */
export function chooseMode(paramCount: number, backendMemoryBytes: number | null, activations = 0): ModeChoice {
  const fullBytes = fullTrainingBytes(paramCount, activations);
  const needs = `full fine-tuning needs ~${formatMB(fullBytes)} for weights + gradients + AdamW state${activations > 0 ? ' + activations' : ''}`;
  if (backendMemoryBytes === null || !(backendMemoryBytes > 0)) {
    if (fullBytes <= UNKNOWN_MEMORY_FULL_LIMIT) {
      return { mode: 'full', fullBytes, reason: `${needs}; this device does not report its memory, and that is small enough: using full fine-tuning` };
    }
    return { mode: 'lora', fullBytes, reason: `${needs}; this device does not report its memory, so that is too risky: using LoRA` };
  }
  const usable = backendMemoryBytes * MEMORY_HEADROOM;
  const reports = `this device reports ${formatMB(backendMemoryBytes)}`;
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
