import { describe, expect, it } from 'vitest';
import { buildDataset, buildDatasetInChunks, epochOrder, packBlocks, tokenStream, validationCount, type TextTokenizer } from '../../../src/train/dataset';

const EOS = 0;
/** A word-level tokenizer: "w12 w7" → [12, 7]; ids are readable in assertions. */
const words: TextTokenizer = {
  eosId: EOS,
  encode: (text) => text.split(' ').map((w) => Number(w.slice(1))),
};
/** Ten tweets of three tokens each: tweet k is [10k+1, 10k+2, 10k+3]. */
const tenTweets = Array.from({ length: 10 }, (_, k) => `w${10 * k + 1} w${10 * k + 2} w${10 * k + 3}`);

/** Tweets of a stream split at EOS, as strings for set comparisons. */
function tweetsOf(stream: number[]): string[] {
  const out: string[] = [];
  let cur: number[] = [];
  for (const id of stream.slice(1)) {
    if (id === EOS) {
      out.push(cur.join(','));
      cur = [];
    } else cur.push(id);
  }
  expect(cur).toEqual([]); // a stream ends with EOS
  return out;
}

/** Undo packBlocks when the stream divides evenly: drop each block's shared first id after the first block. */
function unpack(blocks: Int32Array[]): number[] {
  return blocks.flatMap((b, i) => Array.from(i === 0 ? b : b.subarray(1)));
}

describe('tokenStream / packBlocks', () => {
  it('puts EOS before the first tweet and after every tweet', () => {
    expect(Array.from(tokenStream([[5, 6], [7], [8, 9, 10]], EOS))).toEqual([0, 5, 6, 0, 7, 0, 8, 9, 10, 0]);
  });

  it('packs blocks of blockSize+1 ids overlapping by one, the tail aligned to the end', () => {
    const stream = Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]); // 9 predictions
    expect(packBlocks(stream, 3).map((b) => Array.from(b))).toEqual([
      [0, 1, 2, 3],
      [3, 4, 5, 6],
      [6, 7, 8, 9],
    ]);
    expect(packBlocks(stream, 4).map((b) => Array.from(b))).toEqual([
      [0, 1, 2, 3, 4],
      [4, 5, 6, 7, 8],
      [5, 6, 7, 8, 9], // tail: target 9 would otherwise be lost
    ]);
    expect(packBlocks(stream, 9).map((b) => Array.from(b))).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
    expect(packBlocks(stream, 10)).toEqual([]);
  });
});

describe('validationCount', () => {
  it('rounds the fraction, keeps at least the minimum, never takes every tweet', () => {
    expect(validationCount(100, 0.1, 2)).toBe(10);
    expect(validationCount(10, 0.1, 2)).toBe(2);
    expect(validationCount(3, 0.1, 2)).toBe(2);
    expect(validationCount(2, 0.5, 2)).toBe(1);
    expect(validationCount(1, 0.1, 2)).toBe(0);
    expect(validationCount(100, 0, 2)).toBe(0);
  });
});

describe('buildDataset', () => {
  it('gives exact block counts and contents, every tweet once, split by tweet', () => {
    const ds = buildDataset(tenTweets, words, { blockSize: 8, valFraction: 0.2, seed: 7 });
    // val: 2 tweets → 1 + 2·4 = 9 ids, 8 predictions = 1 block; train: 1 + 8·4 = 33 ids = 4 blocks.
    expect(ds.blockSize).toBe(8);
    expect([ds.trainTweets, ds.valTweets]).toEqual([8, 2]);
    expect([ds.trainTokens, ds.valTokens]).toEqual([33, 9]);
    expect(ds.train.length).toBe(4);
    expect(ds.val.length).toBe(1);
    for (const b of [...ds.train, ...ds.val]) {
      expect(b).toBeInstanceOf(Int32Array);
      expect(b.length).toBe(9);
    }
    const train = tweetsOf(unpack(ds.train));
    const val = tweetsOf(unpack(ds.val));
    expect(train.length).toBe(8);
    expect(val.length).toBe(2);
    expect(new Set([...train, ...val])).toEqual(new Set(tenTweets.map((t) => words.encode(t).join(','))));
    for (const v of val) expect(train).not.toContain(v);
  });

  it('is deterministic in the seed and changes with it', () => {
    const a = buildDataset(tenTweets, words, { blockSize: 8, seed: 1 });
    const b = buildDataset(tenTweets, words, { blockSize: 8, seed: 1 });
    expect(b.train).toEqual(a.train);
    expect(b.val).toEqual(a.val);
    expect(b.fingerprint).toBe(a.fingerprint);
    const others = [2, 3, 4].map((seed) => buildDataset(tenTweets, words, { blockSize: 8, seed }));
    expect(others.some((c) => c.fingerprint !== a.fingerprint)).toBe(true);
    expect(others.some((c) => JSON.stringify(c.val.map((x) => Array.from(x))) !== JSON.stringify(a.val.map((x) => Array.from(x))))).toBe(true);
  });

  it('clamps blockSize to n_positions and to the shorter split', () => {
    expect(buildDataset(tenTweets, words, { blockSize: 128, nPositions: 6, seed: 0 }).blockSize).toBe(6);
    // 2 validation tweets are 9 ids: blocks of 8 predictions at most.
    const ds = buildDataset(tenTweets, words, { blockSize: 128, seed: 0 });
    expect(ds.blockSize).toBe(8);
    expect(ds.val.length).toBe(1);
    // The train stream (33 ids) with blockSize 8 is exactly 4 blocks; with 6: 5 full + 1 tail.
    expect(buildDataset(tenTweets, words, { blockSize: 6, seed: 0 }).train.length).toBe(6);
  });

  it('skips empty tweets, can disable validation, refuses an empty corpus', () => {
    const ds = buildDataset(['w1 w2', '   ', 'w3'], words, { blockSize: 4, valFraction: 0 });
    expect([ds.trainTweets, ds.valTweets, ds.val.length]).toEqual([2, 0, 0]);
    expect(ds.trainTokens).toBe(6);
    expect(() => buildDataset(['', ' '], words)).toThrow(/no tweets/);
  });

  it('uses the real GPT-2 tokenizer ids with <|endoftext|> = 50256 between tweets', async () => {
    const { PreTrainedTokenizer } = await import('@xenova/transformers');
    const { tinyJson } = await import('../../helpers/fixtures');
    const tok = new PreTrainedTokenizer(tinyJson('tokenizer.json'), tinyJson('tokenizer_config.json'));
    const gpt2: TextTokenizer = { eosId: 50256, encode: (t) => tok.encode(t) };
    const ds = buildDataset(['hello world', 'good morning'], gpt2, { blockSize: 128, valFraction: 0 });
    const ids = unpack(ds.train);
    expect(ids[0]).toBe(50256);
    expect(ids[ids.length - 1]).toBe(50256);
    expect(ids.filter((x) => x === 50256).length).toBe(3);
    expect(ids).toEqual(expect.arrayContaining(tok.encode('hello world')));
  });
});

describe('buildDatasetInChunks', () => {
  /** 2,345 tweets of 1 to 9 tokens, some empty, so chunks end mid-split and mid-stream. */
  const corpus = Array.from({ length: 2345 }, (_, k) =>
    k % 97 === 0 ? '  ' : Array.from({ length: 1 + ((k * 7) % 9) }, (_, j) => `w${1 + ((k * 13 + j * 5) % 500)}`).join(' '),
  );

  it('builds exactly the dataset built at once, whatever the chunk size', async () => {
    for (const opts of [{ blockSize: 16, seed: 3 }, { blockSize: 128, seed: 9, valFraction: 0.2 }, { blockSize: 8, valFraction: 0 }]) {
      const whole = buildDataset(corpus, words, opts);
      for (const chunkSize of [1, 7, 1000, 5000]) {
        const progress: number[] = [];
        let pauses = 0;
        const chunked = await buildDatasetInChunks(corpus, words, {
          ...opts,
          chunkSize,
          onProgress: (p) => progress.push(p.tweetsDone),
          between: async () => {
            pauses++;
          },
        });
        expect(chunked).toEqual(whole);
        const kept = whole.trainTweets + whole.valTweets;
        expect(pauses).toBe(Math.ceil(kept / chunkSize) - 1);
        expect(progress[progress.length - 1]).toBe(kept);
        expect(progress).toEqual([...progress].sort((a, b) => a - b));
      }
    }
  });

  it('stops when `between` rejects (a cancel), tokenizing no further', async () => {
    let encoded = 0;
    const counting: TextTokenizer = { eosId: EOS, encode: (t) => (encoded++, words.encode(t)) };
    let calls = 0;
    const build = buildDatasetInChunks(corpus, counting, {
      chunkSize: 100,
      between: async () => {
        if (++calls === 3) throw new Error('cancelled');
      },
    });
    await expect(build).rejects.toThrow('cancelled');
    expect(encoded).toBe(300);
  });

  it('reports the same errors as buildDataset', async () => {
    await expect(buildDatasetInChunks(['', ' '], words)).rejects.toThrow(/no tweets/);
    await expect(buildDatasetInChunks(['w1'], words, { blockSize: 1 })).rejects.toThrow(/blockSize/);
  });
});

describe('epochOrder', () => {
  it('is a permutation, reproducible, different per epoch', () => {
    const e0 = epochOrder(50, 0, 9);
    expect([...e0].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(epochOrder(50, 0, 9)).toEqual(e0);
    expect(epochOrder(50, 1, 9)).not.toEqual(e0);
    expect(epochOrder(50, 0, 10)).not.toEqual(e0);
  });
});
