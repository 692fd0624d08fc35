import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDataset, packBlocks, tokenStream, validationTexts } from '../../../src/train/dataset';
import { Trainer } from '../../../src/train/trainer';
import { groupByPerson, textsLoss } from '../../../src/train/validation-by-person';
import { charTokenizer, microModel, useCpu } from './setup';

const texts = Array.from({ length: 40 }, (_, i) => `tweet number ${i} says ${'ab'.repeat(i % 5)}`);

describe('validationTexts', () => {
  it('are exactly the tweets buildDataset holds out, in its order', () => {
    for (const seed of [0, 7, 42]) {
      const ds = buildDataset(texts, charTokenizer, { blockSize: 16, seed });
      const val = validationTexts(texts, { seed });
      expect(val.length).toBe(ds.valTweets);
      const stream = tokenStream(val.map((t) => charTokenizer.encode(t)), charTokenizer.eosId);
      expect(packBlocks(stream, ds.blockSize).map((b) => Array.from(b))).toEqual(ds.val.map((b) => Array.from(b)));
    }
  });
});

describe('groupByPerson', () => {
  it('gives each held-out text to its owner (the first one when two wrote it)', () => {
    expect(groupByPerson(['a', 'b', 'c', 'z'], [['a', 'c'], ['b', 'c']])).toEqual([['a', 'c'], ['b']]);
  });
});

describe('textsLoss', () => {
  beforeAll(useCpu);
  it('equals the trainer’s validation loss on the same held-out tweets, and leaks no tensor', async () => {
    const model = microModel();
    const ds = buildDataset(texts, charTokenizer, { blockSize: 16, seed: 3 });
    const trainer = new Trainer(model, ds, { microBatchSize: 2, batchSize: 2 });
    const expected = await trainer.validationLoss();
    const before = tf.memory().numTensors;
    const got = await textsLoss(model, charTokenizer, validationTexts(texts, { seed: 3 }), 16, 3);
    expect(tf.memory().numTensors).toBe(before);
    expect(got).toBeCloseTo(expected as number, 5);
    expect(await textsLoss(model, charTokenizer, [], 16)).toBeNull();
    trainer.dispose();
    model.dispose();
  });
});
