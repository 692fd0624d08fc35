/** Shared setup of the model tests: the cpu backend, the tiny fixture, the reference numbers. */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { tinyFile, tinyJson } from '../../helpers/fixtures';

export interface ReferenceCase {
  ids: number[];
  last_logits_first16: number[];
  last_logits_top5: [number, number][];
  last_logits_l2: number;
  mean_next_token_loss: number | null;
  greedy_continuation: number[];
  greedy_min_top1_margin: number;
}

export interface Reference {
  cases: ReferenceCase[];
  training: {
    batch: number[][];
    mean_loss: number;
    grad_l2: Record<string, number>;
    sgd: { lr: number; steps: number; loss_before: number; loss_after: number };
  };
}

export const reference = tinyJson<Reference>('reference.json');

export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

/** The fixture's files under their Hugging Face names, with one weight file. */
export function tinyFiles(weights: 'model.safetensors' | 'pytorch_model.bin'): Record<string, Uint8Array> {
  return { 'config.json': tinyFile('config.json'), [weights]: tinyFile(weights) };
}

export function tokenizerFiles(names = ['tokenizer.json', 'tokenizer_config.json']): Record<string, Uint8Array> {
  return Object.fromEntries(names.map((n) => [n, tinyFile(n)]));
}

/** |a - b| <= tol * max(1, |b|) for each element. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what = ''): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= tol * Math.max(1, Math.abs(expected[i])))) {
      throw new Error(`${what}[${i}]: ${actual[i]} vs expected ${expected[i]} (error ${err}, tolerance ${tol})`);
    }
  }
}

export function l2(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] * values[i];
  return Math.sqrt(s);
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}
