/**
 * AdamW (Loshchilov & Hutter), written out so every term is visible and its state can be saved:
 *
 *     w ← w − lr·wd·w                         (decoupled weight decay, only for decayed tensors)
 *     m ← β1·m + (1 − β1)·g
 *     v ← β2·v + (1 − β2)·g²
 *     w ← w − lr · (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + ε)
 *
 * the same order and ε placement as torch.optim.AdamW. Which tensors decay follows nanoGPT and
 * Hugging Face's run_clm: matrices decay (attention/MLP weights, the token and position embeddings,
 * LoRA A and B); biases and LayerNorm gains (all 1-D) do not, since pulling them toward 0 is not a
 * sensible prior. Gradients are taken as given: clip them before `step`.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Decoupled weight decay coefficient. Default 0.01 (torch.optim.AdamW's default). */
  weightDecay?: number;
  /** Which variables decay. Default: those with 2 or more dimensions. */
  decays?: (name: string, variable: tf.Variable) => boolean;
}

/** The optimizer's state as plain arrays, for checkpoints (structured-cloneable). */
export interface AdamWState {
  step: number;
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

export const decaysMatrices = (_name: string, variable: tf.Variable): boolean => variable.rank >= 2;

export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  /** Updates taken so far (t in the bias corrections). */
  stepCount = 0;
  private readonly vars: Record<string, tf.Variable>;
  private readonly decayed: Set<string>;
  private readonly m: Record<string, tf.Variable> = {};
  private readonly v: Record<string, tf.Variable> = {};

  constructor(vars: Record<string, tf.Variable>, opts: AdamWOptions = {}) {
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.epsilon = opts.epsilon ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.01;
    this.vars = { ...vars };
    const decays = opts.decays ?? decaysMatrices;
    this.decayed = new Set(Object.keys(vars).filter((k) => decays(k, vars[k])));
    for (const [name, w] of Object.entries(vars)) {
      // Unnamed: tfjs variable names are global, and several optimizers may coexist.
      this.m[name] = tf.tidy(() => tf.variable(tf.zerosLike(w), false));
      this.v[name] = tf.tidy(() => tf.variable(tf.zerosLike(w), false));
    }
  }

  /** Names of the variables that get weight decay. */
  get decayedNames(): string[] {
    return [...this.decayed];
  }

  /** One update with learning rate `lr`. `grads` must hold a gradient for every variable. */
  step(grads: Record<string, tf.Tensor>, lr: number): void {
    this.stepCount += 1;
    const t = this.stepCount;
    const bc1 = 1 - this.beta1 ** t;
    const bc2 = 1 - this.beta2 ** t;
    for (const [name, w] of Object.entries(this.vars)) {
      const g = grads[name];
      if (!g) throw new Error(`AdamW: no gradient for ${name}`);
      tf.tidy(() => {
        const m = tf.add(tf.mul(this.m[name], this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(this.v[name], this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        this.m[name].assign(m);
        this.v[name].assign(v);
        const decayedW = this.decayed.has(name) && this.weightDecay > 0 ? tf.mul(w, 1 - lr * this.weightDecay) : w;
        const denom = tf.add(tf.sqrt(tf.div(v, bc2)), this.epsilon);
        const update = tf.div(tf.div(m, bc1), denom);
        w.assign(tf.sub(decayedW, tf.mul(update, lr)));
      });
    }
  }

  async exportState(): Promise<AdamWState> {
    const m: Record<string, Float32Array> = {};
    const v: Record<string, Float32Array> = {};
    for (const name of Object.keys(this.vars)) {
      // Copies: the cpu backend hands out its own backing array.
      m[name] = ((await this.m[name].data()) as Float32Array).slice();
      v[name] = ((await this.v[name].data()) as Float32Array).slice();
    }
    return { step: this.stepCount, m, v };
  }

  importState(state: AdamWState): void {
    for (const name of Object.keys(this.vars)) {
      const m = state.m[name];
      const v = state.v[name];
      const size = this.vars[name].size;
      if (!m || !v || m.length !== size || v.length !== size) throw new Error(`AdamW state does not match variable ${name}`);
      tf.tidy(() => {
        this.m[name].assign(tf.tensor(m, this.vars[name].shape, 'float32'));
        this.v[name].assign(tf.tensor(v, this.vars[name].shape, 'float32'));
      });
    }
    this.stepCount = state.step;
  }

  dispose(): void {
    for (const name of Object.keys(this.vars)) {
      this.m[name].dispose();
      this.v[name].dispose();
    }
  }
}
