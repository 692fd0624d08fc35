/**
 * The model against reference.json (float64 GPT-2 equations) for every case, loading the
 * fixture from model.safetensors and from pytorch_model.bin.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadGPT2, type GPT2 } from '../../../src/model';
import { argmax, expectClose, l2, reference, tinyFiles, useCpu } from './helpers';

const V = 50257;

for (const weights of ['model.safetensors', 'pytorch_model.bin'] as const) {
  describe(`tiny GPT-2 from ${weights}`, () => {
    let model: GPT2;
    beforeAll(async () => {
      await useCpu();
      model = await loadGPT2(tinyFiles(weights));
    });
    afterAll(() => model.dispose());

    /** Logits of every position of one sequence, [T * V]. */
    async function fullLogits(ids: number[]): Promise<Float32Array> {
      const input = tf.tensor2d([ids], [1, ids.length], 'int32');
      const out = model.logits(input);
      expect(out.shape).toEqual([1, ids.length, V]);
      const data = (await out.data()) as Float32Array;
      tf.dispose([input, out]);
      return data;
    }

    reference.cases.forEach((c, n) => {
      test(`case ${n} (${c.ids.length} tokens): last logits, loss`, async () => {
        const all = await fullLogits(c.ids);
        const last = all.subarray((c.ids.length - 1) * V);
        expectClose(last.subarray(0, 16), c.last_logits_first16, 1e-3, 'first16');
        const top5 = Array.from(last)
          .map((v, i) => [i, v] as [number, number])
          .sort((a, b) => b[1] - a[1])
          .slice(0, 5);
        expect(top5.map((t) => t[0])).toEqual(c.last_logits_top5.map((t) => t[0]));
        expectClose(
          top5.map((t) => t[1]),
          c.last_logits_top5.map((t) => t[1]),
          1e-3,
          'top5',
        );
        expect(Math.abs(l2(last) - c.last_logits_l2) / c.last_logits_l2).toBeLessThan(1e-3);

        if (c.mean_next_token_loss === null) {
          const one = tf.tensor2d([c.ids], [1, c.ids.length], 'int32');
          expect(() => model.loss(one)).toThrow(/at least 2 tokens/);
          one.dispose();
        } else {
          const input = tf.tensor2d([c.ids], [1, c.ids.length], 'int32');
          const loss = model.loss(input);
          expect(loss.shape).toEqual([]);
          expectClose(await loss.data(), [c.mean_next_token_loss], 1e-3, 'loss');
          tf.dispose([input, loss]);
        }
      });

      test(`case ${n}: 12-token greedy continuation`, async () => {
        // The first token from the full pass; the rest through the cache (the next test shows
        // that the cache reproduces the full pass's logits).
        const all = await fullLogits(c.ids);
        const out = [argmax(all.subarray((c.ids.length - 1) * V))];
        const cache = model.newCache();
        const prompt = tf.tensor2d([c.ids], [1, c.ids.length], 'int32');
        tf.dispose([prompt, model.step(prompt, cache, { lastOnly: true })]);
        while (out.length < c.greedy_continuation.length) {
          const input = tf.tensor2d([[out[out.length - 1]]], [1, 1], 'int32');
          const logits = model.step(input, cache, { lastOnly: true });
          out.push(argmax(await logits.data()));
          tf.dispose([input, logits]);
        }
        model.disposeCache(cache);
        expect(out).toEqual(c.greedy_continuation);
      });

      test(`case ${n}: KV-cache steps give the full pass's logits`, async () => {
        const seq = [...c.ids, ...c.greedy_continuation];
        const full = await fullLogits(seq);
        const cache = model.newCache();
        // prefill with the prompt, then one token at a time
        const prompt = tf.tensor2d([c.ids], [1, c.ids.length], 'int32');
        const first = model.step(prompt, cache);
        expect(first.shape).toEqual([1, c.ids.length, V]);
        expectClose(await first.data(), full.subarray(0, c.ids.length * V), 1e-4, 'prefill');
        tf.dispose([prompt, first]);
        for (let t = c.ids.length; t < seq.length; t++) {
          const one = tf.tensor2d([[seq[t]]], [1, 1], 'int32');
          const logits = model.step(one, cache);
          expect(logits.shape).toEqual([1, 1, V]);
          expectClose(await logits.data(), full.subarray(t * V, (t + 1) * V), 1e-4, `step ${t}`);
          tf.dispose([one, logits]);
        }
        expect(cache.length).toBe(seq.length);
        model.disposeCache(cache);
        expect(cache.keys).toEqual([]);
      });
    });

    test('lastOnly steps and multi-token steps agree with the full pass', async () => {
      const seq = reference.cases[2].ids;
      const full = await fullLogits(seq);
      const cache = model.newCache();
      const chunks = [seq.slice(0, 4), seq.slice(4, 11), seq.slice(11)];
      let at = 0;
      for (const chunk of chunks) {
        const input = tf.tensor2d([chunk], [1, chunk.length], 'int32');
        const logits = model.step(input, cache, { lastOnly: true });
        expect(logits.shape).toEqual([1, 1, V]);
        at += chunk.length;
        expectClose(await logits.data(), full.subarray((at - 1) * V, at * V), 1e-4, `chunk ending at ${at}`);
        tf.dispose([input, logits]);
      }
      model.disposeCache(cache);
    });

    test('a batch of two sequences gives each one its own logits', async () => {
      const [a, b] = reference.training.batch;
      const input = tf.tensor2d([a, b], [2, a.length], 'int32');
      const out = model.logits(input);
      const data = (await out.data()) as Float32Array;
      expectClose(data.subarray(0, a.length * V), await fullLogits(a), 1e-4, 'row 0');
      expectClose(data.subarray(a.length * V), await fullLogits(b), 1e-4, 'row 1');
      tf.dispose([input, out]);
    });

    test('positions beyond n_positions are refused', () => {
      const P = model.config.nPositions;
      const tooLong = tf.zeros([1, P + 1], 'int32') as tf.Tensor2D;
      expect(() => model.logits(tooLong)).toThrow(/n_positions/);
      const cache = model.newCache();
      const fill = tf.zeros([1, P], 'int32') as tf.Tensor2D;
      const one = tf.zeros([1, 1], 'int32') as tf.Tensor2D;
      tf.dispose(model.step(fill, cache, { lastOnly: true }));
      expect(cache.length).toBe(P);
      expect(() => model.step(one, cache)).toThrow(/n_positions/);
      model.disposeCache(cache);
      tf.dispose([tooLong, fill, one]);
    });
  });
}
