import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { contextAfterOverflow, generate, type GenerateOptions } from '../../../src/generate/generate';
import { argmax } from '../../../src/generate/sampling';
import { loadGPT2, type GPT2 } from '../../../src/model';
import { mulberry32 } from '../../../src/random';
import { tinyFile, tinyJson } from '../../helpers/fixtures';

interface Case {
  ids: number[];
  greedy_continuation: number[];
}
const { cases } = tinyJson<{ cases: Case[] }>('reference.json');

async function collect(gen: AsyncGenerator<number>): Promise<number[]> {
  const out: number[] = [];
  for await (const t of gen) out.push(t);
  return out;
}

const greedy = (maxNewTokens: number, extra: Partial<GenerateOptions> = {}): GenerateOptions => ({
  maxNewTokens,
  temperature: 0,
  seed: 0,
  eosId: null,
  ...extra,
});

describe('generate', () => {
  let model: GPT2;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = await loadGPT2({ 'config.json': tinyFile('config.json'), 'model.safetensors': tinyFile('model.safetensors') });
  });
  afterAll(() => model.dispose());

  cases.forEach((c, n) => {
    test(`case ${n}: greedy decoding with the cache gives the reference continuation`, async () => {
      expect(await collect(generate(model, c.ids, greedy(12)))).toEqual(c.greedy_continuation);
    });
  });

  test('100 sampled tokens leave no tensor behind; same seed, same tokens', async () => {
    const opts: GenerateOptions = { maxNewTokens: 100, temperature: 1, topK: 50, topP: 0.95, seed: 11, eosId: null };
    const before = tf.memory().numTensors;
    const a = await collect(generate(model, cases[1].ids, opts));
    expect(tf.memory().numTensors).toBe(before);
    expect(a).toHaveLength(100);
    expect(a.every((t) => Number.isInteger(t) && t >= 0 && t < 50257)).toBe(true);
    expect(await collect(generate(model, cases[1].ids, opts))).toEqual(a);
    expect(await collect(generate(model, cases[1].ids, { ...opts, seed: 12 }))).not.toEqual(a);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('stops at eos without yielding it', async () => {
    const [first, second] = cases[1].greedy_continuation;
    expect(await collect(generate(model, cases[1].ids, greedy(12, { eosId: first })))).toEqual([]);
    expect(await collect(generate(model, cases[1].ids, greedy(12, { eosId: second })))).toEqual([first]);
  });

  test('an empty prompt starts from eos; without eos it is refused', async () => {
    const fromEos = await collect(generate(model, [50256], greedy(5)));
    expect(await collect(generate(model, [], greedy(5, { eosId: 50256 })))).toEqual(
      fromEos.includes(50256) ? fromEos.slice(0, fromEos.indexOf(50256)) : fromEos,
    );
    await expect(collect(generate(model, [], greedy(5)))).rejects.toThrow(/empty prompt/);
  });

  test('an abort signal and an early break both stop it and free the cache', async () => {
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const got: number[] = [];
    for await (const t of generate(model, cases[2].ids, { ...greedy(50), signal: controller.signal })) {
      got.push(t);
      if (got.length === 3) controller.abort();
    }
    expect(got).toEqual(cases[2].greedy_continuation.slice(0, 3));
    expect(tf.memory().numTensors).toBe(before);

    const early: number[] = [];
    for await (const t of generate(model, cases[2].ids, greedy(50))) {
      early.push(t);
      if (early.length === 2) break;
    }
    expect(early).toEqual(cases[2].greedy_continuation.slice(0, 2));
    expect(tf.memory().numTensors).toBe(before);

    const aborted = new AbortController();
    aborted.abort();
    expect(await collect(generate(model, cases[2].ids, { ...greedy(5), signal: aborted.signal }))).toEqual([]);
    expect(await collect(generate(model, cases[2].ids, greedy(0)))).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('past n_positions the oldest tokens are dropped and the cache rebuilt', async () => {
    const P = model.config.nPositions; // 128
    const keep = contextAfterOverflow(P);
    expect(keep).toBe(96);
    const rng = mulberry32(3);
    const prompt = Array.from({ length: P - 4 }, () => Math.floor(rng() * 50000));
    const N = 10;
    const before = tf.memory().numTensors;
    const got = await collect(generate(model, prompt, greedy(N)));
    expect(tf.memory().numTensors).toBe(before);

    // The same policy, each token from a fresh pass over its window.
    const tokens = prompt.slice();
    let start = Math.max(0, tokens.length - P);
    const expected: number[] = [];
    for (let i = 0; i < N; i++) {
      const window = tokens.slice(start);
      const ids = tf.tensor2d([window], [1, window.length], 'int32');
      const cache = model.newCache();
      const logits = model.step(ids, cache, { lastOnly: true });
      const next = argmax(await logits.data());
      tf.dispose([ids, logits]);
      model.disposeCache(cache);
      expected.push(next);
      tokens.push(next);
      if (tokens.length - start > P) start = tokens.length - keep;
    }
    expect(got).toEqual(expected);
  });

  test('a prompt longer than n_positions uses its last n_positions tokens', async () => {
    const P = model.config.nPositions;
    const rng = mulberry32(4);
    const prompt = Array.from({ length: P + 30 }, () => Math.floor(rng() * 50000));
    expect(await collect(generate(model, prompt, greedy(3)))).toEqual(await collect(generate(model, prompt.slice(-P), greedy(3))));
  });
});
