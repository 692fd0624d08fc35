/**
 * Choosing the next token from a row of logits: greedy, or sampling with temperature, top-k and
 * top-p (nucleus) filtering, driven by a seeded generator so the same seed gives the same text.
 */
import { mulberry32 } from '../random';

export interface SamplingOptions {
  /** 0 (or less) picks the most likely token; 1 samples the model's distribution as is. */
  temperature: number;
  /** Keep only the k most likely tokens (0 or undefined: no limit). */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p (1 or undefined: all). */
  topP?: number;
}

/** A seeded uniform generator in [0, 1). */
export function createRng(seed: number): () => number {
  return mulberry32(seed);
}

/** Index of the largest logit (the first one on ties). */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** Next token id for one row of logits. */
export function sampleToken(logits: ArrayLike<number>, opts: SamplingOptions, rng: () => number): number {
  const n = logits.length;
  if (n === 0) throw new Error('sampleToken: empty logits');
  const { temperature } = opts;
  if (!(temperature > 0)) return argmax(logits);
  const topK = opts.topK && opts.topK > 0 ? Math.min(Math.floor(opts.topK), n) : n;
  const topP = opts.topP === undefined ? 1 : opts.topP;
  if (!(topP > 0 && topP <= 1)) throw new Error(`topP must be in (0, 1], got ${opts.topP}`);

  // Candidates: the k largest logits (a linear-time selection), or the whole vocabulary.
  let candidates: number[];
  if (topK < n) {
    const kth = kthLargest(logits, topK);
    candidates = [];
    for (let i = 0; i < n; i++) if (logits[i] > kth) candidates.push(i);
    for (let i = 0; i < n && candidates.length < topK; i++) if (logits[i] === kth) candidates.push(i);
  } else {
    candidates = Array.from({ length: n }, (_, i) => i);
  }

  // softmax(logits / temperature) over the candidates, unnormalised (the largest weighs 1)
  let max = -Infinity;
  for (const i of candidates) if (logits[i] > max) max = logits[i];
  let weights = candidates.map((i) => Math.exp((logits[i] - max) / temperature));
  let total = weights.reduce((a, b) => a + b, 0);

  if (topP < 1) {
    // The nucleus lies among the tokens weighing at least t as soon as those reach the mass
    // p * total, so only they need sorting (a few dozen rather than 50257, for GPT-2).
    let kept: number[] = [];
    for (let t = 1e-3; ; t *= 1e-3) {
      kept = [];
      let mass = 0;
      for (let j = 0; j < weights.length; j++) {
        if (weights[j] >= t) {
          kept.push(j);
          mass += weights[j];
        }
      }
      if (mass >= topP * total || t < 1e-300) break;
    }
    kept.sort((a, b) => weights[b] - weights[a] || candidates[a] - candidates[b]);
    let mass = 0;
    let size = 0;
    while (size < kept.length && mass < topP * total) mass += weights[kept[size++]];
    kept.length = Math.max(1, size);
    candidates = kept.map((j) => candidates[j]);
    weights = kept.map((j) => weights[j]);
    total = weights.reduce((a, b) => a + b, 0);
  }

  let r = rng() * total;
  for (let j = 0; j < weights.length; j++) {
    r -= weights[j];
    if (r < 0) return candidates[j];
  }
  return candidates[weights.length - 1]; // rounding left r a hair above 0
}

/** The k-th largest value (k >= 1) in O(n) expected time (quickselect on a copy). */
function kthLargest(values: ArrayLike<number>, k: number): number {
  const a = Float64Array.from(values as ArrayLike<number>);
  let lo = 0;
  let hi = a.length - 1;
  const target = k - 1; // index in descending order
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] > pivot) i++;
      while (a[j] < pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  return a[target];
}
