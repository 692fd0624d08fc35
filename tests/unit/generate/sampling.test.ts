import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { argmax, createRng, sampleToken, type SamplingOptions } from '../../../src/generate/sampling';

/** Frequencies of each token over n seeded draws. */
function frequencies(logits: number[], opts: SamplingOptions, n = 20000, seed = 1): number[] {
  const rng = createRng(seed);
  const counts = new Array(logits.length).fill(0);
  for (let i = 0; i < n; i++) counts[sampleToken(logits, opts, rng)]++;
  return counts.map((c) => c / n);
}

// probabilities 1/6, 2/6, 3/6 at temperature 1
const L = [Math.log(1), Math.log(2), Math.log(3)];

describe('createRng', () => {
  test('same seed, same stream; different seeds differ; values in [0, 1)', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 1000 }, () => c())).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.03);
  });
});

describe('sampleToken', () => {
  test('temperature 0 (or below) is greedy, first index on ties', () => {
    const rng = createRng(1);
    expect(sampleToken([0.1, 3, -2, 3], { temperature: 0 }, rng)).toBe(1);
    expect(sampleToken(Float32Array.from([5, 1, 9]), { temperature: -1 }, rng)).toBe(2);
    expect(argmax([1, 1, 1])).toBe(0);
  });

  test('temperature 1 samples softmax(logits)', () => {
    const f = frequencies(L, { temperature: 1 });
    [1 / 6, 2 / 6, 3 / 6].forEach((p, i) => expect(Math.abs(f[i] - p)).toBeLessThan(0.015));
  });

  test('temperature 0.5 squares the probabilities (1 : 4 : 9)', () => {
    const f = frequencies(L, { temperature: 0.5 });
    [1 / 14, 4 / 14, 9 / 14].forEach((p, i) => expect(Math.abs(f[i] - p)).toBeLessThan(0.015));
  });

  test('top-k keeps the k most likely', () => {
    const f = frequencies(L, { temperature: 1, topK: 2 });
    expect(f[0]).toBe(0);
    expect(Math.abs(f[1] - 0.4)).toBeLessThan(0.015);
    expect(frequencies(L, { temperature: 3, topK: 1 }, 500)).toEqual([0, 0, 1]);
    // k = 0 or k >= vocabulary means no limit
    expect(frequencies(L, { temperature: 1, topK: 0 }, 2000)[0]).toBeGreaterThan(0.1);
    expect(frequencies(L, { temperature: 1, topK: 10 }, 2000)[0]).toBeGreaterThan(0.1);
  });

  test('top-p keeps the smallest most-likely set reaching p', () => {
    expect(frequencies(L, { temperature: 1, topP: 0.5 }, 500)).toEqual([0, 0, 1]);
    const f = frequencies(L, { temperature: 1, topP: 0.6 });
    expect(f[0]).toBe(0);
    expect(Math.abs(f[2] - 0.6)).toBeLessThan(0.015);
    expect(frequencies(L, { temperature: 1, topP: 1e-9 }, 200)).toEqual([0, 0, 1]);
    expect(() => sampleToken(L, { temperature: 1, topP: 0 }, createRng(1))).toThrow(/topP/);
    expect(() => sampleToken(L, { temperature: 1, topP: 1.5 }, createRng(1))).toThrow(/topP/);
  });

  test('top-k on ties keeps the lowest indices', () => {
    expect(new Set(Array.from({ length: 200 }, (_, i) => sampleToken([2, 2, 2, 2, 2], { temperature: 1, topK: 3 }, createRng(i))))).toEqual(
      new Set([0, 1, 2]),
    );
  });

  test('property: a top-k draw is always one of the k largest logits; same seed, same draw', () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ min: -20, max: 20, noNaN: true }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 70 }),
        fc.double({ min: 0.05, max: 1, noNaN: true }),
        fc.integer(),
        (logits, k, p, seed) => {
          const opts = { temperature: 0.8, topK: k, topP: p };
          const token = sampleToken(logits, opts, createRng(seed));
          expect(sampleToken(logits, opts, createRng(seed))).toBe(token);
          const kth = [...logits].sort((a, b) => b - a)[Math.min(k, logits.length) - 1];
          expect(logits[token]).toBeGreaterThanOrEqual(kth);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('property: top-p matches a nucleus built by sorting the whole vocabulary', () => {
    /** The textbook algorithm: sort everything, keep the prefix reaching p, sample it. */
    function nucleusReference(logits: number[], temperature: number, topP: number, rng: () => number): number {
      const max = Math.max(...logits);
      const w = logits.map((l) => Math.exp((l - max) / temperature));
      const total = w.reduce((a, b) => a + b, 0);
      const order = logits.map((_, i) => i).sort((a, b) => w[b] - w[a] || a - b);
      const kept: number[] = [];
      let mass = 0;
      for (const i of order) {
        if (mass >= topP * total) break;
        kept.push(i);
        mass += w[i];
      }
      const keptTotal = kept.reduce((a, i) => a + w[i], 0);
      let r = rng() * keptTotal;
      for (const i of kept) {
        r -= w[i];
        if (r < 0) return i;
      }
      return kept[kept.length - 1];
    }
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -40, max: 40, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.double({ min: 0.01, max: 0.999, noNaN: true }),
        fc.double({ min: 0.1, max: 3, noNaN: true }),
        fc.integer(),
        (logits, topP, temperature, seed) => {
          const got = sampleToken(logits, { temperature, topP }, createRng(seed));
          expect(got).toBe(nucleusReference(logits, temperature, topP, createRng(seed)));
        },
      ),
      { numRuns: 500 },
    );
  });

  test('a GPT-2-sized row of logits', () => {
    const rng = createRng(7);
    const logits = Float32Array.from({ length: 50257 }, () => rng() * 10);
    logits[1234] = 30;
    expect(sampleToken(logits, { temperature: 1, topK: 40, topP: 0.9 }, rng)).toBe(1234);
    expect(sampleToken(logits, { temperature: 0 }, rng)).toBe(1234);
  });
});
