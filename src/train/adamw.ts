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
import { heapView, inPlaceUpdates, readableHeapView, renewWasmId } from '../model/wasm';
import { fusedAdamWStep, fusedWebGLAdamW } from './adamw-webgl';

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

  /**
   * One update with learning rate `lr`. `grads` must hold a gradient for every variable; each is
   * used multiplied by `gradScale` (the clipping coefficient, see clip.ts), so clipping never
   * makes scaled copies of the gradients.
   *
   * On wasm, one pass over each variable updates m, v and w in place in the heap (see
   * stepInPlace): ~15 transient tensors per variable and step would fragment a heap that never
   * shrinks (src/model/wasm.ts). On WebGL, three fused programs per variable (./adamw-webgl).
   * Elsewhere (or on wasm for a variable whose data is shared) with tfjs ops.
   */
  step(grads: Record<string, tf.Tensor>, lr: number, gradScale: number | tf.Scalar = 1): void {
    this.stepCount += 1;
    const t = this.stepCount;
    const bc1 = 1 - this.beta1 ** t;
    const bc2 = 1 - this.beta2 ** t;
    for (const name of Object.keys(this.vars)) {
      if (!grads[name]) throw new Error(`AdamW: no gradient for ${name}`);
    }
    const scaleNumber = typeof gradScale === 'number' ? gradScale : inPlaceUpdates() ? gradScale.dataSync()[0] : null;
    for (const [name, w] of Object.entries(this.vars)) {
      const g = grads[name];
      const decay = this.decayed.has(name) && this.weightDecay > 0 ? 1 - lr * this.weightDecay : 1;
      if (scaleNumber !== null && this.stepInPlace(name, w, g, lr, decay, bc1, bc2, scaleNumber)) continue;
      const scale = scaleNumber ?? (gradScale as tf.Scalar);
      if (fusedWebGLAdamW()) {
        const s = typeof scale === 'number' ? tf.scalar(scale) : scale;
        fusedAdamWStep(w, this.m[name], this.v[name], g, s, { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, lr, decay, bc1, bc2 });
        if (s !== scale) s.dispose();
        continue;
      }
      // One scope per variable, reading the new m and v as computed (not back from the variables:
      // re-reading a just-assigned variable in a new scope trained wrongly on WebGPU).
      tf.tidy(() => {
        const gs = scaled(g, scale);
        const m = tf.add(tf.mul(this.m[name], this.beta1), tf.mul(gs, 1 - this.beta1));
        const v = tf.add(tf.mul(this.v[name], this.beta2), tf.mul(tf.square(gs), 1 - this.beta2));
        this.m[name].assign(m);
        this.v[name].assign(v);
        const update = tf.div(tf.div(m, bc1), tf.add(tf.sqrt(tf.div(v, bc2)), this.epsilon));
        w.assign(tf.sub(decay !== 1 ? tf.mul(w, decay) : w, tf.mul(update, lr)));
      });
    }
  }

  /**
   * The update of one variable on wasm: one pass writes m, v and w in place in the heap, no
   * allocation. The weights get a new id on the wasm side afterwards (renewWasmId): its matMul
   * caches prepacked copies of weight matrices per id. False when a tensor cannot be written.
   */
  private stepInPlace(name: string, w: tf.Variable, g: tf.Tensor, lr: number, decay: number, bc1: number, bc2: number, scale: number): boolean {
    const W = heapView(w);
    const M = heapView(this.m[name]);
    const V = heapView(this.v[name]);
    // The gradient is only read: shared data is fine.
    const G = readableHeapView(g);
    if (!W || !M || !V || !G) return false;
    const { beta1: b1, beta2: b2, epsilon: eps } = this;
    const c1 = 1 - b1;
    const c2 = 1 - b2;
    // The same operations, in the same order, as the tensor path above (float32 storage, float64 arithmetic).
    for (let i = 0; i < W.length; i++) {
      const gi = G[i] * scale;
      const m = b1 * M[i] + c1 * gi;
      const v = b2 * V[i] + c2 * (gi * gi);
      M[i] = m;
      V[i] = v;
      W[i] = W[i] * decay - (Math.fround(m) / bc1 / (Math.sqrt(Math.fround(v) / bc2) + eps)) * lr;
    }
    renewWasmId(w);
    return true;
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

/** g × scale, skipping the product when the scale is the number 1. */
function scaled(g: tf.Tensor, scale: number | tf.Scalar): tf.Tensor {
  return scale === 1 ? g : tf.mul(g, scale);
}
