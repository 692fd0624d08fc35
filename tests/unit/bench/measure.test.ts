import { describe, expect, it } from 'vitest';
import { median, syntheticDataset } from '../../../bench/measure';
import { paramCount, shapeConfig } from '../../../bench/shapes';

describe('median', () => {
  it('ignores one slow step', () => {
    expect(median([4000, 4100, 19000])).toBe(4100);
    expect(median([3, 1])).toBe(2);
    expect(() => median([])).toThrow();
  });
});

describe('syntheticDataset', () => {
  const c = shapeConfig('tiny');

  it('packs EOS-separated 25-token tweets into the requested blocks, as the real packing does', () => {
    const ds = syntheticDataset(c, 32, 5, 0);
    expect(ds.train).toHaveLength(5);
    expect(ds.val).toHaveLength(0);
    for (const b of ds.train) expect(b).toHaveLength(33);
    // neighbouring blocks share one id
    expect(ds.train[1][0]).toBe(ds.train[0][32]);
    // the stream starts with EOS and every 26th id is EOS; no other id is EOS or outside the vocabulary
    const stream = [...ds.train[0], ...ds.train[1].slice(1)];
    stream.forEach((id, i) => {
      expect(id === c.eosTokenId).toBe(i % 26 === 0);
      expect(id).toBeGreaterThanOrEqual(0);
      expect(id).toBeLessThan(c.vocabSize);
    });
  });

  it('is deterministic in its seed', () => {
    expect(syntheticDataset(c, 16, 3, 4).train).toEqual(syntheticDataset(c, 16, 3, 4).train);
    expect(syntheticDataset(c, 16, 3, 4).train[0]).not.toEqual(syntheticDataset(c, 16, 3, 5).train[0]);
  });
});

describe('paramCount', () => {
  it('counts the published sizes of gpt2 and distilgpt2 (lm_head tied to wte)', () => {
    expect(paramCount(shapeConfig('gpt2'))).toBe(124_439_808);
    expect(paramCount(shapeConfig('distilgpt2'))).toBe(81_912_576);
  });
});
