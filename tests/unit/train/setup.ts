/** Shared setup of the training tests: cpu backend, the tiny GPT-2 fixture, a synthetic tweet corpus. */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { GPT2, loadGPT2, loadTokenizer, parseGPT2Config, randomGPT2Weights, type Tokenizer } from '../../../src/model';
import type { TextTokenizer } from '../../../src/train/dataset';
import { mulberry32 } from '../../../src/random';
import { tinyFile } from '../../helpers/fixtures';

export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

const modelFiles = () => ({ 'config.json': tinyFile('config.json'), 'model.safetensors': tinyFile('model.safetensors') });

export function tinyModel(): Promise<GPT2> {
  return loadGPT2(modelFiles());
}

let tokenizer: Tokenizer | null = null;
export function tinyTokenizer(): Tokenizer {
  tokenizer ??= loadTokenizer({ 'tokenizer.json': tinyFile('tokenizer.json'), 'tokenizer_config.json': tinyFile('tokenizer_config.json') });
  return tokenizer;
}

/** `n` short, very repetitive tweets from five templates: a corpus a tiny model can learn quickly. */
export function syntheticTweets(n: number, seed = 1): string[] {
  const rand = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const names = ['alice', 'bob', 'carol'];
  const things = ['the app', 'a fix', 'the docs'];
  const templates = [
    () => `good morning ${pick(names)}`,
    () => `just shipped ${pick(things)}`,
    () => `coffee number ${1 + Math.floor(rand() * 3)}`,
    () => `${pick(names)} likes ${pick(things)}`,
    () => `reading about ${pick(things)}`,
  ];
  return Array.from({ length: n }, () => pick(templates)());
}

/** Copies of every weight's values, for bit-for-bit comparisons. */
export async function snapshot(vars: Record<string, tf.Variable>): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(vars)) out[k] = ((await v.data()) as Float32Array).slice();
  return out;
}

/**
 * A GPT-2 with the fixture's depth but a 96-token vocabulary and random weights: the loop's
 * mechanics (accumulation, checkpoints, leaks) do not depend on the vocabulary, and on the cpu
 * backend the fixture's 50257-row LM head and its AdamW update cost seconds per step.
 */
export function microModel(options: { maxTensorBytes?: number } = {}): GPT2 {
  const config = parseGPT2Config({
    model_type: 'gpt2',
    vocab_size: 96,
    n_positions: 32,
    n_embd: 16,
    n_layer: 2,
    n_head: 2,
    resid_pdrop: 0.1,
    embd_pdrop: 0.1,
    attn_pdrop: 0.1,
  });
  return GPT2.fromWeights(config, randomGPT2Weights(config, 11), options);
}

/** Characters → ids 0..94 for microModel; 95 is end-of-text. */
export const charTokenizer: TextTokenizer = {
  eosId: 95,
  encode: (text) => Array.from(text, (c) => c.charCodeAt(0) % 95),
};

/** Names of the tensors whose bits differ between two snapshots (a plain loop: toEqual on 1.6M floats takes seconds). */
export function changedTensors(a: Record<string, Float32Array>, b: Record<string, Float32Array>): string[] {
  return Object.keys(a).filter((name) => {
    const x = new Uint32Array(a[name].buffer, a[name].byteOffset, a[name].length);
    const y = new Uint32Array(b[name].buffer, b[name].byteOffset, b[name].length);
    if (x.length !== y.length) return true;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return true;
    return false;
  });
}
