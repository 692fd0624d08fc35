/**
 * LoRA (Hu et al. 2021): train a low-rank update W + scale·A·B of each chosen projection instead of
 * W itself. The model (src/model/gpt2.ts) applies every adapter in `model.adapters`; this module
 * creates, lists, merges and removes them.
 *
 * Initialisation as in PEFT: A ~ U(−1/√in, 1/√in) (kaiming_uniform with a = √5), B = 0, so the
 * model is unchanged until the first update; scale = alpha / rank. A is drawn from a seeded
 * generator (not tfjs's RNG), so the same seed gives the same adapters on every backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mixSeed, mulberry32 } from '../random';

/** The GPT-2 projections an adapter can attach to (Hugging Face Conv1D names). */
export type LoRATarget = 'attn.c_attn' | 'attn.c_proj' | 'mlp.c_fc' | 'mlp.c_proj';
export const ALL_LORA_TARGETS: readonly LoRATarget[] = ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'];

export interface LoRAAdapter {
  /** [in, rank] */
  A: tf.Variable;
  /** [rank, out] */
  B: tf.Variable;
  scale: number;
}

/** What LoRA needs of a model: its weights and the adapter map it applies (GPT2 has both). */
export interface LoRAHost {
  params: Record<string, tf.Variable>;
  adapters: Map<string, LoRAAdapter>;
}

export interface LoRAOptions {
  rank: number;
  alpha: number;
  targets: readonly LoRATarget[];
  seed: number;
}

/** Rank 8, alpha 16 (scale 2), on every attention and MLP projection: PEFT's usual GPT-2 setup. */
export const DEFAULT_LORA: LoRAOptions = { rank: 8, alpha: 16, targets: ALL_LORA_TARGETS, seed: 0 };

const TARGET_WEIGHT = /^h\.(\d+)\.(attn\.c_attn|attn\.c_proj|mlp\.c_fc|mlp\.c_proj)\.weight$/;

/** Names of the weights `targets` selects, in layer order. */
export function loraTargetWeights(model: LoRAHost, targets: readonly LoRATarget[]): string[] {
  const wanted = new Set<string>(targets);
  return Object.keys(model.params)
    .map((name) => ({ name, m: TARGET_WEIGHT.exec(name) }))
    .filter(({ m }) => m !== null && wanted.has(m[2]))
    .sort((a, b) => Number(a.m![1]) - Number(b.m![1]) || targets.indexOf(a.m![2] as LoRATarget) - targets.indexOf(b.m![2] as LoRATarget))
    .map(({ name }) => name);
}

/** Attach fresh adapters; returns the adapted weight names. Refuses a model that already has adapters. */
export function addLoRA(model: LoRAHost, opts: Partial<LoRAOptions> = {}): string[] {
  const { rank, alpha, targets, seed } = { ...DEFAULT_LORA, ...opts };
  if (!Number.isInteger(rank) || rank < 1) throw new Error(`LoRA rank must be a positive integer, got ${rank}`);
  if (model.adapters.size > 0) throw new Error('this model already has LoRA adapters');
  const names = loraTargetWeights(model, targets);
  if (names.length === 0) throw new Error(`no weights match the LoRA targets ${targets.join(', ')}`);
  const rand = mulberry32(mixSeed(seed, 0x10ba));
  for (const name of names) {
    const [nIn, nOut] = model.params[name].shape;
    const bound = 1 / Math.sqrt(nIn);
    const a = new Float32Array(nIn * rank);
    for (let i = 0; i < a.length; i++) a[i] = (2 * rand() - 1) * bound;
    model.adapters.set(name, {
      A: tf.tidy(() => tf.variable(tf.tensor2d(a, [nIn, rank]), true)),
      B: tf.tidy(() => tf.variable(tf.zeros([rank, nOut]), true)),
      scale: alpha / rank,
    });
  }
  return names;
}

/** Name of an adapter matrix in loraParams and checkpoints: 'h.0.attn.c_attn.weight.lora_A'. */
export const loraKey = (weight: string, which: 'A' | 'B'): string => `${weight}.lora_${which}`;

/** The trainable adapter matrices, keyed by loraKey. */
export function loraParams(model: LoRAHost): Record<string, tf.Variable> {
  const out: Record<string, tf.Variable> = {};
  for (const [name, { A, B }] of model.adapters) {
    out[loraKey(name, 'A')] = A;
    out[loraKey(name, 'B')] = B;
  }
  return out;
}

/** Fold every adapter into its weight (W += scale·A·B) and remove the adapters. */
export function mergeLoRA(model: LoRAHost): void {
  for (const [name, { A, B, scale }] of model.adapters) {
    const W = model.params[name];
    tf.tidy(() => W.assign(tf.add(W, tf.mul(tf.matMul(A as tf.Tensor2D, B as tf.Tensor2D), scale))));
  }
  removeLoRA(model);
}

/** Drop the adapters without merging them (the model returns to its base weights). */
export function removeLoRA(model: LoRAHost): void {
  for (const { A, B } of model.adapters.values()) {
    A.dispose();
    B.dispose();
  }
  model.adapters.clear();
}
