/**
 * GPT-2 in tfjs: the whole model in one file, the math top to bottom (after nanoGPT's model.py).
 *
 *   x      = wte[ids] + wpe[pos]                              token + position embeddings
 *   for each block:
 *     x    = x + attn(ln_1(x))
 *     x    = x + mlp(ln_2(x))
 *   x      = ln_f(x)
 *   logits = x @ wte^T                                        the LM head is tied to wte
 *
 *   ln(x)    = (x - mean(x)) / sqrt(var(x) + eps) * g + b     over the channel axis
 *   attn(x)  = c_proj(concat_heads(softmax(Q K^T / sqrt(d) + causal_mask) V)),  Q,K,V = split(c_attn(x))
 *   mlp(x)   = c_proj(gelu(c_fc(x)))
 *   gelu(x)  = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))  ("gelu_new", GPT-2's own)
 *
 * Every projection is a Hugging Face `Conv1D`: its weight is stored [in, out], so y = x @ W + b,
 * plus `scale * (x @ A) @ B` when a LoRA adapter is attached to that weight.
 *
 * Parameter names (`params` keys) are those of openai-community/gpt2's model.safetensors
 * ('wte.weight', 'h.0.attn.c_attn.weight', ..., 'ln_f.bias'), with one exception: when the
 * token embedding is larger than `maxTensorBytes` it is stored as row chunks 'wte.weight#0',
 * 'wte.weight#1', ... (rows in order; see ./params and `wteParamKeys`). Gradients then
 * come per chunk; concatenating them along rows gives the gradient of 'wte.weight'.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core ships its ops without their gradients; the loss must be differentiable on every backend.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { GPT2Config } from './config';
import { linear, matMul } from './matmul';
import { addRowGradients, embeddingLookup, lookupRows } from './embedding';
import { embeddingOnWebGL } from './embedding-webgl';
import { geluTanh, layerNorm } from './layers';
import { tiedCrossEntropy } from './lmloss';
import { inPlaceUpdates, useSharedWasmIdentity } from './wasm';
import { checkFits, checkpointName, chunkIndex, gpt2ParamShapes, sameShape, wteChunks } from './params';
import type { RawTensor } from './weights/types';

/** A low-rank update of one Conv1D weight: W_effective = W + scale * A @ B. */
export interface LoraAdapter {
  /** [in, r] */
  A: tf.Variable;
  /** [r, out] */
  B: tf.Variable;
  scale: number;
}

/** Keys and values of the positions seen so far, per block: [batch, heads, length, head_size]. */
export interface KVCache {
  length: number;
  keys: tf.Tensor4D[];
  values: tf.Tensor4D[];
}

export interface GPT2Options {
  /**
   * Largest tensor the device can bind (WebGPU's maxStorageBufferBindingSize). A token
   * embedding larger than this is stored as several row chunks. Default: no limit.
   */
  maxTensorBytes?: number;
}

export interface ForwardOptions {
  /** Apply dropout (embd_pdrop, attn_pdrop, resid_pdrop). Off by default. */
  training?: boolean;
  /** Seed of the dropout masks: the same seed gives the same masks. Random when omitted. */
  seed?: number;
}

/** Large negative score for masked attention links: exp() of it is exactly 0 in float32. */
const MASKED = -1e9;

let instanceCounter = 0;

export class GPT2 {
  readonly config: GPT2Config;
  /** Trainable weights keyed by their model.safetensors name (wte may be chunked, see above). */
  readonly params: Record<string, tf.Variable>;
  /** LoRA adapters keyed by the Conv1D weight they modify, e.g. 'h.0.attn.c_attn.weight'. */
  readonly adapters = new Map<string, LoraAdapter>();
  /** `params` keys holding wte, in row order: ['wte.weight'] or ['wte.weight#0', ...]. */
  readonly wteParamKeys: string[];
  /** First vocabulary row of each wte chunk. */
  readonly wteChunkStarts: number[];
  /** Prefix of this instance's tfjs variable names (tfjs names are global). */
  readonly variablePrefix: string;
  readonly options: Required<GPT2Options>;
  private disposed = false;

  private constructor(config: GPT2Config, params: Record<string, tf.Variable>, prefix: string, options: Required<GPT2Options>) {
    this.config = config;
    this.params = params;
    this.variablePrefix = prefix;
    this.options = options;
    this.wteParamKeys = Object.keys(params)
      .filter((k) => checkpointName(k) === 'wte.weight')
      .sort((a, b) => chunkIndex(a) - chunkIndex(b));
    let row = 0;
    this.wteChunkStarts = this.wteParamKeys.map((k) => {
      const start = row;
      row += params[k].shape[0];
      return start;
    });
  }

  /** Build a model from checkpoint tensors (extra tensors such as attn.bias buffers are ignored). */
  static fromWeights(config: GPT2Config, weights: Record<string, RawTensor>, options: GPT2Options = {}): GPT2 {
    const opts = resolveOptions(options);
    const prefix = `gpt2_${instanceCounter++}`;
    const shapes = gpt2ParamShapes(config);
    for (const [name, shape] of Object.entries(shapes)) {
      const w = weights[name];
      if (!w) throw new Error(`GPT-2 checkpoint is missing tensor "${name}"`);
      if (!sameShape(w.shape, shape)) {
        throw new Error(`GPT-2 tensor "${name}" has shape [${w.shape}], config.json implies [${shape}]`);
      }
      const size = shape.reduce((a, b) => a * b, 1);
      if (w.data.length !== size) {
        throw new Error(`GPT-2 tensor "${name}" holds ${w.data.length} values, its shape [${shape}] needs ${size}`);
      }
    }
    const params: Record<string, tf.Variable> = {};
    const makeVar = (key: string, data: Float32Array, shape: number[]): void => {
      params[key] = tf.tidy(() => tf.variable(tf.tensor(data, shape, 'float32'), true, `${prefix}/${key}`));
    };
    try {
      for (const [name, shape] of Object.entries(shapes)) {
        const { data } = weights[name];
        if (name === 'wte.weight') {
          for (const chunk of wteChunks(config, opts.maxTensorBytes)) {
            makeVar(chunk.key, data.subarray(chunk.start * config.nEmbd, chunk.end * config.nEmbd), [
              chunk.end - chunk.start,
              config.nEmbd,
            ]);
          }
        } else {
          checkFits(name, shape, opts.maxTensorBytes);
          makeVar(name, data, shape);
        }
      }
    } catch (err) {
      for (const v of Object.values(params)) v.dispose();
      throw err;
    }
    return new GPT2(config, params, prefix, opts);
  }

  /** A deep copy (weights and adapters) with its own variables. */
  clone(): GPT2 {
    this.assertAlive();
    const prefix = `gpt2_${instanceCounter++}`;
    const params: Record<string, tf.Variable> = {};
    for (const [key, v] of Object.entries(this.params)) {
      params[key] = tf.tidy(() => tf.variable(tf.clone(v), v.trainable, `${prefix}/${key}`));
    }
    const copy = new GPT2(this.config, params, prefix, this.options);
    for (const [key, { A, B, scale }] of this.adapters) {
      copy.adapters.set(key, {
        A: tf.tidy(() => tf.variable(tf.clone(A), A.trainable, `${prefix}/lora/${key}/A`)),
        B: tf.tidy(() => tf.variable(tf.clone(B), B.trainable, `${prefix}/lora/${key}/B`)),
        scale,
      });
    }
    return copy;
  }

  // ---------------------------------------------------------------------------------------------
  // Entry points

  /** Logits [batch, time, vocab] without dropout. */
  logits(ids: tf.Tensor2D): tf.Tensor3D {
    return this.forward(ids, { training: false });
  }

  /** Logits [batch, time, vocab]; `training` applies dropout with a seeded mask. */
  forward(ids: tf.Tensor2D, opts: ForwardOptions = {}): tf.Tensor3D {
    this.assertAlive();
    const dropout = this.dropoutFor(opts);
    return tf.tidy(() => {
      const [B, T] = ids.shape;
      const { h } = this.transformer(ids, 0, dropout, null);
      return tf.reshape(this.lmHead(tf.reshape(h, [B * T, this.config.nEmbd])), [B, T, this.config.vocabSize]);
    });
  }

  /** Mean next-token cross-entropy over the batch, predicting ids[:, 1:] from ids[:, :-1]; no dropout. */
  loss(ids: tf.Tensor2D): tf.Scalar {
    return this.meanLoss(ids, { training: false });
  }

  /** `loss` with dropout on, the masks drawn from `seed`. */
  trainLoss(ids: tf.Tensor2D, seed: number): tf.Scalar {
    return this.meanLoss(ids, { training: true, seed });
  }

  newCache(): KVCache {
    return { length: 0, keys: [], values: [] };
  }

  /**
   * Incremental decoding: logits for `ids` [batch, new] at positions cache.length ... ,
   * attending to every earlier position; appends their keys and values to the cache.
   * `lastOnly` returns only the last position's logits ([batch, 1, vocab]).
   */
  step(ids: tf.Tensor2D, cache: KVCache, opts: { lastOnly?: boolean } = {}): tf.Tensor3D {
    this.assertAlive();
    const [B, T] = ids.shape;
    if (cache.length > 0 && cache.keys[0].shape[0] !== B) {
      throw new Error(`step: batch of ${B} rows does not match the cache's ${cache.keys[0].shape[0]}`);
    }
    const result = tf.tidy(() => {
      const { h, keys, values } = this.transformer(ids, cache.length, null, cache);
      const last = opts.lastOnly ? tf.slice(h, [0, T - 1, 0], [B, 1, this.config.nEmbd]) : h;
      const rows = last.shape[1];
      const logits = tf.reshape(this.lmHead(tf.reshape(last, [B * rows, this.config.nEmbd])), [
        B,
        rows,
        this.config.vocabSize,
      ]) as tf.Tensor3D;
      return { logits, keys, values };
    });
    const length = cache.length + T;
    this.disposeCache(cache);
    cache.keys = result.keys;
    cache.values = result.values;
    cache.length = length;
    return result.logits;
  }

  /** Free the cache's tensors (the cache object can be reused from length 0). */
  disposeCache(cache: KVCache): void {
    tf.dispose([...cache.keys, ...cache.values]);
    cache.keys = [];
    cache.values = [];
    cache.length = 0;
  }

  /** Free every variable of this model, adapters included. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of Object.values(this.params)) v.dispose();
    for (const { A, B } of this.adapters.values()) {
      A.dispose();
      B.dispose();
    }
    this.adapters.clear();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  // ---------------------------------------------------------------------------------------------
  // The model

  /**
   * The value and gradients of `weight` × the mean loss (`trainLoss` with `seed` when
   * `opts.training`, else `loss`) with respect to `vars` (weights and/or adapter matrices), in
   * the order given; a variable the loss does not depend on gets null.
   *
   * Unlike tf.variableGrads over `loss`, this knows which variables are wanted: with a frozen
   * wte (LoRA) the LM head's weight gradient is never computed, and with a trained wte on wasm
   * (and WebGL) the gradient of the input embedding is added into the output side's gradient in place
   * (the looked-up rows are an input of the taped computation; their gradient rows are scattered
   * into wte's gradient afterwards), so wte's whole gradient is one tensor of its size.
   */
  lossGradients(
    ids: tf.Tensor2D,
    vars: tf.Variable[],
    opts: ForwardOptions & { weight?: number } = {},
  ): { value: tf.Scalar; grads: (tf.Tensor | null)[] } {
    this.assertAlive();
    const wanted = new Set<tf.Tensor>(vars);
    const wte = this.wteTables();
    const wteWanted = wte.some((w) => wanted.has(w));
    const dropout = this.dropoutFor(opts);
    const weight = opts.weight ?? 1;
    let result: { value: tf.Scalar; grads: (tf.Tensor | null)[] } | null = null;
    tf.tidy(() => {
      const { inputs, targets } = this.shiftTargets(ids);
      const flatInputs = tf.reshape(inputs, [-1]) as tf.Tensor1D;
      // Rows looked up outside the tape, where their gradient is added into wte's in place (wasm) or
      // in one pass over it (WebGL, one table); elsewhere the tape's Add of two dense gradients is as cheap.
      const rowsApart = inPlaceUpdates() || (wte.length === 1 && embeddingOnWebGL());
      const rows = wteWanted && rowsApart && wte.every((w) => wanted.has(w)) ? lookupRows(wte, this.wteChunkStarts, flatInputs) : null;
      const xs: tf.Tensor[] = rows ? [...vars, rows] : [...vars];
      const f = (): tf.Scalar => tf.mul(this.lossOf(inputs, targets, dropout, wteWanted, rows), weight) as tf.Scalar;
      const { value, grads } = tf.valueAndGrads(f)(xs);
      const out: (tf.Tensor | null)[] = grads.slice(0, vars.length).map((g) => g ?? null);
      if (rows) {
        const dRows = grads[vars.length] as tf.Tensor2D;
        const at = wte.map((w) => vars.indexOf(w as tf.Variable));
        const sums = addRowGradients(
          at.map((i) => out[i] as tf.Tensor2D),
          this.wteChunkStarts,
          flatInputs,
          dRows,
        );
        at.forEach((i, k) => (out[i] = sums[k]));
      }
      tf.keep(value);
      for (const g of out) if (g) tf.keep(g);
      result = { value, grads: out };
    });
    return result!;
  }

  private meanLoss(ids: tf.Tensor2D, opts: ForwardOptions): tf.Scalar {
    this.assertAlive();
    const dropout = this.dropoutFor(opts);
    return tf.tidy(() => {
      const { inputs, targets } = this.shiftTargets(ids);
      return this.lossOf(inputs, targets, dropout, true, null);
    });
  }

  /** ids [B, T] → inputs ids[:, :-1] and the flat targets ids[:, 1:]. */
  private shiftTargets(ids: tf.Tensor2D): { inputs: tf.Tensor2D; targets: tf.Tensor1D } {
    if (ids.rank !== 2) throw new Error(`loss expects ids of shape [batch, time], got [${ids.shape}]`);
    const [B, T] = ids.shape;
    if (T < 2) throw new Error('loss: each sequence needs at least 2 tokens (one to read, one to predict)');
    const int = ids.dtype === 'int32' ? ids : tf.cast(ids, 'int32');
    return {
      inputs: tf.slice(int, [0, 0], [B, T - 1]),
      targets: tf.reshape(tf.slice(int, [0, 1], [B, T - 1]), [B * (T - 1)]) as tf.Tensor1D,
    };
  }

  /**
   * Mean cross-entropy of predicting `targets` from `inputs` (see ./lmloss: no [rows, vocab]
   * one-hot in the forward pass, and no tensor spans the whole vocabulary when wte is chunked).
   * `tokenRows`: wte[inputs], looked up by the caller (see lossGradients).
   */
  private lossOf(inputs: tf.Tensor2D, targets: tf.Tensor1D, dropout: Dropout | null, wteGetsGradient: boolean, tokenRows: tf.Tensor2D | null): tf.Scalar {
    const [B, T] = inputs.shape;
    const h = tf.reshape(this.transformer(inputs, 0, dropout, null, tokenRows).h, [B * T, this.config.nEmbd]) as tf.Tensor2D;
    return tf.mean(tiedCrossEntropy(h, this.wteTables(), this.wteChunkStarts, targets, wteGetsGradient)) as tf.Scalar;
  }

  /**
   * Embeddings and the blocks: returns ln_f(x) [B, T, C] for tokens at positions past .. past+T-1,
   * and, when a cache is given, the keys/values including the new positions.
   */
  private transformer(
    ids: tf.Tensor2D,
    past: number,
    dropout: Dropout | null,
    cache: KVCache | null,
    tokenRows: tf.Tensor2D | null = null,
  ): { h: tf.Tensor3D; keys: tf.Tensor4D[]; values: tf.Tensor4D[] } {
    const { nEmbd: C, nPositions } = this.config;
    if (ids.rank !== 2) throw new Error(`GPT-2 expects ids of shape [batch, time], got [${ids.shape}]`);
    const [B, T] = ids.shape;
    if (T < 1) throw new Error('GPT-2 needs at least one token');
    if (past + T > nPositions) {
      throw new RangeError(`GPT-2 context overflow: positions up to ${past + T} but n_positions is ${nPositions}`);
    }

    // x = wte[ids] + wpe[pos]
    const flatIds = tf.reshape(ids.dtype === 'int32' ? ids : tf.cast(ids, 'int32'), [B * T]) as tf.Tensor1D;
    const tokens = tf.reshape(tokenRows ?? this.embedTokens(flatIds), [B, T, C]);
    const positions = tf.slice(this.params['wpe.weight'], [past, 0], [T, C]); // contiguous rows: a slice
    let x = dropout ? dropout.apply(tf.add(tokens, positions), this.config.embdPdrop, 'embd') : tf.add(tokens, positions);

    const keys: tf.Tensor4D[] = [];
    const values: tf.Tensor4D[] = [];
    const mask = causalMask(T, past);
    for (let i = 0; i < this.config.nLayer; i++) {
      const p = `h.${i}`;
      // x = x + attn(ln_1(x))
      const attn = this.attention(this.layerNorm(x, `${p}.ln_1`), i, past, mask, dropout, cache);
      keys.push(attn.k);
      values.push(attn.v);
      x = tf.add(x, dropout ? dropout.apply(attn.y, this.config.residPdrop, `${p}.attn.resid`) : attn.y);
      // x = x + mlp(ln_2(x))
      const m = this.mlp(this.layerNorm(x, `${p}.ln_2`), p);
      x = tf.add(x, dropout ? dropout.apply(m, this.config.residPdrop, `${p}.mlp.resid`) : m);
    }
    const h = this.layerNorm(x, 'ln_f') as tf.Tensor3D;
    return { h, keys, values };
  }

  /** Causal multi-head self-attention of block i; k and v include the cached positions. */
  private attention(
    x: tf.Tensor,
    i: number,
    past: number,
    mask: tf.Tensor2D | null,
    dropout: Dropout | null,
    cache: KVCache | null,
  ): { y: tf.Tensor; k: tf.Tensor4D; v: tf.Tensor4D } {
    const { nEmbd: C, nHead: H } = this.config;
    const [B, T] = x.shape;
    const D = C / H;
    const qkv = this.conv1d(x, `h.${i}.attn.c_attn`); // [B, T, 3C]
    // [B, T, C] → [B, H, T, D]
    const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, T, H, D]), [0, 2, 1, 3]) as tf.Tensor4D;
    const [q, kNew, vNew] = tf.split(qkv, 3, 2).map(heads);
    const k = cache && cache.keys.length > 0 ? (tf.concat([cache.keys[i], kNew], 2) as tf.Tensor4D) : kNew;
    const v = cache && cache.values.length > 0 ? (tf.concat([cache.values[i], vNew], 2) as tf.Tensor4D) : vNew;

    // att = softmax(Q K^T / sqrt(D) + mask): query t (position past+t) sees keys 0 .. past+t
    let scale = this.config.scaleAttnWeights ? 1 / Math.sqrt(D) : 1;
    if (this.config.scaleAttnByInverseLayerIdx) scale /= i + 1;
    let scores = tf.mul(matMul(q, k, false, true), scale); // [B, H, T, past+T]
    if (mask) scores = tf.add(scores, mask);
    let att = tf.softmax(scores, -1);
    if (dropout) att = dropout.apply(att, this.config.attnPdrop, `h.${i}.attn.probs`);
    // y = att V, heads concatenated back to [B, T, C]
    const y = tf.reshape(tf.transpose(matMul(att, v), [0, 2, 1, 3]), [B, T, C]);
    return { y: this.conv1d(y, `h.${i}.attn.c_proj`), k, v };
  }

  /** mlp(x) = c_proj(gelu(c_fc(x))) */
  private mlp(x: tf.Tensor, prefix: string): tf.Tensor {
    return this.conv1d(this.gelu(this.conv1d(x, `${prefix}.mlp.c_fc`)), `${prefix}.mlp.c_proj`);
  }

  private gelu(x: tf.Tensor): tf.Tensor {
    if (this.config.activation === 'gelu') {
      // exact: 0.5 x (1 + erf(x / sqrt(2)))
      return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
    }
    // tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), one op with its own gradient (./layers)
    return geluTanh(x);
  }

  /** ln(x) = (x - mean) / sqrt(var + eps) * g + b over the last axis */
  private layerNorm(x: tf.Tensor, prefix: string): tf.Tensor {
    return layerNorm(x, this.params[`${prefix}.weight`] as tf.Tensor1D, this.params[`${prefix}.bias`] as tf.Tensor1D, this.config.layerNormEpsilon);
  }

  /** Hugging Face Conv1D: y = x @ W + b (W is [in, out]), plus scale * (x @ A) @ B with a LoRA adapter. */
  private conv1d(x: tf.Tensor, prefix: string): tf.Tensor {
    const W = this.params[`${prefix}.weight`] as tf.Tensor2D;
    const [nIn, nOut] = W.shape;
    const lead = x.shape.slice(0, -1);
    const x2 = tf.reshape(x, [-1, nIn]) as tf.Tensor2D;
    let y: tf.Tensor = linear(x2, W, this.params[`${prefix}.bias`] as tf.Tensor1D);
    const lora = this.adapters.get(`${prefix}.weight`);
    if (lora) y = tf.add(y, tf.mul(matMul(matMul(x2, lora.A), lora.B), lora.scale));
    return tf.reshape(y, [...lead, nOut]);
  }

  /** wte[ids] for ids [n] → [n, C], reading across wte's chunks. */
  private embedTokens(ids: tf.Tensor1D): tf.Tensor2D {
    return embeddingLookup(this.wteTables(), this.wteChunkStarts, ids);
  }

  /** Tied LM head: h [n, C] → logits [n, V] = h @ wte^T, chunk by chunk along the vocabulary. */
  private lmHead(h: tf.Tensor2D): tf.Tensor2D {
    const parts = this.wteTables().map((w) => matMul(h, w, false, true) as tf.Tensor2D);
    return parts.length === 1 ? parts[0] : (tf.concat(parts, 1) as tf.Tensor2D);
  }

  private wteTables(): tf.Tensor2D[] {
    return this.wteParamKeys.map((k) => this.params[k] as tf.Tensor2D);
  }

  private dropoutFor(opts: ForwardOptions): Dropout | null {
    if (!opts.training) return null;
    return new Dropout(opts.seed ?? Math.floor(Math.random() * 2 ** 31));
  }

  /** Every entry point starts here. */
  private assertAlive(): void {
    if (this.disposed) throw new Error('this GPT-2 model has been disposed');
    // Saved activations and weights must not be copied on wasm (see ./wasm).
    useSharedWasmIdentity();
  }
}

/**
 * Dropout with masks that depend only on (seed, site): every site (embedding, each block's
 * attention probabilities and residual branches) draws from its own named stream, so one seed
 * reproduces the whole forward pass.
 */
class Dropout {
  constructor(private readonly seed: number) {}

  apply<T extends tf.Tensor>(x: T, rate: number, site: string): T {
    if (rate <= 0) return x;
    return tf.dropout(x, rate, undefined, `${this.seed}/${site}`) as T;
  }
}

/** Additive mask [T, past+T]: 0 where query t may see key j (j <= past + t), MASKED elsewhere. */
function causalMask(T: number, past: number): tf.Tensor2D | null {
  if (T === 1) return null; // a single new token sees everything before it
  const width = past + T;
  const m = new Float32Array(T * width);
  for (let t = 0; t < T; t++) m.fill(MASKED, t * width + past + t + 1, (t + 1) * width);
  return tf.tensor2d(m, [T, width]);
}

function resolveOptions(options: GPT2Options): Required<GPT2Options> {
  const maxTensorBytes = options.maxTensorBytes ?? Infinity;
  if (!(maxTensorBytes > 0)) throw new Error(`maxTensorBytes must be positive, got ${maxTensorBytes}`);
  return { maxTensorBytes };
}
