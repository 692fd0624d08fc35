/** embeddingLookup against tf.gather (whose gradient the cpu backend can compute), chunked or not. */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, test } from 'vitest';
import { embeddingLookup, type EmbeddingGradMode } from '../../../src/model/embedding';
import { mulberry32 } from '../../../src/random';
import { expectClose, useCpu } from './helpers';

const ROWS = 23;
const WIDTH = 5;

function table(seed: number): tf.Tensor2D {
  const rng = mulberry32(seed);
  return tf.tensor2d(Array.from({ length: ROWS * WIDTH }, () => rng() * 2 - 1), [ROWS, WIDTH]);
}

/** ids with repeats, both ends of the table and every chunk boundary. */
const IDS = [0, 22, 7, 7, 8, 15, 16, 7, 1, 22, 0, 9];

describe('embeddingLookup', () => {
  beforeAll(useCpu);

  const layouts: [string, number[]][] = [
    ['one table', [ROWS]],
    ['three uneven chunks', [8, 8, 7]],
    ['a chunk per row at the start', [1, 1, 21]],
  ];
  for (const [layout, sizes] of layouts) {
    for (const mode of ['scatter', 'onehot', 'slots'] as EmbeddingGradMode[]) {
      test(`${layout}, ${mode} gradient: same rows and gradient as tf.gather`, async () => {
        const full = table(1);
        const upstream = tf.tidy(() => tf.slice(table(2), [0, 0], [IDS.length, WIDTH]));
        const ids = tf.tensor1d(IDS, 'int32');
        const starts = sizes.map((_, k) => sizes.slice(0, k).reduce((a, b) => a + b, 0));
        const chunks = tf.split(full, sizes, 0) as tf.Tensor2D[];

        const expected = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), upstream)))([full])[0];
        const gathered = tf.gather(full, ids);
        const got = embeddingLookup(chunks, starts, ids, mode);
        expectClose(await got.data(), await gathered.data(), 0, 'rows');

        const grads = tf.grads((...cs: tf.Tensor[]) =>
          tf.sum(tf.mul(embeddingLookup(cs as tf.Tensor2D[], starts, ids, mode), upstream)),
        )(chunks);
        expect(grads.map((g) => g.shape)).toEqual(chunks.map((c) => c.shape));
        const joined = tf.concat(grads, 0);
        expectClose(await joined.data(), await expected.data(), 1e-6, 'gradient');
        tf.dispose([full, upstream, ids, expected, gathered, got, joined, ...chunks, ...grads]);
      });
    }
  }

  test('float ids are accepted (cast to int32)', async () => {
    const full = table(3);
    const out = tf.tidy(() => embeddingLookup([full], [0], tf.tensor1d([4, 4, 2], 'float32')));
    const expected = tf.gather(full, tf.tensor1d([4, 4, 2], 'int32'));
    expectClose(await out.data(), await expected.data(), 0, 'rows');
    tf.dispose([full, out, expected]);
  });
});
